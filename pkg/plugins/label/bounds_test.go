package label

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

// repeat is n copies of format, each given its index, joined by sep.
func repeat(n int, format, sep string) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(out, sep)
}

// allowMany allows /label to set l0 ... l199.
func allowMany() string {
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("l%d", i)
	}
	return "label:\n  additional_labels: [" + strings.Join(names, ", ") + "]\n"
}

// TestBounds: whatever a comment holds, one comment costs a bounded number of GitHub calls and
// gets one reply that GitHub accepts (the emulator refuses bodies over 65,536 characters, as
// GitHub does), which says what was left out.
func TestBounds(t *testing.T) {
	tests := []struct {
		name    string
		plugins string
		body    string
		// wantChanges is how many labels end up on the pull request.
		wantChanges int
		// wantInReply are substrings of the one reply.
		wantInReply []string
		// wantCalls is how many GitHub calls the comment costs.
		wantCalls int
	}{{
		name: "10,000 refused commands",
		body: repeat(10_000, "/label foo%d", "\n"),
		wantInReply: []string{
			"- `/label foo0`: `/label` cannot set `foo0`: no labels are allowed",
			"- `/label foo49`: ",
			"- 9,950 more label commands were ignored: bosun reads at most 50 label commands per comment.",
		},
		wantCalls: 2, // the issue's labels and the reply
	}, {
		name:        "200 allowed labels in one command",
		plugins:     allowMany(),
		body:        "/label " + repeat(200, "l%d", " "),
		wantChanges: maxChanges,
		wantInReply: []string{
			": adding labels `l0`, `l1`, ",
			"`l49`.",
			"- 150 more label changes were not made: bosun makes at most 50 label changes per comment; comment again for the rest.",
		},
		wantCalls: 1 + maxChanges + 1,
	}, {
		name:        "200 allowed labels in as many commands",
		plugins:     allowMany(),
		body:        repeat(200, "/label l%d", "\n"),
		wantChanges: maxCommands,
		wantInReply: []string{"- `/label l49`: adding label `l49`.", "- 150 more label commands were ignored"},
		wantCalls:   1 + maxCommands + 1,
	}, {
		name:        "a command of 5,000 unknown labels",
		body:        "/kind " + repeat(5_000, "nope%d", " "),
		wantInReply: []string{"`/kind nope0", "…`: acme/widgets has no labels `kind/nope0`, ", "`kind/nope9` and 4,990 more."},
		wantCalls:   3,
	}, {
		name:        "a label name of 100,000 characters",
		body:        "/label " + strings.Repeat("x", 100_000),
		wantInReply: []string{"…`: `/label` cannot set `xxx", "…`: no labels are allowed"},
		wantCalls:   2,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, enabled+tc.plugins)
			e := plugintest.CommentEvent(t, tc.body)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			if got := len(env.GitHub.Labels(plugintest.Org, plugintest.Repo, plugintest.Number)); got != tc.wantChanges {
				t.Errorf("%d labels on the pull request, want %d", got, tc.wantChanges)
			}
			replies := env.Replies(plugintest.Number)
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			reply := replies[0]
			if len(reply) > plugins.MaxCommentBytes {
				t.Errorf("reply is %d bytes, over the %d cap", len(reply), plugins.MaxCommentBytes)
			}
			for _, want := range tc.wantInReply {
				if !strings.Contains(reply, want) {
					t.Errorf("reply does not contain %q:\n%.3000s", want, reply)
				}
			}
			if got := len(env.Calls()); got != tc.wantCalls {
				t.Errorf("%d GitHub calls, want %d: %v", got, tc.wantCalls, env.Calls())
			}
		})
	}
}
