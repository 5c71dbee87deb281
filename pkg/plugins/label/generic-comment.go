package label

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

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.IssueLabelGetter
	github.RepoLabelLister
	github.Labeler
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handle(ctx, a.GitHub, a.Logger, a.PluginConfig.AdditionalLabels(), e)
}

// command is one label command of a comment.
type command struct {
	text   string // as written, for the reply
	remove bool
	prefix string // "kind", ..., or customCommand
	names  []string
}

func parseCommands(body string) []command {
	var out []command
	for _, m := range labelRe.FindAllStringSubmatch(config.StripCodeAndQuotes(body), -1) {
		out = append(out, command{
			text:   strings.TrimSpace(m[0]),
			remove: m[1] != "",
			prefix: strings.ToLower(m[2]),
			names:  strings.Fields(m[3]),
		})
	}
	return out
}

// handle applies the label commands of a new comment in order and answers with one line per
// command that changed or refused something. Adding a label that is there and removing one
// that is not are silent, so a redelivered event changes nothing and says nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, allowed []string, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) {
		return nil
	}
	commands := parseCommands(e.GetComment().GetBody())
	if len(commands) == 0 {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()
	user := e.GetComment().GetUser().GetLogin()

	current, err := gh.GetIssueLabels(ctx, org, repo, number)
	if err != nil {
		return err
	}
	var defined []string // read only when a prefixed command needs it
	if slices.ContainsFunc(commands, func(c command) bool { return c.prefix != customCommand }) {
		if defined, err = gh.GetRepoLabels(ctx, org, repo); err != nil {
			return err
		}
	}

	var lines []string
	for _, c := range commands {
		var changed, missing, refused []string
		for _, name := range c.names {
			label, ok := resolve(c.prefix, name, defined, allowed)
			switch {
			case !ok && c.prefix == customCommand:
				refused = append(refused, name)
				continue
			case !ok:
				missing = append(missing, label)
				continue
			case c.remove && plugins.HasLabel(current, label):
				if err := gh.RemoveLabel(ctx, org, repo, number, label); err != nil {
					return err
				}
				current = slices.DeleteFunc(current, func(l string) bool { return strings.EqualFold(l, label) })
			case !c.remove && !plugins.HasLabel(current, label):
				if err := gh.AddLabel(ctx, org, repo, number, label); err != nil {
					return err
				}
				current = append(current, label)
			default:
				continue
			}
			changed = append(changed, label)
		}
		if line := describe(c, changed, missing, refused, org, repo, allowed); line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	log.Infow("Changed labels", "user", user, "lines", len(lines))
	return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, lines...))
}

// resolve returns the label a command's name stands for and whether it may be used: for a
// prefixed command, "<prefix>/<name>" as the repository spells it, if the repository defines
// it; for /label, the name as plugins.yaml spells it, if it is allowed there.
func resolve(prefix, name string, defined, allowed []string) (string, bool) {
	want, list := prefix+"/"+name, defined
	if prefix == customCommand {
		want, list = name, allowed
	}
	if i := slices.IndexFunc(list, func(l string) bool { return strings.EqualFold(l, want) }); i >= 0 {
		return list[i], true
	}
	return strings.ToLower(want), false
}

// describe is the reply line for one command, or "" when it changed and refused nothing.
func describe(c command, changed, missing, refused []string, org, repo string, allowed []string) string {
	var parts []string
	if len(changed) > 0 {
		verb := "adding"
		if c.remove {
			verb = "removing"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", verb, plural(len(changed), "label", "labels"), quoteAll(changed)))
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s/%s has no %s %s", org, repo, plural(len(missing), "label", "labels"), quoteAll(missing)))
	}
	if len(refused) > 0 {
		allowedText := "no labels are allowed"
		if len(allowed) > 0 {
			allowedText = "the allowed labels are " + quoteAll(allowed)
		}
		parts = append(parts, fmt.Sprintf("`/%s` cannot set %s: %s (`label.additional_labels` in plugins.yaml)",
			customCommand, quoteAll(refused), allowedText))
	}
	if len(parts) == 0 {
		return ""
	}
	return "`" + c.text + "`: " + strings.Join(parts, "; ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}
