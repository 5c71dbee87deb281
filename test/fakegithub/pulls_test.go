package fakegithub_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/fakegithub"
)

func TestListPullRequests(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	at := func(h int) *gogithub.Timestamp {
		return &gogithub.Timestamp{Time: time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC)}
	}
	// #3 was created first but updated last; #4 is closed; #5 targets a release branch.
	for _, pr := range []*gogithub.PullRequest{
		{Number: gogithub.Ptr(1), CreatedAt: at(2), UpdatedAt: at(2), Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main")}},
		{Number: gogithub.Ptr(2), CreatedAt: at(3), UpdatedAt: at(3), Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main")}},
		{Number: gogithub.Ptr(3), CreatedAt: at(1), UpdatedAt: at(9), Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main")},
			Labels: []*gogithub.Label{{Name: "ok-to-test"}}},
		{Number: gogithub.Ptr(4), CreatedAt: at(4), UpdatedAt: at(4), State: gogithub.Ptr("closed"), Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main")}},
		{Number: gogithub.Ptr(5), CreatedAt: at(5), UpdatedAt: at(5), Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("release-1")}},
	} {
		s.AddPullRequest("acme", "widgets", pr)
	}
	s.AddPullRequest("acme", "gadgets", &gogithub.PullRequest{Number: gogithub.Ptr(9)})

	tests := []struct {
		query string
		want  []int
	}{
		{query: "", want: []int{5, 2, 1, 3}}, // open, newest first: GitHub's default
		{query: "?sort=created&direction=asc", want: []int{3, 1, 2, 5}},
		{query: "?sort=updated", want: []int{1, 2, 5, 3}}, // asc is the default for other sorts
		{query: "?state=closed", want: []int{4}},
		{query: "?state=all&direction=asc", want: []int{3, 1, 2, 4, 5}},
		{query: "?base=release-1", want: []int{5}},
		{query: "?direction=asc&per_page=2&page=2", want: []int{2, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := do(t, s, http.MethodGet, "/repos/acme/widgets/pulls"+tc.query, "")
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200: %s", r.status, r.body)
			}
			var got []int
			for _, pr := range decode[[]*gogithub.PullRequest](t, r) {
				got = append(got, pr.GetNumber())
				if pr.GetNumber() == 3 && (len(pr.Labels) != 1 || pr.Labels[0].GetName() != "ok-to-test") {
					t.Errorf("#3 is listed with labels %v, want its ok-to-test label", pr.Labels)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("numbers = %v, want %v", got, tc.want)
			}
		})
	}

	if r := do(t, s, http.MethodGet, "/repos/acme/widgets/pulls?state=merged", ""); r.status != http.StatusUnprocessableEntity {
		t.Errorf("state=merged: status %d, want 422", r.status)
	}
	if r := do(t, s, http.MethodGet, "/repos/acme/nothing/pulls", ""); r.status != http.StatusOK || string(r.body) != "[]\n" {
		t.Errorf("a repository without pull requests: %d %q, want 200 []", r.status, r.body)
	}
}

func TestSetPullRequestFileChanges(t *testing.T) {
	s := fakegithub.New()
	defer s.Close()
	s.AddPullRequest("acme", "widgets", &gogithub.PullRequest{Number: gogithub.Ptr(42)})
	s.SetPullRequestFileChanges("acme", "widgets", 42,
		fakegithub.FileChange{Filename: "a.yaml", Status: "added"},
		fakegithub.FileChange{Filename: "b.yaml"},
		fakegithub.FileChange{Filename: "c.yaml", Status: "removed"},
		fakegithub.FileChange{Filename: "new/d.yaml", Status: "renamed", PreviousFilename: "old/d.yaml"},
	)

	r := do(t, s, http.MethodGet, "/repos/acme/widgets/pulls/42/files", "")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.status, r.body)
	}
	type change struct{ name, status, previous string }
	var got []change
	for _, f := range decode[[]*gogithub.CommitFile](t, r) {
		got = append(got, change{f.GetFilename(), f.GetStatus(), f.GetPreviousFilename()})
		if removed := f.GetStatus() == "removed"; removed != (f.GetSHA() == "") {
			t.Errorf("%s (%s) has blob %q; only a removed file has none", f.GetFilename(), f.GetStatus(), f.GetSHA())
		}
	}
	want := []change{
		{"a.yaml", "added", ""},
		{"b.yaml", "modified", ""},
		{"c.yaml", "removed", ""},
		{"new/d.yaml", "renamed", "old/d.yaml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}
