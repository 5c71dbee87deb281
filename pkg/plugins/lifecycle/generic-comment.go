package lifecycle

import (
	"context"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.TrustChecker
	github.IssueStateSetter
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handle(ctx, a.GitHub, a.Logger, e)
}

// handle applies the last /close or /reopen of a new comment. Closing what is closed and
// reopening what is open are silent, so a redelivered event says nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) {
		return nil
	}
	last := plugins.LastCommand(commandRe, e.GetComment().GetBody())
	if last == nil {
		return nil
	}
	reopen := strings.EqualFold(last[1], "reopen")
	command := strings.TrimSpace(last[0])

	issue := e.GetIssue()
	wantState := github.IssueStateClosed
	if reopen {
		wantState = github.IssueStateOpen
	}
	if issue.GetState() == wantState {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := issue.GetNumber()
	user := e.GetComment().GetUser().GetLogin()
	what := "this issue"
	if issue.IsPullRequest() {
		what = "this pull request"
	}
	reply := func(msg string) error {
		return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, plugins.Code(command)+msg))
	}

	if !strings.EqualFold(user, issue.GetUser().GetLogin()) {
		ok, err := plugins.IsMemberOrCollaborator(ctx, gh, org, repo, user, e.GetComment().GetAuthorAssociation())
		if err != nil {
			return fmt.Errorf("check whether %s may use %s in %s/%s: %w", user, command, org, repo, err)
		}
		if !ok {
			log.Infow("Refused a state change by someone who is neither the author nor a collaborator", "user", user, "command", command)
			return reply(fmt.Sprintf(" is refused: only the author, members of %s and collaborators of %s/%s can %s %s.",
				org, org, repo, strings.ToLower(last[1]), what))
		}
	}
	if reopen && !issue.GetPullRequestLinks().GetMergedAt().IsZero() {
		return reply(" is refused: this pull request was merged and cannot be reopened.")
	}

	if reopen {
		if err := gh.ReopenIssue(ctx, org, repo, number); err != nil {
			return err
		}
		log.Infow("Reopened", "user", user)
		return reply(": reopening " + what + ".")
	}
	if err := gh.CloseIssue(ctx, org, repo, number); err != nil {
		return err
	}
	log.Infow("Closed", "user", user)
	return reply(": closing " + what + ".")
}
