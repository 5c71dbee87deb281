package github

import (
	"context"
	"fmt"
	"net/http"
)

// TreeEntry is one entry of a git tree: a file (Type "blob") or a directory ("tree").
type TreeEntry struct {
	// Path is relative to the tree listed; with a recursive listing it has slashes.
	Path string
	Type string
	// SHA is the git object id: the same content has the same id at every commit.
	SHA string
	// Size is a blob's size in bytes.
	Size int64
}

// TreeReader reads a repository's git objects: the files and directories of a commit, and
// a file's content by its blob id. Both are immutable, so answers can be kept by id.
type TreeReader interface {
	// GetTree lists the tree of a commit or tree id, with every subtree's entries when
	// recursive. truncated says GitHub left entries out (a very large tree).
	GetTree(ctx context.Context, org, repo, sha string, recursive bool) (entries []TreeEntry, truncated bool, err error)
	// GetBlob returns a blob's content. A missing blob gives an error wrapping
	// ErrFileNotFound.
	GetBlob(ctx context.Context, org, repo, sha string) ([]byte, error)
}

var _ TreeReader = (*Client)(nil)

// GetTree lists the tree of the commit or tree sha in org/repo. A missing commit or tree
// gives an error wrapping ErrFileNotFound.
func (c *Client) GetTree(ctx context.Context, org, repo, sha string, recursive bool) ([]TreeEntry, bool, error) {
	tree, _, err := c.gh.Git.GetTree(ctx, org, repo, sha, recursive)
	switch {
	case hasResponseStatus(err, http.StatusNotFound):
		return nil, false, fmt.Errorf("failed to get the tree of %s/%s@%s: %w", org, repo, sha, ErrFileNotFound)
	case err != nil:
		return nil, false, fmt.Errorf("failed to get the tree of %s/%s@%s: %w", org, repo, sha, err)
	}
	entries := make([]TreeEntry, 0, len(tree.Entries))
	for _, e := range tree.Entries {
		entries = append(entries, TreeEntry{Path: e.GetPath(), Type: e.GetType(), SHA: e.GetSHA(), Size: int64(e.GetSize())})
	}
	return entries, tree.GetTruncated(), nil
}

// GetBlob returns the content of the blob sha in org/repo, sent raw (no base64).
func (c *Client) GetBlob(ctx context.Context, org, repo, sha string) ([]byte, error) {
	data, _, err := c.gh.Git.GetBlobRaw(ctx, org, repo, sha)
	switch {
	case hasResponseStatus(err, http.StatusNotFound):
		return nil, fmt.Errorf("failed to get blob %s of %s/%s: %w", sha, org, repo, ErrFileNotFound)
	case err != nil:
		return nil, fmt.Errorf("failed to get blob %s of %s/%s: %w", sha, org, repo, err)
	}
	return data, nil
}
