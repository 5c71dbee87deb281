package resync

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

const (
	namespace = "prow"
	baseSHA   = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
)

// jobConfig has, for acme/widgets, two always_run presubmits (lint on main only), one that
// runs when docs change and one that runs only when asked; acme/gadgets has one presubmit,
// and huge has three repositories, one more than max_org_repos allows.
const jobConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
resync:
%s
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: lint
    always_run: true
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: lint}}
  - name: docs
    run_if_changed: '^docs/'
    pipeline_run_spec: {pipelineRef: {name: docs}}
  - name: e2e
    pipeline_run_spec: {pipelineRef: {name: e2e}}
  acme/gadgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  huge/a:
  - {name: unit, always_run: true, pipeline_run_spec: {pipelineRef: {name: unit}}}
  huge/b:
  - {name: unit, always_run: true, pipeline_run_spec: {pipelineRef: {name: unit}}}
  huge/c:
  - {name: unit, always_run: true, pipeline_run_spec: {pipelineRef: {name: unit}}}
`

// now is the fake clock's time; pull requests are last updated an hour before.
var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// testEnv is a Resyncer against the GitHub emulator, through bosun's real client, and a fake
// ProwJob clientset.
type testEnv struct {
	gh        *fakegithub.Server
	client    *github.Client
	clientset *fake.Clientset
	cfg       *config.Config
	// current is what the Resyncers' Config getter returns; it starts as cfg.
	current   atomic.Pointer[config.Config]
	pluginCfg *plugins.Configuration
	clock     *clocktesting.FakeClock
	reg       *prometheus.Registry
	r         *Resyncer
}

// newTestEnv builds the env; resyncYAML is the body of the resync section (empty:
// max_org_repos 2), pluginsYAML is plugins.yaml (empty: trigger for acme and huge).
func newTestEnv(t *testing.T, resyncYAML, pluginsYAML string) *testEnv {
	t.Helper()
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL(), Retry: github.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	if resyncYAML == "" {
		resyncYAML = "  max_org_repos: 2"
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf(jobConfig, resyncYAML)))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	if pluginsYAML == "" {
		pluginsYAML = "plugins:\n  acme: [trigger]\n  huge: [trigger]\n"
	}
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(pluginsYAML), plugins.Default)
	if err != nil {
		t.Fatalf("ParseConfiguration() error:\n%v", err)
	}
	e := &testEnv{gh: gh, client: client, clientset: fake.NewSimpleClientset(), cfg: cfg, pluginCfg: pluginCfg,
		clock: clocktesting.NewFakeClock(now), reg: prometheus.NewPedanticRegistry()}
	e.current.Store(cfg)
	e.r = e.newResyncer(t, e.reg)
	return e
}

func (e *testEnv) newResyncer(t *testing.T, reg prometheus.Registerer) *Resyncer {
	t.Helper()
	r, err := New(Options{
		Config:       e.current.Load,
		PluginConfig: func() *plugins.Configuration { return e.pluginCfg },
		GitHub:       e.client,
		ProwJobs:     e.clientset.ProwV1().ProwJobs(namespace),
		Logger:       zaptest.NewLogger(t).Sugar(),
		Registerer:   reg,
		Clock:        e.clock,
	})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return r
}

// headSHA is a commit unique to the test and the given seed: the trigger's file cache is
// shared by the whole process, so two tests must never reuse a head.
func headSHA(t *testing.T, seed string) string {
	sum := sha1.Sum([]byte(t.Name() + "\x00" + seed))
	return hex.EncodeToString(sum[:])
}

// pullRequest is an open pull request by a member against main, last updated an hour ago.
func pullRequest(org, repo string, number int, sha string, mutate ...func(*gogithub.PullRequest)) *gogithub.PullRequest {
	pr := &gogithub.PullRequest{
		Number:            gogithub.Ptr(number),
		Title:             gogithub.Ptr("Retry fetches"),
		User:              &gogithub.User{Login: gogithub.Ptr("alice"), HTMLURL: gogithub.Ptr("https://github.com/alice")},
		AuthorAssociation: gogithub.Ptr("MEMBER"),
		Head:              &gogithub.PullRequestBranch{SHA: gogithub.Ptr(sha), Ref: gogithub.Ptr("retry")},
		Base: &gogithub.PullRequestBranch{Ref: gogithub.Ptr("main"), SHA: gogithub.Ptr(baseSHA), Repo: &gogithub.Repository{
			Name: gogithub.Ptr(repo), Owner: &gogithub.User{Login: gogithub.Ptr(org)}, HTMLURL: gogithub.Ptr("https://github.com/" + org + "/" + repo),
		}},
		UpdatedAt: &gogithub.Timestamp{Time: now.Add(-time.Hour)},
	}
	for _, m := range mutate {
		m(pr)
	}
	return pr
}

func untrusted(pr *gogithub.PullRequest) {
	pr.User.Login, pr.AuthorAssociation = gogithub.Ptr("mallory"), gogithub.Ptr("CONTRIBUTOR")
}

// seedJob puts a presubmit for org/repo#number at sha into the clientset, as a webhook would
// have created it, in the given state.
func (e *testEnv) seedJob(t *testing.T, org, repo string, number int, job, sha string, state prowjobsv1.ProwJobState) {
	t.Helper()
	cfgJob := e.cfg.PresubmitsFor(org, repo)[0]
	cfgJob.Name = job
	refs := prowjobsv1.Refs{Org: org, Repo: repo, BaseRef: "main", BaseSHA: baseSHA, Pulls: []prowjobsv1.Pull{{Number: number, SHA: sha}}}
	pj := jobs.NewPresubmit(e.cfg, cfgJob, refs, jobs.Options{EventGUID: "webhook-" + sha[:8], Now: now})
	pj.Status.State = state
	if _, err := e.clientset.ProwV1().ProwJobs(namespace).Create(context.Background(), pj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// jobs returns the ProwJobs as "org/repo#number job sha[:8] event-GUID", sorted, and checks
// that the resync's are named as the webhooks' automatic runs of the head are.
func (e *testEnv) jobs(t *testing.T) []string {
	t.Helper()
	list, err := e.clientset.ProwV1().ProwJobs(namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]prowjobsv1.ProwJob{}
	for _, pj := range list.Items {
		byName[pj.Name] = pj
	}
	var out []string
	for _, pj := range list.Items {
		r := pj.Spec.Refs
		out = append(out, fmt.Sprintf("%s/%s#%d %s %s %s", r.Org, r.Repo, r.Pulls[0].Number, pj.Spec.Job, r.HeadSHA()[:8], pj.Labels[prowjobsv1.EventGUIDLabel]))
		if guid := pj.Labels[prowjobsv1.EventGUIDLabel]; strings.HasPrefix(guid, EventGUIDPrefix) {
			// Named as the automatic run of the head is, or, when that run was superseded,
			// after that run.
			auto := jobs.Name(trigger.AutomaticNameKey(r.Org, r.Repo, r.Pulls[0].Number), pj.Spec.Job, r.HeadSHA())
			superseded := byName[auto].Status.Description == trigger.DescriptionSuperseded
			if again := jobs.Name(auto, pj.Spec.Job, r.HeadSHA()); pj.Name != auto && !(superseded && pj.Name == again) {
				t.Errorf("resync job %s is named %s, want %s (or %s after a superseded run)", pj.Spec.Job, pj.Name, auto, again)
			}
		}
	}
	slices.Sort(out)
	return out
}

// calls returns the GitHub calls since the last Reset as "METHOD path status", and resets.
func (e *testEnv) calls() []string {
	var out []string
	for _, c := range e.gh.Calls() {
		out = append(out, fmt.Sprintf("%s %s %d", c.Method, c.Path, c.Status))
	}
	e.gh.Reset()
	return out
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *testEnv) sync(t *testing.T) Report {
	t.Helper()
	report, err := e.r.Sync(testContext(t))
	if err != nil {
		t.Fatalf("Sync() error = %v", err)
	}
	return report
}

func TestSyncCreatesMissingPresubmits(t *testing.T) {
	e := newTestEnv(t, "", "")
	noJobs, withJobs, older := headSHA(t, "1"), headSHA(t, "2"), headSHA(t, "3")
	oldSHA, docs := headSHA(t, "3-old"), headSHA(t, "4")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, noJobs))
	// A webhook created the jobs of #2's head, and one was cancelled since: that settles it.
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 2, withJobs))
	e.seedJob(t, "acme", "widgets", 2, "unit", withJobs, prowjobsv1.AbortedState)
	e.seedJob(t, "acme", "widgets", 2, "lint", withJobs, prowjobsv1.SuccessState)
	// #7's webhook was handled halfway: lint was created, then the apiserver failed before
	// unit. Only unit is missing.
	half := headSHA(t, "7")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 7, half))
	e.seedJob(t, "acme", "widgets", 7, "lint", half, prowjobsv1.PendingState)
	// #3 has jobs only for a commit before its head.
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 3, older))
	e.seedJob(t, "acme", "widgets", 3, "unit", oldSHA, prowjobsv1.SuccessState)
	e.seedJob(t, "acme", "widgets", 3, "lint", oldSHA, prowjobsv1.FailureState)
	// #4 changes docs against a release branch: the branch and file rules apply.
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 4, docs, func(pr *gogithub.PullRequest) {
		pr.Base.Ref = gogithub.Ptr("release-1.0")
	}))
	e.gh.SetPullRequestFiles("acme", "widgets", 4, "docs/retry.md")
	// #5 is a draft, #6 is closed: nothing for either.
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 5, headSHA(t, "5"), func(pr *gogithub.PullRequest) { pr.Draft = gogithub.Ptr(true) }))
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 6, headSHA(t, "6"), func(pr *gogithub.PullRequest) { pr.State = gogithub.Ptr("closed") }))
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, noJobs))

	report := e.sync(t)

	// acme/gadgets#1 has the head of acme/widgets#1 (one branch, two pull requests): each
	// gets its own jobs.
	want := []string{
		"acme/gadgets#1 unit " + noJobs[:8] + " resync_acme_gadgets_1",
		"acme/widgets#1 lint " + noJobs[:8] + " resync_acme_widgets_1",
		"acme/widgets#1 unit " + noJobs[:8] + " resync_acme_widgets_1",
		"acme/widgets#2 lint " + withJobs[:8] + " webhook-" + withJobs[:8],
		"acme/widgets#2 unit " + withJobs[:8] + " webhook-" + withJobs[:8],
		"acme/widgets#3 lint " + oldSHA[:8] + " webhook-" + oldSHA[:8],
		"acme/widgets#3 lint " + older[:8] + " resync_acme_widgets_3",
		"acme/widgets#3 unit " + oldSHA[:8] + " webhook-" + oldSHA[:8],
		"acme/widgets#3 unit " + older[:8] + " resync_acme_widgets_3",
		"acme/widgets#4 docs " + docs[:8] + " resync_acme_widgets_4",
		"acme/widgets#4 unit " + docs[:8] + " resync_acme_widgets_4",
		"acme/widgets#7 lint " + half[:8] + " webhook-" + half[:8],
		"acme/widgets#7 unit " + half[:8] + " resync_acme_widgets_7",
	}
	if diff := cmp.Diff(want, e.jobs(t)); diff != "" {
		t.Errorf("ProwJobs (-want, +got):\n%s", diff)
	}
	wantReport := Report{Repos: 2, PullRequests: 7, Created: 8, SkippedOrgs: []string{"huge"}}
	if diff := cmp.Diff(wantReport, report); diff != "" {
		t.Errorf("report (-want, +got):\n%s", diff)
	}
	if got := counter(t, e.reg, "bosun_resync_jobs_created_total", ""); got != 8 {
		t.Errorf("bosun_resync_jobs_created_total = %v, want 8", got)
	}
	if got := counter(t, e.reg, "bosun_resync_passes_total", "ok"); got != 1 {
		t.Errorf(`bosun_resync_passes_total{result="ok"} = %v, want 1`, got)
	}
}

func TestSyncSecondPassCostsOnlyRevalidations(t *testing.T) {
	e := newTestEnv(t, "", "")
	sha := headSHA(t, "1")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, sha))
	e.gh.SetPullRequestFiles("acme", "widgets", 1, "main.go")
	// An untrusted author's pull request costs trust calls once, not on every pass.
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 2, headSHA(t, "2"), untrusted))
	if got := e.sync(t).Created; got != 2 {
		t.Fatalf("first pass created %d jobs, want 2", got)
	}
	first := e.calls()
	wantFirst := []string{
		"GET /repos/acme/gadgets/pulls 200",
		"GET /repos/acme/widgets/pulls 200",
		"GET /repos/acme/widgets/pulls/1/files 200",
		"GET /repos/acme/widgets/commits/" + sha + "/status 200",
		"GET /orgs/acme/members/mallory 404",
		"GET /repos/acme/widgets/collaborators/mallory 404",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("first pass GitHub calls (-want, +got):\n%s", diff)
	}

	report := e.sync(t)
	if report.Created != 0 {
		t.Errorf("second pass created %d jobs, want 0", report.Created)
	}
	want := []string{"GET /repos/acme/gadgets/pulls 304", "GET /repos/acme/widgets/pulls 304"}
	if diff := cmp.Diff(want, e.calls()); diff != "" {
		t.Errorf("second pass GitHub calls (-want, +got):\n%s", diff)
	}
	if got := len(e.jobs(t)); got != 2 {
		t.Errorf("%d ProwJobs after two passes, want 2", got)
	}
}

func TestSyncHeadsWithAllTheirJobsCostNoGitHubCall(t *testing.T) {
	// A fresh hook (nothing decided yet) over pull requests whose heads have a ProwJob for
	// every job that could run by itself spends only the listings.
	e := newTestEnv(t, "", "")
	for n := 1; n <= 3; n++ {
		sha := headSHA(t, fmt.Sprint(n))
		e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", n, sha))
		for _, job := range []string{"unit", "lint", "docs"} {
			e.seedJob(t, "acme", "widgets", n, job, sha, prowjobsv1.SuccessState)
		}
	}
	if got := e.sync(t).Created; got != 0 {
		t.Errorf("created %d jobs, want 0", got)
	}
	want := []string{"GET /repos/acme/gadgets/pulls 200", "GET /repos/acme/widgets/pulls 200"}
	if diff := cmp.Diff(want, e.calls()); diff != "" {
		t.Errorf("GitHub calls (-want, +got):\n%s", diff)
	}
}

func TestSyncUntrustedWithoutOkToTest(t *testing.T) {
	e := newTestEnv(t, "", "")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, headSHA(t, "1"), untrusted))
	if got := e.sync(t).Created; got != 0 {
		t.Errorf("created %d jobs for an untrusted author, want 0", got)
	}
	for _, c := range e.gh.Calls() {
		if c.Method != http.MethodGet {
			t.Errorf("resync changed GitHub: %s %s", c.Method, c.Path)
		}
	}
	if got := e.gh.Comments("acme", "widgets", 1); len(got) != 0 {
		t.Errorf("resync commented %d times, want no comment", len(got))
	}
	if got := e.gh.Labels("acme", "widgets", 1); len(got) != 0 {
		t.Errorf("resync labelled the pull request %v, want no label", got)
	}

	// A trusted user's ok-to-test, whose labeled webhook was lost too, changes the decision.
	sha := headSHA(t, "1")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, sha, untrusted, func(pr *gogithub.PullRequest) {
		pr.Labels = []*gogithub.Label{{Name: "ok-to-test"}}
	}))
	if got := e.sync(t).Created; got != 2 {
		t.Errorf("after ok-to-test: created %d jobs, want 2", got)
	}
}

func TestSyncSkipsOrgsOverTheLimit(t *testing.T) {
	tests := []struct {
		name        string
		resync      string
		wantSkipped []string
		wantJobs    int
	}{
		{name: "three repositories, limit two: skipped", resync: "  max_org_repos: 2", wantSkipped: []string{"huge"}, wantJobs: 1},
		{name: "listed: resynced whatever its size", resync: "  max_org_repos: 2\n  orgs: [HUGE]", wantJobs: 4},
		{name: "the default limit (20) allows three", resync: "  grace_period: 2m", wantJobs: 4},
		{name: "limit 0 and acme listed: only acme", resync: "  max_org_repos: 0\n  orgs: [acme]", wantSkipped: []string{"huge"}, wantJobs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, tc.resync, "")
			e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, headSHA(t, "acme")))
			for _, repo := range []string{"a", "b", "c"} {
				e.gh.AddPullRequest("huge", repo, pullRequest("huge", repo, 1, headSHA(t, repo)))
			}
			report := e.sync(t)
			if diff := cmp.Diff(tc.wantSkipped, report.SkippedOrgs); diff != "" {
				t.Errorf("skipped orgs (-want, +got):\n%s", diff)
			}
			if got := len(e.jobs(t)); got != tc.wantJobs {
				t.Errorf("%d ProwJobs, want %d", got, tc.wantJobs)
			}
			for _, c := range e.gh.Calls() {
				if len(tc.wantSkipped) > 0 && strings.HasPrefix(c.Path, "/repos/huge/") {
					t.Errorf("a skipped org cost a call: %s %s", c.Method, c.Path)
				}
			}
			if got := gauge(t, e.reg, "bosun_resync_skipped_orgs"); got != float64(len(tc.wantSkipped)) {
				t.Errorf("bosun_resync_skipped_orgs = %v, want %d", got, len(tc.wantSkipped))
			}
		})
	}
}

func TestSyncOnlyWhereTriggerIsEnabled(t *testing.T) {
	e := newTestEnv(t, "", "plugins:\n  acme/gadgets: [trigger]\n")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, headSHA(t, "w")))
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, headSHA(t, "g")))
	report := e.sync(t)
	if report.Repos != 1 || report.Created != 1 {
		t.Errorf("report = %+v, want 1 repository and 1 job (acme/gadgets)", report)
	}
	for _, c := range e.calls() {
		if strings.Contains(c, "/repos/acme/widgets/") {
			t.Errorf("a repository without the trigger cost a call: %s", c)
		}
	}
}

func TestSyncGracePeriod(t *testing.T) {
	e := newTestEnv(t, "  grace_period: 5m\n  max_org_repos: 2", "")
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, headSHA(t, "1"), func(pr *gogithub.PullRequest) {
		pr.UpdatedAt = &gogithub.Timestamp{Time: now.Add(-time.Minute)}
	}))
	if got := e.sync(t).Created; got != 0 {
		t.Errorf("a pull request updated a minute ago: %d jobs, want 0 (its webhook may be on its way)", got)
	}
	e.clock.Step(5 * time.Minute)
	if got := e.sync(t).Created; got != 1 {
		t.Errorf("five minutes later: %d jobs, want 1", got)
	}
}

func TestSyncDoesNotRerunGarbageCollectedJobs(t *testing.T) {
	e := newTestEnv(t, "", "")
	sha := headSHA(t, "1")
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, sha))
	// The job ran and reported, and the sinker has deleted its ProwJob since.
	if err := e.client.CreateStatus(testContext(t), "acme", "gadgets", sha, github.Status{State: github.StatusSuccess, Context: "unit"}); err != nil {
		t.Fatal(err)
	}
	if got := e.sync(t).Created; got != 0 {
		t.Errorf("created %d jobs for a head that has their statuses, want 0", got)
	}
}

func TestConcurrentResyncersCreateEachJobOnce(t *testing.T) {
	e := newTestEnv(t, "", "")
	for n := 1; n <= 5; n++ {
		e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", n, headSHA(t, fmt.Sprint(n))))
	}
	// A second hook replica: its own client and cache, the same apiserver.
	other := e.newResyncer(t, nil)
	var (
		wg      sync.WaitGroup
		created [2]int
		errs    [2]error
	)
	for i, r := range []*Resyncer{e.r, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var report Report
			report, errs[i] = r.Sync(testContext(t))
			created[i] = report.Created
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("Sync() errors = %v, %v", errs[0], errs[1])
	}
	if got := len(e.jobs(t)); got != 10 {
		t.Errorf("%d ProwJobs, want 10 (unit and lint for 5 pull requests)", got)
	}
	if created[0]+created[1] != 10 {
		t.Errorf("the replicas report %d + %d created, want 10 together", created[0], created[1])
	}
}

func TestSyncErrorsDoNotStopThePass(t *testing.T) {
	e := newTestEnv(t, "", "")
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, headSHA(t, "g")))
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, headSHA(t, "w")))
	e.gh.InjectFailures(http.MethodGet, "/repos/acme/gadgets/pulls", http.StatusInternalServerError, 1)
	report, err := e.r.Sync(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "acme/gadgets") {
		t.Errorf("Sync() error = %v, want one naming acme/gadgets", err)
	}
	if report.Created != 2 {
		t.Errorf("created %d jobs, want acme/widgets' 2 despite acme/gadgets' failure", report.Created)
	}
	if got := counter(t, e.reg, "bosun_resync_passes_total", "error"); got != 1 {
		t.Errorf(`bosun_resync_passes_total{result="error"} = %v, want 1`, got)
	}
	// The next pass finishes the job.
	if got := e.sync(t).Created; got != 1 {
		t.Errorf("next pass created %d jobs, want acme/gadgets' 1", got)
	}
}

// counter returns the value of a counter, the series with the given result label ("" for an
// unlabelled counter).
func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	for _, m := range metricsNamed(t, reg, name) {
		got := ""
		for _, l := range m.GetLabel() {
			if l.GetName() == "result" {
				got = l.GetValue()
			}
		}
		if got == result {
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s series with result %q", name, result)
	return 0
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	ms := metricsNamed(t, reg, name)
	if len(ms) != 1 {
		t.Fatalf("%d %s series, want 1", len(ms), name)
	}
	return ms[0].GetGauge().GetValue()
}

func metricsNamed(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}

func TestSyncRunsAgainWhatWasSuperseded(t *testing.T) {
	// #1 was closed (its runs aborted as superseded) and reopened, and the reopened event
	// was handled halfway: unit runs again, lint does not. A cancelled run stays cancelled.
	e := newTestEnv(t, "", "")
	sha := headSHA(t, "1")
	e.gh.AddPullRequest("acme", "widgets", pullRequest("acme", "widgets", 1, sha))
	key := trigger.AutomaticNameKey("acme", "widgets", 1)
	for _, j := range []struct{ job, description string }{
		{"lint", trigger.DescriptionSuperseded},
		{"unit", trigger.DescriptionSuperseded},
	} {
		cfgJob := e.cfg.PresubmitsFor("acme", "widgets")[0]
		cfgJob.Name = j.job
		refs := prowjobsv1.Refs{Org: "acme", Repo: "widgets", BaseRef: "main", BaseSHA: baseSHA, Pulls: []prowjobsv1.Pull{{Number: 1, SHA: sha}}}
		pj := jobs.NewPresubmit(e.cfg, cfgJob, refs, jobs.Options{EventGUID: "opened", NameKey: key, Now: now})
		pj.Status.State, pj.Status.Description = prowjobsv1.AbortedState, j.description
		if _, err := e.clientset.ProwV1().ProwJobs(namespace).Create(context.Background(), pj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.seedJob(t, "acme", "widgets", 1, "unit", sha, prowjobsv1.PendingState) // from the reopened event
	if got := e.sync(t).Created; got != 1 {
		t.Errorf("created %d jobs, want 1 (lint)", got)
	}
	want := []string{
		"acme/widgets#1 lint " + sha[:8] + " opened",
		"acme/widgets#1 lint " + sha[:8] + " resync_acme_widgets_1",
		"acme/widgets#1 unit " + sha[:8] + " opened",
		"acme/widgets#1 unit " + sha[:8] + " webhook-" + sha[:8],
	}
	if diff := cmp.Diff(want, e.jobs(t)); diff != "" {
		t.Errorf("ProwJobs (-want, +got):\n%s", diff)
	}
}

func TestSyncNoticesRunsSupersededAfterItsDecision(t *testing.T) {
	// A pass ran #1's head; then a stale redelivery (or a draft and back) aborted those runs
	// as superseded. The next pass runs them again: what it decided before no longer holds.
	e := newTestEnv(t, "", "")
	sha := headSHA(t, "1")
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, sha))
	if got := e.sync(t).Created; got != 1 {
		t.Fatalf("first pass created %d jobs, want 1", got)
	}
	list, err := e.clientset.ProwV1().ProwJobs(namespace).List(testContext(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pj := range list.Items {
		pj.Status.State, pj.Status.Description = prowjobsv1.AbortedState, trigger.DescriptionSuperseded
		if _, err := e.clientset.ProwV1().ProwJobs(namespace).UpdateStatus(testContext(t), &pj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.sync(t).Created; got != 1 {
		t.Errorf("after its run was superseded: created %d jobs, want 1", got)
	}
	if got := e.sync(t).Created; got != 0 {
		t.Errorf("a third pass created %d jobs, want 0", got)
	}
}
