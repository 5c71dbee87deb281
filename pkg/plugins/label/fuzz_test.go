package label

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/bosun-ci/bosun/test/plugintest"
)

// FuzzParseCommands feeds arbitrary comments to the label command parser. Whatever the text:
// no panic; the same result twice; at most one command a line, each a "/<prefix> <names>"
// or "/remove-<prefix> <names>" line of the comment with a known prefix, its names words of
// that line, once each whatever their case; nothing in a fenced or quoted comment; a command
// on the first line is seen whatever follows it. Seeds are in testdata/fuzz.
func FuzzParseCommands(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		cmds := parseCommands(body)
		if again := parseCommands(body); !slices.EqualFunc(cmds, again, sameCommand) {
			t.Errorf("parsed %+v, then %+v", cmds, again)
		}
		normalized := strings.ReplaceAll(body, "\r\n", "\n")
		if lines := strings.Count(normalized, "\n") + 1; len(cmds) > lines {
			t.Errorf("%d commands in %d lines", len(cmds), lines)
		}
		for _, c := range cmds {
			lower := strings.ToLower(c.text)
			if c.text == "" || c.text != strings.TrimSpace(c.text) || strings.Contains(c.text, "\n") || !strings.Contains(normalized, c.text) {
				t.Errorf("command %q is not a trimmed line of the comment", c.text)
			}
			if !slices.Contains(prefixes, c.prefix) && c.prefix != customCommand {
				t.Errorf("command %q has prefix %q", c.text, c.prefix)
			}
			if want := "/" + map[bool]string{true: "remove-"}[c.remove] + c.prefix; !strings.HasPrefix(lower, want) {
				t.Errorf("command %q parsed as %q (remove %t)", c.text, want, c.remove)
			}
			if len(c.names) == 0 {
				t.Errorf("command %q names no label", c.text)
			}
			seen := map[string]bool{}
			for _, n := range c.names {
				if n == "" || strings.ContainsFunc(n, unicode.IsSpace) || !strings.Contains(c.text, n) || seen[strings.ToLower(n)] {
					t.Errorf("command %q has names %q: not its words once each", c.text, c.names)
				}
				seen[strings.ToLower(n)] = true
			}
		}
		for name, hidden := range map[string]string{"fenced": plugintest.Fence(body), "quoted": plugintest.Quote(body)} {
			if got := parseCommands(hidden); len(got) > 0 {
				t.Errorf("the comment %s holds commands %+v", name, got)
			}
		}
		first := parseCommands("/kind bug\n" + body)
		if len(first) == 0 || first[0].prefix != "kind" || first[0].remove || !slices.Equal(first[0].names, []string{"bug"}) {
			t.Errorf("/kind bug on the first line parsed as %+v", first)
		}
	})
}

func sameCommand(a, b command) bool {
	return a.text == b.text && a.remove == b.remove && a.prefix == b.prefix && slices.Equal(a.names, b.names)
}
