package approve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const (
	labelsPath   = "/repos/acme/widgets/issues/42/labels"
	commentsPath = "/repos/acme/widgets/issues/42/comments"
	prPath       = "/repos/acme/widgets/pulls/42"
	ownersPath   = "/repos/acme/widgets/contents/OWNERS"
)

const teamOwners = `# The widgets team.
approvers:
- carol
- "@Alice"
reviewers:
- bob
options:
  no_parent_owners: true
`

func newEnv(t *testing.T) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	return plugintest.NewEnv(t, "plugins:\n  acme/widgets: [approve]\n", plugintest.Registry(t, p))
}

// withOwners puts content in OWNERS on branch ref.
func withOwners(ref, content string) func(*fakegithub.Server) {
	return func(s *fakegithub.Server) { s.SetFile("acme", "widgets", ref, "OWNERS", []byte(content)) }
}

func TestHandleIssueComment(t *testing.T) {
	// successCalls are the calls of an /approve or /approve cancel that changes the label.
	successCalls := func(method string) []string {
		path := labelsPath
		if method == "DELETE" {
			path += "/approved"
		}
		return []string{"GET " + prPath, "GET " + ownersPath, "GET " + labelsPath, method + " " + path, "POST " + commentsPath}
	}
	refusedCalls := []string{"GET " + prPath, "GET " + ownersPath, "POST " + commentsPath}
	tests := []struct {
		name string
		body string
		opts []plugintest.CommentOption
		seed func(*fakegithub.Server)
		// labels are on the pull request before the comment.
		labels []string
		// wantLabels are on it afterwards; ignored cases want labels.
		wantLabels  []string
		wantReplies []string
		wantCalls   []string
		ignored     bool
	}{{
		name:        "approver",
		body:        "/approve",
		opts:        []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR")},
		seed:        withOwners("main", teamOwners),
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@carol: `/approve`: adding label `approved`."},
		wantCalls:   successCalls("POST"),
	}, {
		name:        "no-issue, login in another case",
		body:        "/approve no-issue",
		opts:        []plugintest.CommentOption{plugintest.By("Carol", "CONTRIBUTOR")},
		seed:        withOwners("main", teamOwners),
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@Carol: `/approve no-issue`: adding label `approved`."},
		wantCalls:   successCalls("POST"),
	}, {
		name:        "the author may approve when an approver",
		body:        "/approve",
		opts:        []plugintest.CommentOption{plugintest.By("alice", "MEMBER")},
		seed:        withOwners("main", teamOwners),
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@alice: `/approve`: adding label `approved`."},
		wantCalls:   successCalls("POST"),
	}, {
		name:        "cancel",
		body:        "/approve cancel",
		opts:        []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR")},
		seed:        withOwners("main", teamOwners),
		labels:      []string{"approved", "lgtm"},
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@carol: `/approve cancel`: removing label `approved`."},
		wantCalls:   successCalls("DELETE"),
	}, {
		name:       "approve when approved says nothing",
		body:       "/approve",
		opts:       []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR")},
		seed:       withOwners("main", teamOwners),
		labels:     []string{"approved"},
		wantLabels: []string{"approved"},
		wantCalls:  []string{"GET " + prPath, "GET " + ownersPath, "GET " + labelsPath},
	}, {
		name:        "reviewer is not an approver",
		body:        "/approve",
		seed:        withOwners("main", teamOwners),
		wantReplies: []string{"@bob: `/approve` is refused: you are a reviewer but not an approver in the OWNERS file of `main`. Approvers: carol, @Alice."},
		wantCalls:   refusedCalls,
	}, {
		name:        "stranger cannot cancel",
		body:        "/approve cancel",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		seed:        withOwners("main", teamOwners),
		labels:      []string{"approved"},
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@mallory: `/approve cancel` is refused: you are not an approver in the OWNERS file of `main`. Approvers: carol, @Alice."},
		wantCalls:   refusedCalls,
	}, {
		name:        "OWNERS only on another branch",
		body:        "/approve",
		opts:        []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR")},
		seed:        withOwners("release-1.0", teamOwners),
		wantReplies: []string{"@carol: `/approve` is refused: `main` has no OWNERS file, so nobody can approve."},
		wantCalls:   refusedCalls,
	}, {
		name: "OWNERS of the base branch decide",
		body: "/approve",
		seed: func(s *fakegithub.Server) {
			withOwners("main", teamOwners)(s)
			withOwners("release-1.0", "approvers: [bob]\n")(s)
			pr := plugintest.PullRequestEvent(t, nil).GetPullRequest()
			pr.Base.Ref = gogithub.Ptr("release-1.0")
			s.AddPullRequest("acme", "widgets", pr)
		},
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@bob: `/approve`: adding label `approved`."},
		wantCalls:   successCalls("POST"),
	}, {
		name:        "OWNERS without approvers",
		body:        "/approve",
		seed:        withOwners("main", "reviewers: [bob]\n"),
		wantReplies: []string{"@bob: `/approve` is refused: the OWNERS file of `main` lists no approvers."},
		wantCalls:   refusedCalls,
	}, {
		name: "OWNERS that is not YAML",
		body: "/approve",
		seed: withOwners("main", "approvers: [carol\n"),
		wantReplies: []string{"@bob: `/approve` is refused: the OWNERS file of `main` cannot be read: " +
			"invalid OWNERS: error converting YAML to JSON: yaml: line 1: did not find expected ',' or ']'"},
		wantCalls: refusedCalls,
	}, {
		name:        "OWNERS of 10,000 approvers: the refusal names ten",
		body:        "/approve",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		seed:        withOwners("main", "approvers:\n"+strings.Repeat("- an-approver-with-a-long-login\n", 10_000)),
		wantReplies: []string{"@mallory: `/approve` is refused: you are not an approver in the OWNERS file of `main`. Approvers: " + strings.Repeat("an-approver-with-a-long-login, ", 9) + "an-approver-with-a-long-login and 9,990 more."},
		wantCalls:   refusedCalls,
	}, {
		name:    "quoted command",
		body:    "> /approve",
		seed:    withOwners("main", teamOwners),
		ignored: true,
	}, {
		name:    "command in a code block",
		body:    "```sh\n/approve\n```",
		seed:    withOwners("main", teamOwners),
		ignored: true,
	}, {
		name:    "edited comment",
		body:    "/approve",
		opts:    []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR"), plugintest.Action("edited")},
		seed:    withOwners("main", teamOwners),
		ignored: true,
	}, {
		name:    "closed pull request",
		body:    "/approve",
		opts:    []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR"), plugintest.Closed()},
		seed:    withOwners("main", teamOwners),
		ignored: true,
	}, {
		name:    "plain issue",
		body:    "/approve",
		opts:    []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR"), plugintest.OnIssue(7)},
		seed:    withOwners("main", teamOwners),
		ignored: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			if tc.seed != nil {
				tc.seed(env.GitHub)
			}
			env.AddLabels(t, plugintest.Number, tc.labels...)
			e := plugintest.CommentEvent(t, tc.body, tc.opts...)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			wantLabels := tc.wantLabels
			if tc.ignored {
				wantLabels = tc.labels
			}
			if diff := cmp.Diff(wantLabels, env.GitHub.Labels(plugintest.Org, plugintest.Repo, plugintest.Number), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("labels (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(plugintest.Number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCalls, env.Calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestParseOwners(t *testing.T) {
	o, err := parseOwners([]byte(teamOwners))
	if err != nil {
		t.Fatalf("parseOwners() error = %v", err)
	}
	want := map[string]bool{"carol": true, "CAROL": true, "alice": true, "bob": false, "": false}
	for login, approver := range want {
		if got := o.isApprover(login); got != approver {
			t.Errorf("isApprover(%q) = %v, want %v", login, got, approver)
		}
	}
	if !o.isReviewer("Bob") {
		t.Errorf("isReviewer(%q) = false, want true", "Bob")
	}
}
