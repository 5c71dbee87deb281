package fakegithub

import (
	"net/http"
	"net/url"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

const teamsDocsURL = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"

// Team membership states GitHub reports.
const (
	teamStateActive  = "active"
	teamStatePending = "pending"
)

// teamKey indexes team memberships: lower-cased org and team slug.
type teamKey struct {
	org, team string
}

// AddTeamMember makes user an active member of the team of org with slug team, creating the
// team on first use. Membership does not make user an org member; call AddOrgMember too when
// a test needs both.
func (s *Server) AddTeamMember(org, team, user string) {
	s.setTeamMembership(org, team, user, teamStateActive)
}

// InviteTeamMember makes user a pending member of the team: invited, not yet accepted, which
// GitHub reports as state "pending".
func (s *Server) InviteTeamMember(org, team, user string) {
	s.setTeamMembership(org, team, user, teamStatePending)
}

func (s *Server) setTeamMembership(org, team, user, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := teamKey{org: strings.ToLower(org), team: strings.ToLower(team)}
	if s.teams[key] == nil {
		s.teams[key] = map[string]string{}
	}
	s.teams[key][strings.ToLower(user)] = state
}

// teamMembership handles GET /orgs/{org}/teams/{team}/memberships/{user}: 200 with the
// membership's state for members and invitees, 404 for anyone else and for unknown teams.
func (s *Server) teamMembership(w http.ResponseWriter, r *http.Request) {
	org, team, user := r.PathValue("org"), r.PathValue("team"), r.PathValue("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	state, ok := s.teams[teamKey{org: strings.ToLower(org), team: strings.ToLower(team)}][strings.ToLower(user)]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", teamsDocsURL)
		return
	}
	writeJSON(w, http.StatusOK, &gogithub.Membership{
		URL:   gogithub.Ptr(s.apiURL("orgs/%s/teams/%s/memberships/%s", url.PathEscape(org), url.PathEscape(team), url.PathEscape(user))),
		Role:  gogithub.Ptr("member"),
		State: gogithub.Ptr(state),
	})
}
