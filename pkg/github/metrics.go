package github

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// requestsMetric is the name of the request counter; its labels are method, endpoint and
// status (the HTTP code, or "error" when no response came back).
const requestsMetric = "bosun_github_requests_total"

// cacheMetric is the name of the conditional-request cache counter; its one label, result,
// is "miss", "revalidated" or "changed" (see cache.go).
const cacheMetric = "bosun_github_cache_total"

// otherEndpoint labels requests to paths outside endpointTemplates. Anything finer would let
// a caller's typo or a new call site grow the series count without bound.
const otherEndpoint = "other"

// endpointTemplates are the REST paths bosun calls, with the parts that vary per object
// written as ":name" (one non-empty segment) and, last in a template only, "*name" (the rest
// of the path: one or more segments, for file paths that contain slashes). A request path is
// counted under the first template it fits, so the label's cardinality is bounded by this
// list whatever the orgs, repos, shas and file paths.
var endpointTemplates = compileTemplates(
	"/repos/:org/:repo/statuses/:sha",
	"/repos/:org/:repo/commits/:ref/statuses",
	"/repos/:org/:repo/commits/:ref/status",
	"/repos/:org/:repo/pulls",
	"/repos/:org/:repo/pulls/:number",
	"/repos/:org/:repo/pulls/:number/files",
	"/repos/:org/:repo/pulls/:number/requested_reviewers",
	"/repos/:org/:repo/issues/comments/:id",
	"/repos/:org/:repo/issues/:number",
	"/repos/:org/:repo/issues/:number/comments",
	"/repos/:org/:repo/issues/:number/labels",
	"/repos/:org/:repo/issues/:number/labels/:label",
	"/repos/:org/:repo/issues/:number/assignees",
	"/repos/:org/:repo/labels",
	"/repos/:org/:repo/contents/*path",
	"/repos/:org/:repo/collaborators/:user",
	"/orgs/:org/members/:user",
	"/orgs/:org/public_members/:user",
	"/orgs/:org/teams/:team/memberships/:user",
	"/app/installations/:id/access_tokens",
)

type endpointTemplate struct {
	name     string
	segments []string
}

func compileTemplates(names ...string) []endpointTemplate {
	ts := make([]endpointTemplate, 0, len(names))
	for _, n := range names {
		if i := strings.Index(n, "*"); i >= 0 && strings.Contains(n[i:], "/") {
			panic("github: endpoint template " + n + " has a wildcard before its last segment")
		}
		ts = append(ts, endpointTemplate{name: n, segments: strings.Split(strings.TrimPrefix(n, "/"), "/")})
	}
	return ts
}

// matches reports whether the request path segments fit t: literals equal, placeholders
// non-empty, and a trailing wildcard taking the remaining segments, of which the first must
// be non-empty.
func (t endpointTemplate) matches(segments []string) bool {
	last := len(t.segments) - 1
	wildcard := strings.HasPrefix(t.segments[last], "*")
	if len(segments) != len(t.segments) && !(wildcard && len(segments) > len(t.segments)) {
		return false
	}
	for i, want := range t.segments {
		got := segments[i]
		if strings.HasPrefix(want, ":") || strings.HasPrefix(want, "*") {
			if got == "" {
				return false
			}
		} else if got != want {
			return false
		}
	}
	return true
}

// endpointFor returns the template for escapedPath, a request path as sent (so an escaped "/"
// inside a label name stays inside its segment), after removing basePath, the path of the
// client's base URL ("/" for api.github.com, "/api/v3/" for GitHub Enterprise).
func endpointFor(basePath, escapedPath string) string {
	rel := strings.TrimPrefix(escapedPath, strings.TrimSuffix(basePath, "/"))
	segments := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	for _, t := range endpointTemplates {
		if t.matches(segments) {
			return t.name
		}
	}
	return otherEndpoint
}

// countingTransport counts every HTTP exchange that passes through it: each hop of a followed
// redirect, each retry, each 304 revalidation and each installation token request. It sits
// at the bottom of the stack (see newTransport) so the count is what GitHub saw.
type countingTransport struct {
	next     http.RoundTripper
	basePath string
	requests *prometheus.CounterVec
}

func newCountingTransport(next http.RoundTripper, reg prometheus.Registerer, basePath string) (*countingTransport, error) {
	requests, err := registerCounterVec(reg, prometheus.CounterOpts{
		Name: requestsMetric,
		Help: "HTTP requests bosun made to the GitHub REST API, by method, endpoint template and response status.",
	}, "method", "endpoint", "status")
	if err != nil {
		return nil, err
	}
	return &countingTransport{next: next, basePath: basePath, requests: requests}, nil
}

// newCacheCounter registers the counter of cache outcomes.
func newCacheCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	return registerCounterVec(reg, prometheus.CounterOpts{
		Name: cacheMetric,
		Help: "GitHub GET requests by what the conditional-request cache made of them: miss (nothing stored), revalidated (304, served from the cache without spending rate limit) or changed.",
	}, "result")
}

// registerCounterVec registers a counter on reg. Several clients (one per token or per GitHub
// host) may share one registry; they then share the counter rather than fail.
func registerCounterVec(reg prometheus.Registerer, opts prometheus.CounterOpts, labels ...string) (*prometheus.CounterVec, error) {
	counter := prometheus.NewCounterVec(opts, labels)
	if err := reg.Register(counter); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, fmt.Errorf("failed to register %s: %w", opts.Name, err)
		}
		existing, ok := already.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, fmt.Errorf("failed to register %s: a different collector has that name", opts.Name)
		}
		counter = existing
	}
	return counter, nil
}

// RoundTrip implements http.RoundTripper.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	t.requests.WithLabelValues(req.Method, endpointFor(t.basePath, req.URL.EscapedPath()), status).Inc()
	return resp, err
}
