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

// Command chartdoc writes the values table of a Helm chart's README from its values.yaml:
// every value documented with a "# -- " comment above its key becomes a row (key, type,
// default, description) between the README's "<!-- values -->" and "<!-- /values -->"
// lines. A value without such a comment is an error, so the table cannot fall behind.
//
//	go run ./hack/chartdoc charts/bosun
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: chartdoc CHART_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	values, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		fail(err)
	}
	rows, err := Rows(values)
	if err != nil {
		fail(fmt.Errorf("%s: %w", filepath.Join(dir, "values.yaml"), err))
	}
	readmePath := filepath.Join(dir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		fail(err)
	}
	out, err := Splice(readme, Table(rows))
	if err != nil {
		fail(fmt.Errorf("%s: %w", readmePath, err))
	}
	if err := os.WriteFile(readmePath, out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "chartdoc:", err)
	os.Exit(1)
}
