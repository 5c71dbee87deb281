// Package fakegithub is an in-process emulator of the GitHub REST endpoints bosun calls. It
// listens on 127.0.0.1 and speaks real HTTP, so a test exercises bosun's actual client (URL
// building, JSON, pagination, error mapping, metrics) rather than a Go interface fake. It
// answers with go-github's own types so the JSON has GitHub's shape, and it records every call
// so tests can count what an event cost against the 5,000/h budget.
package fakegithub

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	gogithub "github.com/google/go-github/v93/github"
)

// BotLogin is the login of the user the emulator treats as authenticated: statuses and
// comments created through it carry this user as creator.
const BotLogin = "bosun-bot"

// Server is a running emulator. All methods are safe for concurrent use, including while the
// code under test is calling it.
type Server struct {
	srv *httptest.Server

	// mu guards everything below; handlers hold it for the whole request so each call sees
	// and leaves a consistent state, as GitHub's per-request transactions do.
	mu            sync.Mutex
	now           func() time.Time
	nextID        int64
	calls         []Call
	pulls         map[issueKey]*gogithub.PullRequest
	files         map[issueKey][]*gogithub.CommitFile
	statuses      map[refKey][]*gogithub.RepoStatus
	comments      map[issueKey][]*gogithub.IssueComment
	labels        map[issueKey][]string
	repoLabels    map[string]map[string]*gogithub.Label // repo key -> lower-cased name -> label
	members       map[string]map[string]bool            // lower-cased org -> lower-cased login
	collaborators map[string]map[string]bool            // repo key -> lower-cased login
	teams         map[teamKey]map[string]string         // team -> lower-cased login -> membership state
	issues        map[issueKey]*gogithub.Issue          // plain issues (pull requests are in pulls); made on first use
	contents      map[contentKey][]byte                 // repository files by ref; made on first use
	trees         map[string]treeKey                    // tree ids listed so far (git.go); made on first use

	// edge is the state of what stands before the endpoints (edge.go); it has its own lock.
	edge edgeState
}

// repoKey, issueKey and refKey index state. GitHub matches owner and repository names
// case-insensitively, so keys are lower-cased; SHAs are compared as given, as GitHub does for
// the full 40-hex form.
func repoKey(org, repo string) string { return strings.ToLower(org) + "/" + strings.ToLower(repo) }

type issueKey struct {
	repo   string
	number int
}

type refKey struct {
	repo string
	sha  string
}

func newIssueKey(org, repo string, number int) issueKey {
	return issueKey{repo: repoKey(org, repo), number: number}
}

// New starts an emulator on a free 127.0.0.1 port. Call Close when done.
func New() *Server {
	s := &Server{
		now:           func() time.Time { return time.Now().UTC().Truncate(time.Second) },
		pulls:         map[issueKey]*gogithub.PullRequest{},
		files:         map[issueKey][]*gogithub.CommitFile{},
		statuses:      map[refKey][]*gogithub.RepoStatus{},
		comments:      map[issueKey][]*gogithub.IssueComment{},
		labels:        map[issueKey][]string{},
		repoLabels:    map[string]map[string]*gogithub.Label{},
		members:       map[string]map[string]bool{},
		collaborators: map[string]map[string]bool{},
		teams:         map[teamKey]map[string]string{},
	}
	s.srv = httptest.NewServer(s.handler())
	return s
}

// URL is the REST base URL with the trailing slash go-github requires, e.g.
// "http://127.0.0.1:41234/".
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close shuts the server down and waits for in-flight requests.
func (s *Server) Close() { s.srv.Close() }

// handler is the chain every request passes through, outermost first:
//
//	record                    logs every call as the client saw it, injected answers included
//	injectFaults              InjectFailures answers here: no endpoint runs, no rate limit is spent
//	checkInstallationTokens   401 for installation tokens never issued or expired
//	meterRateLimit            SetRateLimit's budget and X-RateLimit-* headers; a 304 is refunded
//	conditional               ETag/Last-Modified on GET answers; 304 when the client has the body
//	routes                    the endpoints, which know nothing of the layers above
//
// conditional sits under the meter so the meter sees the final code (304 or not), and the
// meter under the credential check so budgets exist only for credentials the emulator accepts.
func (s *Server) handler() http.Handler {
	return s.record(s.injectFaults(s.checkInstallationTokens(s.meterRateLimit(conditional(s.routes())))))
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("POST /repos/{org}/{repo}/statuses/{sha}", s.createStatus)
	mux.HandleFunc("GET /repos/{org}/{repo}/commits/{ref}/statuses", s.listStatuses)
	mux.HandleFunc("GET /repos/{org}/{repo}/commits/{ref}/status", s.combinedStatus)

	mux.HandleFunc("GET /repos/{org}/{repo}/pulls", s.listPullRequests)
	mux.HandleFunc("GET /repos/{org}/{repo}/pulls/{number}", s.getPullRequest)
	mux.HandleFunc("GET /repos/{org}/{repo}/pulls/{number}/files", s.listPullRequestFiles)

	mux.HandleFunc("GET /repos/{org}/{repo}/issues/{number}/comments", s.listComments)
	mux.HandleFunc("POST /repos/{org}/{repo}/issues/{number}/comments", s.createComment)
	mux.HandleFunc("PATCH /repos/{org}/{repo}/issues/comments/{id}", s.editComment)
	mux.HandleFunc("DELETE /repos/{org}/{repo}/issues/comments/{id}", s.deleteComment)

	mux.HandleFunc("GET /repos/{org}/{repo}/issues/{number}/labels", s.listLabels)
	mux.HandleFunc("POST /repos/{org}/{repo}/issues/{number}/labels", s.addLabels)
	mux.HandleFunc("DELETE /repos/{org}/{repo}/issues/{number}/labels/{name}", s.removeLabel)

	mux.HandleFunc("GET /orgs/{org}/members/{user}", s.checkMember)
	mux.HandleFunc("GET /repos/{org}/{repo}/collaborators/{user}", s.checkCollaborator)
	mux.HandleFunc("GET /orgs/{org}/teams/{team}/memberships/{user}", s.teamMembership)

	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.createInstallationToken)

	mux.HandleFunc("PATCH /repos/{org}/{repo}/issues/{number}", s.editIssue)
	mux.HandleFunc("POST /repos/{org}/{repo}/issues/{number}/assignees", s.addAssignees)
	mux.HandleFunc("DELETE /repos/{org}/{repo}/issues/{number}/{collection}", s.deleteFromIssue)
	mux.HandleFunc("POST /repos/{org}/{repo}/pulls/{number}/requested_reviewers", s.requestReviewers)
	mux.HandleFunc("DELETE /repos/{org}/{repo}/pulls/{number}/requested_reviewers", s.removeReviewers)
	mux.HandleFunc("GET /repos/{org}/{repo}/labels", s.listRepoLabels)
	mux.HandleFunc("POST /repos/{org}/{repo}/labels", s.createRepoLabel)
	mux.HandleFunc("GET /repos/{org}/{repo}/contents/{path...}", s.getContents)
	mux.HandleFunc("GET /repos/{org}/{repo}/git/trees/{sha}", s.getTree)
	mux.HandleFunc("GET /repos/{org}/{repo}/git/blobs/{sha}", s.getBlob)

	// Everything else, including a known path with another method, is what GitHub answers
	// for an unknown route; registering "/" also stops ServeMux from answering 405 in plain text.
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeNotFound(w) })
	return mux
}

// newID returns the next object id; ids are unique across object kinds, as on GitHub. Callers
// hold s.mu.
func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// apiURL is an absolute REST URL on this server for the path built from format and args.
func (s *Server) apiURL(format string, args ...any) string {
	return s.srv.URL + "/" + fmt.Sprintf(format, args...)
}

// user is the JSON shape GitHub embeds for an account. The id is derived from the login so
// the same user always has the same id, as on GitHub.
func (s *Server) user(login string) *gogithub.User {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(login)))
	return &gogithub.User{
		Login:     gogithub.Ptr(login),
		ID:        gogithub.Ptr(int64(h.Sum32())),
		NodeID:    gogithub.Ptr("U_" + login),
		Type:      gogithub.Ptr("User"),
		URL:       gogithub.Ptr(s.apiURL("users/%s", login)),
		HTMLURL:   gogithub.Ptr("https://github.com/" + login),
		AvatarURL: gogithub.Ptr("https://avatars.githubusercontent.com/u/0?v=4"),
		SiteAdmin: gogithub.Ptr(false),
	}
}
