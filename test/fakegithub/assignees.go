package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

const reviewersDocsURL = "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request"

// Who can be assigned or asked for a review is modelled simply: org members of the
// repository's owner and collaborators of the repository (AddOrgMember, AddCollaborator).
// GitHub's extra rule that people who commented can be assigned is not modelled.

// assignableLocked reports whether login can be assigned in, or review, org/repo.
func (s *Server) assignableLocked(org, repo, login string) bool {
	lower := strings.ToLower(login)
	return s.members[strings.ToLower(org)][lower] || s.collaborators[repoKey(org, repo)][lower]
}

// assigneesLocked returns the assignees field of issue or pull request key, and whether it
// exists.
func (s *Server) assigneesLocked(key issueKey) (*[]*gogithub.User, bool) {
	if issue, ok := s.issues[key]; ok {
		return &issue.Assignees, true
	}
	if pr, ok := s.pulls[key]; ok {
		return &pr.Assignees, true
	}
	return nil, false
}

// setFirstAssigneeLocked keeps the legacy single "assignee" field equal to the first
// assignee, as GitHub does.
func (s *Server) setFirstAssigneeLocked(key issueKey) {
	var first *gogithub.User
	if issue, ok := s.issues[key]; ok {
		if len(issue.Assignees) > 0 {
			first = issue.Assignees[0]
		}
		issue.Assignee = first
		return
	}
	if pr, ok := s.pulls[key]; ok {
		if len(pr.Assignees) > 0 {
			first = pr.Assignees[0]
		}
		pr.Assignee = first
	}
}

type assigneesRequest struct {
	Assignees []string `json:"assignees"`
}

// addAssignees handles POST /repos/{org}/{repo}/issues/{number}/assignees. Users who cannot
// be assigned are skipped without an error, as GitHub does; the answer is the issue.
func (s *Server) addAssignees(w http.ResponseWriter, r *http.Request) {
	s.changeAssignees(w, r, http.StatusCreated, func(org, repo string, list *[]*gogithub.User, login string) {
		if !s.assignableLocked(org, repo, login) || containsLogin(*list, login) {
			return
		}
		*list = append(*list, s.user(login))
	})
}

// deleteFromIssue handles DELETE /repos/{org}/{repo}/issues/{number}/{collection}. A pattern
// ending in /assignees would overlap DELETE .../issues/comments/{id} (ServeMux refuses two
// patterns neither of which is more specific), so the collection is checked here; the
// comment route, being more specific, still wins for its paths.
func (s *Server) deleteFromIssue(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("collection") != "assignees" {
		writeNotFound(w)
		return
	}
	s.removeAssignees(w, r)
}

// removeAssignees handles DELETE /repos/{org}/{repo}/issues/{number}/assignees. Removing
// someone who is not assigned is not an error.
func (s *Server) removeAssignees(w http.ResponseWriter, r *http.Request) {
	s.changeAssignees(w, r, http.StatusOK, func(_, _ string, list *[]*gogithub.User, login string) {
		*list = slices.DeleteFunc(*list, func(u *gogithub.User) bool { return strings.EqualFold(u.GetLogin(), login) })
	})
}

func (s *Server) changeAssignees(w http.ResponseWriter, r *http.Request, status int, change func(org, repo string, list *[]*gogithub.User, login string)) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var req assigneesRequest
	if !decodeBody(w, r, &req) {
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	key := newIssueKey(org, repo, n)
	list, ok := s.assigneesLocked(key)
	if !ok {
		writeNotFound(w)
		return
	}
	for _, login := range req.Assignees {
		change(org, repo, list, login)
	}
	s.setFirstAssigneeLocked(key)
	out, _ := s.issueJSONLocked(key)
	writeJSON(w, status, out)
}

// Assignees returns the logins assigned to issue or pull request number of org/repo, in the
// order they were assigned.
func (s *Server) Assignees(org, repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, ok := s.assigneesLocked(newIssueKey(org, repo, number))
	if !ok {
		return nil
	}
	return logins(*list)
}

type reviewersRequest struct {
	Reviewers     []string `json:"reviewers"`
	TeamReviewers []string `json:"team_reviewers"`
}

// requestReviewers handles POST /repos/{org}/{repo}/pulls/{number}/requested_reviewers. Like
// GitHub, it refuses the whole request (422) when any user is the pull request's author or
// cannot review; team reviewers are not modelled and are ignored.
func (s *Server) requestReviewers(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var req reviewersRequest
	if !decodeBody(w, r, &req) {
		return
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.pulls[newIssueKey(org, repo, n)]
	if !ok {
		writeNotFound(w)
		return
	}
	for _, login := range req.Reviewers {
		if strings.EqualFold(login, pr.GetUser().GetLogin()) {
			writeValidationFailed(w, reviewersDocsURL, fieldError{Resource: "PullRequest", Field: "reviewers", Code: "custom",
				Message: "Review cannot be requested from pull request author."})
			return
		}
		if !s.assignableLocked(org, repo, login) {
			writeValidationFailed(w, reviewersDocsURL, fieldError{Resource: "PullRequest", Field: "reviewers", Code: "custom",
				Message: fmt.Sprintf("Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s/%s repository.", org, repo)})
			return
		}
	}
	for _, login := range req.Reviewers {
		if !containsLogin(pr.RequestedReviewers, login) {
			pr.RequestedReviewers = append(pr.RequestedReviewers, s.user(login))
		}
	}
	out := clone(pr)
	out.Labels = s.labelObjectsLocked(newIssueKey(org, repo, n))
	writeJSON(w, http.StatusCreated, out)
}

// removeReviewers handles DELETE /repos/{org}/{repo}/pulls/{number}/requested_reviewers.
func (s *Server) removeReviewers(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(r, "number")
	if !ok {
		writeNotFound(w)
		return
	}
	var req reviewersRequest
	if !decodeBody(w, r, &req) {
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
	for _, login := range req.Reviewers {
		pr.RequestedReviewers = slices.DeleteFunc(pr.RequestedReviewers, func(u *gogithub.User) bool { return strings.EqualFold(u.GetLogin(), login) })
	}
	out := clone(pr)
	out.Labels = s.labelObjectsLocked(key)
	writeJSON(w, http.StatusOK, out)
}

// RequestedReviewers returns the logins asked to review pull request number of org/repo, in
// the order they were asked.
func (s *Server) RequestedReviewers(org, repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.pulls[newIssueKey(org, repo, number)]
	if !ok {
		return nil
	}
	return logins(pr.RequestedReviewers)
}

func containsLogin(users []*gogithub.User, login string) bool {
	return slices.ContainsFunc(users, func(u *gogithub.User) bool { return strings.EqualFold(u.GetLogin(), login) })
}

func logins(users []*gogithub.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.GetLogin())
	}
	return out
}
