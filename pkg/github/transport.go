package github

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// newTransport builds the round trippers under go-github on top of base. From the top:
//
//	go-github     sets "Authorization: Bearer <Token>" when a personal access token is used
//	app auth      sets "Authorization: token <installation token>" for a GitHub App on
//	              requests to the API's origin, fetching and refreshing that token
//	              through the layers below it
//	cache         makes GETs conditional and turns a 304 into the stored 200
//	retry         resends failed requests with backoff
//	counting      counts each HTTP exchange (only with a Registerer)
//	base          the caller's transport, or http.DefaultTransport
//
// Why this order:
//   - Authentication is above the cache because entries are kept per identity, which the
//     cache reads from the request's Authorization header (or, for an App, is told).
//   - The cache is above retry so one call makes one cache decision: the conditional request
//     is built once and retried as it is, and the cache sees only the final answer (a 304
//     after two 502s is one "revalidated", served once). Below retry, every attempt would
//     look the entry up again and count as an outcome of its own.
//   - Counting is at the bottom so every real exchange is counted: each retry, each 304
//     (free of rate limit, but still a request), each redirect hop and each token request.
//     Above retry it would count calls, not requests, and hide what retries cost.
func newTransport(base http.RoundTripper, opts Options, baseURL, basePath string) (http.RoundTripper, error) {
	rt := base
	if opts.Registerer != nil {
		counting, err := newCountingTransport(rt, opts.Registerer, basePath)
		if err != nil {
			return nil, err
		}
		rt = counting
	}
	rt = newRetryTransport(rt, opts.Retry)
	if !opts.DisableCache {
		cache := opts.Cache
		if cache == nil {
			cache = NewCache(CacheOptions{})
		}
		ct := &cacheTransport{next: rt, cache: cache}
		if opts.usesApp() {
			ct.identity = fmt.Sprintf("app %d installation %d", opts.AppID, opts.InstallationID)
		}
		if opts.Registerer != nil {
			outcomes, err := newCacheCounter(opts.Registerer)
			if err != nil {
				return nil, err
			}
			ct.outcomes = outcomes
		}
		rt = ct
	}
	if opts.usesApp() {
		itr, err := ghinstallation.New(rt, opts.AppID, opts.InstallationID, opts.AppPrivateKey)
		if err != nil {
			return nil, fmt.Errorf("failed to set up GitHub App %d installation %d auth: %w", opts.AppID, opts.InstallationID, err)
		}
		apiRoot := "https://api.github.com"
		if baseURL != "" {
			// ghinstallation wants the API root without the trailing slash; for GitHub
			// Enterprise that includes /api/v3.
			apiRoot = strings.TrimSuffix(baseURL, "/")
			itr.BaseURL = apiRoot
		}
		u, err := url.Parse(apiRoot)
		if err != nil {
			return nil, fmt.Errorf("failed to parse GitHub base URL %q: %w", apiRoot, err)
		}
		rt = &originAuth{auth: itr, plain: rt, scheme: u.Scheme, host: u.Host}
	}
	return rt, nil
}

// originAuth sends requests for the API's origin through auth and any other (a redirect to a
// download host, say) through plain, so the installation token never leaves for another
// host. go-github applies the same rule to a personal access token.
type originAuth struct {
	auth, plain  http.RoundTripper
	scheme, host string
}

// RoundTrip implements http.RoundTripper.
func (t *originAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.EqualFold(req.URL.Scheme, t.scheme) && strings.EqualFold(req.URL.Host, t.host) {
		return t.auth.RoundTrip(req)
	}
	return t.plain.RoundTrip(req)
}

// usesApp reports whether any GitHub App credential is set.
func (o Options) usesApp() bool {
	return o.AppID != 0 || o.InstallationID != 0 || len(o.AppPrivateKey) != 0
}

// validate checks that opts name at most one way to authenticate, and all of it.
func (o Options) validate() error {
	if o.Token != "" && o.usesApp() {
		return errors.New("GitHub options set both a token and GitHub App credentials; use one")
	}
	if o.usesApp() && (o.AppID <= 0 || o.InstallationID <= 0 || len(o.AppPrivateKey) == 0) {
		return fmt.Errorf("GitHub App auth needs AppID, InstallationID and AppPrivateKey, got app %d, installation %d and a %d-byte key",
			o.AppID, o.InstallationID, len(o.AppPrivateKey))
	}
	if err := o.Retry.validate(); err != nil {
		return err
	}
	return nil
}
