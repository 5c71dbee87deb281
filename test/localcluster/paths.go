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

package localcluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

const (
	// BinDirEnv overrides where etcd and kube-apiserver are looked up.
	BinDirEnv = "BOSUN_BIN_DIR"
	// RequireClusterEnv, when set to anything, makes tests fail instead of skip when the binaries
	// are missing, so CI cannot pass by skipping.
	RequireClusterEnv = "BOSUN_REQUIRE_CLUSTER"

	modulePath = "github.com/bosun-ci/bosun"
	tektonPath = "github.com/tektoncd/pipeline"
)

// DefaultBinDir is where hack/build-control-plane.sh puts etcd and kube-apiserver:
// $BOSUN_BIN_DIR, else $XDG_CACHE_HOME/bosun/bin, else $HOME/.cache/bosun/bin.
func DefaultBinDir() string {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir
	}
	if cache := os.Getenv("XDG_CACHE_HOME"); cache != "" {
		return filepath.Join(cache, "bosun", "bin")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// No home: a relative path that will not exist, so Start reports the binaries missing.
		return filepath.Join(".cache", "bosun", "bin")
	}
	return filepath.Join(home, ".cache", "bosun", "bin")
}

// RepoRoot returns the root of the bosun repository: the directory two levels above this source
// file when it is there (a normal build or test), else the directory of `go env GOMOD`.
func RepoRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if isBosunModule(filepath.Join(root, "go.mod")) {
			return root, nil
		}
	}
	out, err := goCommand("", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(out)
	if gomod == "" || gomod == os.DevNull || !isBosunModule(gomod) {
		return "", fmt.Errorf("cannot find the %s repository: not built from its source tree and the current directory is not inside it (go env GOMOD = %q)", modulePath, gomod)
	}
	return filepath.Dir(gomod), nil
}

// isBosunModule tells whether the go.mod at path declares bosun's module.
func isBosunModule(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// TektonCRDDir returns config/300-crds of the github.com/tektoncd/pipeline version that bosun's
// go.mod selects, in the module cache.
func TektonCRDDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out, err := goCommand(root, "list", "-m", "-json", tektonPath)
	if err != nil {
		return "", err
	}
	var mod struct {
		Version string
		Dir     string
	}
	if err := json.Unmarshal([]byte(out), &mod); err != nil {
		return "", fmt.Errorf("reading go list -m -json %s: %w", tektonPath, err)
	}
	if mod.Dir == "" {
		return "", fmt.Errorf("%s@%s is not in the module cache; run `go mod download %s` in %s", tektonPath, mod.Version, tektonPath, root)
	}
	dir := filepath.Join(mod.Dir, "config", "300-crds")
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return "", fmt.Errorf("%s@%s has no config/300-crds directory at %s", tektonPath, mod.Version, dir)
	}
	return dir, nil
}

// goCommand runs the go tool in dir (the current directory if empty) and returns its stdout.
func goCommand(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
