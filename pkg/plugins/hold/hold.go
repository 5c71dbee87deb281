// Package hold is the plugin that puts a pull request on hold: /hold adds the
// do-not-merge/hold label, which keeps it from merging, and /hold cancel removes it.
package hold

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "hold"

// Label is the label /hold puts on a pull request.
const Label = "do-not-merge/hold"

// holdRe matches "/hold", "/hold <reason>", "/hold cancel" and "/unhold", capturing "un"
// and the argument; the last such line of a comment decides.
var holdRe = regexp.MustCompile(`(?mi)^/(un)?hold(?:[ \t]+([^\n]*?))?[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Puts a pull request on hold with the `" + Label + "` label, which keeps it from merging until the hold is cancelled.",
			Commands: []plugins.Command{{
				Usage:       "/hold [<reason>|cancel], /unhold",
				Description: "Adds the `" + Label + "` label; `/hold cancel` or `/unhold` removes it.",
				WhoCanUse:   "Anyone who can comment on the pull request.",
				Examples:    []string{"/hold", "/hold until the release is cut", "/hold cancel", "/unhold"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.IssueLabelGetter
	github.Labeler
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handle(ctx, a.GitHub, a.Logger, e)
}

// handle applies the last hold command of a new comment on an open pull request. Nothing
// is said when the label is already as asked, so a redelivered event changes nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) || !plugins.IsOpenPullRequest(e) {
		return nil
	}
	last := plugins.LastCommand(holdRe, e.GetComment().GetBody())
	if last == nil {
		return nil
	}
	cancel := last[1] != "" || strings.EqualFold(last[2], "cancel")
	command := "/hold"
	if cancel {
		command = strings.TrimSpace(last[0])
	}

	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()
	user := e.GetComment().GetUser().GetLogin()
	labels, err := gh.GetIssueLabels(ctx, org, repo, number)
	if err != nil {
		return err
	}
	held := plugins.HasLabel(labels, Label)
	var reply string
	switch {
	case !cancel && !held:
		if err := gh.AddLabel(ctx, org, repo, number, Label); err != nil {
			return err
		}
		reply = fmt.Sprintf("%s: adding label `%s`. Comment `/hold cancel` to remove it.", plugins.Code(command), Label)
	case cancel && held:
		if err := gh.RemoveLabel(ctx, org, repo, number, Label); err != nil {
			return err
		}
		reply = fmt.Sprintf("%s: removing label `%s`.", plugins.Code(command), Label)
	default:
		return nil
	}
	log.Infow("Changed hold", "user", user, "command", command)
	return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, reply))
}
