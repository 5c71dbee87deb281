package github_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// fastRetry keeps retries in tests free of real waiting.
var fastRetry = github.RetryOptions{BaseDelay: time.Microsecond, MaxDelay: time.Microsecond}

// clientFor builds a client on s with opts, filling in the base URL and fast retries.
func clientFor(t *testing.T, s *fakegithub.Server, opts github.Options) *github.Client {
	t.Helper()
	opts.BaseURL = s.URL()
	if opts.Retry == (github.RetryOptions{}) {
		opts.Retry = fastRetry
	}
	c, err := github.NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	return c
}

func newEmulator(t *testing.T) *fakegithub.Server {
	t.Helper()
	s := fakegithub.New()
	t.Cleanup(s.Close)
	s.AddPullRequest(org, repo, &gogithub.PullRequest{
		Number: gogithub.Ptr(42),
		Head:   &gogithub.PullRequestBranch{SHA: gogithub.Ptr(sha)},
		Labels: []*gogithub.Label{{Name: "lgtm"}},
	})
	return s
}

// statuses returns the answer codes the emulator recorded, oldest first.
func statuses(s *fakegithub.Server) []int {
	var out []int
	for _, c := range s.Calls() {
		out = append(out, c.Status)
	}
	return out
}

func TestRetriesAgainstEmulator(t *testing.T) {
	getPR := func(c *github.Client) error {
		_, err := c.GetPullRequest(testContext(t), org, repo, 42)
		return err
	}
	comment := func(c *github.Client) error { return c.CreateComment(testContext(t), org, repo, 42, "/retest") }
	unlabel := func(c *github.Client) error { return c.RemoveLabel(testContext(t), org, repo, 42, "lgtm") }

	tests := []struct {
		name         string
		call         func(*github.Client) error
		method, path string
		status       int
		count        int
		retry        github.RetryOptions
		wantStatuses []int
		wantErr      bool
		wantComments int
	}{{
		name: "GET recovers after two 502s", call: getPR,
		method: "GET", path: "/repos/acme/widgets/pulls/42", status: 502, count: 2,
		wantStatuses: []int{502, 502, 200},
	}, {
		name: "GET stops at the fourth attempt", call: getPR,
		method: "GET", path: "/repos/", status: 500, count: 10,
		wantStatuses: []int{500, 500, 500, 500}, wantErr: true,
	}, {
		name: "GET stops at MaxAttempts", call: getPR,
		method: "GET", path: "/repos/", status: 503, count: 10,
		retry:        github.RetryOptions{MaxAttempts: 2, BaseDelay: time.Microsecond},
		wantStatuses: []int{503, 503}, wantErr: true,
	}, {
		name: "GET retried past a secondary rate limit", call: getPR,
		method: "GET", path: "/repos/", status: 403, count: 1,
		wantStatuses: []int{403, 200},
	}, {
		name: "POST 500 is not retried", call: comment,
		method: "POST", path: "/repos/acme/widgets/issues/42/comments", status: 500, count: 1,
		wantStatuses: []int{500}, wantErr: true,
	}, {
		name: "POST 502 is retried once, posting once", call: comment,
		method: "POST", path: "/repos/acme/widgets/issues/42/comments", status: 502, count: 1,
		wantStatuses: []int{502, 201}, wantComments: 1,
	}, {
		name: "POST 503 is retried", call: comment,
		method: "POST", path: "/repos/", status: 503, count: 1,
		wantStatuses: []int{503, 201}, wantComments: 1,
	}, {
		name: "POST 504 is retried", call: comment,
		method: "POST", path: "/repos/", status: 504, count: 1,
		wantStatuses: []int{504, 201}, wantComments: 1,
	}, {
		name: "POST retried past a secondary rate limit", call: comment,
		method: "POST", path: "/repos/", status: 429, count: 1,
		wantStatuses: []int{429, 201}, wantComments: 1,
	}, {
		name: "DELETE 500 is retried", call: unlabel,
		method: "DELETE", path: "/repos/", status: 500, count: 1,
		wantStatuses: []int{500, 200},
	}, {
		name: "a fault for another method is not met", call: getPR,
		method: "POST", path: "/repos/", status: 500, count: 1,
		wantStatuses: []int{200},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newEmulator(t)
			c := clientFor(t, s, github.Options{Token: "ghp_test", Retry: tc.retry})
			s.InjectFailures(tc.method, tc.path, tc.status, tc.count)

			err := tc.call(c)
			if (err != nil) != tc.wantErr {
				t.Errorf("call error = %v, want error %v", err, tc.wantErr)
			}
			if got := statuses(s); !reflect.DeepEqual(got, tc.wantStatuses) {
				t.Errorf("emulator answered %v, want %v", got, tc.wantStatuses)
			}
			if n := len(s.Comments(org, repo, 42)); n != tc.wantComments {
				t.Errorf("%d comments posted, want %d", n, tc.wantComments)
			}
		})
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	s := newEmulator(t)
	s.SetRateLimit(1)
	first := clientFor(t, s, github.Options{Token: "ghp_test"})
	if _, err := first.GetPullRequest(testContext(t), org, repo, 42); err != nil {
		t.Fatalf("GetPullRequest() within the limit: %v", err)
	}

	// A second client has not seen the exhausted budget, so it asks and is refused; with
	// four attempts allowed it must still ask only once.
	second := clientFor(t, s, github.Options{Token: "ghp_test"})
	s.Reset()
	start := time.Now()
	_, err := second.GetPullRequest(testContext(t), org, repo, 7)
	reset, ok := github.RateLimitReset(err)
	if !ok {
		t.Fatalf("error = %v, want a primary rate limit error", err)
	}
	if reset.Before(start.Add(-time.Second)) || reset.After(start.Add(time.Hour+time.Second)) {
		t.Errorf("reset = %v, want within the hour after %v", reset, start)
	}
	if !strings.Contains(err.Error(), "acme/widgets#7") || !strings.Contains(err.Error(), "rate reset in") {
		t.Errorf("error %q does not say what failed and when the limit resets", err)
	}
	if got := statuses(s); !reflect.DeepEqual(got, []int{403}) {
		t.Errorf("emulator answered %v, want one 403", got)
	}

	// go-github now knows the budget is gone and does not ask again before the reset.
	if _, err := second.GetPullRequest(testContext(t), org, repo, 42); err == nil {
		t.Error("GetPullRequest() after the refusal succeeded")
	}
	if n := s.CallCount(); n != 1 {
		t.Errorf("emulator saw %d calls, want 1", n)
	}
}

func TestConditionalRequests(t *testing.T) {
	t.Run("second GET is a free 304 with the same object", func(t *testing.T) {
		s := newEmulator(t)
		s.SetRateLimit(2)
		c := clientFor(t, s, github.Options{Token: "ghp_test"})
		var got []*gogithub.PullRequest
		for range 4 {
			pr, err := c.GetPullRequest(testContext(t), org, repo, 42)
			if err != nil {
				t.Fatalf("GetPullRequest() error = %v", err)
			}
			got = append(got, pr)
		}
		for i := 1; i < len(got); i++ {
			if !reflect.DeepEqual(got[i], got[0]) {
				t.Errorf("GET %d returned %+v, want %+v", i+1, got[i], got[0])
			}
		}
		// The limit is 2: three 304s spent none of it, so another pull request still fits.
		s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(43)})
		if _, err := c.GetPullRequest(testContext(t), org, repo, 43); err != nil {
			t.Errorf("GetPullRequest(43) after the 304s: %v", err)
		}
		if got, want := statuses(s), []int{200, 304, 304, 304, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})

	t.Run("a change is seen at once", func(t *testing.T) {
		s := newEmulator(t)
		c := clientFor(t, s, github.Options{Token: "ghp_test"})
		if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
			t.Fatal(err)
		}
		const newSHA = "0123456789abcdef0123456789abcdef01234567"
		s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(42), Head: &gogithub.PullRequestBranch{SHA: gogithub.Ptr(newSHA)}})
		pr, err := c.GetPullRequest(testContext(t), org, repo, 42)
		if err != nil || pr.GetHead().GetSHA() != newSHA {
			t.Errorf("GetPullRequest() = head %q, %v; want %q", pr.GetHead().GetSHA(), err, newSHA)
		}
		if got, want := statuses(s), []int{200, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})

	t.Run("every page of a list is revalidated", func(t *testing.T) {
		s := newEmulator(t)
		var files []string
		for i := range 250 {
			files = append(files, fmt.Sprintf("pkg/f%03d.go", i))
		}
		s.SetPullRequestFiles(org, repo, 42, files...)
		c := clientFor(t, s, github.Options{Token: "ghp_test"})
		for range 2 {
			got, err := c.GetPullRequestFiles(testContext(t), org, repo, 42)
			if err != nil || !reflect.DeepEqual(got, files) {
				t.Fatalf("GetPullRequestFiles() = %d files, %v; want %d", len(got), err, len(files))
			}
		}
		if got, want := statuses(s), []int{200, 200, 200, 304, 304, 304}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})

	t.Run("different tokens do not share entries", func(t *testing.T) {
		s := newEmulator(t)
		shared := github.NewCache(github.CacheOptions{})
		alice := clientFor(t, s, github.Options{Token: "ghp_alice", Cache: shared})
		bob := clientFor(t, s, github.Options{Token: "ghp_bob", Cache: shared})
		for _, c := range []*github.Client{alice, bob, alice, bob} {
			if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, call := range s.Calls() {
			got = append(got, fmt.Sprintf("%s %d", call.Authorization, call.Status))
		}
		want := []string{"Bearer ghp_alice 200", "Bearer ghp_bob 200", "Bearer ghp_alice 304", "Bearer ghp_bob 304"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("emulator saw %q, want %q", got, want)
		}
		if n := shared.Len(); n != 2 {
			t.Errorf("shared cache holds %d entries, want 2", n)
		}
	})

	t.Run("the cache is bounded", func(t *testing.T) {
		s := newEmulator(t)
		for n := 1; n <= 3; n++ {
			s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(n)})
		}
		cache := github.NewCache(github.CacheOptions{MaxEntries: 2})
		c := clientFor(t, s, github.Options{Token: "ghp_test", Cache: cache})
		for _, n := range []int{1, 2, 3, 3, 1} {
			if _, err := c.GetPullRequest(testContext(t), org, repo, n); err != nil {
				t.Fatal(err)
			}
		}
		// 1 was evicted by 3, so its second GET is unconditional again.
		if got, want := statuses(s), []int{200, 200, 200, 304, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
		if n := cache.Len(); n != 2 {
			t.Errorf("cache holds %d entries, want 2", n)
		}
	})

	t.Run("DisableCache sends every GET whole", func(t *testing.T) {
		s := newEmulator(t)
		c := clientFor(t, s, github.Options{Token: "ghp_test", DisableCache: true})
		for range 2 {
			if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := statuses(s), []int{200, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})

	t.Run("a retried revalidation is still conditional", func(t *testing.T) {
		s := newEmulator(t)
		c := clientFor(t, s, github.Options{Token: "ghp_test"})
		first, err := c.GetPullRequest(testContext(t), org, repo, 42)
		if err != nil {
			t.Fatal(err)
		}
		s.InjectFailures("GET", "/repos/acme/widgets/pulls/42", 502, 1)
		second, err := c.GetPullRequest(testContext(t), org, repo, 42)
		if err != nil || !reflect.DeepEqual(second, first) {
			t.Errorf("GetPullRequest() = %+v, %v; want %+v", second, err, first)
		}
		if got, want := statuses(s), []int{200, 502, 304}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})
}

// appKey returns a new RSA key and its PKCS#1 PEM encoding, as GitHub hands them out.
func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func TestAppAuth(t *testing.T) {
	const appID, installationID = 1234, 5678
	key, keyPEM := appKey(t)
	otherKey, _ := appKey(t)

	t.Run("installation token end to end", func(t *testing.T) {
		s := newEmulator(t)
		s.AddAppInstallation(appID, installationID, &key.PublicKey)
		reg := prometheus.NewRegistry()
		c := clientFor(t, s, github.Options{AppID: appID, AppPrivateKey: keyPEM, InstallationID: installationID, Registerer: reg})

		for range 2 {
			if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
				t.Fatalf("GetPullRequest() error = %v", err)
			}
		}
		if err := c.CreateComment(testContext(t), org, repo, 42, "/lgtm"); err != nil {
			t.Fatalf("CreateComment() error = %v", err)
		}

		tokens := s.InstallationTokens(installationID)
		if len(tokens) != 1 {
			t.Fatalf("emulator issued %d tokens, want 1", len(tokens))
		}
		calls := s.Calls()
		var got []string
		for _, call := range calls {
			got = append(got, fmt.Sprintf("%s %s %d", call.Method, call.Path, call.Status))
		}
		want := []string{
			"POST /app/installations/5678/access_tokens 201",
			"GET /repos/acme/widgets/pulls/42 200",
			"GET /repos/acme/widgets/pulls/42 304",
			"POST /repos/acme/widgets/issues/42/comments 201",
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("emulator saw %q, want %q", got, want)
		}
		if !strings.HasPrefix(calls[0].Authorization, "Bearer ey") {
			t.Errorf("token request authorised with %q, want the app's JWT", calls[0].Authorization)
		}
		for _, call := range calls[1:] {
			if call.Authorization != "token "+tokens[0] {
				t.Errorf("%s %s authorised with %q, want the installation token", call.Method, call.Path, call.Authorization)
			}
		}
		if n := requestCounts(t, reg)["POST /app/installations/:id/access_tokens 201"]; n != 1 {
			t.Errorf("token requests counted %v, want 1", n)
		}
	})

	t.Run("renewed tokens keep the cache", func(t *testing.T) {
		s := newEmulator(t)
		s.AddAppInstallation(appID, installationID, &key.PublicKey)
		// Under a minute: the client renews before every request.
		s.SetInstallationTokenLifetime(30 * time.Second)
		c := clientFor(t, s, github.Options{AppID: appID, AppPrivateKey: keyPEM, InstallationID: installationID})
		for range 2 {
			if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
				t.Fatal(err)
			}
		}
		tokens := s.InstallationTokens(installationID)
		if len(tokens) != 2 {
			t.Fatalf("emulator issued %d tokens, want 2", len(tokens))
		}
		calls := s.Calls()
		if got, want := statuses(s), []int{201, 200, 201, 304}; !reflect.DeepEqual(got, want) {
			t.Fatalf("emulator answered %v, want %v", got, want)
		}
		if calls[1].Authorization != "token "+tokens[0] || calls[3].Authorization != "token "+tokens[1] {
			t.Errorf("GETs authorised with %q and %q, want each new token", calls[1].Authorization, calls[3].Authorization)
		}
	})

	t.Run("token request retried on 503", func(t *testing.T) {
		s := newEmulator(t)
		s.AddAppInstallation(appID, installationID, &key.PublicKey)
		s.InjectFailures("POST", "/app/", 503, 1)
		c := clientFor(t, s, github.Options{AppID: appID, AppPrivateKey: keyPEM, InstallationID: installationID})
		if _, err := c.GetPullRequest(testContext(t), org, repo, 42); err != nil {
			t.Fatal(err)
		}
		if got, want := statuses(s), []int{503, 201, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("emulator answered %v, want %v", got, want)
		}
	})

	refused := []struct {
		name       string
		registerID int64
		registerAs *rsa.PublicKey
		installID  int64
		wantStatus int
	}{
		{name: "key of another app", registerID: appID, registerAs: &otherKey.PublicKey, installID: installationID, wantStatus: 401},
		{name: "other app id", registerID: appID + 1, registerAs: &key.PublicKey, installID: installationID, wantStatus: 401},
		{name: "unknown installation", registerID: appID, registerAs: &key.PublicKey, installID: installationID + 1, wantStatus: 404},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			s := newEmulator(t)
			s.AddAppInstallation(tc.registerID, installationID, tc.registerAs)
			c := clientFor(t, s, github.Options{AppID: appID, AppPrivateKey: keyPEM, InstallationID: tc.installID})
			_, err := c.GetPullRequest(testContext(t), org, repo, 42)
			if err == nil || !strings.Contains(err.Error(), "acme/widgets#42") {
				t.Errorf("GetPullRequest() error = %v, want one naming the pull request", err)
			}
			if got := statuses(s); !reflect.DeepEqual(got, []int{tc.wantStatus}) {
				t.Errorf("emulator answered %v, want only the refused token request", got)
			}
		})
	}
}

func TestNewClientAuthValidation(t *testing.T) {
	_, keyPEM := appKey(t)
	tests := []struct {
		name    string
		opts    github.Options
		wantErr string
	}{
		{name: "token only", opts: github.Options{Token: "ghp_x"}},
		{name: "nothing", opts: github.Options{}},
		{name: "app only", opts: github.Options{AppID: 1, InstallationID: 2, AppPrivateKey: keyPEM}},
		{name: "token and app", opts: github.Options{Token: "ghp_x", AppID: 1, InstallationID: 2, AppPrivateKey: keyPEM}, wantErr: "both"},
		{name: "app without installation", opts: github.Options{AppID: 1, AppPrivateKey: keyPEM}, wantErr: "InstallationID"},
		{name: "app without key", opts: github.Options{AppID: 1, InstallationID: 2}, wantErr: "AppPrivateKey"},
		{name: "key without app", opts: github.Options{AppPrivateKey: keyPEM}, wantErr: "AppID"},
		{name: "key that is not PEM", opts: github.Options{AppID: 1, InstallationID: 2, AppPrivateKey: []byte("not a key")}, wantErr: "GitHub App 1 installation 2"},
		{name: "negative retries", opts: github.Options{Retry: github.RetryOptions{MaxAttempts: -1}}, wantErr: "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.BaseURL = "http://127.0.0.1:1/"
			_, err := github.NewClient(tc.opts)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("NewClient() error = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("NewClient() error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// TestMetricsPerExchange checks that the request counter sees every real exchange (each retry
// and each 304) and the cache counter one outcome per call.
func TestMetricsPerExchange(t *testing.T) {
	s := newEmulator(t)
	reg := prometheus.NewRegistry()
	c := clientFor(t, s, github.Options{Token: "ghp_test", Registerer: reg})
	ctx := testContext(t)

	s.InjectFailures("GET", "/repos/acme/widgets/pulls/42", 503, 2)
	for range 3 {
		if _, err := c.GetPullRequest(ctx, org, repo, 42); err != nil {
			t.Fatal(err)
		}
	}
	s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(42), Title: gogithub.Ptr("changed")})
	if _, err := c.GetPullRequest(ctx, org, repo, 42); err != nil {
		t.Fatal(err)
	}

	wantRequests := map[string]float64{
		"GET /repos/:org/:repo/pulls/:number 503": 2,
		"GET /repos/:org/:repo/pulls/:number 200": 2,
		"GET /repos/:org/:repo/pulls/:number 304": 2,
	}
	if got := requestCounts(t, reg); !reflect.DeepEqual(got, wantRequests) {
		t.Errorf("requests = %v, want %v", got, wantRequests)
	}
	if n := s.CallCount(); n != 6 {
		t.Errorf("emulator saw %d calls, want 6 (one count each)", n)
	}
	wantCache := map[string]float64{"miss": 1, "revalidated": 2, "changed": 1}
	if got := cacheCounts(t, reg); !reflect.DeepEqual(got, wantCache) {
		t.Errorf("cache outcomes = %v, want %v", got, wantCache)
	}
}

// cacheCounts reads bosun_github_cache_total from reg, keyed by result.
func cacheCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	counts := map[string]float64{}
	for _, f := range families {
		if f.GetName() == "bosun_github_cache_total" {
			for _, m := range f.GetMetric() {
				counts[label(m, "result")] = m.GetCounter().GetValue()
			}
		}
	}
	return counts
}
