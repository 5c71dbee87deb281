package github_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

func TestListOpenPullRequests(t *testing.T) {
	tests := []struct {
		name string
		// open and closed are how many pull requests of each state to seed; the open ones
		// get the lower numbers.
		open, closed int
		wantCalls    int
	}{
		{name: "none", wantCalls: 1},
		{name: "closed ones are left out", open: 2, closed: 3, wantCalls: 1},
		{name: "exactly one full page", open: 100, wantCalls: 1},
		{name: "three pages", open: 250, closed: 1, wantCalls: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newClient(t, nil)
			// Seeded newest first, to see that the client asks for oldest first.
			for n := tc.open + tc.closed; n >= 1; n-- {
				pr := &gogithub.PullRequest{Number: gogithub.Ptr(n), Head: &gogithub.PullRequestBranch{SHA: gogithub.Ptr(sha)}}
				if n > tc.open {
					pr.State = gogithub.Ptr("closed")
				}
				s.AddPullRequest(org, repo, pr)
			}
			// Another repository's pull requests are not listed.
			s.AddPullRequest(org, "gadgets", &gogithub.PullRequest{Number: gogithub.Ptr(1)})

			prs, err := c.ListOpenPullRequests(testContext(t), org, repo)
			if err != nil {
				t.Fatalf("ListOpenPullRequests() error = %v", err)
			}
			var got, want []int
			for _, pr := range prs {
				got = append(got, pr.GetNumber())
				if pr.GetState() != "open" || pr.GetHead().GetSHA() != sha {
					t.Errorf("#%d: state %q head %q, want open at %s", pr.GetNumber(), pr.GetState(), pr.GetHead().GetSHA(), sha)
				}
			}
			for n := 1; n <= tc.open; n++ {
				want = append(want, n)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pull request numbers (-want, +got):\n%s", diff)
			}
			if n := s.CallCount(); n != tc.wantCalls {
				t.Errorf("made %d requests, want %d", n, tc.wantCalls)
			}
		})
	}
}

// TestListOpenPullRequestsRevalidates checks that listing an unchanged repository again is
// answered 304 from the cache, so a periodic listing spends no rate limit, and that a change
// is seen at once.
func TestListOpenPullRequestsRevalidates(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, s := newClient(t, reg)
	ctx := testContext(t)
	s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(1), Head: &gogithub.PullRequestBranch{SHA: gogithub.Ptr(sha)}})

	statuses := func() []int {
		var out []int
		for _, call := range s.Calls() {
			out = append(out, call.Status)
		}
		s.Reset()
		return out
	}
	for i, want := range []int{http.StatusOK, http.StatusNotModified} {
		prs, err := c.ListOpenPullRequests(ctx, org, repo)
		if err != nil || len(prs) != 1 || prs[0].GetHead().GetSHA() != sha {
			t.Fatalf("list %d = %d pull requests, %v; want #1 at %s", i+1, len(prs), err, sha)
		}
		if diff := cmp.Diff([]int{want}, statuses()); diff != "" {
			t.Errorf("list %d: answers (-want, +got):\n%s", i+1, diff)
		}
	}

	const newHead = "0123456789abcdef0123456789abcdef01234567"
	s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(1), Head: &gogithub.PullRequestBranch{SHA: gogithub.Ptr(newHead)}})
	prs, err := c.ListOpenPullRequests(ctx, org, repo)
	if err != nil || len(prs) != 1 || prs[0].GetHead().GetSHA() != newHead {
		t.Fatalf("after a push: %d pull requests, %v; want #1 at %s", len(prs), err, newHead)
	}
	if diff := cmp.Diff([]int{http.StatusOK}, statuses()); diff != "" {
		t.Errorf("after a push: answers (-want, +got):\n%s", diff)
	}

	got := requestCounts(t, reg)
	if got["GET /repos/:org/:repo/pulls 200"] != 2 || got["GET /repos/:org/:repo/pulls 304"] != 1 {
		t.Errorf("request counts = %v, want the list counted under /repos/:org/:repo/pulls (two 200s, one 304)", got)
	}
}

func TestListPullRequestFileChanges(t *testing.T) {
	tests := []struct {
		name      string
		changes   []fakegithub.FileChange
		want      []github.FileChange
		wantCalls int
	}{{
		name:      "none",
		wantCalls: 1,
	}, {
		name: "every status, renames with their old name",
		changes: []fakegithub.FileChange{
			{Filename: "a.yaml", Status: "added"},
			{Filename: "b.yaml", Status: "modified"},
			{Filename: "c.yaml", Status: "removed"},
			{Filename: "config/d.yaml", Status: "renamed", PreviousFilename: "d.yaml"},
		},
		want: []github.FileChange{
			{Filename: "a.yaml", Status: github.FileAdded},
			{Filename: "b.yaml", Status: github.FileModified},
			{Filename: "c.yaml", Status: github.FileRemoved},
			{Filename: "config/d.yaml", Status: github.FileRenamed, PreviousFilename: "d.yaml"},
		},
		wantCalls: 1,
	}, {
		name:      "three pages",
		changes:   manyChanges(250),
		want:      manyWant(250),
		wantCalls: 3,
	}, {
		name:      "stops at GitHub's own limit",
		changes:   manyChanges(github.MaxFileChanges + 150),
		want:      manyWant(github.MaxFileChanges),
		wantCalls: github.MaxFileChanges / 100,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newClient(t, nil)
			s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(7)})
			s.SetPullRequestFileChanges(org, repo, 7, tc.changes...)
			s.Reset()

			got, err := c.ListPullRequestFileChanges(testContext(t), org, repo, 7)
			if err != nil {
				t.Fatalf("ListPullRequestFileChanges() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want, +got):\n%s", diff)
			}
			if n := s.CallCount(); n != tc.wantCalls {
				t.Errorf("made %d requests, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestListPullRequestFileChangesUnknownPullRequest(t *testing.T) {
	c, _ := newClient(t, nil)
	if _, err := c.ListPullRequestFileChanges(testContext(t), org, repo, 404); err == nil {
		t.Fatal("ListPullRequestFileChanges() of a pull request GitHub does not have succeeded")
	}
}

func manyChanges(n int) []fakegithub.FileChange {
	out := make([]fakegithub.FileChange, n)
	for i := range out {
		out[i] = fakegithub.FileChange{Filename: fmt.Sprintf("f%04d", i)}
	}
	return out
}

func manyWant(n int) []github.FileChange {
	out := make([]github.FileChange, n)
	for i := range out {
		out[i] = github.FileChange{Filename: fmt.Sprintf("f%04d", i), Status: github.FileModified}
	}
	return out
}
