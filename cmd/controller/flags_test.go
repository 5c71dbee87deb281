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

package main

import (
	"flag"
	"testing"

	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/test/flagdoc"
)

// TestFlagsDocumented keeps docs/flags.md in step with the flags main registers.
func TestFlagsDocumented(t *testing.T) {
	// The documented default of --kubeconfig is "$KUBECONFIG", which is what it is.
	t.Setenv("KUBECONFIG", "$KUBECONFIG")
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var opts controllermanager.BinaryOptions
	opts.AddFlags(fs)
	flagdoc.Check(t, fs, "../../docs/flags.md", "cmd/controller")
}
