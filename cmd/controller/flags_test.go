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
	"os"
	"strings"
	"testing"

	"github.com/bosun-ci/bosun/pkg/controllermanager"
)

// TestFlagsDocumented keeps docs/flags.md in step with the flags main registers.
func TestFlagsDocumented(t *testing.T) {
	// The documented default of --kubeconfig is "$KUBECONFIG", which is what it is.
	t.Setenv("KUBECONFIG", "$KUBECONFIG")
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var opts controllermanager.BinaryOptions
	opts.AddFlags(fs)
	checkFlagsDocumented(t, fs, "cmd/controller")
}

// flagsDoc is the document every flag of every binary must be listed in.
const flagsDoc = "../../docs/flags.md"

// docRow is a flag's row in flagsDoc: | `--name` | `default` | description |.
type docRow struct {
	name, defaultCell string
}

// documentedFlags returns the rows of the table under the heading "## <section>".
func documentedFlags(t *testing.T, section string) map[string]docRow {
	t.Helper()
	data, err := os.ReadFile(flagsDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]docRow{}
	in, found := false, false
	for _, line := range strings.Split(string(data), "\n") {
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
			t.Errorf("%s: row %q has fewer than three cells", flagsDoc, line)
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cells[1]), "`--"), "`")
		rows[name] = docRow{name: name, defaultCell: strings.TrimSpace(cells[2])}
	}
	if !found {
		t.Fatalf("%s has no section %q", flagsDoc, "## "+section)
	}
	return rows
}

// checkFlagsDocumented fails naming every flag of fs that section of flagsDoc misses or
// gives another default, and every row of that section that is not a flag of fs. A
// default is written in backticks, and the empty string as `""`.
func checkFlagsDocumented(t *testing.T, fs *flag.FlagSet, section string) {
	t.Helper()
	rows := documentedFlags(t, section)
	fs.VisitAll(func(f *flag.Flag) {
		row, ok := rows[f.Name]
		if !ok {
			t.Errorf("flag --%s is not in the %s table of %s", f.Name, section, flagsDoc)
			return
		}
		delete(rows, f.Name)
		want := f.DefValue
		if want == "" {
			want = `""`
		}
		if want = "`" + want + "`"; row.defaultCell != want {
			t.Errorf("%s gives --%s the default %s; it is %s", flagsDoc, f.Name, row.defaultCell, want)
		}
	})
	for name := range rows {
		t.Errorf("%s lists --%s under %s, which has no such flag", flagsDoc, name, section)
	}
}
