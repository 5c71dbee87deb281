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

package flagdoc

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// doc has a section for the binary under test, cmd/x, between two others whose rows must
// not count. Against newFlags, its cmd/x table gives --addr the wrong default, misses
// --timeout, has a row for --gone, and is right about --name and --verbose.
const doc = "# Flags\n" +
	"\n" +
	"## cmd/before\n" +
	"\n" +
	"| Flag | Default | Description |\n" +
	"| --- | --- | --- |\n" +
	"| `--timeout` | `5s` | Not cmd/x's row. |\n" +
	"\n" +
	"## cmd/x\n" +
	"\n" +
	"Some prose mentioning `--timeout`.\n" +
	"\n" +
	"| Flag | Default | Description |\n" +
	"| --- | --- | --- |\n" +
	"| `--addr` | `:9999` | Address. |\n" +
	"| `--name` | `\"\"` | A name. |\n" +
	"| `--verbose` | `false` | Log more. |\n" +
	"| `--gone` | `1` | Removed long ago. |\n" +
	"\n" +
	"## cmd/after\n" +
	"\n" +
	"| `--timeout` | `5s` | Not cmd/x's row either. |\n"

// newFlags returns the flags cmd/x registers.
func newFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("addr", ":8888", "")
	fs.String("name", "", "")
	fs.Bool("verbose", false, "")
	fs.Duration("timeout", 5*time.Second, "")
	return fs
}

// wantProblems is what Check and Compare report for doc's cmd/x against newFlags.
var wantProblems = []string{
	"flags.md gives --addr the default `:9999`; it is `:8888`",
	"flag --timeout is not in the cmd/x table of flags.md",
	"flags.md lists --gone under cmd/x, which has no such flag",
}

func TestParse(t *testing.T) {
	rows, errs := Parse(doc, "flags.md", "cmd/x")
	if len(errs) != 0 {
		t.Errorf("Parse() errors = %v, want none", errs)
	}
	want := map[string]Row{
		"addr":    {Name: "addr", Default: "`:9999`"},
		"name":    {Name: "name", Default: "`\"\"`"},
		"verbose": {Name: "verbose", Default: "`false`"},
		"gone":    {Name: "gone", Default: "`1`"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Parse() rows = %v, want %v", rows, want)
	}
}

func TestParseMalformedRow(t *testing.T) {
	rows, errs := Parse("## cmd/x\n| `--addr` | `:8888` |\n| `--short`\n", "flags.md", "cmd/x")
	if want := map[string]Row{"addr": {Name: "addr", Default: "`:8888`"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("Parse() rows = %v, want %v", rows, want)
	}
	want := []string{"flags.md: row \"| `--short`\" has fewer than three cells"}
	if got := messages(errs); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse() errors = %q, want %q", got, want)
	}
}

func TestParseNoSection(t *testing.T) {
	rows, errs := Parse(doc, "flags.md", "cmd/missing")
	if rows != nil {
		t.Errorf("Parse() rows = %v, want nil", rows)
	}
	want := []string{`flags.md has no section "## cmd/missing"`}
	if got := messages(errs); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse() errors = %q, want %q", got, want)
	}
}

func TestCompare(t *testing.T) {
	rows, _ := Parse(doc, "flags.md", "cmd/x")
	if got := messages(Compare(newFlags(), rows, "flags.md", "cmd/x")); !reflect.DeepEqual(got, wantProblems) {
		t.Errorf("Compare() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantProblems, "\n"))
	}
	if len(rows) != 4 {
		t.Errorf("Compare() changed rows to %v", rows)
	}
}

func TestCompareInStep(t *testing.T) {
	fs := newFlags()
	rows := map[string]Row{}
	fs.VisitAll(func(f *flag.Flag) {
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" {
			def = "`\"\"`"
		}
		rows[f.Name] = Row{Name: f.Name, Default: def}
	})
	if errs := Compare(fs, rows, "flags.md", "cmd/x"); len(errs) != 0 {
		t.Errorf("Compare() = %v, want nothing", errs)
	}
}

func TestCheck(t *testing.T) {
	path := writeDoc(t, doc)
	ft := run(func(tb testing.TB) { Check(tb, newFlags(), path, "cmd/x") })
	var want []string
	for _, p := range wantProblems {
		want = append(want, strings.ReplaceAll(p, "flags.md", path))
	}
	if ft.fatal != "" || !reflect.DeepEqual(ft.errors, want) {
		t.Errorf("Check() reported errors\n%s\nand fatal %q; want errors\n%s", strings.Join(ft.errors, "\n"), ft.fatal, strings.Join(want, "\n"))
	}
}

func TestCheckInStep(t *testing.T) {
	ok := "## cmd/x\n" +
		"| `--addr` | `:8888` | Address. |\n" +
		"| `--name` | `\"\"` | A name. |\n" +
		"| `--timeout` | `5s` | Give up after. |\n" +
		"| `--verbose` | `false` | Log more. |\n"
	// The real testing.T: an in-step document must not fail the test.
	Check(t, newFlags(), writeDoc(t, ok), "cmd/x")
}

func TestCheckNoSection(t *testing.T) {
	path := writeDoc(t, doc)
	ft := run(func(tb testing.TB) { Check(tb, newFlags(), path, "cmd/missing") })
	if want := fmt.Sprintf("%s has no section %q", path, "## cmd/missing"); ft.fatal != want || len(ft.errors) != 0 {
		t.Errorf("Check() reported errors %q and fatal %q; want only fatal %q", ft.errors, ft.fatal, want)
	}
}

func TestCheckNoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.md")
	ft := run(func(tb testing.TB) { Check(tb, newFlags(), path, "cmd/x") })
	if !strings.Contains(ft.fatal, path) || len(ft.errors) != 0 {
		t.Errorf("Check() reported errors %q and fatal %q; want only a fatal naming %s", ft.errors, ft.fatal, path)
	}
}

// fakeTB records what Check reports. Its Fatal ends the goroutine, as testing.T's does.
type fakeTB struct {
	testing.TB // nil: a method Check calls and fakeTB lacks panics
	errors     []string
	fatal      string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Error(args ...any) { f.errors = append(f.errors, fmt.Sprint(args...)) }
func (f *fakeTB) Errorf(format string, a ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, a...))
}
func (f *fakeTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.fatal = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// run calls fn with a fakeTB on its own goroutine, so a Fatal ends fn only.
func run(fn func(testing.TB)) *fakeTB {
	ft := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ft)
	}()
	<-done
	return ft
}

func writeDoc(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flags.md")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func messages(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}
