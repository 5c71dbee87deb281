package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"
)

// filesPerPage is the largest page GitHub serves, so listing a big PR costs the fewest
// requests from the 5,000/h budget.
const filesPerPage = 100

// pullsPerPage is the largest page GitHub serves, for the same reason.
const pullsPerPage = 100

// PullRequestGetter reads a pull request.
type PullRequestGetter interface {
	GetPullRequest(ctx context.Context, org, repo string, number int) (*gogithub.PullRequest, error)
}

// PullRequestLister lists the open pull requests of a repository.
type PullRequestLister interface {
	ListOpenPullRequests(ctx context.Context, org, repo string) ([]*gogithub.PullRequest, error)
}

// PullRequestFilesLister lists the paths a pull request changes.
type PullRequestFilesLister interface {
	GetPullRequestFiles(ctx context.Context, org, repo string, number int) ([]string, error)
}

// PullRequestFileChangesLister lists what a pull request does to each file it changes.
type PullRequestFileChangesLister interface {
	ListPullRequestFileChanges(ctx context.Context, org, repo string, number int) ([]FileChange, error)
}

// The statuses GitHub gives a file a pull request changes. GitHub also sends "copied",
// "changed" (its mode only) and "unchanged"; those have content at the new name too.
const (
	FileAdded    = "added"
	FileModified = "modified"
	FileRemoved  = "removed"
	FileRenamed  = "renamed"
)

// FileChange is one file a pull request changes.
type FileChange struct {
	// Filename is the file's path after the change; for a removed file, the path it had.
	Filename string
	// Status is what the change does to the file: FileAdded, FileModified, FileRemoved,
	// FileRenamed or another of GitHub's statuses.
	Status string
	// PreviousFilename is the path a renamed file had before, and empty otherwise.
	PreviousFilename string
}

// MaxFileChanges is the most files GitHub lists for a pull request: a larger one's list
// stops there, so ListPullRequestFileChanges reads no further.
const MaxFileChanges = 3000

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

// ListPullRequestFileChanges returns the files pull request number of org/repo changes, with
// what it does to each, reading every page up to MaxFileChanges files (GitHub lists no
// more; a caller that must know it saw every file compares with the pull request's
// changed_files).
func (c *Client) ListPullRequestFileChanges(ctx context.Context, org, repo string, number int) ([]FileChange, error) {
	var changes []FileChange
	opts := &gogithub.ListOptions{PerPage: filesPerPage, Page: 1}
	for {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, org, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to list the file changes of pull request %s/%s#%d (page %d): %w", org, repo, number, opts.Page, err)
		}
		for _, f := range files {
			if len(changes) == MaxFileChanges {
				return changes, nil
			}
			changes = append(changes, FileChange{Filename: f.GetFilename(), Status: f.GetStatus(), PreviousFilename: f.GetPreviousFilename()})
		}
		// A next page that does not move forward would loop forever, as above.
		if resp.NextPage <= opts.Page || len(changes) == MaxFileChanges {
			return changes, nil
		}
		opts.Page = resp.NextPage
	}
}

// ListOpenPullRequests returns the open pull requests of org/repo, oldest first, reading every
// page. The list is asked for oldest first because that keeps its pages stable: a new pull
// request lands on the last page, so the earlier ones are answered 304 from the ETag cache,
// which costs no rate limit. (GitHub's default, newest first, shifts every page by one.)
func (c *Client) ListOpenPullRequests(ctx context.Context, org, repo string) ([]*gogithub.PullRequest, error) {
	var prs []*gogithub.PullRequest
	opts := &gogithub.PullRequestListOptions{
		State:       "open",
		Sort:        "created",
		Direction:   "asc",
		ListOptions: gogithub.ListOptions{PerPage: pullsPerPage, Page: 1},
	}
	for {
		page, resp, err := c.gh.PullRequests.List(ctx, org, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to list the open pull requests of %s/%s (page %d): %w", org, repo, opts.Page, err)
		}
		prs = append(prs, page...)
		// A next page that does not move forward would loop forever.
		if resp.NextPage <= opts.Page {
			return prs, nil
		}
		opts.Page = resp.NextPage
	}
}
