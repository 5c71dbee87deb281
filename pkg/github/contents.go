package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gogithub "github.com/google/go-github/v93/github"
)

// ErrFileNotFound is wrapped by FileGetter errors when the file, the ref or the repository
// does not exist (GitHub answers 404 for all three).
var ErrFileNotFound = errors.New("file not found")

// FileGetter reads a file of a repository at a ref.
type FileGetter interface {
	GetFile(ctx context.Context, org, repo, path, ref string) ([]byte, error)
}

// GetFile returns the content of path in org/repo at ref (a branch, tag or SHA; empty means
// the default branch), through the contents API, which serves files up to 1 MB. A missing
// file gives an error wrapping ErrFileNotFound; a directory gives an error.
func (c *Client) GetFile(ctx context.Context, org, repo, path, ref string) ([]byte, error) {
	var opts *gogithub.RepositoryContentGetOptions
	if ref != "" {
		opts = &gogithub.RepositoryContentGetOptions{Ref: ref}
	}
	file, _, _, err := c.gh.Repositories.GetContents(ctx, org, repo, path, opts)
	switch {
	case hasResponseStatus(err, http.StatusNotFound):
		return nil, fmt.Errorf("failed to get %s from %s/%s@%s: %w", path, org, repo, ref, ErrFileNotFound)
	case err != nil:
		return nil, fmt.Errorf("failed to get %s from %s/%s@%s: %w", path, org, repo, ref, err)
	case file == nil:
		return nil, fmt.Errorf("failed to get %s from %s/%s@%s: it is a directory", path, org, repo, ref)
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("failed to decode %s from %s/%s@%s: %w", path, org, repo, ref, err)
	}
	return []byte(content), nil
}
