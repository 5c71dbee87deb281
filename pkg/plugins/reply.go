package plugins

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of the comments plugins post. GitHub refuses a comment body over 65,536 characters
// with 422, and a handler whose reply is refused fails on every redelivery, so what a reply
// echoes from a comment is cut here, whatever the comment held.
const (
	// MaxCommentBytes is the most a reply holds. Counting bytes keeps it under GitHub's
	// limit in characters whatever the script, with room to spare.
	MaxCommentBytes = 60_000
	// MaxLineBytes is the most one line of a reply holds; longer lines end in "…".
	MaxLineBytes = 2_000
	// MaxEchoBytes is the most of a command Code quotes back.
	MaxEchoBytes = 200
)

// ellipsis ends text that was cut.
const ellipsis = "…"

// Reply is the body of a comment answering user: "@user: line" for one line, or "@user:"
// followed by a bulleted list when a comment held several commands. It never exceeds
// MaxCommentBytes: every line is cut to MaxLineBytes, and lines that do not fit are dropped
// and counted in a last line, "... and 9,990 more lines not shown."
func Reply(user string, lines ...string) string {
	if len(lines) == 1 {
		// One reply line may itself span several lines of text (help's listing).
		text := strings.Split(capLines("@"+user+": "+lines[0]), "\n")
		return fit(text[0], text[1:], "\n")
	}
	items := make([]string, len(lines))
	for i, l := range lines {
		items[i] = capLines(l)
	}
	return fit(capLines("@"+user+":\n"), items, "\n- ")
}

// fit is head followed by each item behind sep, as many as fit in MaxCommentBytes with a
// summary of the rest.
func fit(head string, items []string, sep string) string {
	var b strings.Builder
	b.WriteString(head)
	for i, item := range items {
		rest := len(items) - i - 1
		room := MaxCommentBytes - b.Len() - len(sep) - len(item)
		if rest > 0 {
			room -= len(summary(rest))
		}
		if room < 0 {
			b.WriteString(summary(len(items) - i))
			break
		}
		b.WriteString(sep + item)
	}
	return b.String()
}

func summary(n int) string {
	return "\n\n... and " + FormatCount(n) + " more " + Plural(n, "line", "lines") + " not shown."
}

// capLines cuts every line of s to MaxLineBytes.
func capLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Truncate(l, MaxLineBytes)
	}
	return strings.Join(lines, "\n")
}

// Truncate returns s if it has at most maxBytes bytes, or else its longest prefix that ends
// on a rune boundary and, followed by "…", has at most maxBytes bytes.
func Truncate(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := max(maxBytes-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// Code quotes text from a comment as inline code for a reply, cut to MaxEchoBytes.
func Code(text string) string {
	return "`" + Truncate(text, MaxEchoBytes) + "`"
}

// FormatCount writes n with thousands separators: 9990 is "9,990".
func FormatCount(n int) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}

// Plural is one when n is 1 and many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
