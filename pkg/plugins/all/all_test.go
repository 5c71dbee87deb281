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

package all_test

import (
	"go/parser"
	"go/token"
	"os"
	"path"
	"strconv"
	"testing"
)

// TestImportsEveryPlugin fails when a plugin package under pkg/plugins is missing from
// all.go, which would leave it out of the hook and the tests alike.
func TestImportsEveryPlugin(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "all.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	imported := map[string]bool{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		imported[path.Base(p)] = true
	}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "all" || e.Name() == "testdata" {
			continue
		}
		if !imported[e.Name()] {
			t.Errorf("pkg/plugins/%s is not imported by all.go", e.Name())
		}
	}
}
