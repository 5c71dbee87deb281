package help

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// registry is where the plugins' help comes from; *plugins.Registry satisfies it.
type registry interface {
	Get(name string) (plugins.Plugin, bool)
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	reg := a.Registry
	if reg == nil {
		reg = plugins.Default
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	return handle(ctx, a.GitHub, a.Logger, reg, a.PluginConfig.EnabledFor(org, repo), e)
}

// handle answers a new /help comment, on any issue or pull request, with the commands of
// the enabled plugins.
func handle(ctx context.Context, gh github.Commenter, log *zap.SugaredLogger, reg registry, enabled []string, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) || !helpRe.MatchString(config.StripCodeAndQuotes(e.GetComment().GetBody())) {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	user := e.GetComment().GetUser().GetLogin()
	log.Infow("Listing commands", "user", user)
	return gh.CreateComment(ctx, org, repo, e.GetIssue().GetNumber(), plugins.Reply(user, Commands(reg, enabled, org+"/"+repo)))
}

// Commands is the markdown listing of the commands of the enabled plugins of repo, grouped
// by plugin in name order.
func Commands(reg registry, enabled []string, repo string) string {
	names := slices.Sorted(slices.Values(enabled))
	var b strings.Builder
	for _, name := range names {
		p, ok := reg.Get(name)
		if !ok || len(p.Help.Commands) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n\n**%s**\n", name)
		for _, c := range p.Help.Commands {
			fmt.Fprintf(&b, "\n- `%s`: %s Who can use: %s", c.Usage, c.Description, c.WhoCanUse)
			if len(c.Examples) > 0 {
				examples := make([]string, len(c.Examples))
				for i, ex := range c.Examples {
					examples[i] = "`" + ex + "`"
				}
				fmt.Fprintf(&b, " Examples: %s.", strings.Join(examples, ", "))
			}
		}
	}
	if b.Len() == 0 {
		return "no commands are available in " + repo + "."
	}
	return "the commands available in " + repo + ":" + b.String()
}
