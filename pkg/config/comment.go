package config

// This file holds the one piece of the ChatOps comment grammar that configuration needs: which
// part of a comment a presubmit's trigger regexp sees (Presubmit.TriggerMatches). The commands
// themselves (/test all, /retest, /ok-to-test...) belong to the plugins that run them, in
// pkg/plugins/<name>; they call StripCodeAndQuotes too, so that every command ignores the same
// text.

import "strings"

// StripCodeAndQuotes blanks the parts of a comment where Prow ignores commands: fenced code
// blocks (``` or ~~~, up to the closing fence or the end of the comment, as Markdown renders
// an unclosed fence) and quoted lines starting with ">". Someone quoting "/retest" from an
// earlier comment, or pasting a log that holds "/test all", should not start jobs. Blanked
// lines stay as empty lines so that (?m) anchors still see line starts. Inline code is left
// alone: "`/test unit`" does not start a line with "/test" anyway.
func StripCodeAndQuotes(body string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	var fence string // the opening fence while inside a code block
	for i, line := range lines {
		text, ok := trimIndent(line)
		switch {
		case fence != "":
			if ok && isClosingFence(text, fence) {
				fence = ""
			}
			lines[i] = ""
		case !ok:
			// Indented by four or more: an indented code block or a continuation line;
			// either way no command starts there.
		case openingFence(text) != "":
			fence = openingFence(text)
			lines[i] = ""
		case strings.HasPrefix(text, ">"):
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// trimIndent removes up to three leading spaces, the indentation Markdown allows before a
// fence or a quote marker. It reports false for deeper indentation.
func trimIndent(line string) (string, bool) {
	for i := 0; i < 4; i++ {
		if i == len(line) || line[i] != ' ' {
			return line[i:], true
		}
	}
	return line, false
}

// openingFence returns the fence a line opens with (three or more backticks or tildes), or
// "" if it opens none. A backtick fence's info string may not hold a backtick, as in
// Markdown: "```a```" is inline code, not a fence.
func openingFence(text string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(text) && text[n] == c {
			n++
		}
		if n < 3 {
			continue
		}
		if c == '`' && strings.IndexByte(text[n:], '`') >= 0 {
			return ""
		}
		return text[:n]
	}
	return ""
}

// isClosingFence reports whether text closes a block opened by fence: the same character,
// at least as many times, and nothing after but spaces.
func isClosingFence(text, fence string) bool {
	n := 0
	for n < len(text) && text[n] == fence[0] {
		n++
	}
	return n >= len(fence) && strings.TrimSpace(text[n:]) == ""
}
