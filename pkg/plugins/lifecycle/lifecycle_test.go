package lifecycle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const issue = 7

// newEnv seeds pull request #42 and plain issue #7, both by alice and open.
func newEnv(t *testing.T) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	env := plugintest.NewEnv(t, "plugins:\n  acme/widgets: [lifecycle]\n", plugintest.Registry(t, p))
	env.GitHub.AddIssue("acme", "widgets", &gogithub.Issue{
		Number: gogithub.Ptr(issue),
		Title:  gogithub.Ptr("Widgets wobble"),
		User:   &gogithub.User{Login: gogithub.Ptr("alice")},
	})
	return env
}

func TestHandleIssueComment(t *testing.T) {
	closedIssue := func(s *fakegithub.Server) {
		s.AddIssue("acme", "widgets", &gogithub.Issue{Number: gogithub.Ptr(issue), State: gogithub.Ptr("closed"), User: &gogithub.User{Login: gogithub.Ptr("alice")}})
	}
	tests := []struct {
		name string
		body string
		opts []plugintest.CommentOption
		seed func(*fakegithub.Server)
		// number is the commented issue; zero means pull request #42.
		number int
		// wantState is the state afterwards.
		wantState   string
		wantReplies []string
		wantCalls   []string
	}{{
		name:        "collaborator closes a pull request",
		body:        "/close",
		wantState:   "closed",
		wantReplies: []string{"@bob: `/close`: closing this pull request."},
		wantCalls:   []string{"PATCH /repos/acme/widgets/issues/42", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:        "author closes an issue",
		body:        "/CLOSE",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.By("alice", "NONE")},
		number:      issue,
		wantState:   "closed",
		wantReplies: []string{"@alice: `/CLOSE`: closing this issue."},
		wantCalls:   []string{"PATCH /repos/acme/widgets/issues/7", "POST /repos/acme/widgets/issues/7/comments"},
	}, {
		name:        "collaborator found through the API",
		body:        "/close",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.By("carol", "CONTRIBUTOR")},
		seed:        func(s *fakegithub.Server) { s.AddCollaborator("acme", "widgets", "carol") },
		number:      issue,
		wantState:   "closed",
		wantReplies: []string{"@carol: `/close`: closing this issue."},
		wantCalls: []string{
			"GET /orgs/acme/members/carol", "GET /repos/acme/widgets/collaborators/carol",
			"PATCH /repos/acme/widgets/issues/7", "POST /repos/acme/widgets/issues/7/comments",
		},
	}, {
		name:        "others are refused",
		body:        "/close",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.By("mallory", "NONE")},
		number:      issue,
		wantState:   "open",
		wantReplies: []string{"@mallory: `/close` is refused: only the author, members of acme and collaborators of acme/widgets can close this issue."},
		wantCalls: []string{
			"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory",
			"POST /repos/acme/widgets/issues/7/comments",
		},
	}, {
		name:        "reopen",
		body:        "/reopen",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.Closed()},
		seed:        closedIssue,
		number:      issue,
		wantState:   "open",
		wantReplies: []string{"@bob: `/reopen`: reopening this issue."},
		wantCalls:   []string{"PATCH /repos/acme/widgets/issues/7", "POST /repos/acme/widgets/issues/7/comments"},
	}, {
		name:        "others cannot reopen",
		body:        "/reopen",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.Closed(), plugintest.By("mallory", "NONE")},
		seed:        closedIssue,
		number:      issue,
		wantState:   "closed",
		wantReplies: []string{"@mallory: `/reopen` is refused: only the author, members of acme and collaborators of acme/widgets can reopen this issue."},
		wantCalls: []string{
			"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory",
			"POST /repos/acme/widgets/issues/7/comments",
		},
	}, {
		name: "a merged pull request cannot be reopened",
		body: "/reopen",
		opts: []plugintest.CommentOption{plugintest.Merged()},
		seed: func(s *fakegithub.Server) {
			pr := plugintest.PullRequestEvent(t, nil).GetPullRequest()
			pr.State, pr.Merged = gogithub.Ptr("closed"), gogithub.Ptr(true)
			s.AddPullRequest("acme", "widgets", pr)
		},
		wantState:   "closed",
		wantReplies: []string{"@bob: `/reopen` is refused: this pull request was merged and cannot be reopened."},
		wantCalls:   []string{"POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:      "closing what is closed says nothing",
		body:      "/close",
		opts:      []plugintest.CommentOption{plugintest.OnIssue(issue), plugintest.Closed()},
		seed:      closedIssue,
		number:    issue,
		wantState: "closed",
	}, {
		name:      "reopening what is open says nothing",
		body:      "/reopen",
		wantState: "open",
	}, {
		name:        "the last command wins",
		body:        "/reopen\n/close",
		wantState:   "closed",
		wantReplies: []string{"@bob: `/close`: closing this pull request."},
		wantCalls:   []string{"PATCH /repos/acme/widgets/issues/42", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:      "quoted command",
		body:      "> /close",
		wantState: "open",
	}, {
		name:      "command in a code block",
		body:      "```\n/close\n```",
		wantState: "open",
	}, {
		name:      "command with an argument",
		body:      "/close soon",
		wantState: "open",
	}, {
		name:      "edited comment",
		body:      "/close",
		opts:      []plugintest.CommentOption{plugintest.Action("edited")},
		wantState: "open",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			if tc.seed != nil {
				tc.seed(env.GitHub)
			}
			env.GitHub.Reset()
			number := tc.number
			if number == 0 {
				number = plugintest.Number
			}
			e := plugintest.CommentEvent(t, tc.body, tc.opts...)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			if got := env.GitHub.IssueState("acme", "widgets", number); got != tc.wantState {
				t.Errorf("state = %q, want %q", got, tc.wantState)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCalls, env.Calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
		})
	}
}
