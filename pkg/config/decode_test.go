package config

import (
	"testing"
)

func TestLineOfPath(t *testing.T) {
	const doc = `presubmits:
  acme/widgets.io:
  - name: unit
    pipeline_run_spec:
      params:
      - name: a
        bogus: 1
base: &base
  name: x
periodics:
- *base
`
	root, extra, err := parseDocuments([]byte(doc))
	if err != nil || extra != nil {
		t.Fatalf("parseDocuments() = %v, %v", extra, err)
	}
	tests := []struct {
		path string
		want int
	}{
		{"presubmits", 1},
		{"presubmits.acme/widgets.io", 2},
		{"presubmits.acme/widgets.io[0]", 3},
		{"presubmits.acme/widgets.io[0].name", 3},
		{"presubmits.acme/widgets.io[0].pipeline_run_spec.params[0].bogus", 7},
		{"periodics[0].name", 9}, // through the alias
		// Paths that go nowhere return the deepest node reached.
		{"presubmits.acme/widgets.io[5].name", 3},
		{"presubmits.acme/widgets.io[0].nope", 3},
		{"nope", 1},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := lineOfPath(root, tc.path); got != tc.want {
				t.Errorf("lineOfPath(%q) = %d, want %d", tc.path, got, tc.want)
			}
		})
	}
	if got := lineOfPath(nil, "a"); got != 0 {
		t.Errorf("lineOfPath(nil) = %d, want 0", got)
	}
}

func TestParseDocuments(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		wantFirst bool
		wantExtra int // line of the extra document, 0 for none
	}{
		{"empty", "", false, 0},
		{"comment only", "# nothing\n", false, 0},
		{"one document", "a: 1\n", true, 0},
		{"leading separator", "---\na: 1\n", true, 0},
		{"trailing separator", "a: 1\n---\n", true, 0},
		{"two documents", "a: 1\n---\nb: 2\n", true, 3},
		{"empty first document", "---\n---\nb: 2\n", false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, extra, err := parseDocuments([]byte(tc.doc))
			if err != nil {
				t.Fatalf("parseDocuments() error: %v", err)
			}
			if (first != nil) != tc.wantFirst {
				t.Errorf("first = %v, want present: %v", first, tc.wantFirst)
			}
			gotExtra := 0
			if extra != nil {
				gotExtra = extra.Line
			}
			if gotExtra != tc.wantExtra {
				t.Errorf("extra document at line %d, want %d", gotExtra, tc.wantExtra)
			}
		})
	}
}
