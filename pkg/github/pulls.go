package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"
)

// filesPerPage is the largest page GitHub serves, so listing a big PR costs the fewest
// requests from the 5,000/h budget.
const filesPerPage = 100

// PullRequestGetter reads a pull request.
type PullRequestGetter interface {
	GetPullRequest(ctx context.Context, org, repo string, number int) (*gogithub.PullRequest, error)
}

// PullRequestFilesLister lists the paths a pull request changes.
type PullRequestFilesLister interface {
	GetPullRequestFiles(ctx context.Context, org, repo string, number int) ([]string, error)
}

// GetPullRequest returns pull request number of org/repo.
func (c *Client) GetPullRequest(ctx context.Context, org, repo string, number int) (*gogithub.PullRequest, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, org, repo, number)
	if err != nil {
		return nil, fmt.Errorf("failed to get pull request %s/%s#%d: %w", org, repo, number, err)
	}
	return pr, nil
}

// GetPullRequestFiles returns the names of the files pull request number of org/repo changes,
// reading every page. For a renamed file it returns the new name only.
func (c *Client) GetPullRequestFiles(ctx context.Context, org, repo string, number int) ([]string, error) {
	var names []string
	opts := &gogithub.ListOptions{PerPage: filesPerPage, Page: 1}
	for {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, org, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to list files of pull request %s/%s#%d (page %d): %w", org, repo, number, opts.Page, err)
		}
		for _, f := range files {
			names = append(names, f.GetFilename())
		}
		// A next page that does not move forward would loop forever; GitHub never sends one,
		// but a misbehaving proxy could.
		if resp.NextPage <= opts.Page {
			return names, nil
		}
		opts.Page = resp.NextPage
	}
}
