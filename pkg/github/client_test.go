package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

const (
	org  = "acme"
	repo = "widgets"
	sha  = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
)

// newClient starts an emulator and a client pointed at it, counting into reg when non-nil.
func newClient(t *testing.T, reg prometheus.Registerer) (*github.Client, *fakegithub.Server) {
	t.Helper()
	s := fakegithub.New()
	t.Cleanup(s.Close)
	c, err := github.NewClient(github.Options{BaseURL: s.URL(), Token: "ghp_test", Registerer: reg})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	return c, s
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantHTTPStatus checks that err carries GitHub's answer code, so callers can tell a 404 from
// a network failure through the wrapping.
func wantHTTPStatus(t *testing.T, err error, code int) {
	t.Helper()
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != code {
		t.Errorf("error = %v, want a wrapped *github.ErrorResponse with status %d", err, code)
	}
}

func TestCreateStatus(t *testing.T) {
	long := strings.Repeat("x", 200)
	longWide := strings.Repeat("ü", 150) // two bytes per rune: a byte cut would split one
	tests := []struct {
		name            string
		status          github.Status
		wantDescription string
		wantTargetURL   *string
	}{{
		name:            "round trip",
		status:          github.Status{State: github.StatusSuccess, Context: "unit", Description: "Job succeeded.", TargetURL: "https://deck.example/unit/7"},
		wantDescription: "Job succeeded.",
		wantTargetURL:   gogithub.Ptr("https://deck.example/unit/7"),
	}, {
		name:            "no target URL sends none",
		status:          github.Status{State: github.StatusPending, Context: "lint", Description: "Job triggered."},
		wantDescription: "Job triggered.",
	}, {
		name:            "long description is cut to 140 characters",
		status:          github.Status{State: github.StatusFailure, Context: "e2e", Description: long},
		wantDescription: strings.Repeat("x", 139) + "…",
	}, {
		name:            "multi-byte description is cut on a rune boundary",
		status:          github.Status{State: github.StatusError, Context: "e2e-wide", Description: longWide},
		wantDescription: strings.Repeat("ü", 139) + "…",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newClient(t, nil)
			if err := c.CreateStatus(testContext(t), org, repo, sha, tc.status); err != nil {
				t.Fatalf("CreateStatus() error = %v", err)
			}
			got, ok := s.LatestStatus(org, repo, sha, tc.status.Context)
			if !ok {
				t.Fatalf("no status %q recorded", tc.status.Context)
			}
			if got.GetState() != tc.status.State || got.GetDescription() != tc.wantDescription {
				t.Errorf("status = %q %q, want %q %q", got.GetState(), got.GetDescription(), tc.status.State, tc.wantDescription)
			}
			if !reflect.DeepEqual(got.TargetURL, tc.wantTargetURL) {
				t.Errorf("target_url = %v, want %v", got.TargetURL, tc.wantTargetURL)
			}
		})
	}

	t.Run("rejected state is an error", func(t *testing.T) {
		c, s := newClient(t, nil)
		err := c.CreateStatus(testContext(t), org, repo, sha, github.Status{State: "succeeded", Context: "unit"})
		wantHTTPStatus(t, err, http.StatusUnprocessableEntity)
		if err != nil && !strings.Contains(err.Error(), "acme/widgets@"+sha) {
			t.Errorf("error %q does not say which commit", err)
		}
		if n := len(s.Statuses(org, repo, sha)); n != 0 {
			t.Errorf("%d statuses recorded, want 0", n)
		}
	})
}

func TestTruncateDescription(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "short", in: "running", want: "running"},
		{name: "exactly 140", in: strings.Repeat("a", 140), want: strings.Repeat("a", 140)},
		{name: "141", in: strings.Repeat("a", 141), want: strings.Repeat("a", 139) + "…"},
		{name: "140 four-byte runes kept", in: strings.Repeat("🚢", 140), want: strings.Repeat("🚢", 140)},
		{name: "141 four-byte runes cut", in: strings.Repeat("🚢", 141), want: strings.Repeat("🚢", 139) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := github.TruncateDescription(tc.in)
			if got != tc.want {
				t.Errorf("TruncateDescription() = %q, want %q", got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > github.MaxDescriptionLen || !utf8.ValidString(got) {
				t.Errorf("result has %d runes (valid UTF-8: %v), want at most %d", n, utf8.ValidString(got), github.MaxDescriptionLen)
			}
		})
	}
}

func TestGetPullRequest(t *testing.T) {
	c, s := newClient(t, nil)
	s.AddPullRequest(org, repo, &gogithub.PullRequest{
		Number: gogithub.Ptr(42),
		User:   &gogithub.User{Login: gogithub.Ptr("alice")},
		Head:   &gogithub.PullRequestBranch{SHA: gogithub.Ptr(sha), Ref: gogithub.Ptr("alice/retry-fetch")},
		Base:   &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main")},
	})

	tests := []struct {
		name     string
		number   int
		wantHead string
		wantCode int
	}{
		{name: "seeded", number: 42, wantHead: sha},
		{name: "missing", number: 43, wantCode: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := c.GetPullRequest(testContext(t), org, repo, tc.number)
			if tc.wantCode != 0 {
				wantHTTPStatus(t, err, tc.wantCode)
				if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("acme/widgets#%d", tc.number)) {
					t.Errorf("error %q does not say which pull request", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetPullRequest() error = %v", err)
			}
			if pr.GetHead().GetSHA() != tc.wantHead || pr.GetUser().GetLogin() != "alice" || pr.GetBase().GetRef() != "main" {
				t.Errorf("pull request = head %q by %q into %q, want %q by alice into main", pr.GetHead().GetSHA(), pr.GetUser().GetLogin(), pr.GetBase().GetRef(), tc.wantHead)
			}
		})
	}
}

func TestGetPullRequestFiles(t *testing.T) {
	tests := []struct {
		name      string
		files     int
		wantCalls int
	}{
		{name: "none", files: 0, wantCalls: 1},
		{name: "one page", files: 3, wantCalls: 1},
		{name: "exactly one full page", files: 100, wantCalls: 1},
		{name: "one past a page", files: 101, wantCalls: 2},
		{name: "three pages", files: 250, wantCalls: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newClient(t, nil)
			s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(42)})
			var want []string
			for i := range tc.files {
				want = append(want, fmt.Sprintf("pkg/f%03d.go", i))
			}
			s.SetPullRequestFiles(org, repo, 42, want...)

			got, err := c.GetPullRequestFiles(testContext(t), org, repo, 42)
			if err != nil {
				t.Fatalf("GetPullRequestFiles() error = %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %d files, want %d in order", len(got), len(want))
			}
			if n := s.CallCount(); n != tc.wantCalls {
				t.Errorf("made %d requests, want %d", n, tc.wantCalls)
			}
		})
	}

	t.Run("missing pull request", func(t *testing.T) {
		c, _ := newClient(t, nil)
		_, err := c.GetPullRequestFiles(testContext(t), org, repo, 7)
		wantHTTPStatus(t, err, http.StatusNotFound)
	})
}

func TestTrust(t *testing.T) {
	c, s := newClient(t, nil)
	s.AddOrgMember(org, "alice")
	s.AddCollaborator(org, repo, "bob")

	tests := []struct {
		user             string
		wantMember       bool
		wantCollaborator bool
	}{
		{user: "alice", wantMember: true, wantCollaborator: false},
		{user: "bob", wantMember: false, wantCollaborator: true},
		{user: "mallory", wantMember: false, wantCollaborator: false},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			member, err := c.IsMember(testContext(t), org, tc.user)
			if err != nil || member != tc.wantMember {
				t.Errorf("IsMember() = %v, %v; want %v, nil", member, err, tc.wantMember)
			}
			collaborator, err := c.IsCollaborator(testContext(t), org, repo, tc.user)
			if err != nil || collaborator != tc.wantCollaborator {
				t.Errorf("IsCollaborator() = %v, %v; want %v, nil", collaborator, err, tc.wantCollaborator)
			}
		})
	}
}

// TestIsMemberRedirect covers GitHub's answer to a requester outside the org: a 302 to the
// public-members check, whether or not the caller's HTTP client follows redirects.
func TestIsMemberRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/orgs/acme/members/"):
			http.Redirect(w, r, "/orgs/acme/public_members/"+strings.TrimPrefix(r.URL.Path, "/orgs/acme/members/"), http.StatusFound)
		case r.URL.Path == "/orgs/acme/public_members/carol":
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, hc := range []struct {
		name   string
		client *http.Client
	}{{name: "following redirects", client: nil}, {name: "not following redirects", client: noRedirects}} {
		for _, tc := range []struct {
			user string
			want bool
		}{{user: "carol", want: true}, {user: "dave", want: false}} {
			t.Run(hc.name+"/"+tc.user, func(t *testing.T) {
				c, err := github.NewClient(github.Options{BaseURL: srv.URL, HTTPClient: hc.client})
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.IsMember(testContext(t), org, tc.user)
				if err != nil || got != tc.want {
					t.Errorf("IsMember() = %v, %v; want %v, nil", got, err, tc.want)
				}
			})
		}
	}
}

func TestCommentsAndLabels(t *testing.T) {
	c, s := newClient(t, nil)
	ctx := testContext(t)

	body := "The following test **failed**:\n\n| job | result |\n| --- | --- |\n| unit | <a href=\"x\">log</a> |"
	if err := c.CreateComment(ctx, org, repo, 42, body); err != nil {
		t.Fatalf("CreateComment() error = %v", err)
	}
	if got := s.Comments(org, repo, 42); len(got) != 1 || got[0].GetBody() != body {
		t.Errorf("Comments() = %+v, want one with the body as sent", got)
	}

	// Names with a slash or a space must reach GitHub as one path segment.
	for _, l := range []string{"lgtm", "do-not-merge/hold", "needs rebase"} {
		if err := c.AddLabel(ctx, org, repo, 42, l); err != nil {
			t.Fatalf("AddLabel(%q) error = %v", l, err)
		}
	}
	for _, l := range []string{"do-not-merge/hold", "needs rebase"} {
		if err := c.RemoveLabel(ctx, org, repo, 42, l); err != nil {
			t.Fatalf("RemoveLabel(%q) error = %v", l, err)
		}
	}
	if got, want := s.Labels(org, repo, 42), []string{"lgtm"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Labels() = %v, want %v", got, want)
	}

	err := c.RemoveLabel(ctx, org, repo, 42, "approved")
	wantHTTPStatus(t, err, http.StatusNotFound)
	if err != nil && !strings.Contains(err.Error(), `"approved"`) {
		t.Errorf("error %q does not name the label", err)
	}
}

func TestNewClientOptions(t *testing.T) {
	var gotAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	tests := []struct {
		name     string
		opts     github.Options
		wantAuth string
	}{
		{name: "token is sent as a bearer token", opts: github.Options{BaseURL: srv.URL + "/", Token: "ghp_abc"}, wantAuth: "Bearer ghp_abc"},
		{name: "no token, no header", opts: github.Options{BaseURL: srv.URL + "/"}, wantAuth: ""},
		{name: "base URL without trailing slash", opts: github.Options{BaseURL: srv.URL, Token: "t"}, wantAuth: "Bearer t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotAuth = nil
			c, err := github.NewClient(tc.opts)
			if err != nil {
				t.Fatalf("NewClient() error = %v", err)
			}
			if _, err := c.IsMember(testContext(t), org, "alice"); err != nil {
				t.Fatalf("IsMember() error = %v", err)
			}
			if len(gotAuth) != 1 || gotAuth[0] != tc.wantAuth {
				t.Errorf("Authorization headers = %q, want [%q]", gotAuth, tc.wantAuth)
			}
		})
	}

	t.Run("caller's client is not modified", func(t *testing.T) {
		hc := &http.Client{}
		if _, err := github.NewClient(github.Options{BaseURL: srv.URL, HTTPClient: hc, Registerer: prometheus.NewRegistry()}); err != nil {
			t.Fatal(err)
		}
		if hc.Transport != nil {
			t.Errorf("NewClient replaced the caller's Transport with %T", hc.Transport)
		}
	})

	t.Run("bad base URL", func(t *testing.T) {
		if _, err := github.NewClient(github.Options{BaseURL: "http://[::1"}); err == nil {
			t.Error("NewClient() accepted an unparsable base URL")
		}
	})
}
