package help

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/plugintest"
)

// newRegistry holds the help plugin and three stand-ins: pause and ship with commands, and
// watch with none.
func newRegistry(t *testing.T) *plugins.Registry {
	t.Helper()
	self, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	return plugintest.Registry(t, self, plugins.Plugin{
		Name: "pause",
		Help: plugins.Help{Commands: []plugins.Command{{
			Usage:       "/pause [cancel]",
			Description: "Pauses merging.",
			WhoCanUse:   "Anyone.",
			Examples:    []string{"/pause", "/pause cancel"},
		}}},
	}, plugins.Plugin{
		Name: "ship",
		Help: plugins.Help{Commands: []plugins.Command{{
			Usage:       "/ship",
			Description: "Ships it.",
			WhoCanUse:   "Maintainers.",
		}, {
			Usage:       "/unship",
			Description: "Unships it.",
			WhoCanUse:   "Maintainers.",
			Examples:    []string{"/unship"},
		}}},
	}, plugins.Plugin{Name: "watch", Help: plugins.Help{Description: "Watches quietly."}})
}

const pluginsYAML = `
plugins:
  acme: [help, ship]
  acme/widgets: [pause, watch]
`

func TestHandleIssueComment(t *testing.T) {
	const listing = "@bob: the commands available in acme/widgets:" +
		"\n\n**help**\n" +
		"\n- `/help`: Replies with the commands available here, who can use them and examples. Who can use: Anyone who can comment. Examples: `/help`." +
		"\n\n**pause**\n" +
		"\n- `/pause [cancel]`: Pauses merging. Who can use: Anyone. Examples: `/pause`, `/pause cancel`." +
		"\n\n**ship**\n" +
		"\n- `/ship`: Ships it. Who can use: Maintainers." +
		"\n- `/unship`: Unships it. Who can use: Maintainers. Examples: `/unship`."
	tests := []struct {
		name        string
		body        string
		opts        []plugintest.CommentOption
		number      int
		wantReplies []string
	}{{
		name:        "help on a pull request",
		body:        "/help",
		wantReplies: []string{listing},
	}, {
		name:        "help on a closed issue",
		body:        "How does this work?\n/HELP",
		opts:        []plugintest.CommentOption{plugintest.OnIssue(7), plugintest.Closed()},
		number:      7,
		wantReplies: []string{listing},
	}, {
		name: "quoted command",
		body: "> /help",
	}, {
		name: "command in a code block",
		body: "```\n/help\n```",
	}, {
		name: "command with an argument",
		body: "/help wanted",
	}, {
		name: "edited comment",
		body: "/help",
		opts: []plugintest.CommentOption{plugintest.Action("edited")},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := plugintest.NewEnv(t, pluginsYAML, newRegistry(t))
			env.GitHub.Reset()
			number := tc.number
			if number == 0 {
				number = plugintest.Number
			}
			e := plugintest.CommentEvent(t, tc.body, tc.opts...)
			if err := handleIssueComment(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handleIssueComment() error = %v", err)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
			if tc.wantReplies == nil && env.GitHub.CallCount() > 0 {
				t.Errorf("ignored comment made GitHub calls: %v", env.Calls())
			}
		})
	}
}

func TestCommandsWithoutAny(t *testing.T) {
	got := Commands(newRegistry(t), []string{"watch", "unknown"}, "acme/gadgets")
	if want := "no commands are available in acme/gadgets."; got != want {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
}
