/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package build

import (
	"context"
	"os"
	"os/exec"
)

// Compile builds static linux/arch binaries of pkgs (such as ./cmd/hook) of the module in
// dir into outDir, in one `go build`: no cgo, no paths or VCS stamps, stripped, and with Go's
// tzdata linked in (the timetzdata tag) since the images carry no zoneinfo files. bosun has no
// version variable to stamp with -X.
func Compile(ctx context.Context, goCmd, dir, outDir, arch string, pkgs []string) error {
	args := []string{"build", "-o", outDir + string(os.PathSeparator),
		"-trimpath", "-buildvcs=false", "-tags", "timetzdata", "-ldflags", "-s -w"}
	cmd := exec.CommandContext(ctx, goCmd, append(args, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}
