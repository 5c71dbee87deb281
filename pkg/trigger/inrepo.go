package trigger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
)

// Bounds of what one commit's in-repo config may make the hook read and keep.
const (
	// maxInRepoFiles is the most in-repo config files read at one commit.
	maxInRepoFiles = 100
	// maxInRepoFileBytes bounds one file; maxInRepoBytes all of one commit's.
	maxInRepoFileBytes = 1 << 20
	maxInRepoBytes     = 4 << 20
	// Cache bounds: commits' in-repo file lists, directory listings by tree id and file
	// contents by blob id. Blob and tree ids name their content, so an unchanged .prow.yaml
	// or .lighthouse/ is read once for every commit that has it.
	inRepoCommitsCached = 5000
	inRepoTreesCached   = 5000
	inRepoBlobsCached   = 5000
	inRepoBlobBytes     = 64 << 20
)

// InRepoError is a repository's in-repo config that does not load at a commit: a
// malformed .prow.yaml or .lighthouse/ file, or one over the bounds. The pull request still
// runs its central jobs, and the commit gets a failing config status saying why.
type InRepoError struct {
	Org, Repo, SHA string
	Err            error
}

func (e *InRepoError) Error() string {
	return fmt.Sprintf("in-repo config of %s/%s at %s: %v", e.Org, e.Repo, e.SHA, e.Err)
}

func (e *InRepoError) Unwrap() error { return e.Err }

// inRepoFile is one in-repo config file of a commit, by its blob id.
type inRepoFile struct {
	path, blob string
	size       int64
}

// inRepoReader reads the in-repo config files of commits through the git database API: one
// tree listing per new commit, and only the directories and files whose ids it has not
// seen.
type inRepoReader struct {
	gh      github.TreeReader
	commits *boundedCache[[]inRepoFile]
	trees   *boundedCache[[]github.TreeEntry]
	blobs   *boundedCache[[]byte]
}

func newInRepoReader(gh github.TreeReader) *inRepoReader {
	return &inRepoReader{
		gh:      gh,
		commits: newBoundedCache[[]inRepoFile](inRepoCommitsCached, 0, nil),
		trees:   newBoundedCache[[]github.TreeEntry](inRepoTreesCached, 0, nil),
		blobs:   newBoundedCache(inRepoBlobsCached, inRepoBlobBytes, func(b []byte) int64 { return int64(len(b)) }),
	}
}

// boundsError marks a commit whose in-repo files are over the bounds: the repository's
// fault, reported like a malformed file.
type boundsError struct{ msg string }

func (e *boundsError) Error() string { return e.msg }

// files returns the in-repo config files of org/repo at sha, their contents read.
func (r *inRepoReader) files(ctx context.Context, org, repo, sha string) (fs.FS, error) {
	list, err := r.list(ctx, org, repo, sha)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for _, f := range list {
		key := org + "/" + repo + "@" + f.blob
		data, ok := r.blobs.get(key)
		if !ok {
			if data, err = r.gh.GetBlob(ctx, org, repo, f.blob); err != nil {
				return nil, fmt.Errorf("read %s of %s/%s at %s: %w", f.path, org, repo, sha, err)
			}
			if len(data) > maxInRepoFileBytes {
				return nil, &boundsError{fmt.Sprintf("%s is %d bytes, over the %d bosun reads", f.path, len(data), maxInRepoFileBytes)}
			}
			r.blobs.put(key, data)
		}
		fsys[f.path] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return fsys, nil
}

// list returns the in-repo config files of org/repo at sha, from the cache when the commit
// was read before.
func (r *inRepoReader) list(ctx context.Context, org, repo, sha string) ([]inRepoFile, error) {
	commitKey := org + "/" + repo + "@" + sha
	if list, ok := r.commits.get(commitKey); ok {
		return list, nil
	}
	root, err := r.tree(ctx, org, repo, sha, false)
	if err != nil {
		return nil, err
	}
	var list []inRepoFile
	var total int64
	add := func(p string, e github.TreeEntry) error {
		if e.Type != "blob" || !config.InRepoPath(p) {
			return nil
		}
		if len(list) == maxInRepoFiles {
			return &boundsError{fmt.Sprintf("more than %d in-repo config files", maxInRepoFiles)}
		}
		if e.Size > maxInRepoFileBytes {
			return &boundsError{fmt.Sprintf("%s is %d bytes, over the %d bosun reads", p, e.Size, maxInRepoFileBytes)}
		}
		if total += e.Size; total > maxInRepoBytes {
			return &boundsError{fmt.Sprintf("the in-repo config files are over %d bytes in all", maxInRepoBytes)}
		}
		list = append(list, inRepoFile{path: p, blob: e.SHA, size: e.Size})
		return nil
	}
	for _, e := range root {
		switch {
		case e.Type == "blob" && e.Path == config.ProwYAMLFile:
			if err := add(e.Path, e); err != nil {
				return nil, err
			}
		case e.Type == "tree" && (e.Path == config.ProwYAMLDir || e.Path == config.LighthouseDir):
			entries, err := r.tree(ctx, org, repo, e.SHA, true)
			if err != nil {
				return nil, err
			}
			for _, sub := range entries {
				if err := add(path.Join(e.Path, sub.Path), sub); err != nil {
					return nil, err
				}
			}
		}
	}
	r.commits.put(commitKey, list)
	return list, nil
}

// tree lists a commit's or tree's entries, kept by id.
func (r *inRepoReader) tree(ctx context.Context, org, repo, sha string, recursive bool) ([]github.TreeEntry, error) {
	key := fmt.Sprintf("%s/%s@%s?recursive=%t", org, repo, sha, recursive)
	if entries, ok := r.trees.get(key); ok {
		return entries, nil
	}
	entries, truncated, err := r.gh.GetTree(ctx, org, repo, sha, recursive)
	if err != nil {
		return nil, fmt.Errorf("list the in-repo config of %s/%s at %s: %w", org, repo, sha, err)
	}
	if truncated {
		return nil, &boundsError{fmt.Sprintf("GitHub truncated the listing of tree %s", sha)}
	}
	// A commit's listing is kept under the commit's list instead (see list); a
	// directory's, by its id, serves every commit that has the same directory.
	if recursive {
		r.trees.put(key, entries)
	}
	return entries, nil
}

// InRepoJobs returns the jobs org/repo's own files define at sha, when ev's config enables
// in-repo config for it; nil when it does not or the commit has none. A file that does not
// load gives an *InRepoError; GitHub failing gives another error.
func (t *Trigger) InRepoJobs(ctx context.Context, ev Event, org, repo, sha string) (*config.InRepoJobs, error) {
	if t.inRepo == nil || sha == "" || !ev.Config.InRepoConfigEnabled(org, repo) {
		return nil, nil
	}
	fsys, err := t.inRepo.files(ctx, org, repo, sha)
	var bounds *boundsError
	switch {
	case errors.As(err, &bounds):
		return nil, &InRepoError{Org: org, Repo: repo, SHA: sha, Err: err}
	case err != nil:
		return nil, err
	}
	jobs, err := ev.Config.LoadInRepo(org, repo, fsys)
	if err != nil {
		return nil, &InRepoError{Org: org, Repo: repo, SHA: sha, Err: err}
	}
	for _, w := range jobs.Warnings {
		ev.Logger.Infow("In-repo config warning", "sha", sha, "warning", w.String())
	}
	return jobs, nil
}

// firstLine is the first line of s, for a status description.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
