package trigger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap/zaptest"

	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// centralConfig enables in-repo config for acme/widgets, which also has one central job.
const centralConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
in_repo_config:
  enabled:
    acme/widgets: true
presubmits:
  acme/widgets:
  - name: central-unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
`

const prowYAML = `presubmits:
- name: inrepo-lint
  always_run: true
  pipeline_run_spec: {pipelineRef: {name: lint}}
- name: inrepo-e2e
  pipeline_run_spec: {pipelineRef: {name: e2e}}
`

type inRepoEnv struct {
	gh      *fakegithub.Server
	trigger *Trigger
	ev      Event
}

func newInRepoEnv(t *testing.T, trusted ...string) *inRepoEnv {
	t.Helper()
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL(), Retry: github.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(centralConfig))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	pjs := prowjobfake.NewSimpleClientset().ProwV1().ProwJobs("prow")
	return &inRepoEnv{
		gh:      gh,
		trigger: New(Options{Files: client, ProwJobs: pjs, Trees: client, Statuses: client}),
		ev: Event{
			Config: cfg,
			Trust: TrustFunc(func(_ context.Context, _, _, user, _ string) (bool, error) {
				for _, u := range trusted {
					if u == user {
						return true, nil
					}
				}
				return false, nil
			}),
			GUID:   "delivery-1",
			Logger: zaptest.NewLogger(t).Sugar(),
		},
	}
}

func pullRequest(author, sha string, labels ...string) *gogithub.PullRequest {
	pr := &gogithub.PullRequest{
		Number: gogithub.Ptr(7),
		State:  gogithub.Ptr("open"),
		User:   &gogithub.User{Login: gogithub.Ptr(author)},
		Base: &gogithub.PullRequestBranch{
			Ref:  gogithub.Ptr("main"),
			SHA:  gogithub.Ptr("base0"),
			Repo: &gogithub.Repository{Name: gogithub.Ptr("widgets"), Owner: &gogithub.User{Login: gogithub.Ptr("acme")}},
		},
		Head: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("feature"), SHA: gogithub.Ptr(sha)},
	}
	for _, l := range labels {
		pr.Labels = append(pr.Labels, &gogithub.Label{Name: l})
	}
	return pr
}

func jobNames(jobs []config.Presubmit) []string {
	var names []string
	for _, j := range jobs {
		names = append(names, j.Name)
	}
	return names
}

// gitCalls counts the git database reads among the emulator's calls since the last Reset.
func (e *inRepoEnv) gitCalls() int {
	n := 0
	for _, c := range e.gh.Calls() {
		if strings.Contains(c.Path, "/git/") {
			n++
		}
	}
	return n
}

func TestInRepoJobsOfTrustedAuthorsRunReadOncePerContent(t *testing.T) {
	env := newInRepoEnv(t, "alice")
	ctx := t.Context()
	for _, sha := range []string{"head1", "head2"} {
		env.gh.SetFile("acme", "widgets", sha, ".prow.yaml", []byte(prowYAML))
		env.gh.SetFile("acme", "widgets", sha, "main.go", []byte("package main\n"))
	}
	steps := []struct {
		sha       string
		wantCalls int
	}{
		{"head1", 2}, // the commit's tree, then .prow.yaml's blob
		{"head1", 0}, // the same head again: nothing
		{"head2", 1}, // a new head with the same .prow.yaml: its tree only
	}
	for i, step := range steps {
		env.gh.Reset()
		d, err := env.trigger.Decide(ctx, env.ev, pullRequest("alice", step.sha))
		if err != nil {
			t.Fatalf("step %d: Decide() error = %v", i+1, err)
		}
		if diff := cmp.Diff([]string{"central-unit", "inrepo-lint"}, jobNames(d.Jobs)); diff != "" {
			t.Errorf("step %d: jobs (-want, +got):\n%s", i+1, diff)
		}
		if got := env.gitCalls(); got != step.wantCalls {
			t.Errorf("step %d (%s): %d git reads, want %d: %v", i+1, step.sha, got, step.wantCalls, env.gh.Calls())
		}
	}
}

func TestInRepoJobsOfUntrustedAuthorsRunOnlyWhenATrustedUserAsks(t *testing.T) {
	env := newInRepoEnv(t, "alice")
	ctx := t.Context()
	env.gh.SetFile("acme", "widgets", "head1", ".prow.yaml", []byte(prowYAML))

	// Without ok-to-test nothing runs and nothing is read.
	env.gh.Reset()
	d, err := env.trigger.Decide(ctx, env.ev, pullRequest("mallory", "head1"))
	if err != nil || !d.Untrusted || len(d.Jobs) != 0 || env.gitCalls() != 0 {
		t.Fatalf("untrusted: Decide() = %+v, %v, %d git reads; want untrusted, nothing read", d, err, env.gitCalls())
	}
	// ok-to-test covers the central jobs of every new commit, not the commit's own jobs.
	d, err = env.trigger.Decide(ctx, env.ev, pullRequest("mallory", "head1", LabelOkToTest))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"central-unit"}, jobNames(d.Jobs)); diff != "" {
		t.Errorf("ok-to-test, automatic: jobs (-want, +got):\n%s", diff)
	}
	if env.gitCalls() != 0 {
		t.Errorf("the in-repo config of an untrusted head was read by itself: %v", env.gh.Calls())
	}
	// A trusted user's /ok-to-test or /test on this head asks for its own jobs too.
	got, err := env.trigger.Automatic(ctx, env.ev, pullRequest("mallory", "head1", LabelOkToTest), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"central-unit", "inrepo-lint"}, jobNames(got)); diff != "" {
		t.Errorf("vouched head: jobs (-want, +got):\n%s", diff)
	}
}

func TestBrokenInRepoConfigFailsTheConfigStatusOnce(t *testing.T) {
	env := newInRepoEnv(t, "alice")
	ctx := t.Context()
	env.gh.SetFile("acme", "widgets", "head1", ".prow.yaml", []byte("presubmits:\n- name: lint\n  alwys_run: true\n  pipeline_run_spec: {pipelineRef: {name: lint}}\n"))
	for i := 0; i < 2; i++ {
		d, err := env.trigger.Decide(ctx, env.ev, pullRequest("alice", "head1"))
		if err != nil {
			t.Fatalf("Decide() error = %v", err)
		}
		if d.InRepoError == nil {
			t.Fatal("a misspelled key in .prow.yaml loaded")
		}
		if diff := cmp.Diff([]string{"central-unit"}, jobNames(d.Jobs)); diff != "" {
			t.Errorf("jobs with a broken in-repo config (-want, +got):\n%s", diff)
		}
	}
	statuses := env.gh.Statuses("acme", "widgets", "head1")
	if len(statuses) != 1 {
		t.Fatalf("%d statuses on the head, want one %s failure however many decisions: %+v", len(statuses), ConfigStatusContext, statuses)
	}
	s := statuses[0]
	if s.GetContext() != ConfigStatusContext || s.GetState() != github.StatusFailure {
		t.Errorf("status = %s %s, want %s failure", s.GetContext(), s.GetState(), ConfigStatusContext)
	}
	for _, want := range []string{".prow.yaml:3", "alwys_run", "always_run"} {
		if !strings.Contains(s.GetDescription(), want) {
			t.Errorf("status description %q does not name %q (file, line, key)", s.GetDescription(), want)
		}
	}
}

func TestInRepoConfigBounds(t *testing.T) {
	env := newInRepoEnv(t, "alice")
	for i := 0; i <= maxInRepoFiles; i++ {
		env.gh.SetFile("acme", "widgets", "head1", fmt.Sprintf(".prow/job-%03d.yaml", i), []byte("presubmits: []\n"))
	}
	env.gh.Reset()
	_, err := env.trigger.InRepoJobs(t.Context(), env.ev, "acme", "widgets", "head1")
	var bad *InRepoError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("InRepoJobs(%d files) error = %v, want an InRepoError about the bound", maxInRepoFiles+1, err)
	}
	for _, c := range env.gh.Calls() {
		if strings.Contains(c.Path, "/git/blobs/") {
			t.Fatalf("a blob was read for a commit over the bounds: %v", c)
		}
	}
}

func TestInRepoConfigOffReadsNothing(t *testing.T) {
	env := newInRepoEnv(t, "alice")
	env.gh.SetFile("acme", "gadgets", "head1", ".prow.yaml", []byte(prowYAML))
	jobs, err := env.trigger.InRepoJobs(t.Context(), env.ev, "acme", "gadgets", "head1")
	if err != nil || jobs != nil || len(env.gh.Calls()) != 0 {
		t.Errorf("in-repo config off for acme/gadgets: InRepoJobs() = %v, %v after %d calls; want nothing read", jobs, err, len(env.gh.Calls()))
	}
}

func TestBoundedCacheKeepsItsBytes(t *testing.T) {
	c := newBoundedCache(10, 10, func(b []byte) int64 { return int64(len(b)) })
	c.put("a", make([]byte, 4))
	c.put("b", make([]byte, 4))
	c.put("c", make([]byte, 4)) // over 10 bytes: a goes
	if _, ok := c.get("a"); ok {
		t.Error("the oldest entry stayed past the byte bound")
	}
	for _, k := range []string{"b", "c"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("entry %s was dropped", k)
		}
	}
	c.put("huge", make([]byte, 11))
	if _, ok := c.get("huge"); ok || c.bytes > 10 {
		t.Errorf("an entry over the whole bound was kept (bytes %d)", c.bytes)
	}
}
