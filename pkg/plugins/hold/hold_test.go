package hold

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

func newEnv(t *testing.T) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	return plugintest.NewEnv(t, "plugins:\n  acme/widgets: [hold]\n", plugintest.Registry(t, p))
}

func TestHandleIssueComment(t *testing.T) {
	const held = "do-not-merge/hold"
	tests := []struct {
		name string
		body string
		opts []plugintest.CommentOption
		// labels are on the pull request before the comment.
		labels []string
		// wantLabels are on it afterwards; ignored cases want labels.
		wantLabels  []string
		wantReplies []string
		// ignored cases make no GitHub call at all.
		ignored bool
	}{{
		name:        "hold",
		body:        "/hold",
		wantLabels:  []string{held},
		wantReplies: []string{"@bob: `/hold`: adding label `do-not-merge/hold`. Comment `/hold cancel` to remove it."},
	}, {
		name:        "hold with a reason, any case, among other text",
		body:        "Looks fine, but\n/HOLD until the release is cut\nthanks",
		wantLabels:  []string{held},
		wantReplies: []string{"@bob: `/hold`: adding label `do-not-merge/hold`. Comment `/hold cancel` to remove it."},
	}, {
		name:        "anyone can hold",
		body:        "/hold",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		wantLabels:  []string{held},
		wantReplies: []string{"@mallory: `/hold`: adding label `do-not-merge/hold`. Comment `/hold cancel` to remove it."},
	}, {
		name:       "hold when held says nothing",
		body:       "/hold",
		labels:     []string{held},
		wantLabels: []string{held},
	}, {
		name:        "hold cancel",
		body:        "/hold cancel",
		labels:      []string{"lgtm", held},
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@bob: `/hold cancel`: removing label `do-not-merge/hold`."},
	}, {
		name:        "unhold",
		body:        "/unhold",
		labels:      []string{held},
		wantReplies: []string{"@bob: `/unhold`: removing label `do-not-merge/hold`."},
	}, {
		name:        "unhold with a tail of 100,000 characters: the echo is cut",
		body:        "/unhold " + strings.Repeat("x", 100_000),
		labels:      []string{held},
		wantReplies: []string{"@bob: `/unhold " + strings.Repeat("x", plugins.MaxEchoBytes-len("/unhold ")-len("…")) + "…`: removing label `do-not-merge/hold`."},
	}, {
		name: "hold cancel when not held says nothing",
		body: "/hold cancel",
	}, {
		name:        "the last command wins",
		body:        "/hold\n/hold cancel",
		labels:      []string{held},
		wantReplies: []string{"@bob: `/hold cancel`: removing label `do-not-merge/hold`."},
	}, {
		name:    "quoted command",
		body:    "> /hold\nWhy?",
		ignored: true,
	}, {
		name:    "command in a code block",
		body:    "Say\n```\n/hold\n```",
		ignored: true,
	}, {
		name:    "command not at the start of a line",
		body:    "please /hold",
		ignored: true,
	}, {
		name:    "longer word",
		body:    "/holder",
		ignored: true,
	}, {
		name:    "edited comment",
		body:    "/hold",
		opts:    []plugintest.CommentOption{plugintest.Action("edited")},
		ignored: true,
	}, {
		name:    "deleted comment",
		body:    "/hold",
		opts:    []plugintest.CommentOption{plugintest.Action("deleted")},
		ignored: true,
	}, {
		name:    "closed pull request",
		body:    "/hold",
		opts:    []plugintest.CommentOption{plugintest.Closed()},
		ignored: true,
	}, {
		name:    "plain issue",
		body:    "/hold",
		opts:    []plugintest.CommentOption{plugintest.OnIssue(7)},
		ignored: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
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
			if calls := env.Calls(); tc.ignored && len(calls) > 0 {
				t.Errorf("ignored comment made GitHub calls: %v", calls)
			}
		})
	}
}
