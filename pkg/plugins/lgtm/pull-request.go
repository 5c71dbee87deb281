package lgtm

import (
	"context"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// ResetMessage is the comment posted when a push removes the lgtm label.
const ResetMessage = "New commits were pushed: removing label `" + Label + "`. " +
	"Reviewers, comment `/lgtm` again once you have looked at the changes."

// pushClient is what the plugin does on GitHub when a pull request gets new commits.
type pushClient interface {
	github.IssueLabelGetter
	github.Labeler
	github.Commenter
}

func handlePullRequest(ctx context.Context, a plugins.Agent, e *gogithub.PullRequestEvent) error {
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	return handlePush(ctx, a.GitHub, a.Logger, a.PluginConfig.LgtmFor(org, repo), e)
}

// handlePush removes the lgtm label when new commits reach an open pull request, unless cfg
// retains it. The payload's labels rule out most pushes for free; the current labels are
// read before removing, so a label already gone (or a redelivered event) costs no comment.
func handlePush(ctx context.Context, gh pushClient, log *zap.SugaredLogger, cfg plugins.Lgtm, e *gogithub.PullRequestEvent) error {
	pr := e.GetPullRequest()
	if e.GetAction() != "synchronize" || pr.GetState() != "open" || cfg.RetainLabelOnPush {
		return nil
	}
	if !payloadHasLabel(pr.Labels, Label) {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := pr.GetNumber()
	labels, err := gh.GetIssueLabels(ctx, org, repo, number)
	if err != nil {
		return err
	}
	if !plugins.HasLabel(labels, Label) {
		return nil
	}
	if err := gh.RemoveLabel(ctx, org, repo, number, Label); err != nil {
		return err
	}
	log.Infow("Removed lgtm after a push", "head", pr.GetHead().GetSHA())
	return gh.CreateComment(ctx, org, repo, number, ResetMessage)
}

func payloadHasLabel(labels []*gogithub.Label, name string) bool {
	names := make([]string, 0, len(labels))
	for _, l := range labels {
		names = append(names, l.GetName())
	}
	return plugins.HasLabel(names, name)
}
