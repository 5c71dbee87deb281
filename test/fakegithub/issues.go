package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v93/github"
)

const (
	commentsDocsURL = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	labelsDocsURL   = "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"
)

// defaultLabelColor is the color GitHub gives a label created implicitly by adding it.
const defaultLabelColor = "ededed"

// GitHub's limits, in characters: longer comment bodies and label names are refused with
// 422, not cut.
const (
	maxCommentBody = 65536
	maxLabelName   = 50
)

// checkCommentBody answers 422 as GitHub does for a missing or too long comment body, and
// reports whether body may be stored.
func checkCommentBody(w http.ResponseWriter, body string) bool {
	switch {
	case body == "":
		writeValidationFailed(w, commentsDocsURL, fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return false
	case utf8.RuneCountInString(body) > maxCommentBody:
		writeValidationFailed(w, commentsDocsURL, fieldError{
			Resource: "IssueComment", Field: "body", Code: "custom",
			Message: "body is too long (maximum is 65536 characters)",
		})
		return false
	}
	return true
}

// checkLabelNames answers 422 as GitHub does when a label name is missing or too long, and
// reports whether all of names may be used.
func checkLabelNames(w http.ResponseWriter, docs string, names ...string) bool {
	for _, name := range names {
		switch {
		case name == "":
			writeValidationFailed(w, docs, fieldError{Resource: "Label", Field: "name", Code: "missing_field"})
			return false
		case utf8.RuneCountInString(name) > maxLabelName:
			writeValidationFailed(w, docs, fieldError{
				Resource: "Label", Field: "name", Code: "custom",
				Message: "name is too long (maximum is 50 characters)",
			})
			return false
		}
	}
	return true
}

// Comments on issues and pull requests share GitHub's issue-number space, so the emulator
// accepts them on any number without an issue being seeded.

// listComments handles GET /repos/{org}/{repo}/issues/{number}/comments, oldest first.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	comments := s.comments[newIssueKey(r.PathValue("org"), r.PathValue("repo"), n)]
	if comments == nil {
		comments = []*gogithub.IssueComment{}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, comments))
}

// createComment handles POST /repos/{org}/{repo}/issues/{number}/comments.
func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var req gogithub.IssueCommentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !checkCommentBody(w, req.Body) {
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	now := &gogithub.Timestamp{Time: s.now()}
	c := &gogithub.IssueComment{
		ID:                gogithub.Ptr(id),
		NodeID:            gogithub.Ptr("IC_" + itoa64(id)),
		URL:               gogithub.Ptr(s.apiURL("repos/%s/%s/issues/comments/%d", org, repo, id)),
		HTMLURL:           gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", org, repo, n, id)),
		IssueURL:          gogithub.Ptr(s.apiURL("repos/%s/%s/issues/%d", org, repo, n)),
		Body:              gogithub.Ptr(req.Body),
		User:              s.user(BotLogin),
		AuthorAssociation: gogithub.Ptr("NONE"),
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	key := newIssueKey(org, repo, n)
	s.comments[key] = append(s.comments[key], c)
	writeJSON(w, http.StatusCreated, c)
}

// findCommentLocked returns the issue key and index of comment id in org/repo.
func (s *Server) findCommentLocked(org, repo string, id int64) (issueKey, int, bool) {
	rk := repoKey(org, repo)
	for key, comments := range s.comments {
		if key.repo != rk {
			continue
		}
		for i, c := range comments {
			if c.GetID() == id {
				return key, i, true
			}
		}
	}
	return issueKey{}, 0, false
}

// editComment handles PATCH /repos/{org}/{repo}/issues/comments/{id}.
func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathNumber(r, "id")
	if !ok {
		writeNotFound(w)
		return
	}
	var req gogithub.IssueCommentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !checkCommentBody(w, req.Body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, i, ok := s.findCommentLocked(r.PathValue("org"), r.PathValue("repo"), int64(id))
	if !ok {
		writeNotFound(w)
		return
	}
	c := s.comments[key][i]
	c.Body = gogithub.Ptr(req.Body)
	c.UpdatedAt = &gogithub.Timestamp{Time: s.now()}
	writeJSON(w, http.StatusOK, c)
}

// deleteComment handles DELETE /repos/{org}/{repo}/issues/comments/{id}.
func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathNumber(r, "id")
	if !ok {
		writeNotFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, i, ok := s.findCommentLocked(r.PathValue("org"), r.PathValue("repo"), int64(id))
	if !ok {
		writeNotFound(w)
		return
	}
	s.comments[key] = slices.Delete(s.comments[key], i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// Comments returns copies of the comments on issue or pull request number of org/repo, oldest
// first.
func (s *Server) Comments(org, repo string, number int) []gogithub.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gogithub.IssueComment
	for _, c := range s.comments[newIssueKey(org, repo, number)] {
		out = append(out, *clone(c))
	}
	return out
}

// labelObjectsLocked returns the labels on an issue in GitHub's JSON shape.
func (s *Server) labelObjectsLocked(key issueKey) []*gogithub.Label {
	out := []*gogithub.Label{}
	for _, name := range s.labels[key] {
		out = append(out, clone(s.repoLabels[key.repo][strings.ToLower(name)]))
	}
	return out
}

// addLabelLocked puts name on the issue, creating the repository label on first use as
// GitHub does. GitHub matches label names case-insensitively, and adding one twice is a no-op.
func (s *Server) addLabelLocked(org, repo string, key issueKey, name string) {
	lower := strings.ToLower(name)
	if _, ok := s.repoLabels[key.repo][lower]; !ok {
		s.defineLabelLocked(org, repo, name, defaultLabelColor, "")
	}
	if slices.ContainsFunc(s.labels[key], func(l string) bool { return strings.EqualFold(l, name) }) {
		return
	}
	s.labels[key] = append(s.labels[key], s.repoLabels[key.repo][lower].Name)
}

// listLabels handles GET /repos/{org}/{repo}/issues/{number}/labels.
func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, s.labelObjectsLocked(newIssueKey(r.PathValue("org"), r.PathValue("repo"), n))))
}

// addLabels handles POST /repos/{org}/{repo}/issues/{number}/labels. GitHub takes either a
// bare array of names (what go-github sends) or {"labels": [...]}, and answers with all the
// labels now on the issue.
func (s *Server) addLabels(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var raw json.RawMessage
	if !decodeBody(w, r, &raw) {
		return
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		var wrapped struct {
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsURL)
			return
		}
		names = wrapped.Labels
	}
	if !checkLabelNames(w, labelsDocsURL, names...) {
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(org, repo, n)
	for _, name := range names {
		s.addLabelLocked(org, repo, key, name)
	}
	writeJSON(w, http.StatusOK, s.labelObjectsLocked(key))
}

// removeLabel handles DELETE /repos/{org}/{repo}/issues/{number}/labels/{name}, answering
// with the labels left, or 404 when the label is not on the issue.
func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	name := r.PathValue("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(r.PathValue("org"), r.PathValue("repo"), n)
	i := slices.IndexFunc(s.labels[key], func(l string) bool { return strings.EqualFold(l, name) })
	if i < 0 {
		writeError(w, http.StatusNotFound, "Label does not exist", labelsDocsURL)
		return
	}
	s.labels[key] = slices.Delete(s.labels[key], i, i+1)
	writeJSON(w, http.StatusOK, s.labelObjectsLocked(key))
}

// Labels returns the names of the labels on issue or pull request number of org/repo, in the
// order they were added.
func (s *Server) Labels(org, repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.labels[newIssueKey(org, repo, number)])
}
