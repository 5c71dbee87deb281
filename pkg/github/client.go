// Package github is bosun's GitHub REST client: a thin layer over go-github that fixes the
// handful of calls bosun makes, wraps their errors with the object they were about, and counts
// every HTTP exchange for Prometheus. Under go-github it authenticates (a token or a GitHub
// App installation), revalidates GETs against an ETag cache so repeat reads spend no rate
// limit, and retries what GitHub failed to do (transport.go has the order). Consumers depend
// on the small interfaces in this package, not on *Client, so their tests can use a recording
// fake or the test/fakegithub emulator.
package github

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"
)

// defaultTimeout bounds a request when the caller brings no *http.Client. Callers are expected
// to pass deadlines through the context; this only stops a hung connection from pinning a
// reconciler worker forever when they forget.
const defaultTimeout = 30 * time.Second

// userAgent identifies bosun in GitHub's audit logs and in the emulator's recorded calls.
const userAgent = "bosun"

// Options configure a Client.
type Options struct {
	// BaseURL is the REST base URL, for example the emulator's "http://127.0.0.1:1234/" or a
	// GitHub Enterprise "https://ghe.example.com/api/v3/". Empty means https://api.github.com/.
	// A missing trailing slash is added, since go-github resolves paths relative to it.
	BaseURL string
	// Token is a personal access token or installation token. Set at most one of Token and
	// the GitHub App fields; with neither, requests are unauthenticated.
	Token string
	// AppID, AppPrivateKey (PEM) and InstallationID authenticate as an installation of a
	// GitHub App: the client fetches an installation token from BaseURL and renews it before
	// it expires. Set all three or none.
	AppID          int64
	AppPrivateKey  []byte
	InstallationID int64
	// HTTPClient is copied, never modified; its Transport (or http.DefaultTransport) carries
	// the requests. Nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// Registerer receives bosun_github_requests_total and bosun_github_cache_total. Nil means
	// requests are not counted.
	Registerer prometheus.Registerer
	// Retry configures retries of failed requests; the zero value means the defaults.
	Retry RetryOptions
	// Cache keeps ETag'd GET responses. Nil means a private cache with the default bounds;
	// share one to bound the memory of several clients together.
	Cache *Cache
	// DisableCache sends every GET unconditionally, for measuring what the cache saves.
	DisableCache bool
}

// Client makes the GitHub REST calls bosun needs. It is safe for concurrent use.
type Client struct {
	gh *gogithub.Client
}

// Interface is everything Client does. Prefer the narrow interfaces below in consumers.
type Interface interface {
	StatusCreator
	StatusLister
	PullRequestGetter
	PullRequestLister
	PullRequestFilesLister
	PullRequestFileChangesLister
	TrustChecker
	TeamMembershipChecker
	Commenter
	Labeler
	IssueLabelGetter
	RepoLabelLister
	Assigner
	ReviewRequester
	FileGetter
	TreeReader
	IssueStateSetter
}

var _ Interface = (*Client)(nil)

// NewClient builds a Client from opts.
func NewClient(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}

	basePath, baseURL := "/", ""
	ghOpts := []gogithub.ClientOptionsFunc{
		gogithub.WithHTTPClient(hc),
		gogithub.WithUserAgent(userAgent),
	}
	if opts.BaseURL != "" {
		base := opts.BaseURL
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		u, err := url.Parse(base)
		if err != nil {
			return nil, fmt.Errorf("failed to parse GitHub base URL %q: %w", opts.BaseURL, err)
		}
		basePath, baseURL = u.EscapedPath(), base
		ghOpts = append(ghOpts, gogithub.WithURLs(&base, nil))
	}
	transport, err := newTransport(transport, opts, baseURL, basePath)
	if err != nil {
		return nil, err
	}
	// WithTransport replaces the transport of the copy WithHTTPClient made, so the caller's
	// client keeps its own. go-github puts its token-adding wrapper on top of this one, which
	// means redirects it follows are counted, cached and retried too.
	ghOpts = append(ghOpts, gogithub.WithTransport(transport))
	if opts.Token != "" {
		ghOpts = append(ghOpts, gogithub.WithAuthToken(opts.Token))
	}

	gh, err := gogithub.NewClient(ghOpts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create GitHub client: %w", err)
	}
	return &Client{gh: gh}, nil
}
