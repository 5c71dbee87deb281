package fakegithub

import (
	"fmt"
	"net/http"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

const issuesDocsURL = "https://docs.github.com/rest/issues/issues#update-an-issue"

// Issue states GitHub accepts.
const (
	stateOpen   = "open"
	stateClosed = "closed"
)

// AddIssue seeds issue (issue.Number must be set) in org/repo as a plain issue, replacing any
// with that number; pull requests are seeded with AddPullRequest instead. As for pull
// requests, the emulator keeps a copy, fills in state "open" and the URLs, and makes labels on
// issue the issue's labels.
func (s *Server) AddIssue(org, repo string, issue *gogithub.Issue) {
	if issue.GetNumber() <= 0 {
		panic(fmt.Sprintf("fakegithub: AddIssue(%s/%s): issue has no number", org, repo))
	}
	stored := clone(issue)
	n := stored.GetNumber()
	if stored.State == nil {
		stored.State = gogithub.Ptr(stateOpen)
	}
	if stored.URL == nil {
		stored.URL = gogithub.Ptr(s.apiURL("repos/%s/%s/issues/%d", org, repo, n))
	}
	if stored.HTMLURL == nil {
		stored.HTMLURL = gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/issues/%d", org, repo, n))
	}
	labels := stored.Labels
	stored.Labels = nil

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issues == nil {
		s.issues = map[issueKey]*gogithub.Issue{}
	}
	key := newIssueKey(org, repo, n)
	s.issues[key] = stored
	s.labels[key] = nil
	for _, l := range labels {
		s.addLabelLocked(org, repo, key, l.GetName())
	}
}

// IssueState returns the state ("open" or "closed") of issue or pull request number of
// org/repo, or "" when neither was seeded.
func (s *Server) IssueState(org, repo string, number int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(org, repo, number)
	if issue, ok := s.issues[key]; ok {
		return issue.GetState()
	}
	if pr, ok := s.pulls[key]; ok {
		return pr.GetState()
	}
	return ""
}

// issueJSONLocked returns issue or pull request key as the /issues endpoints show it, and
// whether it exists. A pull request appears as an issue with a pull_request member.
func (s *Server) issueJSONLocked(key issueKey) (*gogithub.Issue, bool) {
	var out *gogithub.Issue
	if issue, ok := s.issues[key]; ok {
		out = clone(issue)
	} else if pr, ok := s.pulls[key]; ok {
		out = &gogithub.Issue{
			ID:        pr.ID,
			NodeID:    pr.NodeID,
			Number:    pr.Number,
			State:     pr.State,
			Title:     pr.Title,
			Body:      pr.Body,
			User:      pr.User,
			Assignee:  pr.Assignee,
			Assignees: pr.Assignees,
			ClosedAt:  pr.ClosedAt,
			CreatedAt: pr.CreatedAt,
			UpdatedAt: pr.UpdatedAt,
			URL:       pr.IssueURL,
			HTMLURL:   pr.HTMLURL,
			PullRequestLinks: &gogithub.PullRequestLinks{
				URL:      pr.URL,
				HTMLURL:  pr.HTMLURL,
				MergedAt: pr.MergedAt,
			},
		}
		out = clone(out)
	} else {
		return nil, false
	}
	out.Labels = s.labelObjectsLocked(key)
	return out, true
}

// editIssue handles PATCH /repos/{org}/{repo}/issues/{number} for the fields bosun sets:
// state, and title and body. It works on pull requests too, as on GitHub, which refuses to
// reopen a merged pull request.
func (s *Server) editIssue(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var req gogithub.UpdateIssueRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.State != nil && *req.State != stateOpen && *req.State != stateClosed {
		writeValidationFailed(w, issuesDocsURL, fieldError{Resource: "Issue", Field: "state", Code: "invalid"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(r.PathValue("org"), r.PathValue("repo"), n)
	now := &gogithub.Timestamp{Time: s.now()}
	closedAt := func(state string) *gogithub.Timestamp {
		if state == stateClosed {
			return now
		}
		return nil
	}
	switch issue, pr := s.issues[key], s.pulls[key]; {
	case issue != nil:
		if req.State != nil && *req.State != issue.GetState() {
			issue.State, issue.ClosedAt = req.State, closedAt(*req.State)
		}
		issue.Title = firstNonNil(req.Title, issue.Title)
		issue.Body = firstNonNil(req.Body, issue.Body)
		issue.UpdatedAt = now
	case pr != nil:
		if req.State != nil && *req.State == stateOpen && pr.GetMerged() {
			writeValidationFailed(w, issuesDocsURL, fieldError{
				Resource: "Issue", Field: "state", Code: "custom",
				Message: "state cannot be changed. The pull request cannot be reopened because it has been merged.",
			})
			return
		}
		if req.State != nil && !strings.EqualFold(*req.State, pr.GetState()) {
			pr.State, pr.ClosedAt = req.State, closedAt(*req.State)
		}
		pr.Title = firstNonNil(req.Title, pr.Title)
		pr.Body = firstNonNil(req.Body, pr.Body)
		pr.UpdatedAt = now
	default:
		writeNotFound(w)
		return
	}
	out, _ := s.issueJSONLocked(key)
	writeJSON(w, http.StatusOK, out)
}

func firstNonNil[T any](ptrs ...*T) *T {
	for _, p := range ptrs {
		if p != nil {
			return p
		}
	}
	return nil
}
