package approve

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.PullRequestGetter
	github.FileGetter
	github.IssueLabelGetter
	github.Labeler
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handle(ctx, a.GitHub, a.Logger, e)
}

// handle applies the last approve command of a new comment on an open pull request when the
// commenter is an approver at the pull request's base branch. Nothing is said when the label
// is already as asked, so a redelivered event changes nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) || !plugins.IsOpenPullRequest(e) {
		return nil
	}
	last := plugins.LastCommand(approveRe, e.GetComment().GetBody())
	if last == nil {
		return nil
	}
	cancel := strings.EqualFold(last[1], "cancel")
	command := strings.TrimSpace(last[0])

	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()
	user := e.GetComment().GetUser().GetLogin()
	reply := func(msg string) error {
		return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, plugins.Code(command)+msg))
	}

	// The comment payload does not name the base branch.
	pr, err := gh.GetPullRequest(ctx, org, repo, number)
	if err != nil {
		return err
	}
	base := pr.GetBase().GetRef()
	data, err := gh.GetFile(ctx, org, repo, OwnersFile, base)
	if errors.Is(err, github.ErrFileNotFound) {
		log.Infow("Refused /approve: no OWNERS file", "user", user, "base", base)
		return reply(fmt.Sprintf(" is refused: `%s` has no %s file, so nobody can approve.", base, OwnersFile))
	}
	if err != nil {
		return err
	}
	o, err := parseOwners(data)
	if err != nil {
		log.Infow("Refused /approve: invalid OWNERS file", "user", user, "base", base, "error", err)
		return reply(fmt.Sprintf(" is refused: the %s file of `%s` cannot be read: %v", OwnersFile, base, err))
	}
	if len(o.Approvers) == 0 {
		log.Infow("Refused /approve: OWNERS names no approvers", "user", user, "base", base)
		return reply(fmt.Sprintf(" is refused: the %s file of `%s` lists no approvers.", OwnersFile, base))
	}
	if !o.isApprover(user) {
		log.Infow("Refused /approve by a non-approver", "user", user, "base", base)
		role := "not an approver"
		if o.isReviewer(user) {
			role = "a reviewer but not an approver"
		}
		return reply(fmt.Sprintf(" is refused: you are %s in the %s file of `%s`. Approvers: %s.",
			role, OwnersFile, base, listSome(o.Approvers)))
	}

	labels, err := gh.GetIssueLabels(ctx, org, repo, number)
	if err != nil {
		return err
	}
	has := plugins.HasLabel(labels, Label)
	switch {
	case !cancel && !has:
		if err := gh.AddLabel(ctx, org, repo, number, Label); err != nil {
			return err
		}
		log.Infow("Approved", "user", user)
		return reply(": adding label `" + Label + "`.")
	case cancel && has:
		if err := gh.RemoveLabel(ctx, org, repo, number, Label); err != nil {
			return err
		}
		log.Infow("Removed approval", "user", user)
		return reply(": removing label `" + Label + "`.")
	}
	return nil
}

// maxListedApprovers is how many approvers a refusal names; an OWNERS file may list
// thousands.
const maxListedApprovers = 10

// listSome joins the first maxListedApprovers logins and counts the rest.
func listSome(logins []string) string {
	shown := logins[:min(len(logins), maxListedApprovers)]
	out := strings.Join(shown, ", ")
	if rest := len(logins) - len(shown); rest > 0 {
		out += " and " + plugins.FormatCount(rest) + " more"
	}
	return out
}
