package assign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

// users is "@user0 @user1 ..." for n users, none of whom has access to the repository.
func users(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("@user%d", i)
	}
	return strings.Join(out, " ")
}

// TestBounds: a comment naming thousands of users costs a bounded number of GitHub calls and
// gets one reply GitHub accepts, saying how many users were left out.
func TestBounds(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantInReply []string
		wantCalls   []string
	}{{
		name: "/cc of 1,000 users GitHub refuses: one try for the first 20, then one per user",
		body: "/cc " + users(1_000),
		wantInReply: []string{
			"GitHub refused to request a review from @user0, @user1,",
			"@user19: reviewers must be collaborators",
			"- 980 more users were left out: bosun assigns, unassigns, asks or stops asking reviews from at most 20 users per comment; comment again for the rest.",
		},
		wantCalls: append(append([]string{"GET " + prPath}, repeat("POST "+reviewersPath, 1+maxLogins)...), "POST "+commentsPath),
	}, {
		name:        "/assign of 1,000 users",
		body:        "/assign " + users(1_000),
		wantInReply: []string{"GitHub did not assign @user0,", "@user19: only org members", "- 980 more users were left out"},
		wantCalls:   []string{"POST " + assigneesPath, "POST " + commentsPath},
	}, {
		name:        "the budget spans commands (unassigning who was not assigned costs nothing)",
		body:        strings.Repeat("/assign @carol @dave\n/unassign @carol @dave\n", 10) + "/assign @bob",
		wantInReply: []string{"- `/assign @carol @dave`: assigning @carol, @dave.\n- `/unassign @carol @dave`: unassigning @carol, @dave.", "- 11 more users were left out"},
		wantCalls:   append(repeat("POST "+assigneesPath+"\nDELETE "+assigneesPath, 5), "POST "+commentsPath),
	}, {
		name:        "10,000 /cc of the author: no calls but one, and a reply GitHub accepts",
		body:        strings.Repeat("/cc @alice\n", 10_000),
		wantInReply: []string{"- `/cc @alice`: @alice wrote this pull request and cannot review it.", " more lines not shown."},
		wantCalls:   []string{"GET " + prPath, "POST " + commentsPath},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			env.GitHub.Reset()
			e := plugintest.CommentEvent(t, tc.body, plugintest.Assignees())
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			replies := env.Replies(plugintest.Number)
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			if len(replies[0]) > plugins.MaxCommentBytes {
				t.Errorf("reply is %d bytes, over the %d cap", len(replies[0]), plugins.MaxCommentBytes)
			}
			for _, want := range tc.wantInReply {
				if !strings.Contains(replies[0], want) {
					t.Errorf("reply does not contain %q:\n%.3000s", want, replies[0])
				}
			}
			if got := env.Calls(); strings.Join(got, "\n") != strings.Join(tc.wantCalls, "\n") {
				t.Errorf("GitHub calls = %d:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(tc.wantCalls), strings.Join(tc.wantCalls, "\n"))
			}
		})
	}
}

// repeat is n copies of call.
func repeat(call string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = call
	}
	return out
}
