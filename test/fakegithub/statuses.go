package fakegithub

import (
	"net/http"
	"slices"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v93/github"
)

const statusesDocsURL = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"

// maxStatusDescription is GitHub's limit; longer descriptions are rejected, not cut.
const maxStatusDescription = 140

// validStatusStates are the states GitHub accepts when creating a status.
var validStatusStates = []string{"pending", "success", "failure", "error"}

// createStatus handles POST /repos/{org}/{repo}/statuses/{sha}. The emulator has no commits,
// so any sha is accepted.
func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		State       string  `json:"state"`
		TargetURL   *string `json:"target_url"`
		Description *string `json:"description"`
		Context     *string `json:"context"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if !slices.Contains(validStatusStates, req.State) {
		writeValidationFailed(w, statusesDocsURL, fieldError{
			Resource: "Status", Field: "state", Code: "custom",
			Message: "state is not included in the list",
		})
		return
	}
	if req.Description != nil && utf8.RuneCountInString(*req.Description) > maxStatusDescription {
		writeValidationFailed(w, statusesDocsURL, fieldError{
			Resource: "Status", Field: "description", Code: "custom",
			Message: "description is too long (maximum is 140 characters)",
		})
		return
	}
	statusContext := "default" // what GitHub records when the client names no context
	if req.Context != nil && *req.Context != "" {
		statusContext = *req.Context
	}

	org, repo, sha := r.PathValue("org"), r.PathValue("repo"), r.PathValue("sha")
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	now := &gogithub.Timestamp{Time: s.now()}
	st := &gogithub.RepoStatus{
		ID:          gogithub.Ptr(id),
		NodeID:      gogithub.Ptr("SC_" + itoa64(id)),
		URL:         gogithub.Ptr(s.apiURL("repos/%s/%s/statuses/%s", org, repo, sha)),
		State:       gogithub.Ptr(req.State),
		TargetURL:   req.TargetURL,
		Description: req.Description,
		Context:     gogithub.Ptr(statusContext),
		AvatarURL:   gogithub.Ptr("https://avatars.githubusercontent.com/u/0?v=4"),
		Creator:     s.user(BotLogin),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	key := refKey{repo: repoKey(org, repo), sha: sha}
	s.statuses[key] = append(s.statuses[key], st)
	writeJSON(w, http.StatusCreated, st)
}

// listStatuses handles GET /repos/{org}/{repo}/commits/{ref}/statuses: every status, newest
// first, as GitHub lists them.
func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := slices.Clone(s.statuses[refKey{repo: repoKey(r.PathValue("org"), r.PathValue("repo")), sha: r.PathValue("ref")}])
	slices.Reverse(all)
	writeJSON(w, http.StatusOK, paginate(w, r, all))
}

// combinedStatus handles GET /repos/{org}/{repo}/commits/{ref}/status: the latest status per
// context and the state GitHub derives from them.
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request) {
	org, repo, ref := r.PathValue("org"), r.PathValue("repo"), r.PathValue("ref")
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := latestPerContext(s.statuses[refKey{repo: repoKey(org, repo), sha: ref}])
	writeJSON(w, http.StatusOK, &gogithub.CombinedStatus{
		State:         gogithub.Ptr(combinedState(latest)),
		SHA:           gogithub.Ptr(ref),
		TotalCount:    gogithub.Ptr(len(latest)),
		Statuses:      latest,
		CommitURL:     gogithub.Ptr(s.apiURL("repos/%s/%s/commits/%s", org, repo, ref)),
		RepositoryURL: gogithub.Ptr(s.apiURL("repos/%s/%s", org, repo)),
	})
}

// latestPerContext keeps the newest status of each context, in the order the contexts first
// appeared.
func latestPerContext(all []*gogithub.RepoStatus) []*gogithub.RepoStatus {
	index := map[string]int{}
	var latest []*gogithub.RepoStatus
	for _, st := range all {
		if i, ok := index[st.GetContext()]; ok {
			latest[i] = st
			continue
		}
		index[st.GetContext()] = len(latest)
		latest = append(latest, st)
	}
	return latest
}

// combinedState is GitHub's rule: failure if any context failed or errored, else pending if
// any is pending or there are none, else success.
func combinedState(latest []*gogithub.RepoStatus) string {
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	for _, st := range latest {
		switch st.GetState() {
		case "failure", "error":
			return "failure"
		case "pending":
			state = "pending"
		}
	}
	return state
}

// Statuses returns copies of the statuses created on sha of org/repo, oldest first.
func (s *Server) Statuses(org, repo, sha string) []gogithub.RepoStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gogithub.RepoStatus
	for _, st := range s.statuses[refKey{repo: repoKey(org, repo), sha: sha}] {
		out = append(out, *clone(st))
	}
	return out
}

// LatestStatus returns a copy of the newest status named statusContext on sha of org/repo, and
// whether there is one.
func (s *Server) LatestStatus(org, repo, sha, statusContext string) (gogithub.RepoStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.statuses[refKey{repo: repoKey(org, repo), sha: sha}]
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].GetContext() == statusContext {
			return *clone(all[i]), true
		}
	}
	return gogithub.RepoStatus{}, false
}
