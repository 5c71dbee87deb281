package config

import "testing"

func TestStripCodeAndQuotes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"nothing to strip", "/test unit\nthanks", "/test unit\nthanks"},
		{"fenced block", "a\n```\n/test unit\n```\nb", "a\n\n\n\nb"},
		{"fenced block with info string", "```console\n/retest\n```", "\n\n"},
		{"tilde fence", "~~~\n/retest\n~~~\n/ok-to-test", "\n\n\n/ok-to-test"},
		{"indented fence", "   ```\n/retest\n   ```", "\n\n"},
		{"longer closing fence", "```\n/retest\n`````\nx", "\n\n\nx"},
		{"shorter fence does not close", "````\n```\n/retest\n````\nx", "\n\n\n\nx"},
		{"other fence char does not close", "```\n~~~\n/retest\n```\nx", "\n\n\n\nx"},
		{"unclosed fence runs to the end", "x\n```\n/retest\n/test all", "x\n\n\n"},
		{"inline triple backticks are not a fence", "```/retest```\n/retest", "```/retest```\n/retest"},
		{"quote", "> /retest\n/test unit", "\n/test unit"},
		{"quote without space", ">/retest", ""},
		{"indented quote", "   > /retest", ""},
		{"four spaces is not a quote marker", "    > /retest", "    > /retest"},
		{"CRLF", "> /retest\r\n/test unit\r\n", "\n/test unit\n"},
		{"inline code is kept", "run `/test unit` please", "run `/test unit` please"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StripCodeAndQuotes(tc.body); got != tc.want {
				t.Errorf("StripCodeAndQuotes(%q) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}
