package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"
)

// Issue and pull request states GitHub accepts.
const (
	IssueStateOpen   = "open"
	IssueStateClosed = "closed"
)

// IssueStateSetter closes and reopens issues and pull requests.
type IssueStateSetter interface {
	CloseIssue(ctx context.Context, org, repo string, number int) error
	ReopenIssue(ctx context.Context, org, repo string, number int) error
}

// CloseIssue closes issue or pull request number of org/repo (pull requests are issues to
// this endpoint). Closing a closed one succeeds.
func (c *Client) CloseIssue(ctx context.Context, org, repo string, number int) error {
	return c.setIssueState(ctx, org, repo, number, IssueStateClosed)
}

// ReopenIssue reopens issue or pull request number of org/repo. GitHub refuses (422) to
// reopen a merged pull request.
func (c *Client) ReopenIssue(ctx context.Context, org, repo string, number int) error {
	return c.setIssueState(ctx, org, repo, number, IssueStateOpen)
}

func (c *Client) setIssueState(ctx context.Context, org, repo string, number int, state string) error {
	if _, _, err := c.gh.Issues.Update(ctx, org, repo, number, gogithub.UpdateIssueRequest{State: gogithub.Ptr(state)}); err != nil {
		return fmt.Errorf("failed to set the state of %s/%s#%d to %s: %w", org, repo, number, state, err)
	}
	return nil
}
