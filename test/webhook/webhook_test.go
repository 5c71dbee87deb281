package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
)

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		body   string
		want   string
	}{{
		// The example GitHub's "Validating webhook deliveries" page publishes.
		name:   "GitHub's documented example",
		secret: "It's a Secret to Everybody",
		body:   "Hello, World!",
		want:   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
	}, {
		// RFC 4231 test case 2, to pin HMAC-SHA256 with a second, independent vector.
		name:   "RFC 4231 case 2",
		secret: "Jefe",
		body:   "what do ya want for nothing?",
		want:   "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign([]byte(tc.secret), []byte(tc.body)); got != tc.want {
				t.Errorf("Sign() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSend(t *testing.T) {
	body := []byte(`{"zen":"Design for failure."}`)
	tests := []struct {
		name          string
		secret        []byte
		wantSignature bool
	}{
		{name: "signed when a secret is set", secret: []byte("s3cret"), wantSignature: true},
		{name: "unsigned without a secret", secret: nil, wantSignature: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			var payload []byte
			var validateErr error
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				if tc.wantSignature {
					payload, validateErr = gogithub.ValidatePayload(r, tc.secret)
				} else {
					payload, validateErr = io.ReadAll(r.Body)
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := Send(ctx, srv.Client(), srv.URL+"/hook", "ping", "d3b07384-d9a0-4c9b-8f1e-2a6c1f0e7b55", body, tc.secret)
			if err != nil {
				t.Fatalf("Send() error = %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("status = %d, want %d", resp.StatusCode, http.StatusAccepted)
			}
			if validateErr != nil {
				t.Fatalf("receiver could not validate the delivery: %v", validateErr)
			}
			if !bytes.Equal(payload, body) {
				t.Errorf("receiver got body %q, want %q", payload, body)
			}
			if got.Method != http.MethodPost || got.URL.Path != "/hook" {
				t.Errorf("request = %s %s, want POST /hook", got.Method, got.URL.Path)
			}
			wantHeaders := map[string]string{
				"X-GitHub-Event":    "ping",
				"X-GitHub-Delivery": "d3b07384-d9a0-4c9b-8f1e-2a6c1f0e7b55",
				"Content-Type":      "application/json",
			}
			for h, want := range wantHeaders {
				if v := got.Header.Get(h); v != want {
					t.Errorf("header %s = %q, want %q", h, v, want)
				}
			}
			if ua := got.Header.Get("User-Agent"); !strings.HasPrefix(ua, "GitHub-Hookshot/") {
				t.Errorf("User-Agent = %q, want GitHub-Hookshot/...", ua)
			}
			if sig := got.Header.Get("X-Hub-Signature-256"); (sig != "") != tc.wantSignature {
				t.Errorf("X-Hub-Signature-256 = %q, want present: %v", sig, tc.wantSignature)
			}
		})
	}
}

func TestSendRejectedByWrongSecret(t *testing.T) {
	var validateErr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, validateErr = gogithub.ValidatePayload(r, []byte("the receiver's secret"))
	}))
	defer srv.Close()

	resp, err := Send(context.Background(), srv.Client(), srv.URL, "ping", "1", []byte(`{}`), []byte("another secret"))
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	resp.Body.Close()
	if validateErr == nil {
		t.Error("receiver accepted a delivery signed with the wrong secret")
	}
}

func TestFixtureRejectsPaths(t *testing.T) {
	for _, name := range []string{"", "../webhook/webhook.go", "sub/push.json", "missing.json"} {
		t.Run(name, func(t *testing.T) {
			if _, err := Fixture(name); err == nil {
				t.Errorf("Fixture(%q) succeeded, want an error", name)
			}
		})
	}
}

const (
	headSHA = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	baseSHA = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
	// secondSHA is #42's head after alice's second push.
	secondSHA = "5a8d2f6c0e4b7a9d1c3e5f7a9b0c2d4e6f8a1b3c"
	// forkSHA is the head of mallory's #43.
	forkSHA = "d4f7a2c9e1b3058a6c2e9f4b7d0a3c5e8f1b2a4d"
	// mergeSHA is the squash commit of #42 on main.
	mergeSHA = "c41d7e0a9f3b2e8d6c5a4b3f2e1d0c9b8a7f6e5d"
	zeroSHA  = "0000000000000000000000000000000000000000"
)

// checkPullRequest42 checks the facts every pull_request fixture of #42 after alice's
// second push shares.
func checkPullRequest42(t *testing.T, e *gogithub.PullRequestEvent, action string) {
	t.Helper()
	pr := e.GetPullRequest()
	checkEqual(t, "action", e.GetAction(), action)
	checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
	checkEqual(t, "number", e.GetNumber(), 42)
	checkEqual(t, "pull_request.number", pr.GetNumber(), 42)
	checkEqual(t, "author", pr.GetUser().GetLogin(), "alice")
	checkEqual(t, "author_association", pr.GetAuthorAssociation(), "MEMBER")
	checkEqual(t, "head.sha", pr.GetHead().GetSHA(), secondSHA)
	checkEqual(t, "base.ref", pr.GetBase().GetRef(), "main")
	checkEqual(t, "base.sha", pr.GetBase().GetSHA(), baseSHA)
	checkEqual(t, "sender", e.GetSender().GetLogin(), "alice")
}

// checkPushRepository checks the repository of a push fixture, whose times are Unix seconds.
func checkPushRepository(t *testing.T, e *gogithub.PushEvent) {
	t.Helper()
	checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
	checkEqual(t, "repository.owner.login", e.GetRepo().GetOwner().GetLogin(), "acme")
	checkEqual(t, "repository.created_at", e.GetRepo().GetCreatedAt().UTC().Format(time.RFC3339), "2022-04-14T09:21:37Z")
}

// TestFixturesParse checks that go-github, which the hook uses, decodes every fixture into the
// event type its X-GitHub-Event names, and that the facts other tests rely on are in it.
func TestFixturesParse(t *testing.T) {
	tests := []struct {
		file  string
		event string
		check func(t *testing.T, event any)
	}{{
		file:  "pull_request_opened.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			pr := e.GetPullRequest()
			checkEqual(t, "action", e.GetAction(), "opened")
			checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "org", e.GetRepo().GetOwner().GetLogin(), "acme")
			checkEqual(t, "number", e.GetNumber(), 42)
			checkEqual(t, "pull_request.number", pr.GetNumber(), 42)
			checkEqual(t, "author", pr.GetUser().GetLogin(), "alice")
			checkEqual(t, "author_association", pr.GetAuthorAssociation(), "MEMBER")
			checkEqual(t, "head.sha", pr.GetHead().GetSHA(), headSHA)
			checkEqual(t, "base.ref", pr.GetBase().GetRef(), "main")
			checkEqual(t, "base.sha", pr.GetBase().GetSHA(), baseSHA)
			checkEqual(t, "sender", e.GetSender().GetLogin(), "alice")
			checkEqual(t, "created_at", pr.GetCreatedAt().UTC().Format(time.RFC3339), "2026-03-03T10:15:02Z")
		},
	}, {
		file:  "issue_comment_test_all.json",
		event: "issue_comment",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.IssueCommentEvent](t, event)
			checkEqual(t, "action", e.GetAction(), "created")
			checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "issue.number", e.GetIssue().GetNumber(), 42)
			checkEqual(t, "is a pull request", e.GetIssue().IsPullRequest(), true)
			checkEqual(t, "comment.body", e.GetComment().GetBody(), "/test all")
			checkEqual(t, "commenter", e.GetComment().GetUser().GetLogin(), "bob")
			checkEqual(t, "comment.author_association", e.GetComment().GetAuthorAssociation(), "COLLABORATOR")
			checkEqual(t, "issue author", e.GetIssue().GetUser().GetLogin(), "alice")
			checkEqual(t, "sender", e.GetSender().GetLogin(), "bob")
		},
	}, {
		file:  "push.json",
		event: "push",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PushEvent](t, event)
			checkEqual(t, "ref", e.GetRef(), "refs/heads/main")
			checkEqual(t, "before", e.GetBefore(), baseSHA)
			checkEqual(t, "after", e.GetAfter(), e.GetHeadCommit().GetID())
			checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "commits", len(e.Commits), 1)
			// Push payloads give the repository's times as Unix seconds; go-github must still
			// decode them.
			checkEqual(t, "repository.created_at", e.GetRepo().GetCreatedAt().UTC().Format(time.RFC3339), "2022-04-14T09:21:37Z")
		},
	}, {
		file:  "pull_request_synchronize.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			checkPullRequest42(t, e, "synchronize")
			checkEqual(t, "before", e.GetBefore(), headSHA)
			checkEqual(t, "after", e.GetAfter(), secondSHA)
			checkEqual(t, "draft", e.GetPullRequest().GetDraft(), false)
			checkEqual(t, "state", e.GetPullRequest().GetState(), "open")
		},
	}, {
		file:  "pull_request_converted_to_draft.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			checkPullRequest42(t, e, "converted_to_draft")
			checkEqual(t, "draft", e.GetPullRequest().GetDraft(), true)
			checkEqual(t, "state", e.GetPullRequest().GetState(), "open")
		},
	}, {
		file:  "pull_request_ready_for_review.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			checkPullRequest42(t, e, "ready_for_review")
			checkEqual(t, "draft", e.GetPullRequest().GetDraft(), false)
			checkEqual(t, "state", e.GetPullRequest().GetState(), "open")
		},
	}, {
		file:  "pull_request_closed.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			pr := e.GetPullRequest()
			checkPullRequest42(t, e, "closed")
			checkEqual(t, "state", pr.GetState(), "closed")
			checkEqual(t, "merged", pr.GetMerged(), false)
			checkEqual(t, "merged_at is null", pr.MergedAt == nil, true)
			checkEqual(t, "closed_at", pr.GetClosedAt().UTC().Format(time.RFC3339), "2026-03-03T10:58:44Z")
		},
	}, {
		file:  "pull_request_reopened.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			pr := e.GetPullRequest()
			checkPullRequest42(t, e, "reopened")
			checkEqual(t, "state", pr.GetState(), "open")
			checkEqual(t, "closed_at is null", pr.ClosedAt == nil, true)
			checkEqual(t, "draft", pr.GetDraft(), false)
		},
	}, {
		file:  "pull_request_closed_merged.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			pr := e.GetPullRequest()
			checkPullRequest42(t, e, "closed")
			checkEqual(t, "state", pr.GetState(), "closed")
			checkEqual(t, "merged", pr.GetMerged(), true)
			checkEqual(t, "merged_by", pr.GetMergedBy().GetLogin(), "alice")
			checkEqual(t, "merge_commit_sha", pr.GetMergeCommitSHA(), mergeSHA)
			checkEqual(t, "merged_at", pr.GetMergedAt().UTC().Format(time.RFC3339), "2026-03-03T11:02:47Z")
		},
	}, {
		file:  "pull_request_labeled.json",
		event: "pull_request",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PullRequestEvent](t, event)
			pr := e.GetPullRequest()
			checkEqual(t, "action", e.GetAction(), "labeled")
			checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "number", e.GetNumber(), 43)
			checkEqual(t, "label", e.GetLabel().GetName(), "ok-to-test")
			checkEqual(t, "sender", e.GetSender().GetLogin(), "bob")
			checkEqual(t, "author", pr.GetUser().GetLogin(), "mallory")
			checkEqual(t, "author_association", pr.GetAuthorAssociation(), "FIRST_TIME_CONTRIBUTOR")
			checkEqual(t, "head.sha", pr.GetHead().GetSHA(), forkSHA)
			checkEqual(t, "head.repo", pr.GetHead().GetRepo().GetFullName(), "mallory/widgets")
			checkEqual(t, "head.repo.fork", pr.GetHead().GetRepo().GetFork(), true)
			checkEqual(t, "base.repo", pr.GetBase().GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "base.sha", pr.GetBase().GetSHA(), baseSHA)
			var labels []string
			for _, l := range pr.Labels {
				labels = append(labels, l.GetName())
			}
			checkEqual(t, "labels", strings.Join(labels, ","), "needs-ok-to-test,ok-to-test")
		},
	}, {
		file:  "issue_comment_edited.json",
		event: "issue_comment",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.IssueCommentEvent](t, event)
			checkEqual(t, "action", e.GetAction(), "edited")
			checkEqual(t, "repository", e.GetRepo().GetFullName(), "acme/widgets")
			checkEqual(t, "issue.number", e.GetIssue().GetNumber(), 42)
			checkEqual(t, "is a pull request", e.GetIssue().IsPullRequest(), true)
			checkEqual(t, "changes.body.from", e.GetChanges().GetBody().GetFrom(), "/test all")
			checkEqual(t, "comment.body starts with /test all", strings.HasPrefix(e.GetComment().GetBody(), "/test all\r\n"), true)
			checkEqual(t, "commenter", e.GetComment().GetUser().GetLogin(), "bob")
			checkEqual(t, "comment.updated_at", e.GetComment().GetUpdatedAt().UTC().Format(time.RFC3339), "2026-03-03T10:43:50Z")
		},
	}, {
		file:  "push_branch_deleted.json",
		event: "push",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PushEvent](t, event)
			checkPushRepository(t, e)
			checkEqual(t, "ref", e.GetRef(), "refs/heads/alice/retry-fetch")
			checkEqual(t, "before", e.GetBefore(), secondSHA)
			checkEqual(t, "after", e.GetAfter(), zeroSHA)
			checkEqual(t, "deleted", e.GetDeleted(), true)
			checkEqual(t, "created", e.GetCreated(), false)
			checkEqual(t, "commits", len(e.Commits), 0)
			checkEqual(t, "head_commit is null", e.HeadCommit == nil, true)
		},
	}, {
		file:  "push_tag.json",
		event: "push",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PushEvent](t, event)
			checkPushRepository(t, e)
			checkEqual(t, "ref", e.GetRef(), "refs/tags/v1.2.3")
			checkEqual(t, "before", e.GetBefore(), zeroSHA)
			checkEqual(t, "after", e.GetAfter(), mergeSHA)
			checkEqual(t, "created", e.GetCreated(), true)
			checkEqual(t, "deleted", e.GetDeleted(), false)
			checkEqual(t, "base_ref", e.GetBaseRef(), "refs/heads/main")
			checkEqual(t, "head_commit", e.GetHeadCommit().GetID(), mergeSHA)
			checkEqual(t, "pusher", e.GetPusher().GetName(), "bob")
		},
	}, {
		file:  "ping.json",
		event: "ping",
		check: func(t *testing.T, event any) {
			e := as[*gogithub.PingEvent](t, event)
			checkEqual(t, "zen", e.GetZen() != "", true)
			checkEqual(t, "hook_id", e.GetHookID(), e.GetHook().GetID())
			checkEqual(t, "hook.config.content_type", e.GetHook().GetConfig().GetContentType(), "json")
		},
	}}
	t.Run("every fixture is checked", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Join("..", "testdata", "webhooks"))
		if err != nil {
			t.Fatal(err)
		}
		checked := map[string]bool{}
		for _, tc := range tests {
			checked[tc.file] = true
		}
		for _, entry := range entries {
			if strings.HasSuffix(entry.Name(), ".json") && !checked[entry.Name()] {
				t.Errorf("fixture %s has no case in TestFixturesParse", entry.Name())
			}
		}
	})
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body, err := Fixture(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			event, err := gogithub.ParseWebHook(tc.event, body)
			if err != nil {
				t.Fatalf("ParseWebHook(%q) error = %v", tc.event, err)
			}
			tc.check(t, event)
		})
	}
}

func as[T any](t *testing.T, event any) T {
	t.Helper()
	e, ok := event.(T)
	if !ok {
		t.Fatalf("ParseWebHook returned %T, want %T", event, e)
	}
	return e
}

func checkEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
