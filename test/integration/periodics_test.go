package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/horologium"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
	"github.com/bosun-ci/bosun/test/framework"
)

// periodicsConfig has an interval periodic that clones two repositories and an hourly
// cron periodic.
func periodicsConfig(namespace string) string {
	return fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
periodics:
- name: soak
  interval: 1h
  extra_refs:
  - {org: acme, repo: widgets, base_ref: main}
  - {org: acme, repo: test-infra, base_ref: master}
  pipeline_run_spec:
    pipelineRef: {name: soak}
    params: [{name: DURATION, value: 50m}]
- name: nightly
  cron: "15 * * * *"
  pipeline_run_spec:
    pipelineRef: {name: nightly}
`, namespace)
}

// TestPeriodicsCreateOneProwJobPerDueTick drives horologium's Sync with chosen times
// against the real apiserver, with the controller turning the ProwJobs into PipelineRuns.
func TestPeriodicsCreateOneProwJobPerDueTick(t *testing.T) {
	namespace := fmt.Sprintf("it-%d", namespaceSeq.Add(1))
	ctx, cancel := context.WithTimeout(logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar()), waitTimeout)
	defer cancel()
	if err := env.Cluster.CreateNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(periodicsConfig(namespace)))
	if err != nil {
		t.Fatal(err)
	}
	r := &repoEnv{t: t, namespace: namespace}
	client := env.ProwJobs.ProwV1().ProwJobs(namespace)
	h := horologium.New()
	// t0 is 20 past some hour; the cron job's first tick is at 15 past the next.
	t0 := time.Now().UTC().Truncate(time.Hour).Add(20 * time.Minute)
	syncAt := func(h *horologium.Horologium, now time.Time) horologium.Result {
		t.Helper()
		res, err := h.Sync(ctx, now, cfg, client)
		if err != nil {
			t.Fatalf("Sync at t0+%s: %v", now.Sub(t0), err)
		}
		return res
	}
	ticks := func() []string {
		t.Helper()
		var out []string
		for _, pj := range r.prowJobs() {
			out = append(out, pj.Spec.Job+"@"+jobs.ScheduledAt(&pj).Sub(t0).String())
		}
		sort.Strings(out)
		return out
	}

	// t0: the interval job has never run and runs now; the cron job waits for its tick.
	syncAt(h, t0)
	if diff := cmp.Diff([]string{"soak@0s"}, ticks()); diff != "" {
		t.Fatalf("ProwJobs after the sync at t0 (-want, +got):\n%s", diff)
	}
	soak := jobs.PeriodicName("soak", t0)
	run := waitForPipelineRun(ctx, t, namespace, soak)
	checkPeriodicRun(t, run, "soak", soak)
	if diff := cmp.Diff(`[{"org":"acme","repo":"widgets","base_ref":"main"},{"org":"acme","repo":"test-infra","base_ref":"master"}]`, extraRefsOf(t, run)); diff != "" {
		t.Errorf("JOB_SPEC extra_refs (-want, +got):\n%s", diff)
	}

	// t0+1m: nothing is due, and the first run is still going anyway.
	if res := syncAt(h, t0.Add(time.Minute)); len(res.Created)+len(res.AlreadyCreated)+len(res.Running) != 0 {
		t.Fatalf("sync at t0+1m did something: %+v", res)
	}
	// Tekton finishes the run.
	if err := env.SetPipelineRunCondition(ctx, namespace, soak, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1"); err != nil {
		t.Fatal(err)
	}
	waitForState(ctx, t, r, soak, prowjobsv1.SuccessState)
	if res := syncAt(h, t0.Add(2*time.Minute)); len(res.Created) != 0 || res.NotDue != 2 {
		t.Fatalf("sync at t0+2m: %+v, want nothing due", res)
	}

	// t0+61m, by two replicas at once: the interval job's second tick (t0+60m) and the
	// cron job's first (t0+55m) are created once each. The second replica is new: it never
	// saw the cron job wait, so only the first creates that one.
	var wg sync.WaitGroup
	results := make([]horologium.Result, 2)
	for i, replica := range []*horologium.Horologium{h, horologium.New()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if results[i], err = replica.Sync(ctx, t0.Add(61*time.Minute), cfg, client); err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"nightly@55m0s", "soak@0s", "soak@1h0m0s"}, ticks()); diff != "" {
		t.Fatalf("ProwJobs after the syncs at t0+61m (-want, +got):\n%s", diff)
	}
	if n := len(results[0].Created) + len(results[1].Created); n != 2 {
		t.Errorf("replicas created %d ProwJobs (%+v), want 2", n, results)
	}
	nightly := jobs.PeriodicName("nightly", t0.Add(55*time.Minute))
	checkPeriodicRun(t, waitForPipelineRun(ctx, t, namespace, nightly), "nightly", nightly)
	checkPeriodicRun(t, waitForPipelineRun(ctx, t, namespace, jobs.PeriodicName("soak", t0.Add(time.Hour))), "soak", jobs.PeriodicName("soak", t0.Add(time.Hour)))

	// t0+62m, after a restart: the ProwJobs say both ran; nothing more.
	if res := syncAt(horologium.New(), t0.Add(62*time.Minute)); len(res.Created) != 0 {
		t.Fatalf("sync after a restart created %v", res.Created)
	}
	if got := len(r.prowJobs()); got != 3 {
		t.Fatalf("%d ProwJobs, want 3", got)
	}
}

func waitForPipelineRun(ctx context.Context, t *testing.T, namespace, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var run *pipelinev1.PipelineRun
	err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
		pr, err := env.Tekton.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		run = pr
		return true, nil
	})
	if err != nil {
		t.Fatalf("no PipelineRun %s/%s: %v", namespace, name, err)
	}
	return run
}

// checkPeriodicRun checks a periodic's PipelineRun: Prow's labels without refs ones, and
// the downward-API params of a periodic, with no PULL_* or REPO_* ones.
func checkPeriodicRun(t *testing.T, run *pipelinev1.PipelineRun, job, prowJobID string) {
	t.Helper()
	for k, want := range map[string]string{
		prowjobsv1.JobLabel: job, prowjobsv1.TypeLabel: "periodic", prowjobsv1.ProwJobIDLabel: prowJobID,
		prowjobsv1.CreatedByProwLabel: "true", prowjobsv1.OrgLabel: "", prowjobsv1.PullLabel: "",
	} {
		if got := run.Labels[k]; got != want {
			t.Errorf("%s: PipelineRun label %s = %q, want %q", job, k, got, want)
		}
	}
	if run.Annotations[jobs.ScheduledAtAnnotation] == "" {
		t.Errorf("%s: PipelineRun has no %s annotation", job, jobs.ScheduledAtAnnotation)
	}
	params := map[string]string{}
	for _, p := range run.Spec.Params {
		params[p.Name] = p.Value.StringVal
		if strings.HasPrefix(p.Name, "PULL_") || strings.HasPrefix(p.Name, "REPO_") {
			t.Errorf("%s: PipelineRun has param %s=%q", job, p.Name, p.Value.StringVal)
		}
	}
	for k, want := range map[string]string{
		pipelinerun.ParamJobType: "periodic", pipelinerun.ParamJobName: job, pipelinerun.ParamProwJobID: prowJobID, pipelinerun.ParamCI: "true",
	} {
		if got := params[k]; got != want {
			t.Errorf("%s: PipelineRun param %s = %q, want %q", job, k, got, want)
		}
	}
}

func extraRefsOf(t *testing.T, run *pipelinev1.PipelineRun) string {
	t.Helper()
	for _, p := range run.Spec.Params {
		if p.Name != pipelinerun.ParamJobSpec {
			continue
		}
		var spec struct {
			Refs      json.RawMessage `json:"refs"`
			ExtraRefs json.RawMessage `json:"extra_refs"`
		}
		if err := json.Unmarshal([]byte(p.Value.StringVal), &spec); err != nil {
			t.Fatal(err)
		}
		if spec.Refs != nil {
			t.Errorf("JOB_SPEC of a periodic has refs %s", spec.Refs)
		}
		return string(spec.ExtraRefs)
	}
	t.Fatal("no JOB_SPEC param")
	return ""
}
