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

// Package flagdoc checks a binary's table in docs/flags.md against the flags the binary
// registers, so the document cannot drift from the code. A section is the table under a
// heading "## <section>"; its rows read | `--name` | `default` | description |, a default is
// written in backticks, and the empty string as `""`.
package flagdoc

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// Row is a flag's row in a section: its name without the leading "--" and its default cell
// as written, backticks included.
type Row struct {
	Name, Default string
}

// Check fails t naming every flag of fs that the section of the document at docPath misses
// or gives another default, and every row of that section that is not a flag of fs. It stops
// the test if the document cannot be read or has no such section. docPath is as the test
// sees it, relative to the package directory (for example "../../docs/flags.md"), and is how
// the messages name the document.
func Check(t testing.TB, fs *flag.FlagSet, docPath, section string) {
	t.Helper()
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
		return
	}
	rows, errs := Parse(string(data), docPath, section)
	if rows == nil {
		t.Fatal(errs[0])
		return
	}
	for _, err := range append(errs, Compare(fs, rows, docPath, section)...) {
		t.Error(err)
	}
}

// Parse returns the rows of the table under the heading "## <section>" of doc, keyed by flag
// name, and an error for each row with fewer than three cells. docName names doc in the
// errors. If doc has no such section the map is nil and the one error says so.
func Parse(doc, docName, section string) (map[string]Row, []error) {
	rows := map[string]Row{}
	var errs []error
	in, found := false, false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "## ") {
			in = strings.TrimSpace(strings.TrimPrefix(line, "## ")) == section
			found = found || in
			continue
		}
		if !in || !strings.HasPrefix(line, "| `--") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			errs = append(errs, fmt.Errorf("%s: row %q has fewer than three cells", docName, line))
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cells[1]), "`--"), "`")
		rows[name] = Row{Name: name, Default: strings.TrimSpace(cells[2])}
	}
	if !found {
		return nil, []error{fmt.Errorf("%s has no section %q", docName, "## "+section)}
	}
	return rows, errs
}

// Compare returns an error for every flag of fs that rows (a section of docName, from Parse)
// misses or gives another default, in flag name order, then one for every row that is not a
// flag of fs, in name order. It does not change rows.
func Compare(fs *flag.FlagSet, rows map[string]Row, docName, section string) []error {
	var errs []error
	seen := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		row, ok := rows[f.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("flag --%s is not in the %s table of %s", f.Name, section, docName))
			return
		}
		seen[f.Name] = true
		want := f.DefValue
		if want == "" {
			want = `""`
		}
		if want = "`" + want + "`"; row.Default != want {
			errs = append(errs, fmt.Errorf("%s gives --%s the default %s; it is %s", docName, f.Name, row.Default, want))
		}
	})
	var extra []string
	for name := range rows {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		errs = append(errs, fmt.Errorf("%s lists --%s under %s, which has no such flag", docName, name, section))
	}
	return errs
}
