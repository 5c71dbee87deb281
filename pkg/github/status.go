package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"
)

// Commit status states GitHub accepts.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
)

// MaxDescriptionLen is GitHub's limit on a commit status description, in characters. GitHub
// rejects longer descriptions with 422 rather than cutting them, so the client cuts them.
const MaxDescriptionLen = 140

// Status is one commit status as bosun reports it.
type Status struct {
	// State is one of StatusPending, StatusSuccess, StatusFailure or StatusError.
	State string
	// Context names the status on the commit, usually the job name.
	Context string
	// Description is cut to MaxDescriptionLen characters.
	Description string
	// TargetURL is where "Details" links to; empty means no link.
	TargetURL string
}

// StatusCreator sets commit statuses.
type StatusCreator interface {
	CreateStatus(ctx context.Context, org, repo, sha string, s Status) error
}

// CreateStatus sets the status s.Context on commit sha of org/repo.
func (c *Client) CreateStatus(ctx context.Context, org, repo, sha string, s Status) error {
	rs := gogithub.RepoStatus{
		State:       gogithub.Ptr(s.State),
		Context:     gogithub.Ptr(s.Context),
		Description: gogithub.Ptr(TruncateDescription(s.Description)),
	}
	// An empty target_url is not the same as none on GitHub: it renders a dead "Details" link.
	if s.TargetURL != "" {
		rs.TargetURL = gogithub.Ptr(s.TargetURL)
	}
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, org, repo, sha, rs); err != nil {
		return fmt.Errorf("failed to create status %q (%s) on %s/%s@%s: %w", s.Context, s.State, org, repo, sha, err)
	}
	return nil
}

// TruncateDescription returns d cut to at most MaxDescriptionLen characters. It cuts on rune
// boundaries, since GitHub counts characters and a split UTF-8 sequence would be rejected, and
// ends a cut description with an ellipsis so readers can tell it was cut.
func TruncateDescription(d string) string {
	runes := []rune(d)
	if len(runes) <= MaxDescriptionLen {
		return d
	}
	return string(runes[:MaxDescriptionLen-1]) + "…"
}

// StatusLister reads the statuses of a commit.
type StatusLister interface {
	GetCombinedStatus(ctx context.Context, org, repo, ref string) (map[string]string, error)
}

// GetCombinedStatus returns the latest state of every status context on ref, one GitHub
// call per 100 contexts.
func (c *Client) GetCombinedStatus(ctx context.Context, org, repo, ref string) (map[string]string, error) {
	states := map[string]string{}
	opts := &gogithub.ListOptions{PerPage: 100}
	for {
		combined, resp, err := c.gh.Repositories.GetCombinedStatus(ctx, org, repo, ref, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to get the statuses of %s/%s@%s: %w", org, repo, ref, err)
		}
		for _, s := range combined.Statuses {
			states[s.GetContext()] = s.GetState()
		}
		if resp.NextPage == 0 {
			return states, nil
		}
		opts.Page = resp.NextPage
	}
}
