package github

import (
	"context"
	"fmt"
	"net/url"

	gogithub "github.com/google/go-github/v93/github"
)

// Commenter comments on issues and pull requests.
type Commenter interface {
	CreateComment(ctx context.Context, org, repo string, number int, body string) error
}

// Labeler adds and removes labels on issues and pull requests.
type Labeler interface {
	AddLabel(ctx context.Context, org, repo string, number int, label string) error
	RemoveLabel(ctx context.Context, org, repo string, number int, label string) error
}

// CreateComment posts body as a new comment on issue or pull request number of org/repo.
func (c *Client) CreateComment(ctx context.Context, org, repo string, number int, body string) error {
	req := gogithub.IssueCommentRequest{Body: body}
	if _, _, err := c.gh.Issues.CreateComment(ctx, org, repo, number, req); err != nil {
		return fmt.Errorf("failed to comment on %s/%s#%d: %w", org, repo, number, err)
	}
	return nil
}

// AddLabel adds label to issue or pull request number of org/repo. Adding a label that is
// already there succeeds; adding one the repository lacks creates it, as GitHub does.
func (c *Client) AddLabel(ctx context.Context, org, repo string, number int, label string) error {
	if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, org, repo, number, []string{label}); err != nil {
		return fmt.Errorf("failed to add label %q to %s/%s#%d: %w", label, org, repo, number, err)
	}
	return nil
}

// RemoveLabel removes label from issue or pull request number of org/repo. GitHub answers 404
// when the label is not on the issue; that is returned as an error, so callers that do not care
// should check the labels first.
func (c *Client) RemoveLabel(ctx context.Context, org, repo string, number int, label string) error {
	// go-github puts the name into the path as is; Prow-style names such as
	// "do-not-merge/hold" contain a slash and others contain spaces, so escape it here.
	if _, err := c.gh.Issues.RemoveLabelForIssue(ctx, org, repo, number, url.PathEscape(label)); err != nil {
		return fmt.Errorf("failed to remove label %q from %s/%s#%d: %w", label, org, repo, number, err)
	}
	return nil
}
