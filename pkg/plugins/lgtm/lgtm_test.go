package lgtm

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const enabled = "plugins:\n  acme/widgets: [lgtm]\n"

func newEnv(t *testing.T, pluginsYAML string) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	return plugintest.NewEnv(t, pluginsYAML, plugintest.Registry(t, p))
}

const (
	labelsPath   = "/repos/acme/widgets/issues/42/labels"
	commentsPath = "/repos/acme/widgets/issues/42/comments"
)

func TestHandleIssueComment(t *testing.T) {
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
		name:        "collaborator by association",
		body:        "/lgtm",
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@bob: `/lgtm`: adding label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "no-issue variant, any case",
		body:        "Nice work.\n/LGTM no-issue",
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@bob: `/LGTM no-issue`: adding label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "collaborator found through the API",
		body:        "/lgtm",
		opts:        []plugintest.CommentOption{plugintest.By("carol", "CONTRIBUTOR")},
		seed:        func(s *fakegithub.Server) { s.AddCollaborator("acme", "widgets", "carol") },
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@carol: `/lgtm`: adding label `lgtm`."},
		wantCalls: []string{
			"GET /orgs/acme/members/carol", "GET /repos/acme/widgets/collaborators/carol",
			"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath,
		},
	}, {
		name:        "org member found through the API",
		body:        "/lgtm",
		opts:        []plugintest.CommentOption{plugintest.By("dave", "NONE")},
		seed:        func(s *fakegithub.Server) { s.AddOrgMember("acme", "dave") },
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@dave: `/lgtm`: adding label `lgtm`."},
		wantCalls:   []string{"GET /orgs/acme/members/dave", "GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "neither member nor collaborator",
		body:        "/lgtm",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		wantReplies: []string{"@mallory: `/lgtm` is refused: only members of acme and collaborators of acme/widgets can add or remove `lgtm`."},
		wantCalls:   []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory", "POST " + commentsPath},
	}, {
		name:        "outsider cannot cancel either",
		body:        "/lgtm cancel",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		labels:      []string{"lgtm"},
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@mallory: `/lgtm cancel` is refused: only members of acme and collaborators of acme/widgets can add or remove `lgtm`."},
		wantCalls:   []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory", "POST " + commentsPath},
	}, {
		name:        "author cannot lgtm their own pull request",
		body:        "/lgtm",
		opts:        []plugintest.CommentOption{plugintest.By("alice", "MEMBER")},
		wantReplies: []string{"@alice: `/lgtm` is refused: you cannot LGTM your own pull request."},
		wantCalls:   []string{"POST " + commentsPath},
	}, {
		name:        "author can cancel",
		body:        "/lgtm cancel",
		opts:        []plugintest.CommentOption{plugintest.By("Alice", "MEMBER")},
		labels:      []string{"lgtm"},
		wantReplies: []string{"@Alice: `/lgtm cancel`: removing label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "DELETE " + labelsPath + "/lgtm", "POST " + commentsPath},
	}, {
		name:       "lgtm when there says nothing",
		body:       "/lgtm",
		labels:     []string{"lgtm"},
		wantLabels: []string{"lgtm"},
		wantCalls:  []string{"GET " + labelsPath},
	}, {
		name:        "cancel",
		body:        "/lgtm cancel",
		labels:      []string{"approved", "lgtm"},
		wantLabels:  []string{"approved"},
		wantReplies: []string{"@bob: `/lgtm cancel`: removing label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "DELETE " + labelsPath + "/lgtm", "POST " + commentsPath},
	}, {
		name:        "remove-lgtm",
		body:        "/remove-lgtm",
		labels:      []string{"lgtm"},
		wantReplies: []string{"@bob: `/remove-lgtm`: removing label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "DELETE " + labelsPath + "/lgtm", "POST " + commentsPath},
	}, {
		name:      "cancel when absent says nothing",
		body:      "/lgtm cancel",
		wantCalls: []string{"GET " + labelsPath},
	}, {
		name:        "the last command wins",
		body:        "/lgtm cancel\n/lgtm",
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@bob: `/lgtm`: adding label `lgtm`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:    "quoted command",
		body:    "> /lgtm\nagreed",
		ignored: true,
	}, {
		name:    "command in a code block",
		body:    "~~~\n/lgtm\n~~~",
		ignored: true,
	}, {
		name:    "unknown argument",
		body:    "/lgtm please",
		ignored: true,
	}, {
		name:    "edited comment",
		body:    "/lgtm",
		opts:    []plugintest.CommentOption{plugintest.Action("edited")},
		ignored: true,
	}, {
		name:    "closed pull request",
		body:    "/lgtm",
		opts:    []plugintest.CommentOption{plugintest.Closed()},
		ignored: true,
	}, {
		name:    "plain issue",
		body:    "/lgtm",
		opts:    []plugintest.CommentOption{plugintest.OnIssue(7)},
		ignored: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, enabled)
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

func TestHandlePullRequest(t *testing.T) {
	synchronize := func(labels ...string) func(*gogithub.PullRequestEvent) {
		return func(e *gogithub.PullRequestEvent) {
			e.Action = gogithub.Ptr("synchronize")
			e.PullRequest.Labels = nil
			for _, l := range labels {
				e.PullRequest.Labels = append(e.PullRequest.Labels, &gogithub.Label{Name: l})
			}
		}
	}
	tests := []struct {
		name    string
		plugins string
		mutate  func(*gogithub.PullRequestEvent)
		// labels are on the pull request before the event.
		labels      []string
		wantLabels  []string
		wantReplies []string
		wantCalls   []string
	}{{
		name:        "push removes lgtm",
		mutate:      synchronize("lgtm", "approved"),
		labels:      []string{"lgtm", "approved"},
		wantLabels:  []string{"approved"},
		wantReplies: []string{ResetMessage},
		wantCalls:   []string{"GET " + labelsPath, "DELETE " + labelsPath + "/lgtm", "POST " + commentsPath},
	}, {
		name:       "retained for the org",
		plugins:    "lgtm:\n- repos: [acme]\n  retain_label_on_push: true\n",
		mutate:     synchronize("lgtm"),
		labels:     []string{"lgtm"},
		wantLabels: []string{"lgtm"},
	}, {
		name:        "a repository entry wins over its org's",
		plugins:     "lgtm:\n- repos: [acme]\n  retain_label_on_push: true\n- repos: [acme/widgets]\n",
		mutate:      synchronize("lgtm"),
		labels:      []string{"lgtm"},
		wantReplies: []string{ResetMessage},
		wantCalls:   []string{"GET " + labelsPath, "DELETE " + labelsPath + "/lgtm", "POST " + commentsPath},
	}, {
		name:   "no lgtm in the payload costs nothing",
		mutate: synchronize("approved"),
	}, {
		name:      "lgtm already gone says nothing",
		mutate:    synchronize("lgtm"),
		wantCalls: []string{"GET " + labelsPath},
	}, {
		name:       "other actions keep the label",
		mutate:     func(e *gogithub.PullRequestEvent) { synchronize("lgtm")(e); e.Action = gogithub.Ptr("edited") },
		labels:     []string{"lgtm"},
		wantLabels: []string{"lgtm"},
	}, {
		name: "closed pull request",
		mutate: func(e *gogithub.PullRequestEvent) {
			synchronize("lgtm")(e)
			e.PullRequest.State = gogithub.Ptr("closed")
		},
		labels:     []string{"lgtm"},
		wantLabels: []string{"lgtm"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, enabled+tc.plugins)
			env.AddLabels(t, plugintest.Number, tc.labels...)
			e := plugintest.PullRequestEvent(t, tc.mutate)
			if err := handlePullRequest(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handlePullRequest() error = %v", err)
			}
			if diff := cmp.Diff(tc.wantLabels, env.GitHub.Labels(plugintest.Org, plugintest.Repo, plugintest.Number), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("labels (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(plugintest.Number)); diff != "" {
				t.Errorf("comments (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCalls, env.Calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestGitHubErrorIsReturned(t *testing.T) {
	env := newEnv(t, enabled)
	env.GitHub.InjectFailures("GET", labelsPath, 404, 1)
	e := plugintest.CommentEvent(t, "/lgtm")
	if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err == nil {
		t.Fatal("handleIssueComment() error = nil after GitHub failed, want an error so the delivery can be retried")
	}
	if got := env.GitHub.Labels(plugintest.Org, plugintest.Repo, plugintest.Number); len(got) > 0 {
		t.Errorf("labels = %v after a failed read, want none", got)
	}
}
