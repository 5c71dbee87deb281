package fakegithub

import (
	"net/http"
	"strings"
)

const membersDocsURL = "https://docs.github.com/rest/orgs/members#check-organization-membership-for-a-user"

// AddOrgMember makes user a member of org. The emulator answers membership checks as it would
// for a requester who is itself a member, so private members count (GitHub's 302 to the public
// list is not modelled).
func (s *Server) AddOrgMember(org, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addToSet(s.members, strings.ToLower(org), user)
}

// AddCollaborator makes user a collaborator on org/repo.
func (s *Server) AddCollaborator(org, repo, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addToSet(s.collaborators, repoKey(org, repo), user)
}

func addToSet(sets map[string]map[string]bool, key, user string) {
	if sets[key] == nil {
		sets[key] = map[string]bool{}
	}
	sets[key][strings.ToLower(user)] = true
}

// checkMember handles GET /orgs/{org}/members/{user}: 204 for a member, 404 otherwise.
func (s *Server) checkMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.members[strings.ToLower(r.PathValue("org"))][strings.ToLower(r.PathValue("user"))] {
		writeError(w, http.StatusNotFound, "User does not exist or is not a member of the organization", membersDocsURL)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkCollaborator handles GET /repos/{org}/{repo}/collaborators/{user}: 204 for a
// collaborator, 404 otherwise.
func (s *Server) checkCollaborator(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.collaborators[repoKey(r.PathValue("org"), r.PathValue("repo"))][strings.ToLower(r.PathValue("user"))] {
		writeNotFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
