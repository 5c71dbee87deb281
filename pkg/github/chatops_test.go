package github_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// newChatOpsClient starts an emulator with pull request #42 by alice and issue #7, carol as
// a collaborator and dave as an org member, and a client pointed at it.
func newChatOpsClient(t *testing.T) (*github.Client, *fakegithub.Server) {
	t.Helper()
	s := fakegithub.New()
	t.Cleanup(s.Close)
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(42), User: &gogithub.User{Login: gogithub.Ptr("alice")}})
	s.AddIssue("acme", "widgets", &gogithub.Issue{Number: gogithub.Ptr(7)})
	s.AddCollaborator("acme", "widgets", "carol")
	s.AddOrgMember("acme", "dave")
	c, err := github.NewClient(github.Options{BaseURL: s.URL()})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	return c, s
}

// callsOf returns the recorded calls as "METHOD path".
func callsOf(s *fakegithub.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func TestLabelLists(t *testing.T) {
	c, s := newChatOpsClient(t)
	ctx := testContext(t)
	var many []string
	for i := range 150 {
		many = append(many, fmt.Sprintf("label-%03d", i))
	}
	s.AddRepoLabels("acme", "widgets", many...)
	s.Reset()

	got, err := c.GetRepoLabels(ctx, "acme", "widgets")
	if err != nil {
		t.Fatalf("GetRepoLabels() error = %v", err)
	}
	if diff := cmp.Diff(many, got); diff != "" {
		t.Errorf("GetRepoLabels() (-want, +got):\n%s", diff)
	}
	if n := s.CallCount(); n != 2 {
		t.Errorf("GetRepoLabels() of 150 labels made %d calls, want 2 pages of 100", n)
	}

	for _, l := range []string{"lgtm", "do-not-merge/hold"} {
		if err := c.AddLabel(ctx, "acme", "widgets", 42, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err = c.GetIssueLabels(ctx, "acme", "widgets", 42)
	if err != nil {
		t.Fatalf("GetIssueLabels() error = %v", err)
	}
	if diff := cmp.Diff([]string{"lgtm", "do-not-merge/hold"}, got); diff != "" {
		t.Errorf("GetIssueLabels() (-want, +got):\n%s", diff)
	}
	if got, err := c.GetIssueLabels(ctx, "acme", "widgets", 7); err != nil || got == nil || len(got) != 0 {
		t.Errorf("GetIssueLabels() of an unlabelled issue = %#v, %v; want an empty list", got, err)
	}
}

func TestAssignAndReview(t *testing.T) {
	c, s := newChatOpsClient(t)
	ctx := testContext(t)

	assigned, err := c.AssignIssue(ctx, "acme", "widgets", 7, []string{"carol", "mallory"})
	if err != nil {
		t.Fatalf("AssignIssue() error = %v", err)
	}
	if diff := cmp.Diff([]string{"carol"}, assigned); diff != "" {
		t.Errorf("AssignIssue() (-want, +got):\n%s", diff)
	}
	if err := c.UnassignIssue(ctx, "acme", "widgets", 7, []string{"carol"}); err != nil {
		t.Fatalf("UnassignIssue() error = %v", err)
	}
	if got := s.Assignees("acme", "widgets", 7); len(got) != 0 {
		t.Errorf("assignees after UnassignIssue() = %v", got)
	}
	_, err = c.AssignIssue(ctx, "acme", "widgets", 99, []string{"carol"})
	wantHTTPStatus(t, err, 404)

	s.Reset()
	refused, err := c.RequestReview(ctx, "acme", "widgets", 42, []string{"carol", "dave"})
	if err != nil || refused != nil {
		t.Fatalf("RequestReview() = %v, %v; want nothing refused", refused, err)
	}
	if n := s.CallCount(); n != 1 {
		t.Errorf("RequestReview() of accepted users made %d calls, want 1", n)
	}

	s.Reset()
	refused, err = c.RequestReview(ctx, "acme", "widgets", 42, []string{"mallory", "alice", "carol"})
	if err != nil {
		t.Fatalf("RequestReview() error = %v", err)
	}
	if diff := cmp.Diff([]string{"mallory", "alice"}, refused); diff != "" {
		t.Errorf("RequestReview() refused (-want, +got):\n%s", diff)
	}
	const path = "POST /repos/acme/widgets/pulls/42/requested_reviewers"
	if diff := cmp.Diff([]string{path, path, path, path}, callsOf(s)); diff != "" {
		t.Errorf("calls after a refusal: one for all, then one per user (-want, +got):\n%s", diff)
	}

	if err := c.UnrequestReview(ctx, "acme", "widgets", 42, []string{"carol"}); err != nil {
		t.Fatalf("UnrequestReview() error = %v", err)
	}
	if diff := cmp.Diff([]string{"dave"}, s.RequestedReviewers("acme", "widgets", 42)); diff != "" {
		t.Errorf("reviewers after UnrequestReview() (-want, +got):\n%s", diff)
	}
	_, err = c.RequestReview(ctx, "acme", "widgets", 7, []string{"carol"})
	wantHTTPStatus(t, err, 404)
}

func TestGetFile(t *testing.T) {
	c, s := newChatOpsClient(t)
	ctx := testContext(t)
	s.SetFile("acme", "widgets", "main", "OWNERS", []byte("approvers: [carol]\n"))
	s.SetFile("acme", "widgets", "release-1.0", "OWNERS", []byte("approvers: [dave]\n"))
	s.SetFile("acme", "widgets", "main", "docs/README.md", []byte("# Widgets\n"))

	tests := []struct {
		name, path, ref string
		want            string
		wantNotFound    bool
		wantErr         bool
	}{
		{name: "at a branch", path: "OWNERS", ref: "release-1.0", want: "approvers: [dave]\n"},
		{name: "default branch", path: "OWNERS", want: "approvers: [carol]\n"},
		{name: "nested", path: "docs/README.md", ref: "main", want: "# Widgets\n"},
		{name: "missing file", path: "NOPE", ref: "main", wantNotFound: true},
		{name: "missing ref", path: "OWNERS", ref: "gone", wantNotFound: true},
		{name: "directory", path: "docs", ref: "main", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.GetFile(ctx, "acme", "widgets", tc.path, tc.ref)
			if notFound := errors.Is(err, github.ErrFileNotFound); notFound != tc.wantNotFound {
				t.Fatalf("GetFile() error = %v, want ErrFileNotFound: %v", err, tc.wantNotFound)
			}
			if (err != nil) != (tc.wantErr || tc.wantNotFound) {
				t.Fatalf("GetFile() error = %v, want error: %v", err, tc.wantErr || tc.wantNotFound)
			}
			if string(got) != tc.want {
				t.Errorf("GetFile() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIssueState(t *testing.T) {
	c, s := newChatOpsClient(t)
	ctx := testContext(t)
	for _, n := range []int{7, 42} {
		if err := c.CloseIssue(ctx, "acme", "widgets", n); err != nil {
			t.Fatalf("CloseIssue(%d) error = %v", n, err)
		}
		if got := s.IssueState("acme", "widgets", n); got != github.IssueStateClosed {
			t.Errorf("#%d state after CloseIssue() = %q", n, got)
		}
		if err := c.ReopenIssue(ctx, "acme", "widgets", n); err != nil {
			t.Fatalf("ReopenIssue(%d) error = %v", n, err)
		}
		if got := s.IssueState("acme", "widgets", n); got != github.IssueStateOpen {
			t.Errorf("#%d state after ReopenIssue() = %q", n, got)
		}
	}
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(43), State: gogithub.Ptr("closed"), Merged: gogithub.Ptr(true)})
	wantHTTPStatus(t, c.ReopenIssue(ctx, "acme", "widgets", 43), 422)
	wantHTTPStatus(t, c.CloseIssue(ctx, "acme", "widgets", 99), 404)
}

func TestIsTeamMember(t *testing.T) {
	c, s := newChatOpsClient(t)
	s.AddTeamMember("acme", "release-managers", "frank")
	s.InviteTeamMember("acme", "release-managers", "gina")
	tests := []struct {
		name, team, user string
		want             bool
	}{
		{name: "active member", team: "release-managers", user: "frank", want: true},
		{name: "invited, not accepted", team: "release-managers", user: "gina"},
		{name: "org member outside the team", team: "release-managers", user: "dave"},
		{name: "team that does not exist", team: "nobody", user: "frank"},
		// Unescaped, this would ask about frank: the "?" would start a query.
		{name: "slug that would leave its path segment", team: "release-managers/memberships/frank?", user: "mallory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.IsTeamMember(testContext(t), "acme", tc.team, tc.user)
			if err != nil || got != tc.want {
				t.Errorf("IsTeamMember(acme, %q, %q) = %v, %v; want %v, nil", tc.team, tc.user, got, err, tc.want)
			}
		})
	}

	t.Run("a failure is an error, not a refusal", func(t *testing.T) {
		s.InjectFailures("GET", "/orgs/acme/teams/", http.StatusUnauthorized, 1)
		_, err := c.IsTeamMember(testContext(t), "acme", "release-managers", "frank")
		wantHTTPStatus(t, err, http.StatusUnauthorized)
	})
}

func TestTrustChecksEscapeNames(t *testing.T) {
	// Logins come from payloads and comments. Unescaped, "carol#x" would ask about carol.
	c, s := newChatOpsClient(t)
	s.AddOrgMember("acme", "carol")
	s.AddCollaborator("acme", "widgets", "carol")
	for _, user := range []string{"carol#x", "carol?x", "carol/x"} {
		if got, err := c.IsMember(testContext(t), "acme", user); err != nil || got {
			t.Errorf("IsMember(acme, %q) = %v, %v; want false, nil", user, got, err)
		}
		if got, err := c.IsCollaborator(testContext(t), "acme", "widgets", user); err != nil || got {
			t.Errorf("IsCollaborator(acme, widgets, %q) = %v, %v; want false, nil", user, got, err)
		}
	}
	if got, err := c.IsMember(testContext(t), "acme", "carol"); err != nil || !got {
		t.Errorf("IsMember(acme, carol) = %v, %v; want true, nil", got, err)
	}
}
