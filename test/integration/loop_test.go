package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	waitTimeout  = 30 * time.Second
	pollInterval = 20 * time.Millisecond
)

var namespaceSeq atomic.Int64

// repoEnv is one test's slice of the world: its namespace (ProwJobs and PipelineRuns), its
// repository on the emulator, and a hook configured for it.
type repoEnv struct {
	t         *testing.T
	namespace string
	org, repo string
	hook      *framework.Hook
	cfg       *config.Config
}

// jobConfig is a sample repository's config: two presubmits that always run and one that
// runs only when asked for, plus a postsubmit.
func jobConfig(namespace, org, repo string) string {
	return fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  %[2]s/%[3]s:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit-tests}
      params: [{name: GOFLAGS, value: -race}]
  - name: lint
    always_run: true
    branches: [main]
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: lint
          taskSpec:
            steps:
            - {name: lint, image: busybox, script: "echo lint"}
  - name: e2e
    always_run: false
    pipeline_run_spec:
      pipelineRef: {name: e2e}
postsubmits:
  %[2]s/%[3]s:
  - name: publish
    pipeline_run_spec:
      pipelineRef: {name: publish}
`, namespace, org, repo)
}

func newRepoEnv(t *testing.T) *repoEnv {
	t.Helper()
	n := namespaceSeq.Add(1)
	r := &repoEnv{t: t, namespace: fmt.Sprintf("it-%d", n), org: "acme", repo: fmt.Sprintf("widgets-%d", n)}
	ctx := context.Background()
	if err := env.Cluster.CreateNamespace(ctx, r.namespace); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(jobConfig(r.namespace, r.org, r.repo)))
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	r.hook = r.newHook(prowJobClient(t))
	return r
}

func (r *repoEnv) newHook(client prowjobclientset.Interface) *framework.Hook {
	r.t.Helper()
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(fmt.Sprintf("plugins:\n  %s: [trigger]\n", r.org)), plugins.Default)
	if err != nil {
		r.t.Fatal(err)
	}
	h, err := env.NewHook(r.cfg, pluginCfg, client, zaptest.NewLogger(r.t).Sugar())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(h.Close)
	return h
}

func prowJobClient(t *testing.T) prowjobclientset.Interface {
	t.Helper()
	c, err := prowjobclientset.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *repoEnv) pr(number int, sha string) framework.PullRequest {
	return framework.PullRequest{
		Org: r.org, Repo: r.repo, Number: number, Author: "alice", Association: "MEMBER",
		HeadSHA: sha, BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
	}
}

// send posts a signed delivery to h and returns the HTTP status.
func (r *repoEnv) send(h *framework.Hook, eventType, delivery string, body []byte, secret []byte) int {
	r.t.Helper()
	resp, err := webhook.Send(context.Background(), http.DefaultClient, h.URL+"/hook", eventType, delivery, body, secret)
	if err != nil {
		r.t.Fatalf("send %s: %v", eventType, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func (r *repoEnv) prowJobs() []prowjobsv1.ProwJob {
	r.t.Helper()
	list, err := env.ProwJobs.ProwV1().ProwJobs(r.namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	return list.Items
}

func (r *repoEnv) jobsNamed() map[string]prowjobsv1.ProwJob {
	out := map[string]prowjobsv1.ProwJob{}
	for _, pj := range r.prowJobs() {
		out[pj.Spec.Job] = pj
	}
	return out
}

func sha(n int) string { return fmt.Sprintf("%040x", n) }

func TestPullRequestOpenedRunsPresubmitsAndReportsResults(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.pr(42, sha(42))
	body, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		t.Fatal(err)
	}

	if code := r.send(r.hook, "pull_request", "delivery-opened-1", body, r.hook.Secret); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	// A 2xx promises the ProwJobs exist: no waiting here.
	jobs := r.jobsNamed()
	if len(jobs) != 2 || jobs["unit"].Name == "" || jobs["lint"].Name == "" {
		t.Fatalf("ProwJobs right after the 200: got %d %v, want unit and lint", len(jobs), keys(jobs))
	}
	unit := jobs["unit"]
	checkProwJob(t, unit, r, pr)

	// The controller creates one PipelineRun per ProwJob, named after it, with Prow's
	// labels and parameters.
	for _, pj := range jobs {
		err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
			_, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, pj.Name, metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("PipelineRun for %s: %v", pj.Spec.Job, err)
		}
	}
	run, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, unit.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		prowjobsv1.JobLabel: "unit", prowjobsv1.TypeLabel: "presubmit", prowjobsv1.ProwJobIDLabel: unit.Name,
		prowjobsv1.PullLabel: "42", prowjobsv1.CreatedByProwLabel: "true", prowjobsv1.EventGUIDLabel: "delivery-opened-1",
	} {
		if got := run.Labels[k]; got != want {
			t.Errorf("PipelineRun label %s = %q, want %q", k, got, want)
		}
	}
	params := map[string]string{}
	for _, p := range run.Spec.Params {
		params[p.Name] = p.Value.StringVal
	}
	for k, want := range map[string]string{
		pipelinerun.ParamPullNumber: "42", pipelinerun.ParamPullPullSHA: pr.HeadSHA, pipelinerun.ParamJobName: "unit",
		pipelinerun.ParamJobType: "presubmit", pipelinerun.ParamProwJobID: unit.Name, pipelinerun.ParamRepoName: r.repo,
		pipelinerun.ParamPullRefs: "main:" + pr.BaseSHA + ",42:" + pr.HeadSHA + ":refs/pull/42/head", "GOFLAGS": "-race",
	} {
		if got := params[k]; got != want {
			t.Errorf("PipelineRun param %s = %q, want %q", k, got, want)
		}
	}

	// With its run created and not yet started, the job is pending.
	pending := waitForState(ctx, t, r, unit.Name, prowjobsv1.PendingState)
	if pending.Status.BuildID != unit.Labels[prowjobsv1.BuildIDLabel] || pending.Status.StartTime.IsZero() || pending.Status.PendingTime == nil {
		t.Errorf("pending status = %+v, want build id %s, startTime and pendingTime", pending.Status, unit.Labels[prowjobsv1.BuildIDLabel])
	}
	if run.Labels[prowjobsv1.BuildIDLabel] != pending.Status.BuildID {
		t.Errorf("PipelineRun build-id label %q, want %q", run.Labels[prowjobsv1.BuildIDLabel], pending.Status.BuildID)
	}

	// Both jobs are reported pending on the PR's head commit.
	waitForStatus(ctx, t, r, pr.HeadSHA, "unit", "pending")
	waitForStatus(ctx, t, r, pr.HeadSHA, "lint", "pending")

	// Tekton finishes the runs: unit passes, lint fails.
	if err := env.SetPipelineRunCondition(ctx, r.namespace, jobs["unit"].Name, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0"); err != nil {
		t.Fatal(err)
	}
	if err := env.SetPipelineRunCondition(ctx, r.namespace, jobs["lint"].Name, corev1.ConditionFalse, framework.Failed, "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0"); err != nil {
		t.Fatal(err)
	}
	waitForState(ctx, t, r, jobs["unit"].Name, prowjobsv1.SuccessState)
	waitForState(ctx, t, r, jobs["lint"].Name, prowjobsv1.FailureState)
	waitForStatus(ctx, t, r, pr.HeadSHA, "unit", "success")
	waitForStatus(ctx, t, r, pr.HeadSHA, "lint", "failure")

	done, err := env.ProwJobs.ProwV1().ProwJobs(r.namespace).Get(ctx, jobs["lint"].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status.Description != "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" || done.Status.CompletionTime == nil || done.Status.PendingTime == nil {
		t.Errorf("failed job status = %+v, want Tekton's message, pendingTime and completionTime", done.Status)
	}
	lint, _ := env.GitHub.LatestStatus(r.org, r.repo, pr.HeadSHA, "lint")
	if lint.GetDescription() != done.Status.Description {
		t.Errorf("GitHub status description = %q, want %q", lint.GetDescription(), done.Status.Description)
	}
}

func TestRedeliveredWebhookCreatesNothingNew(t *testing.T) {
	r := newRepoEnv(t)
	body, err := framework.PullRequestPayload("opened", r.pr(7, sha(7)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if code := r.send(r.hook, "pull_request", "delivery-redelivered", body, r.hook.Secret); code != http.StatusOK {
			t.Fatalf("delivery %d answered %d", i, code)
		}
	}
	// A second hook replica has no memory of the delivery; the ProwJob names derived from
	// the delivery id still keep it from doubling the jobs.
	other := r.newHook(prowJobClient(t))
	if code := r.send(other, "pull_request", "delivery-redelivered", body, other.Secret); code != http.StatusOK {
		t.Fatalf("redelivery to a second hook answered %d", code)
	}
	if got := len(r.prowJobs()); got != 2 {
		t.Fatalf("ProwJobs after 4 deliveries of one event = %d, want 2", got)
	}
}

func TestBadSignatureCreatesNothing(t *testing.T) {
	r := newRepoEnv(t)
	body, err := framework.PullRequestPayload("opened", r.pr(8, sha(8)))
	if err != nil {
		t.Fatal(err)
	}
	if code := r.send(r.hook, "pull_request", "delivery-forged", body, []byte("not-the-secret")); code != http.StatusForbidden {
		t.Fatalf("forged delivery answered %d, want 403", code)
	}
	if got := len(r.prowJobs()); got != 0 {
		t.Fatalf("ProwJobs after a forged delivery = %d, want 0", got)
	}
	// The genuine delivery with the same id is not mistaken for a duplicate.
	if code := r.send(r.hook, "pull_request", "delivery-forged", body, r.hook.Secret); code != http.StatusOK {
		t.Fatalf("genuine delivery answered %d, want 200", code)
	}
	if got := len(r.prowJobs()); got != 2 {
		t.Fatalf("ProwJobs after the genuine delivery = %d, want 2", got)
	}
}

func TestTestCommentsRunTheRequestedJobs(t *testing.T) {
	r := newRepoEnv(t)
	pr := r.pr(9, sha(9))
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.AddPullRequest(r.org, r.repo, obj)

	comment := func(delivery, body string) {
		t.Helper()
		payload, err := framework.CommentPayload(pr, "bob", "COLLABORATOR", body)
		if err != nil {
			t.Fatal(err)
		}
		if code := r.send(r.hook, "issue_comment", delivery, payload, r.hook.Secret); code != http.StatusOK {
			t.Fatalf("comment %q answered %d", body, code)
		}
	}
	comment("c-all", "/test all")
	if got := countJobs(r.prowJobs()); got["unit"] != 1 || got["lint"] != 1 || got["e2e"] != 0 {
		t.Fatalf("after /test all: %v, want unit and lint once", got)
	}
	comment("c-e2e", "Flaky, again.\n/test e2e")
	if got := countJobs(r.prowJobs()); got["e2e"] != 1 || got["unit"] != 1 {
		t.Fatalf("after /test e2e: %v, want e2e once more", got)
	}
	comment("c-quoted", "> /test all\nas someone said")
	if got := len(r.prowJobs()); got != 3 {
		t.Fatalf("a quoted /test ran jobs: %d ProwJobs, want 3", got)
	}
	for _, pj := range r.prowJobs() {
		if pj.Spec.Refs.Pulls[0].SHA != pr.HeadSHA {
			t.Errorf("%s runs %s, want the PR head %s", pj.Spec.Job, pj.Spec.Refs.Pulls[0].SHA, pr.HeadSHA)
		}
	}
}

func TestUnreachableApiserverAnswers503AndLosesNothing(t *testing.T) {
	r := newRepoEnv(t)
	cfg := env.Cluster.RESTConfig()
	cfg.Host = "https://127.0.0.1:1" // nothing listens there
	cfg.Timeout = 2 * time.Second
	down, err := prowjobclientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := r.newHook(down)
	body, err := framework.PullRequestPayload("opened", r.pr(10, sha(10)))
	if err != nil {
		t.Fatal(err)
	}
	if code := r.send(broken, "pull_request", "delivery-outage", body, broken.Secret); code != http.StatusServiceUnavailable {
		t.Fatalf("delivery during an outage answered %d, want 503", code)
	}
	// GitHub's redelivery (same id) once the apiserver is back creates the jobs.
	if code := r.send(r.hook, "pull_request", "delivery-outage", body, r.hook.Secret); code != http.StatusOK {
		t.Fatalf("redelivery answered %d, want 200", code)
	}
	if got := len(r.prowJobs()); got != 2 {
		t.Fatalf("ProwJobs after the redelivery = %d, want 2", got)
	}
}

func TestPipelineRunCreationFailureEndsInError(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.pr(11, sha(11))
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{Name: "c0ffee00-0000-4000-8000-000000000011", Namespace: r.namespace},
		Spec: prowjobsv1.ProwJobSpec{
			Type: prowjobsv1.PresubmitJob, Agent: prowjobsv1.TektonAgent, Job: "broken", Context: "broken", Report: true,
			Namespace: "no-such-namespace",
			Refs: &prowjobsv1.Refs{Org: r.org, Repo: r.repo, BaseRef: "main", BaseSHA: pr.BaseSHA,
				Pulls: []prowjobsv1.Pull{{Number: 11, Author: "alice", SHA: pr.HeadSHA}}},
			PipelineRunSpec: r.cfg.PresubmitsFor(r.org, r.repo)[0].RunSpec().DeepCopy(),
		},
	}
	pj.Status.MarkTriggered(metav1.Now())
	if _, err := env.ProwJobs.ProwV1().ProwJobs(r.namespace).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got := waitForState(ctx, t, r, pj.Name, prowjobsv1.ErrorState)
	if !strings.HasPrefix(got.Status.Description, "start pipeline: ") {
		t.Errorf("description = %q, want the start failure", got.Status.Description)
	}
	waitForStatus(ctx, t, r, pr.HeadSHA, "broken", "error")
}

func checkProwJob(t *testing.T, pj prowjobsv1.ProwJob, r *repoEnv, pr framework.PullRequest) {
	t.Helper()
	if pj.Spec.Agent != prowjobsv1.TektonAgent || pj.Spec.Type != prowjobsv1.PresubmitJob || pj.Spec.Namespace != r.namespace {
		t.Errorf("spec = agent %q type %q namespace %q", pj.Spec.Agent, pj.Spec.Type, pj.Spec.Namespace)
	}
	if pj.Labels[prowjobsv1.BuildIDLabel] == "" {
		t.Errorf("no %s label", prowjobsv1.BuildIDLabel)
	}
	if pj.Spec.Refs == nil || len(pj.Spec.Refs.Pulls) != 1 || pj.Spec.Refs.Pulls[0].SHA != pr.HeadSHA || pj.Spec.Refs.BaseRef != "main" {
		t.Errorf("refs = %+v, want PR %d at %s on main", pj.Spec.Refs, pr.Number, pr.HeadSHA)
	}
	if pj.Labels[prowjobsv1.EventGUIDLabel] == "" || pj.Labels[prowjobsv1.OrgLabel] != r.org || pj.Labels[prowjobsv1.RepoLabel] != r.repo {
		t.Errorf("labels = %v", pj.Labels)
	}
}

func waitForState(ctx context.Context, t *testing.T, r *repoEnv, name string, want prowjobsv1.ProwJobState) *prowjobsv1.ProwJob {
	t.Helper()
	var last *prowjobsv1.ProwJob
	err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
		pj, err := env.ProwJobs.ProwV1().ProwJobs(r.namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = pj
		return pj.Status.State == want, nil
	})
	if err != nil {
		t.Fatalf("ProwJob %s never reached %s (last status %+v): %v", name, want, last.Status, err)
	}
	return last
}

func waitForStatus(ctx context.Context, t *testing.T, r *repoEnv, sha, statusContext, want string) {
	t.Helper()
	err := framework.Poll(ctx, pollInterval, func(context.Context) (bool, error) {
		s, ok := env.GitHub.LatestStatus(r.org, r.repo, sha, statusContext)
		return ok && s.GetState() == want, nil
	})
	if err != nil {
		s, _ := env.GitHub.LatestStatus(r.org, r.repo, sha, statusContext)
		t.Fatalf("GitHub status %s on %s never became %s (last %q): %v", statusContext, sha[:8], want, s.GetState(), err)
	}
}

func countJobs(pjs []prowjobsv1.ProwJob) map[string]int {
	out := map[string]int{}
	for _, pj := range pjs {
		out[pj.Spec.Job]++
	}
	return out
}

func keys(m map[string]prowjobsv1.ProwJob) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
