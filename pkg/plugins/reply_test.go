package plugins_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// manyLines is n reply lines of about 100 bytes.
func manyLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("`/label foo%d`: `/label` cannot set `foo%d`: no labels are allowed (`label.additional_labels` in plugins.yaml).", i, i)
	}
	return lines
}

func TestReply(t *testing.T) {
	huge := strings.Repeat("é", plugins.MaxCommentBytes) // two bytes each
	tests := []struct {
		name  string
		lines []string
		// want is the whole reply; when empty, the checks below apply instead.
		want string
		// wantPrefix and wantSuffix are the reply's start and end.
		wantPrefix, wantSuffix string
		// wantLines is how many bulleted lines the reply shows.
		wantLines int
	}{{
		name:  "one line",
		lines: []string{"`/hold`: adding label `do-not-merge/hold`."},
		want:  "@bob: `/hold`: adding label `do-not-merge/hold`.",
	}, {
		name:  "several lines",
		lines: []string{"one.", "two."},
		want:  "@bob:\n\n- one.\n- two.",
	}, {
		name:       "10,000 lines: as many as fit, then how many are left out",
		lines:      manyLines(10_000),
		wantPrefix: "@bob:\n\n- `/label foo0`: ",
		wantSuffix: " more lines not shown.",
		wantLines:  -1, // counted from the summary
	}, {
		name:       "a huge line is cut on a rune boundary",
		lines:      []string{"`/kind " + huge + "`: nope.", "short."},
		wantPrefix: "@bob:\n\n- `/kind éé",
		wantSuffix: "é…\n- short.",
		wantLines:  2,
	}, {
		name:       "a huge single reply is cut too",
		lines:      []string{huge},
		wantPrefix: "@bob: éé",
		wantSuffix: "é…",
	}, {
		name:       "a single reply of many lines of text keeps whole lines",
		lines:      []string{"the commands:\n" + strings.Join(manyLines(2_000), "\n")},
		wantPrefix: "@bob: the commands:\n`/label foo0`",
		wantSuffix: " more lines not shown.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := plugins.Reply("bob", tc.lines...)
			if tc.want != "" {
				if got != tc.want {
					t.Errorf("Reply() = %q, want %q", got, tc.want)
				}
				return
			}
			if len(got) > plugins.MaxCommentBytes {
				t.Errorf("Reply() is %d bytes, over the %d cap", len(got), plugins.MaxCommentBytes)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Reply() is not valid UTF-8: a rune was cut")
			}
			if !strings.HasPrefix(got, tc.wantPrefix) || !strings.HasSuffix(got, tc.wantSuffix) {
				t.Errorf("Reply() = %.80q...%q, want it to start with %q and end with %q", got, got[max(len(got)-80, 0):], tc.wantPrefix, tc.wantSuffix)
			}
			for _, line := range strings.Split(got, "\n") {
				if len(line) > plugins.MaxLineBytes+len("- ") {
					t.Errorf("Reply() has a line of %d bytes, over the %d cap", len(line), plugins.MaxLineBytes)
				}
			}
			shown := strings.Count(got, "\n- ")
			if tc.wantLines > 0 && shown != tc.wantLines {
				t.Errorf("Reply() shows %d lines, want %d", shown, tc.wantLines)
			}
			if tc.wantLines < 0 {
				// Every line is either shown or counted, and the cap is nearly used.
				want := fmt.Sprintf("... and %s more lines not shown.", plugins.FormatCount(len(tc.lines)-shown))
				if !strings.HasSuffix(got, want) {
					t.Errorf("Reply() shows %d of %d lines but ends with %q, want %q", shown, len(tc.lines), got[len(got)-40:], want)
				}
				if len(got) < plugins.MaxCommentBytes-200 {
					t.Errorf("Reply() is %d bytes: it left out lines that fit under %d", len(got), plugins.MaxCommentBytes)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{s: "short", max: 10, want: "short"},
		{s: "exactly10!", max: 10, want: "exactly10!"},
		{s: "a bit too long", max: 10, want: "a bit t…"},
		{s: "ééééé", max: 8, want: "éé…"}, // 10 bytes; "ééé" + "…" would be 9
		{s: "日本語のテキスト", max: 9, want: "日本…"},
		{s: "abc", max: 0, want: "…"},
	}
	for _, tc := range tests {
		t.Run(tc.s, func(t *testing.T) {
			got := plugins.Truncate(tc.s, tc.max)
			if got != tc.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
			}
		})
	}
}

func TestCode(t *testing.T) {
	if got := plugins.Code("/kind bug"); got != "`/kind bug`" {
		t.Errorf("Code() = %q", got)
	}
	got := plugins.Code("/label " + strings.Repeat("x", 10_000))
	if len(got) > plugins.MaxEchoBytes+2 || !strings.HasSuffix(got, "…`") {
		t.Errorf("Code() of a long command = %d bytes ending %q, want at most %d ending in …`", len(got), got[len(got)-5:], plugins.MaxEchoBytes+2)
	}
}

func TestFormatCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{n: 0, want: "0"}, {n: 7, want: "7"}, {n: 999, want: "999"}, {n: 1000, want: "1,000"},
		{n: 9990, want: "9,990"}, {n: 1234567, want: "1,234,567"}, {n: -4500, want: "-4,500"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := plugins.FormatCount(tc.n); got != tc.want {
				t.Errorf("FormatCount(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}
