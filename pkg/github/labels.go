package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"
)

// labelsPerPage is the largest page GitHub serves: repositories with many labels cost the
// fewest requests.
const labelsPerPage = 100

// IssueLabelGetter reads the labels on an issue or pull request.
type IssueLabelGetter interface {
	GetIssueLabels(ctx context.Context, org, repo string, number int) ([]string, error)
}

// RepoLabelLister lists the labels a repository has.
type RepoLabelLister interface {
	GetRepoLabels(ctx context.Context, org, repo string) ([]string, error)
}

// GetIssueLabels returns the names of the labels on issue or pull request number of org/repo,
// reading every page.
func (c *Client) GetIssueLabels(ctx context.Context, org, repo string, number int) ([]string, error) {
	names, err := allLabelPages(func(opts *gogithub.ListOptions) ([]*gogithub.Label, *gogithub.Response, error) {
		return c.gh.Issues.ListLabelsByIssue(ctx, org, repo, number, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to get the labels on %s/%s#%d: %w", org, repo, number, err)
	}
	return names, nil
}

// GetRepoLabels returns the names of every label defined in org/repo, reading every page.
func (c *Client) GetRepoLabels(ctx context.Context, org, repo string) ([]string, error) {
	names, err := allLabelPages(func(opts *gogithub.ListOptions) ([]*gogithub.Label, *gogithub.Response, error) {
		return c.gh.Issues.ListLabels(ctx, org, repo, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list the labels of %s/%s: %w", org, repo, err)
	}
	return names, nil
}

// allLabelPages calls list for each page in turn and collects the label names.
func allLabelPages(list func(*gogithub.ListOptions) ([]*gogithub.Label, *gogithub.Response, error)) ([]string, error) {
	names := []string{}
	opts := &gogithub.ListOptions{PerPage: labelsPerPage, Page: 1}
	for {
		labels, resp, err := list(opts)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", opts.Page, err)
		}
		for _, l := range labels {
			names = append(names, l.GetName())
		}
		// A next page that does not move forward would loop forever.
		if resp.NextPage <= opts.Page {
			return names, nil
		}
		opts.Page = resp.NextPage
	}
}
