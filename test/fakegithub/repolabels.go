package fakegithub

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
)

// AddRepoLabels defines labels in org/repo without putting them on any issue, as a repository
// admin would. Defining a label twice keeps the first.
func (s *Server) AddRepoLabels(org, repo string, names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := repoKey(org, repo)
	for _, name := range names {
		if _, ok := s.repoLabels[rk][strings.ToLower(name)]; !ok {
			s.defineLabelLocked(org, repo, name, defaultLabelColor, "")
		}
	}
}

// defineLabelLocked creates label name in org/repo, replacing any of the same name, and
// returns it. Callers hold s.mu.
func (s *Server) defineLabelLocked(org, repo, name, color, description string) *gogithub.Label {
	rk := repoKey(org, repo)
	if s.repoLabels[rk] == nil {
		s.repoLabels[rk] = map[string]*gogithub.Label{}
	}
	id := s.newID()
	l := &gogithub.Label{
		ID:     id,
		NodeID: "LA_" + itoa64(id),
		URL:    s.apiURL("repos/%s/%s/labels/%s", org, repo, url.PathEscape(name)),
		Name:   name,
		Color:  color,
	}
	if description != "" {
		l.Description = gogithub.Ptr(description)
	}
	s.repoLabels[rk][strings.ToLower(name)] = l
	return l
}

const createLabelDocsURL = "https://docs.github.com/rest/issues/labels#create-a-label"

// createRepoLabel handles POST /repos/{org}/{repo}/labels: 201 with the new label, 422 when
// the name is missing, too long or taken (ignoring case, as GitHub compares label names).
func (s *Server) createRepoLabel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if !checkLabelNames(w, createLabelDocsURL, req.Name) {
		return
	}
	color := strings.TrimPrefix(req.Color, "#")
	if color == "" {
		color = defaultLabelColor
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repoLabels[repoKey(org, repo)][strings.ToLower(req.Name)]; ok {
		writeValidationFailed(w, createLabelDocsURL, fieldError{Resource: "Label", Field: "name", Code: "already_exists"})
		return
	}
	writeJSON(w, http.StatusCreated, clone(s.defineLabelLocked(org, repo, req.Name, color, req.Description)))
}

// repoLabelsLocked returns the labels of repository key rk sorted by name, case-insensitively,
// the order GitHub lists them in.
func (s *Server) repoLabelsLocked(rk string) []*gogithub.Label {
	lowers := make([]string, 0, len(s.repoLabels[rk]))
	for lower := range s.repoLabels[rk] {
		lowers = append(lowers, lower)
	}
	slices.Sort(lowers)
	out := make([]*gogithub.Label, 0, len(lowers))
	for _, lower := range lowers {
		out = append(out, clone(s.repoLabels[rk][lower]))
	}
	return out
}

// listRepoLabels handles GET /repos/{org}/{repo}/labels, paginated.
func (s *Server) listRepoLabels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, s.repoLabelsLocked(repoKey(r.PathValue("org"), r.PathValue("repo")))))
}

// RepoLabels returns the names of the labels defined in org/repo, sorted as GitHub lists
// them. Adding a label to an issue defines it, as on GitHub.
func (s *Server) RepoLabels(org, repo string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.repoLabelsLocked(repoKey(org, repo)) {
		out = append(out, l.GetName())
	}
	return out
}
