package label

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const (
	enabled      = "plugins:\n  acme: [label]\n"
	allowSquash  = "label:\n  additional_labels: [tide/merge-method-squash]\n"
	labelsPath   = "/repos/acme/widgets/issues/42/labels"
	repoLabels   = "/repos/acme/widgets/labels"
	commentsPath = "/repos/acme/widgets/issues/42/comments"
)

func newEnv(t *testing.T, pluginsYAML string) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	env := plugintest.NewEnv(t, pluginsYAML, plugintest.Registry(t, p))
	env.GitHub.AddRepoLabels("acme", "widgets", "kind/bug", "kind/feature", "area/API", "priority/critical-urgent", "lgtm")
	return env
}

func TestHandleIssueComment(t *testing.T) {
	tests := []struct {
		name    string
		plugins string
		body    string
		opts    []plugintest.CommentOption
		// number is the commented issue; zero means pull request #42.
		number int
		// labels are on the issue before the comment.
		labels []string
		// wantLabels are on it afterwards; ignored cases want labels.
		wantLabels  []string
		wantReplies []string
		wantCalls   []string
		ignored     bool
	}{{
		name:        "kind",
		body:        "/kind bug",
		wantLabels:  []string{"kind/bug"},
		wantReplies: []string{"@bob: `/kind bug`: adding label `kind/bug`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "names are matched ignoring case and spelled as the repository does",
		body:        "/AREA api",
		opts:        []plugintest.CommentOption{plugintest.By("mallory", "NONE")},
		wantLabels:  []string{"area/API"},
		wantReplies: []string{"@mallory: `/AREA api`: adding label `area/API`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "several names",
		body:        "/kind bug  feature",
		wantLabels:  []string{"kind/bug", "kind/feature"},
		wantReplies: []string{"@bob: `/kind bug  feature`: adding labels `kind/bug`, `kind/feature`."},
	}, {
		name:        "label the repository lacks",
		body:        "/kind nope",
		wantReplies: []string{"@bob: `/kind nope`: acme/widgets has no label `kind/nope`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "POST " + commentsPath},
	}, {
		name:        "some known, some not",
		body:        "/priority critical-urgent nope never",
		wantLabels:  []string{"priority/critical-urgent"},
		wantReplies: []string{"@bob: `/priority critical-urgent nope never`: adding label `priority/critical-urgent`; acme/widgets has no labels `priority/nope`, `priority/never`."},
	}, {
		name:       "adding a label that is there says nothing",
		body:       "/kind bug",
		labels:     []string{"kind/bug"},
		wantLabels: []string{"kind/bug"},
		wantCalls:  []string{"GET " + labelsPath, "GET " + repoLabels},
	}, {
		name:        "remove",
		body:        "/remove-kind bug",
		labels:      []string{"kind/bug", "lgtm"},
		wantLabels:  []string{"lgtm"},
		wantReplies: []string{"@bob: `/remove-kind bug`: removing label `kind/bug`."},
		wantCalls:   []string{"GET " + labelsPath, "GET " + repoLabels, "DELETE " + labelsPath + "/kind/bug", "POST " + commentsPath},
	}, {
		name:      "removing a label that is not there says nothing",
		body:      "/remove-kind bug",
		wantCalls: []string{"GET " + labelsPath, "GET " + repoLabels},
	}, {
		name:       "several commands get one reply",
		body:       "/kind bug\n/area api\n/priority nope\n/remove-kind feature",
		wantLabels: []string{"kind/bug", "area/API"},
		wantReplies: []string{"@bob:\n\n" +
			"- `/kind bug`: adding label `kind/bug`.\n" +
			"- `/area api`: adding label `area/API`.\n" +
			"- `/priority nope`: acme/widgets has no label `priority/nope`."},
	}, {
		name:        "commands apply in order",
		body:        "/kind bug\n/remove-kind bug",
		wantReplies: []string{"@bob:\n\n- `/kind bug`: adding label `kind/bug`.\n- `/remove-kind bug`: removing label `kind/bug`."},
	}, {
		name:        "allowed custom label, created on first use",
		plugins:     allowSquash,
		body:        "/label TIDE/merge-method-squash",
		wantLabels:  []string{"tide/merge-method-squash"},
		wantReplies: []string{"@bob: `/label TIDE/merge-method-squash`: adding label `tide/merge-method-squash`."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "remove a custom label",
		plugins:     allowSquash,
		body:        "/remove-label tide/merge-method-squash",
		labels:      []string{"tide/merge-method-squash"},
		wantReplies: []string{"@bob: `/remove-label tide/merge-method-squash`: removing label `tide/merge-method-squash`."},
	}, {
		name:        "custom label not allowed",
		plugins:     allowSquash,
		body:        "/label needs-rebase",
		wantReplies: []string{"@bob: `/label needs-rebase`: `/label` cannot set `needs-rebase`: the allowed labels are `tide/merge-method-squash` (`label.additional_labels` in plugins.yaml)."},
		wantCalls:   []string{"GET " + labelsPath, "POST " + commentsPath},
	}, {
		name:        "no custom labels configured",
		body:        "/label needs-rebase",
		wantReplies: []string{"@bob: `/label needs-rebase`: `/label` cannot set `needs-rebase`: no labels are allowed (`label.additional_labels` in plugins.yaml)."},
	}, {
		name:        "closed issue",
		body:        "/kind bug",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(7), plugintest.Closed()},
		number:      7,
		wantLabels:  []string{"kind/bug"},
		wantReplies: []string{"@bob: `/kind bug`: adding label `kind/bug`."},
	}, {
		name:    "quoted command",
		body:    "> /kind bug",
		ignored: true,
	}, {
		name:    "command in a code block",
		body:    "```\n/kind bug\n```",
		ignored: true,
	}, {
		name:    "command not at the start of a line",
		body:    "I think `/kind bug` fits",
		ignored: true,
	}, {
		name:    "no name",
		body:    "/kind",
		ignored: true,
	}, {
		name:    "unknown prefix",
		body:    "/kinds bug",
		ignored: true,
	}, {
		name:    "edited comment",
		body:    "/kind bug",
		opts:    []plugintest.CommentOption{plugintest.Action("edited")},
		ignored: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, enabled+tc.plugins)
			number := tc.number
			if number == 0 {
				number = plugintest.Number
			}
			env.AddLabels(t, number, tc.labels...)
			e := plugintest.CommentEvent(t, tc.body, tc.opts...)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			wantLabels := tc.wantLabels
			if tc.ignored {
				wantLabels = tc.labels
			}
			if diff := cmp.Diff(wantLabels, env.GitHub.Labels(plugintest.Org, plugintest.Repo, number), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("labels (-want, +got):\n%s", diff)
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
