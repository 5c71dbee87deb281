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

package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProwIgnore: job files that a .prowignore leaves out are not read, as in Prow (the
// ignored files here would not load).
func TestProwIgnore(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.yaml":                     "",
		"jobs/.prowignore":                "# not job config\ndrafts/\n/top-only.yaml\n*.values.yaml\n",
		"jobs/a.yaml":                     presubmitFile("a"),
		"jobs/top-only.yaml":              "not: [job config\n",
		"jobs/sub/top-only.yaml":          presubmitFile("b"),
		"jobs/sub/chart.values.yaml":      "image: x\n",
		"jobs/drafts/c.yaml":              "presubmits: nope\n",
		"jobs/registry/.prowignore":       "default.yaml\n!keep.yaml\n",
		"jobs/registry/default.yaml":      "gcRegistry: gcr.io\n",
		"jobs/registry/keep.yaml":         presubmitFile("keep"),
		"jobs/registry/nested/other.yaml": presubmitFile("d"),
	})
	c, err := Load(filepath.Join(dir, "config.yaml"), filepath.Join(dir, "jobs"))
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	if diff := cmp.Diff([]string{"a", "keep", "d", "b"}, names(c.PresubmitsFor("acme", "widgets"))); diff != "" {
		t.Errorf("presubmits (-want, +got):\n%s", diff)
	}
}
