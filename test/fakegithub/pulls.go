package fakegithub

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// AddPullRequest seeds pull request pr (pr.Number must be set) in org/repo, replacing any with
// that number. The emulator keeps a copy and fills in what GitHub always sends and a test
// rarely cares about: state "open", the API and HTML URLs. Labels on pr become the issue's
// labels, so GET .../labels and GET .../pulls/{n} agree from the start.
func (s *Server) AddPullRequest(org, repo string, pr *gogithub.PullRequest) {
	if pr.GetNumber() <= 0 {
		panic(fmt.Sprintf("fakegithub: AddPullRequest(%s/%s): pull request has no number", org, repo))
	}
	stored := clone(pr)
	n := stored.GetNumber()
	if stored.State == nil {
		stored.State = gogithub.Ptr("open")
	}
	if stored.URL == nil {
		stored.URL = gogithub.Ptr(s.apiURL("repos/%s/%s/pulls/%d", org, repo, n))
	}
	if stored.HTMLURL == nil {
		stored.HTMLURL = gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/pull/%d", org, repo, n))
	}
	if stored.IssueURL == nil {
		stored.IssueURL = gogithub.Ptr(s.apiURL("repos/%s/%s/issues/%d", org, repo, n))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(org, repo, n)
	s.pulls[key] = stored
	s.labels[key] = nil
	for _, l := range stored.Labels {
		s.addLabelLocked(org, repo, key, l.GetName())
	}
}

// SetPullRequestFiles sets the files pull request number of org/repo changes, each reported
// as modified with one added line, replacing what was set before. The files endpoint answers
// 404 until the pull request itself is added with AddPullRequest, as GitHub would.
func (s *Server) SetPullRequestFiles(org, repo string, number int, filenames ...string) {
	changes := make([]FileChange, len(filenames))
	for i, name := range filenames {
		changes[i] = FileChange{Filename: name}
	}
	s.SetPullRequestFileChanges(org, repo, number, changes...)
}

// FileChange is one file a pull request changes, as SetPullRequestFileChanges takes it.
type FileChange struct {
	Filename string
	// Status is GitHub's: "added", "modified", "removed", "renamed", ...; empty means
	// "modified".
	Status string
	// PreviousFilename is the path a renamed file had.
	PreviousFilename string
}

// SetPullRequestFileChanges sets the files pull request number of org/repo changes with what
// it does to each, replacing what was set before, and served as GitHub serves them: a removed
// file with one deleted line and no blob, any other with one added line, and a renamed one
// with its previous_filename. As with SetPullRequestFiles, the files endpoint answers 404
// until the pull request itself is added.
func (s *Server) SetPullRequestFileChanges(org, repo string, number int, changes ...FileChange) {
	files := make([]*gogithub.CommitFile, 0, len(changes))
	for _, c := range changes {
		name := c.Filename
		status := cmp.Or(c.Status, "modified")
		sum := sha1.Sum([]byte(name))
		blob := hex.EncodeToString(sum[:])
		f := &gogithub.CommitFile{
			SHA:         gogithub.Ptr(blob),
			Filename:    gogithub.Ptr(name),
			Status:      gogithub.Ptr(status),
			Additions:   gogithub.Ptr(1),
			Deletions:   gogithub.Ptr(0),
			Changes:     gogithub.Ptr(1),
			BlobURL:     gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/blob/%s/%s", org, repo, blob, name)),
			RawURL:      gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/raw/%s/%s", org, repo, blob, name)),
			ContentsURL: gogithub.Ptr(s.apiURL("repos/%s/%s/contents/%s?ref=%s", org, repo, name, blob)),
			Patch:       gogithub.Ptr("@@ -1 +1,2 @@\n line\n+added line"),
		}
		switch status {
		case "removed":
			f.SHA, f.BlobURL, f.RawURL, f.ContentsURL = nil, nil, nil, nil
			f.Additions, f.Deletions = gogithub.Ptr(0), gogithub.Ptr(1)
			f.Patch = gogithub.Ptr("@@ -1 +0,0 @@\n-line")
		case "renamed":
			f.PreviousFilename = gogithub.Ptr(c.PreviousFilename)
		}
		files = append(files, f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[newIssueKey(org, repo, number)] = files
}

// getPullRequest handles GET /repos/{org}/{repo}/pulls/{number}.
func (s *Server) getPullRequest(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(org, repo, n)
	pr, ok := s.pulls[key]
	if !ok {
		writeNotFound(w)
		return
	}
	out := clone(pr)
	out.Labels = s.labelObjectsLocked(key)
	writeJSON(w, http.StatusOK, out)
}

// listPullRequests handles GET /repos/{org}/{repo}/pulls, paginated, with the filters and
// orders GitHub offers that a client is likely to use: state (open, closed or all; default
// open), base (the base branch), sort (created or updated; default created) and direction
// (default desc for created, asc otherwise, as GitHub documents). Seeded pull requests without
// timestamps sort by number, which is the order GitHub would have created them in.
func (s *Server) listPullRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), stateOpen)
	sortBy := cmp.Or(q.Get("sort"), "created")
	desc := q.Get("direction") == "desc" || (q.Get("direction") == "" && sortBy == "created")
	switch {
	case state != stateOpen && state != stateClosed && state != "all",
		sortBy != "created" && sortBy != "updated",
		q.Get("direction") != "" && q.Get("direction") != "asc" && q.Get("direction") != "desc":
		writeValidationFailed(w, "https://docs.github.com/rest/pulls/pulls#list-pull-requests")
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	rk := repoKey(org, repo)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*gogithub.PullRequest
	for key, pr := range s.pulls {
		if key.repo != rk || (state != "all" && !strings.EqualFold(pr.GetState(), state)) {
			continue
		}
		if base := q.Get("base"); base != "" && pr.GetBase().GetRef() != base {
			continue
		}
		item := clone(pr)
		item.Labels = s.labelObjectsLocked(key)
		out = append(out, item)
	}
	slices.SortFunc(out, func(a, b *gogithub.PullRequest) int {
		ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
		if sortBy == "updated" {
			ta, tb = a.GetUpdatedAt().Time, b.GetUpdatedAt().Time
		}
		c := cmp.Or(ta.Compare(tb), cmp.Compare(a.GetNumber(), b.GetNumber()))
		if desc {
			return -c
		}
		return c
	})
	if out == nil {
		out = []*gogithub.PullRequest{}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, out))
}

// listPullRequestFiles handles GET /repos/{org}/{repo}/pulls/{number}/files, paginated.
func (s *Server) listPullRequestFiles(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(r.PathValue("org"), r.PathValue("repo"), n)
	if _, ok := s.pulls[key]; !ok {
		writeNotFound(w)
		return
	}
	files := s.files[key]
	if files == nil {
		files = []*gogithub.CommitFile{}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, files))
}
