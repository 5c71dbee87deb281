package fakegithub_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/fakegithub"
)

// doWith sends one raw request with headers.
func doWith(t *testing.T, s *fakegithub.Server, method, path string, header map[string]string, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), "/")+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func newSeeded(t *testing.T) *fakegithub.Server {
	t.Helper()
	s := fakegithub.New()
	t.Cleanup(s.Close)
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{
		Number:    gogithub.Ptr(42),
		UpdatedAt: &gogithub.Timestamp{Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		Labels:    []*gogithub.Label{{Name: "lgtm"}},
	})
	return s
}

func TestConditionalGET(t *testing.T) {
	const pr = "/repos/acme/widgets/pulls/42"
	s := newSeeded(t)
	first := doWith(t, s, "GET", pr, nil, "")
	etag, lastModified := first.header.Get("ETag"), first.header.Get("Last-Modified")
	if first.status != http.StatusOK || !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("first GET = %d with ETag %q, want 200 and a weak ETag", first.status, etag)
	}
	if lastModified != "Sun, 01 Mar 2026 12:00:00 GMT" {
		t.Errorf("Last-Modified = %q, want the pull request's updated_at", lastModified)
	}

	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
	}{
		{name: "no validators", wantStatus: 200},
		{name: "matching ETag", header: map[string]string{"If-None-Match": etag}, wantStatus: 304},
		{name: "matching ETag, strong form", header: map[string]string{"If-None-Match": strings.TrimPrefix(etag, "W/")}, wantStatus: 304},
		{name: "matching ETag in a list", header: map[string]string{"If-None-Match": `"other", ` + etag}, wantStatus: 304},
		{name: "any ETag", header: map[string]string{"If-None-Match": "*"}, wantStatus: 304},
		{name: "other ETag", header: map[string]string{"If-None-Match": `W/"other"`}, wantStatus: 200},
		{name: "not modified since", header: map[string]string{"If-Modified-Since": lastModified}, wantStatus: 304},
		{name: "modified since", header: map[string]string{"If-Modified-Since": "Sun, 01 Mar 2026 11:59:59 GMT"}, wantStatus: 200},
		{name: "If-None-Match wins over If-Modified-Since", header: map[string]string{"If-None-Match": `W/"other"`, "If-Modified-Since": lastModified}, wantStatus: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Reset()
			r := doWith(t, s, "GET", pr, tc.header, "")
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d", r.status, tc.wantStatus)
			}
			if got := r.header.Get("ETag"); got != etag {
				t.Errorf("ETag = %q, want %q", got, etag)
			}
			if tc.wantStatus == 304 && len(r.body) != 0 {
				t.Errorf("304 carried a body: %q", r.body)
			}
			if tc.wantStatus == 200 && string(r.body) != string(first.body) {
				t.Errorf("body = %q, want %q", r.body, first.body)
			}
			if calls := s.Calls(); len(calls) != 1 || calls[0].Status != tc.wantStatus {
				t.Errorf("recorded %+v, want one call answered %d", calls, tc.wantStatus)
			}
		})
	}

	t.Run("a change changes the ETag", func(t *testing.T) {
		doWith(t, s, "POST", "/repos/acme/widgets/issues/42/labels", nil, `["approved"]`)
		r := doWith(t, s, "GET", pr, map[string]string{"If-None-Match": etag}, "")
		if r.status != http.StatusOK || r.header.Get("ETag") == etag {
			t.Errorf("after a new label: %d with ETag %q, want 200 and a new ETag", r.status, r.header.Get("ETag"))
		}
	})

	t.Run("lists get an ETag but no Last-Modified", func(t *testing.T) {
		r := doWith(t, s, "GET", "/repos/acme/widgets/issues/42/labels", nil, "")
		if r.header.Get("ETag") == "" || r.header.Get("Last-Modified") != "" {
			t.Errorf("ETag %q, Last-Modified %q; want an ETag only", r.header.Get("ETag"), r.header.Get("Last-Modified"))
		}
	})

	t.Run("no ETag on errors and writes", func(t *testing.T) {
		for _, r := range []response{
			doWith(t, s, "GET", "/repos/acme/widgets/pulls/9", nil, ""),
			doWith(t, s, "POST", "/repos/acme/widgets/issues/42/comments", nil, `{"body":"hi"}`),
		} {
			if r.header.Get("ETag") != "" {
				t.Errorf("%d answer carries ETag %q", r.status, r.header.Get("ETag"))
			}
		}
	})
}

func TestInjectFailures(t *testing.T) {
	type rule struct {
		method, prefix string
		status, count  int
	}
	type req struct{ method, path, body string }
	getPR := req{method: "GET", path: "/repos/acme/widgets/pulls/42"}
	postComment := req{method: "POST", path: "/repos/acme/widgets/issues/42/comments", body: `{"body":"hi"}`}
	tests := []struct {
		name         string
		rules        []rule
		requests     []req
		wantStatuses []int
		wantComments int
	}{{
		name:         "count answers, then the endpoint",
		rules:        []rule{{method: "GET", prefix: "/repos/acme/", status: 502, count: 2}},
		requests:     []req{getPR, getPR, getPR},
		wantStatuses: []int{502, 502, 200},
	}, {
		name:         "other method passes",
		rules:        []rule{{method: "POST", prefix: "/repos/", status: 500, count: 1}},
		requests:     []req{getPR, postComment},
		wantStatuses: []int{200, 500},
	}, {
		name:         "empty method matches any",
		rules:        []rule{{prefix: "/repos/", status: 503, count: 2}},
		requests:     []req{getPR, postComment, postComment},
		wantStatuses: []int{503, 503, 201},
		wantComments: 1,
	}, {
		name:         "other path passes",
		rules:        []rule{{method: "GET", prefix: "/orgs/", status: 500, count: 1}},
		requests:     []req{getPR},
		wantStatuses: []int{200},
	}, {
		name:         "rules apply in order",
		rules:        []rule{{prefix: "/repos/", status: 403, count: 1}, {prefix: "/repos/", status: 429, count: 1}},
		requests:     []req{getPR, getPR, getPR},
		wantStatuses: []int{403, 429, 200},
	}, {
		name:         "an injected POST changes nothing",
		rules:        []rule{{method: "POST", prefix: "/repos/acme/widgets/issues/42/comments", status: 504, count: 1}},
		requests:     []req{postComment},
		wantStatuses: []int{504},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeeded(t)
			s.SetRateLimit(100)
			for _, r := range tc.rules {
				s.InjectFailures(r.method, r.prefix, r.status, r.count)
			}
			for _, r := range tc.requests {
				resp := doWith(t, s, r.method, r.path, nil, r.body)
				if resp.status < 400 {
					continue
				}
				e := decode[apiError](t, resp)
				if e.Status != strconv.Itoa(resp.status) || e.Message == "" {
					t.Errorf("%d body = %+v, want GitHub's error shape", resp.status, e)
				}
				secondary := resp.status == 403 || resp.status == 429
				if secondary && (resp.header.Get("Retry-After") != "0" || !strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") ||
					!strings.Contains(e.Message, "secondary rate limit")) {
					t.Errorf("%d = %+v with Retry-After %q, want a secondary rate limit with Retry-After: 0", resp.status, e, resp.header.Get("Retry-After"))
				}
				if resp.header.Get("X-RateLimit-Used") != "" {
					t.Errorf("injected %d spent rate limit", resp.status)
				}
			}
			var got []int
			for _, c := range s.Calls() {
				got = append(got, c.Status)
				if c.Injected != (c.Status >= 400) {
					t.Errorf("call answered %d recorded Injected = %v", c.Status, c.Injected)
				}
			}
			if !reflect.DeepEqual(got, tc.wantStatuses) {
				t.Errorf("answered %v, want %v", got, tc.wantStatuses)
			}
			if n := len(s.Comments("acme", "widgets", 42)); n != tc.wantComments {
				t.Errorf("%d comments, want %d", n, tc.wantComments)
			}
		})
	}

	t.Run("bad arguments panic", func(t *testing.T) {
		for _, args := range []struct{ status, count int }{{status: 200, count: 1}, {status: 500, count: 0}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("InjectFailures(status %d, count %d) did not panic", args.status, args.count)
					}
				}()
				newSeeded(t).InjectFailures("GET", "/", args.status, args.count)
			}()
		}
	})
}

func TestSetRateLimit(t *testing.T) {
	const pr = "/repos/acme/widgets/pulls/42"
	s := newSeeded(t)
	s.SetRateLimit(2)
	start := time.Now()

	type step struct {
		name          string
		path          string
		header        map[string]string
		wantStatus    int
		wantRemaining string
	}
	first := doWith(t, s, "GET", pr, nil, "")
	if first.status != 200 || first.header.Get("X-RateLimit-Limit") != "2" || first.header.Get("X-RateLimit-Remaining") != "1" ||
		first.header.Get("X-RateLimit-Used") != "1" || first.header.Get("X-RateLimit-Resource") != "core" {
		t.Fatalf("first GET = %d with %v, want 200 and 1 of 2 left", first.status, first.header)
	}
	reset, err := strconv.ParseInt(first.header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || time.Unix(reset, 0).Before(start) || time.Unix(reset, 0).After(start.Add(time.Hour+time.Second)) {
		t.Errorf("X-RateLimit-Reset = %q, want within the hour", first.header.Get("X-RateLimit-Reset"))
	}
	etag := first.header.Get("ETag")
	steps := []step{
		{name: "304 is free", path: pr, header: map[string]string{"If-None-Match": etag}, wantStatus: 304, wantRemaining: "1"},
		{name: "another 304 is free", path: pr, header: map[string]string{"If-None-Match": etag}, wantStatus: 304, wantRemaining: "1"},
		{name: "last request", path: "/repos/acme/widgets/issues/42/labels", wantStatus: 200, wantRemaining: "0"},
		{name: "exhausted", path: pr, wantStatus: 403, wantRemaining: "0"},
		{name: "exhausted for revalidations too", path: pr, header: map[string]string{"If-None-Match": etag}, wantStatus: 403, wantRemaining: "0"},
		{name: "another credential has its own budget", path: pr, header: map[string]string{"Authorization": "token other"}, wantStatus: 200, wantRemaining: "1"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := doWith(t, s, "GET", st.path, st.header, "")
			if r.status != st.wantStatus || r.header.Get("X-RateLimit-Remaining") != st.wantRemaining {
				t.Fatalf("status %d with %s left, want %d with %s left", r.status, r.header.Get("X-RateLimit-Remaining"), st.wantStatus, st.wantRemaining)
			}
			if r.status == 403 {
				if e := decode[apiError](t, r); !strings.HasPrefix(e.Message, "API rate limit exceeded") {
					t.Errorf("message = %q, want GitHub's primary rate limit message", e.Message)
				}
			}
		})
	}

	t.Run("zero turns the limit off", func(t *testing.T) {
		s.SetRateLimit(0)
		r := doWith(t, s, "GET", pr, nil, "")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Errorf("status %d with X-RateLimit-Limit %q, want 200 and no rate limit headers", r.status, r.header.Get("X-RateLimit-Limit"))
		}
	})
}

// signJWT builds an App JWT by hand so the tests can also build broken ones.
func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestInstallationTokens(t *testing.T) {
	const appID, installationID = 1234, 5678
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	claims := func(iss any, iat, exp int64) map[string]any {
		return map[string]any{"iss": iss, "iat": iat, "exp": exp}
	}
	good := claims("1234", now-30, now+90)

	tests := []struct {
		name         string
		auth         string
		installation int64
		wantStatus   int
	}{
		{name: "valid JWT", auth: "Bearer " + signJWT(t, key, "RS256", good), installation: installationID, wantStatus: 201},
		{name: "iss as a number", auth: "Bearer " + signJWT(t, key, "RS256", claims(1234, now-30, now+90)), installation: installationID, wantStatus: 201},
		{name: "other alg", auth: "Bearer " + signJWT(t, key, "HS256", good), installation: installationID, wantStatus: 401},
		{name: "signed with another key", auth: "Bearer " + signJWT(t, otherKey, "RS256", good), installation: installationID, wantStatus: 401},
		{name: "another app", auth: "Bearer " + signJWT(t, key, "RS256", claims("4321", now-30, now+90)), installation: installationID, wantStatus: 401},
		{name: "expired", auth: "Bearer " + signJWT(t, key, "RS256", claims("1234", now-300, now-60)), installation: installationID, wantStatus: 401},
		{name: "lives too long", auth: "Bearer " + signJWT(t, key, "RS256", claims("1234", now, now+11*60)), installation: installationID, wantStatus: 401},
		{name: "issued in the future", auth: "Bearer " + signJWT(t, key, "RS256", claims("1234", now+300, now+480)), installation: installationID, wantStatus: 401},
		{name: "not a JWT", auth: "Bearer abc.def", installation: installationID, wantStatus: 401},
		{name: "no credentials", installation: installationID, wantStatus: 401},
		{name: "unknown installation", auth: "Bearer " + signJWT(t, key, "RS256", good), installation: 1, wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeeded(t)
			s.AddAppInstallation(appID, installationID, &key.PublicKey)
			path := "/app/installations/" + strconv.FormatInt(tc.installation, 10) + "/access_tokens"
			r := doWith(t, s, "POST", path, map[string]string{"Authorization": tc.auth}, "")
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", r.status, r.body, tc.wantStatus)
			}
			if tc.wantStatus != 201 {
				if tokens := s.InstallationTokens(installationID); len(tokens) != 0 {
					t.Errorf("tokens %v issued on a refusal", tokens)
				}
				return
			}
			tok := decode[gogithub.InstallationToken](t, r)
			if got := s.InstallationTokens(installationID); len(got) != 1 || got[0] != tok.GetToken() || !strings.HasPrefix(tok.GetToken(), "ghs_") {
				t.Errorf("token %q, issued %v; want one ghs_ token", tok.GetToken(), got)
			}
			if until := time.Until(tok.GetExpiresAt().Time); until < 58*time.Minute || until > time.Hour {
				t.Errorf("token expires in %v, want an hour", until)
			}
			pr := doWith(t, s, "GET", "/repos/acme/widgets/pulls/42", map[string]string{"Authorization": "token " + tok.GetToken()}, "")
			if pr.status != http.StatusOK {
				t.Errorf("GET with the token = %d, want 200", pr.status)
			}
			calls := s.Calls()
			if last := calls[len(calls)-1]; last.Authorization != "token "+tok.GetToken() {
				t.Errorf("recorded Authorization %q, want the token", last.Authorization)
			}
			if calls[0].Authorization != tc.auth {
				t.Errorf("token request recorded with %q, want the JWT", calls[0].Authorization)
			}
		})
	}

	t.Run("tokens not issued or expired are bad credentials", func(t *testing.T) {
		s := newSeeded(t)
		s.AddAppInstallation(appID, installationID, &key.PublicKey)
		s.SetInstallationTokenLifetime(-time.Minute)
		r := doWith(t, s, "POST", "/app/installations/5678/access_tokens", map[string]string{"Authorization": "Bearer " + signJWT(t, key, "RS256", good)}, "")
		issued := decode[gogithub.InstallationToken](t, r)
		expired := issued.GetToken()
		for _, auth := range []string{"token ghs_neverissued", "token " + expired, "Bearer " + expired} {
			got := doWith(t, s, "GET", "/repos/acme/widgets/pulls/42", map[string]string{"Authorization": auth}, "")
			if e := decode[apiError](t, got); got.status != http.StatusUnauthorized || e.Message != "Bad credentials" {
				t.Errorf("GET with %q = %d %q, want 401 Bad credentials", auth, got.status, e.Message)
			}
		}
		// A personal access token is trusted as before.
		if got := doWith(t, s, "GET", "/repos/acme/widgets/pulls/42", map[string]string{"Authorization": "token ghp_x"}, ""); got.status != http.StatusOK {
			t.Errorf("GET with a PAT = %d, want 200", got.status)
		}
	})
}

func TestFaultWindows(t *testing.T) {
	// Time-based faults: an outage or a rate limit lasts a while, whatever is sent during it.
	const pr = "/repos/acme/widgets/pulls/42"
	start := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := start
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	newServer := func(t *testing.T) *fakegithub.Server {
		s := newSeeded(t)
		s.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		return s
	}

	t.Run("5xx for the window, then the endpoint", func(t *testing.T) {
		mu.Lock()
		now = start
		mu.Unlock()
		s := newServer(t)
		s.FailFor("GET", "/repos/", http.StatusBadGateway, 30*time.Second)
		var got []int
		for i := 0; i < 4; i++ { // at 0, 10, 20 s: inside; at 30 s: over
			got = append(got, doWith(t, s, "GET", pr, nil, "").status)
			advance(10 * time.Second)
		}
		if want := []int{502, 502, 502, 200}; !reflect.DeepEqual(got, want) {
			t.Errorf("answered %v, want %v", got, want)
		}
	})
	t.Run("a secondary rate limit counts Retry-After down to the window's end", func(t *testing.T) {
		mu.Lock()
		now = start
		mu.Unlock()
		s := newServer(t)
		s.FailFor("", "/", http.StatusTooManyRequests, 20*time.Second)
		advance(5 * time.Second)
		resp := doWith(t, s, "GET", pr, nil, "")
		if resp.status != 429 || resp.header.Get("Retry-After") != "15" {
			t.Errorf("answer %d with Retry-After %q, want 429 with 15", resp.status, resp.header.Get("Retry-After"))
		}
	})
	t.Run("the primary rate limit says when it resets", func(t *testing.T) {
		mu.Lock()
		now = start
		mu.Unlock()
		s := newServer(t)
		s.ExhaustRateLimitFor(time.Minute)
		resp := doWith(t, s, "GET", pr, nil, "")
		e := decode[apiError](t, resp)
		if resp.status != 403 || resp.header.Get("X-RateLimit-Remaining") != "0" ||
			resp.header.Get("X-RateLimit-Reset") != strconv.FormatInt(start.Add(time.Minute).Unix(), 10) ||
			!strings.Contains(e.Message, "API rate limit exceeded") {
			t.Errorf("answer %d %+v with headers %v, want GitHub's primary rate limit resetting at the window's end", resp.status, e, resp.header)
		}
		advance(time.Minute)
		if resp := doWith(t, s, "GET", pr, nil, ""); resp.status != 200 {
			t.Errorf("after the window: %d, want 200", resp.status)
		}
	})
}
