package github_test

import (
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bosun-ci/bosun/pkg/github"
)

// requestCounts reads bosun_github_requests_total from reg, keyed "METHOD endpoint status".
func requestCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	counts := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bosun_github_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			counts[label(m, "method")+" "+label(m, "endpoint")+" "+label(m, "status")] = m.GetCounter().GetValue()
		}
	}
	return counts
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestRequestsMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, s := newClient(t, reg)
	ctx := testContext(t)
	s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(42)})
	files := make([]string, 150)
	for i := range files {
		files[i] = "f.go"
	}
	s.SetPullRequestFiles(org, repo, 42, files...)
	s.AddOrgMember(org, "alice")

	// Two different shas, repos and users must land on the same series.
	_ = c.CreateStatus(ctx, org, repo, sha, github.Status{State: github.StatusPending, Context: "unit"})
	_ = c.CreateStatus(ctx, "other-org", "gadgets", "0123456789abcdef0123456789abcdef01234567", github.Status{State: github.StatusSuccess, Context: "unit"})
	_ = c.CreateStatus(ctx, org, repo, sha, github.Status{State: "bogus", Context: "unit"})
	_, _ = c.IsMember(ctx, org, "alice")
	_, _ = c.IsMember(ctx, org, "mallory")
	_, _ = c.GetPullRequestFiles(ctx, org, repo, 42)
	_ = c.AddLabel(ctx, org, repo, 42, "do-not-merge/hold")
	_ = c.RemoveLabel(ctx, org, repo, 42, "do-not-merge/hold")

	want := map[string]float64{
		"POST /repos/:org/:repo/statuses/:sha 201":                  2,
		"POST /repos/:org/:repo/statuses/:sha 422":                  1,
		"GET /orgs/:org/members/:user 204":                          1,
		"GET /orgs/:org/members/:user 404":                          1,
		"GET /repos/:org/:repo/pulls/:number/files 200":             2,
		"POST /repos/:org/:repo/issues/:number/labels 200":          1,
		"DELETE /repos/:org/:repo/issues/:number/labels/:label 200": 1,
	}
	got := requestCounts(t, reg)
	for series, n := range want {
		if got[series] != n {
			t.Errorf("%s = %v, want %v", series, got[series], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got series %v, want exactly %v", got, want)
	}
	if total := s.CallCount(); total != 9 {
		t.Errorf("emulator saw %d calls, want 9 (the metric must count each once)", total)
	}
}

func TestRequestsMetricTransportError(t *testing.T) {
	reg := prometheus.NewRegistry()
	// A listener that is already closed: the request fails before any response.
	c, s := newClient(t, reg)
	s.Close()
	if err := c.CreateStatus(testContext(t), org, repo, sha, github.Status{State: github.StatusPending, Context: "unit"}); err == nil {
		t.Fatal("CreateStatus() against a closed server succeeded")
	}
	if got := requestCounts(t, reg)["POST /repos/:org/:repo/statuses/:sha error"]; got != 1 {
		t.Errorf("error series = %v, want 1", got)
	}
}

func TestRequestsMetricSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	c1, s1 := newClient(t, reg)
	c2, s2 := newClient(t, reg)
	s1.AddOrgMember(org, "alice")
	s2.AddOrgMember(org, "alice")
	if _, err := c1.IsMember(testContext(t), org, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.IsMember(testContext(t), org, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := requestCounts(t, reg)["GET /orgs/:org/members/:user 204"]; got != 2 {
		t.Errorf("shared counter = %v, want 2", got)
	}

	// A different collector under the same name is a configuration error, not something to
	// paper over.
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bosun_github_requests_total"}, []string{"method", "endpoint", "status"}))
	if _, err := github.NewClient(github.Options{BaseURL: "http://127.0.0.1:1/", Registerer: clash, HTTPClient: http.DefaultClient}); err == nil {
		t.Error("NewClient() shared a counter with a gauge of the same name")
	}
}

// TestRequestsMetricChatOpsEndpoints makes every call the ChatOps plugins make and checks each
// lands on its own template: none may be counted as "other".
func TestRequestsMetricChatOpsEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, s := newClient(t, reg)
	ctx := testContext(t)
	s.AddPullRequest(org, repo, &gogithub.PullRequest{Number: gogithub.Ptr(42), User: &gogithub.User{Login: gogithub.Ptr("alice")}})
	s.AddIssue(org, repo, &gogithub.Issue{Number: gogithub.Ptr(7)})
	s.AddCollaborator(org, repo, "carol")
	s.AddRepoLabels(org, repo, "kind/bug")
	s.SetFile(org, repo, "main", "OWNERS", []byte("approvers: [carol]\n"))
	s.SetFile(org, repo, "main", "pkg/widget/OWNERS", []byte("approvers: [carol]\n"))

	if err := c.CloseIssue(ctx, org, repo, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignIssue(ctx, org, repo, 7, []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UnassignIssue(ctx, org, repo, 7, []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RequestReview(ctx, org, repo, 42, []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UnrequestReview(ctx, org, repo, 42, []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRepoLabels(ctx, org, repo); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"OWNERS", "pkg/widget/OWNERS"} {
		if _, err := c.GetFile(ctx, org, repo, path, "main"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetCombinedStatus(ctx, org, repo, sha); err != nil {
		t.Fatal(err)
	}

	want := map[string]float64{
		"PATCH /repos/:org/:repo/issues/:number 200":                     1,
		"POST /repos/:org/:repo/issues/:number/assignees 201":            1,
		"DELETE /repos/:org/:repo/issues/:number/assignees 200":          1,
		"POST /repos/:org/:repo/pulls/:number/requested_reviewers 201":   1,
		"DELETE /repos/:org/:repo/pulls/:number/requested_reviewers 200": 1,
		"GET /repos/:org/:repo/labels 200":                               1,
		"GET /repos/:org/:repo/contents/*path 200":                       2,
		"GET /repos/:org/:repo/commits/:ref/status 200":                  1,
	}
	got := requestCounts(t, reg)
	for series, n := range want {
		if got[series] != n {
			t.Errorf("%s = %v, want %v", series, got[series], n)
		}
	}
	for series := range got {
		if _, ok := want[series]; !ok {
			t.Errorf("unexpected series %q (all: %v)", series, got)
		}
	}
}
