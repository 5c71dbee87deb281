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
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRows(t *testing.T) {
	values := `
# -- Name override.
nameOverride: ""
image:
  # -- Where images come from;
  # each component has its own.
  repository: ghcr.io/x
  # -- Pull policy.
  pullPolicy: IfNotPresent
# -- Extra labels | pipes.
labels: {a: b}
# -- Replicas.
replicas: 2
# not a doc comment
# -- Enabled.
enabled: false
`
	rows, err := Rows([]byte(values))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{"nameOverride", "string", `""`, "Name override."},
		{"image.repository", "string", `"ghcr.io/x"`, "Where images come from; each component has its own."},
		{"image.pullPolicy", "string", `"IfNotPresent"`, "Pull policy."},
		{"labels", "object", "{a: b}", "Extra labels | pipes."},
		{"replicas", "number", "2", "Replicas."},
		{"enabled", "bool", "false", "Enabled."},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if table := Table(rows); !strings.Contains(table, `Extra labels \| pipes.`) {
		t.Errorf("pipes not escaped:\n%s", table)
	}
}

func TestRowsRefusesUndocumentedValues(t *testing.T) {
	_, err := Rows([]byte("hook:\n  # -- Port.\n  port: 1\n  replicas: 2\nplain: x\n"))
	if err == nil || !strings.Contains(err.Error(), "hook.replicas, plain") {
		t.Fatalf("error = %v, want it to name hook.replicas and plain", err)
	}
}

func TestSplice(t *testing.T) {
	out, err := Splice([]byte("intro\n<!-- values -->\nold\n<!-- /values -->\nend\n"), "| new |\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "intro\n<!-- values -->\n| new |\n<!-- /values -->\nend\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := Splice([]byte("no markers"), ""); err == nil {
		t.Error("a README without markers was accepted")
	}
}

// TestChartValuesAreDocumented keeps the chart's values.yaml fully documented.
func TestChartValuesAreDocumented(t *testing.T) {
	values, err := os.ReadFile("../../charts/bosun/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Rows(values); err != nil {
		t.Fatal(err)
	}
}
