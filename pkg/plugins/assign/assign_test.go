package assign

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const (
	assigneesPath = "/repos/acme/widgets/issues/42/assignees"
	reviewersPath = "/repos/acme/widgets/pulls/42/requested_reviewers"
	prPath        = "/repos/acme/widgets/pulls/42"
	commentsPath  = "/repos/acme/widgets/issues/42/comments"
	issue         = 7
)

// newEnv has bob and carol as collaborators and dave as an org member; mallory has no
// access. Pull request #42 asks nobody for a review (the fixture asks bob), and issue #7 is
// a plain issue by alice.
func newEnv(t *testing.T) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	env := plugintest.NewEnv(t, "plugins:\n  acme/widgets: [assign]\n", plugintest.Registry(t, p))
	env.GitHub.AddCollaborator("acme", "widgets", "bob")
	env.GitHub.AddCollaborator("acme", "widgets", "carol")
	env.GitHub.AddOrgMember("acme", "dave")
	pr := plugintest.PullRequestEvent(t, nil).GetPullRequest()
	pr.RequestedReviewers = nil
	env.GitHub.AddPullRequest("acme", "widgets", pr)
	env.GitHub.AddIssue("acme", "widgets", &gogithub.Issue{
		Number: gogithub.Ptr(issue),
		Title:  gogithub.Ptr("Widgets wobble"),
		User:   &gogithub.User{Login: gogithub.Ptr("alice")},
	})
	return env
}

func TestHandleIssueComment(t *testing.T) {
	tests := []struct {
		name string
		body string
		opts []plugintest.CommentOption
		// number is the commented issue; zero means pull request #42.
		number int
		// assigned and requested are assigned and asked to review before the comment; the
		// payload says the same about assignees.
		assigned, requested []string
		wantAssignees       []string
		wantRequested       []string
		wantReplies         []string
		wantCalls           []string
		ignored             bool
	}{{
		name:          "assign the commenter",
		body:          "/assign",
		wantAssignees: []string{"bob"},
		wantReplies:   []string{"@bob: `/assign`: assigning @bob."},
		wantCalls:     []string{"POST " + assigneesPath, "POST " + commentsPath},
	}, {
		name:          "assign others",
		body:          "/assign @carol dave",
		wantAssignees: []string{"carol", "dave"},
		wantReplies:   []string{"@bob: `/assign @carol dave`: assigning @carol, @dave."},
	}, {
		name:          "someone GitHub cannot assign",
		body:          "/assign @carol @mallory",
		wantAssignees: []string{"carol"},
		wantReplies: []string{"@bob: `/assign @carol @mallory`: assigning @carol; GitHub did not assign @mallory: " +
			"only org members, collaborators of acme/widgets and people who commented here can be assigned."},
	}, {
		name:          "assigning who is assigned says nothing",
		body:          "/assign @Carol",
		assigned:      []string{"carol"},
		wantAssignees: []string{"carol"},
	}, {
		name:          "unassign the commenter",
		body:          "/unassign",
		assigned:      []string{"carol", "bob"},
		wantAssignees: []string{"carol"},
		wantReplies:   []string{"@bob: `/unassign`: unassigning @bob."},
		wantCalls:     []string{"DELETE " + assigneesPath, "POST " + commentsPath},
	}, {
		name:          "unassigning who is not assigned says nothing",
		body:          "/unassign @dave",
		assigned:      []string{"carol"},
		wantAssignees: []string{"carol"},
	}, {
		name:          "assign on a closed issue",
		body:          "/assign @dave",
		opts:          []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.Closed()},
		number:        issue,
		wantAssignees: []string{"dave"},
		wantReplies:   []string{"@bob: `/assign @dave`: assigning @dave."},
	}, {
		name:          "cc",
		body:          "/cc @carol",
		wantRequested: []string{"carol"},
		wantReplies:   []string{"@bob: `/cc @carol`: requesting a review from @carol."},
		wantCalls:     []string{"GET " + prPath, "POST " + reviewersPath, "POST " + commentsPath},
	}, {
		name:          "cc the commenter",
		body:          "/cc",
		opts:          []plugintest.CommentOption{plugintest.By("dave", "MEMBER")},
		wantRequested: []string{"dave"},
		wantReplies:   []string{"@dave: `/cc`: requesting a review from @dave."},
	}, {
		name:        "the author cannot review",
		body:        "/cc @alice",
		wantReplies: []string{"@bob: `/cc @alice`: @alice wrote this pull request and cannot review it."},
		wantCalls:   []string{"GET " + prPath, "POST " + commentsPath},
	}, {
		name:          "someone GitHub refuses as a reviewer",
		body:          "/cc @mallory @carol",
		wantRequested: []string{"carol"},
		wantReplies: []string{"@bob: `/cc @mallory @carol`: requesting a review from @carol; " +
			"GitHub refused to request a review from @mallory: reviewers must be collaborators of acme/widgets."},
		wantCalls: []string{"GET " + prPath, "POST " + reviewersPath, "POST " + reviewersPath, "POST " + reviewersPath, "POST " + commentsPath},
	}, {
		name:          "cc who is asked says nothing",
		body:          "/cc @carol",
		requested:     []string{"carol"},
		wantRequested: []string{"carol"},
		wantCalls:     []string{"GET " + prPath},
	}, {
		name:          "uncc",
		body:          "/uncc @carol",
		requested:     []string{"carol", "dave"},
		wantRequested: []string{"dave"},
		wantReplies:   []string{"@bob: `/uncc @carol`: withdrawing the review request for @carol."},
		wantCalls:     []string{"GET " + prPath, "DELETE " + reviewersPath, "POST " + commentsPath},
	}, {
		name:          "several commands get one reply",
		body:          "/assign @carol\n/cc dave\n/assign @carol",
		wantAssignees: []string{"carol"},
		wantRequested: []string{"dave"},
		wantReplies: []string{"@bob:\n\n" +
			"- `/assign @carol`: assigning @carol.\n" +
			"- `/cc dave`: requesting a review from @dave."},
	}, {
		name:    "cc on a plain issue",
		body:    "/cc @carol",
		opts:    []plugintest.CommentOption{plugintest.OnIssue(issue)},
		number:  issue,
		ignored: true,
	}, {
		name:    "quoted command",
		body:    "> /assign",
		ignored: true,
	}, {
		name:    "command in a code block",
		body:    "```\n/cc @carol\n```",
		ignored: true,
	}, {
		name:    "not a login",
		body:    "/assign carol, please",
		ignored: true,
	}, {
		name:    "edited comment",
		body:    "/assign",
		opts:    []plugintest.CommentOption{plugintest.Action("edited")},
		ignored: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			number := tc.number
			if number == 0 {
				number = plugintest.Number
			}
			ctx := plugintest.Context(t)
			if len(tc.assigned) > 0 {
				if _, err := env.Client.AssignIssue(ctx, "acme", "widgets", number, tc.assigned); err != nil {
					t.Fatal(err)
				}
			}
			if len(tc.requested) > 0 {
				if _, err := env.Client.RequestReview(ctx, "acme", "widgets", number, tc.requested); err != nil {
					t.Fatal(err)
				}
			}
			env.GitHub.Reset()
			opts := append([]plugintest.CommentOption{plugintest.Assignees(tc.assigned...)}, tc.opts...)
			e := plugintest.CommentEvent(t, tc.body, opts...)
			if err := handleIssueComment(ctx, env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			wantAssignees, wantRequested := tc.wantAssignees, tc.wantRequested
			if tc.ignored {
				wantAssignees, wantRequested = tc.assigned, tc.requested
			}
			if diff := cmp.Diff(wantAssignees, env.GitHub.Assignees("acme", "widgets", number)); diff != "" {
				t.Errorf("assignees (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRequested, env.GitHub.RequestedReviewers("acme", "widgets", number)); diff != "" {
				t.Errorf("requested reviewers (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
			calls := env.Calls()
			if tc.ignored && len(calls) > 0 {
				t.Errorf("ignored comment made GitHub calls: %v", calls)
			}
			if tc.wantCalls != nil {
				if diff := cmp.Diff(tc.wantCalls, calls); diff != "" {
					t.Errorf("GitHub calls (-want, +got):\n%s", diff)
				}
			}
		})
	}
}
