package lgtm

import (
	"context"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// commentClient is what the plugin does on GitHub for a comment.
type commentClient interface {
	github.TrustChecker
	github.IssueLabelGetter
	github.Labeler
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handleComment(ctx, a.GitHub, a.Logger, e)
}

// handleComment applies the last lgtm command of a new comment on an open pull request.
// Nothing is said when the label is already as asked, so a redelivered event changes
// nothing.
func handleComment(ctx context.Context, gh commentClient, log *zap.SugaredLogger, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) || !plugins.IsOpenPullRequest(e) {
		return nil
	}
	last := plugins.LastCommand(lgtmRe, e.GetComment().GetBody())
	if last == nil {
		return nil
	}
	cancel := last[1] != "" || strings.EqualFold(last[2], "cancel")
	command := strings.TrimSpace(last[0])

	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()
	user := e.GetComment().GetUser().GetLogin()
	reply := func(msg string) error {
		return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, plugins.Code(command)+msg))
	}

	isAuthor := strings.EqualFold(user, e.GetIssue().GetUser().GetLogin())
	if isAuthor && !cancel {
		log.Infow("Refused /lgtm by the author", "user", user)
		return reply(" is refused: you cannot LGTM your own pull request.")
	}
	if !isAuthor {
		ok, err := plugins.IsMemberOrCollaborator(ctx, gh, org, repo, user, e.GetComment().GetAuthorAssociation())
		if err != nil {
			return fmt.Errorf("check whether %s may use /lgtm in %s/%s: %w", user, org, repo, err)
		}
		if !ok {
			log.Infow("Refused /lgtm by a non-collaborator", "user", user)
			return reply(fmt.Sprintf(" is refused: only members of %s and collaborators of %s/%s can add or remove `%s`.", org, org, repo, Label))
		}
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
		log.Infow("Added lgtm", "user", user)
		return reply(": adding label `" + Label + "`.")
	case cancel && has:
		if err := gh.RemoveLabel(ctx, org, repo, number, Label); err != nil {
			return err
		}
		log.Infow("Removed lgtm", "user", user)
		return reply(": removing label `" + Label + "`.")
	}
	return nil
}
