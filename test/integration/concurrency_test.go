package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"knative.dev/pkg/apis"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/test/framework"
)

const (
	// concurrencyJobs is the burst: jobs of a job limited to concurrencyJobMax runs, other
	// jobs of the same repository, limited to concurrencyRepoMax runs in all, and jobs of a
	// repository without limits.
	concurrencyJobs    = 220
	concurrencyJobMax  = 3
	concurrencyRepoMax = 4
	// concurrencyWait bounds the whole test; two cores run the apiserver, etcd, two replicas
	// and the test, which takes about a minute on a busy machine.
	concurrencyWait = 5 * time.Minute
)

// concurrencyJob is one job of the burst, in creation order.
type concurrencyJob struct {
	name    string
	job     string
	repo    string
	limited bool // under the job limit
	capped  bool // under the repository limit
}

// TestConcurrencyLimitsHoldAcrossTwoReplicas runs two controller replicas at once, with no
// leader election, so that both reconcile every job, and sends them a burst of jobs under a
// job's max_concurrency and a repository's max_concurrency_per_repo. A watch on the
// PipelineRuns records every create and every finish, in the apiserver's order, and from it
// the test checks that no limit is ever exceeded, that every job runs exactly once, and that
// under each limit jobs start in creation order: when a job starts, fewer jobs older than
// it under the same limit are still waiting than the limit has slots.
//
// No Tekton controller runs: the test finishes runs itself, as Tekton would. It first
// finishes none, so that the start state is exact: the oldest jobs the limits allow run,
// every other capped job waits in triggered saying why, and jobs without limits all run.
//
// The package's shared controllers are stopped meanwhile: they have no config, so they
// know no repository limit and would start the capped jobs themselves.
func TestConcurrencyLimitsHoldAcrossTwoReplicas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), concurrencyWait)
	defer cancel()
	namespace := fmt.Sprintf("it-%d", namespaceSeq.Add(1))
	if err := env.Cluster.CreateNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
tekton:
  max_concurrency_per_repo:
    acme/widgets: %[2]d
`, namespace, concurrencyRepoMax)))
	if err != nil {
		t.Fatal(err)
	}

	env.StopControllers()
	t.Cleanup(func() {
		if err := env.StartControllers(); err != nil {
			t.Errorf("restart the shared controllers: %v", err)
		}
	})
	runs := watchRuns(ctx, t, namespace)
	for _, id := range []string{"replica-a", "replica-b"} {
		startConcurrencyReplica(t, cfg, id)
	}

	// The burst, created one at a time so that creation order is the order of names.
	burst := make([]concurrencyJob, concurrencyJobs)
	for i := range burst {
		j := concurrencyJob{name: fmt.Sprintf("conc-%03d", i), repo: "widgets", capped: true}
		switch i % 4 {
		case 0, 1:
			j.job, j.limited = "e2e", true
		case 2:
			j.job = "unit"
		case 3:
			j.job, j.repo, j.capped = "lint", "gadgets", false
		}
		burst[i] = j
		if err := createConcurrencyJob(ctx, namespace, j); err != nil {
			t.Fatal(err)
		}
	}

	// With nothing finishing, the oldest jobs the limits allow run: conc-000, -001 and -004
	// of e2e (its limit) and conc-002 of unit (the repository's fourth slot). The rest of
	// the repository waits, e2e's jobs for their job's slots (checked first), unit's for
	// the repository's. Every gadgets job runs.
	wantRunning := map[string]bool{"conc-000": true, "conc-001": true, "conc-002": true, "conc-004": true}
	jobWaiting := fmt.Sprintf("Waiting for a slot: job max_concurrency %d reached", concurrencyJobMax)
	repoWaiting := fmt.Sprintf("Waiting for a slot: acme/widgets max_concurrency_per_repo %d reached", concurrencyRepoMax)
	var unsettled []string
	err = framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		byName := map[string]prowjobsv1.ProwJob{}
		for _, pj := range list.Items {
			byName[pj.Name] = pj
		}
		unsettled = unsettled[:0]
		for _, j := range burst {
			pj := byName[j.name]
			switch {
			case !j.capped || wantRunning[j.name]:
				if pj.Status.State != prowjobsv1.PendingState {
					unsettled = append(unsettled, fmt.Sprintf("%s: %s %q, want pending", j.name, pj.Status.State, pj.Status.Description))
				}
			case j.limited:
				if pj.Status.State != prowjobsv1.TriggeredState || pj.Status.Description != jobWaiting {
					unsettled = append(unsettled, fmt.Sprintf("%s: %s %q, want triggered %q", j.name, pj.Status.State, pj.Status.Description, jobWaiting))
				}
			default:
				if pj.Status.State != prowjobsv1.TriggeredState || pj.Status.Description != repoWaiting {
					unsettled = append(unsettled, fmt.Sprintf("%s: %s %q, want triggered %q", j.name, pj.Status.State, pj.Status.Description, repoWaiting))
				}
			}
		}
		return len(unsettled) == 0, nil
	})
	if err != nil {
		t.Fatalf("The start state never settled: %v; %d jobs off, such as %v", err, len(unsettled), unsettled[:min(5, len(unsettled))])
	}

	// Now Tekton finishes every run as it comes, and each frees a slot for the next.
	stopFinishing := runs.finishAll(ctx, t, namespace)
	err = framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		done := 0
		for _, pj := range list.Items {
			if pj.Status.State == prowjobsv1.SuccessState {
				done++
			}
		}
		return done == concurrencyJobs, nil
	})
	stopFinishing()
	if err != nil {
		t.Fatalf("Not every job succeeded: %v (%d run events)", err, len(runs.snapshot()))
	}

	checkConcurrencyHistory(t, burst, runs.snapshot())
}

// checkConcurrencyHistory replays the runs' creates and finishes in the apiserver's order.
func checkConcurrencyHistory(t *testing.T, burst []concurrencyJob, events []runEvent) {
	t.Helper()
	byName := map[string]concurrencyJob{}
	for _, j := range burst {
		byName[j.name] = j
	}
	type limitCheck struct {
		name  string
		max   int
		under func(concurrencyJob) bool
	}
	limits := []limitCheck{
		{"e2e's max_concurrency", concurrencyJobMax, func(j concurrencyJob) bool { return j.limited }},
		{"acme/widgets' max_concurrency_per_repo", concurrencyRepoMax, func(j concurrencyJob) bool { return j.capped }},
	}
	creates := map[string]int{}
	running := map[string]bool{}
	peak := make([]int, len(limits))
	for _, ev := range events {
		j, ok := byName[ev.name]
		if !ok {
			t.Errorf("PipelineRun %s belongs to no job of the burst", ev.name)
			continue
		}
		if !ev.created {
			delete(running, ev.name)
			continue
		}
		creates[ev.name]++
		// The jobs older than this one under each of its limits that are still waiting.
		for _, l := range limits {
			if !l.under(j) {
				continue
			}
			waitingOlder := 0
			for _, o := range burst {
				if o.name >= j.name {
					break
				}
				if l.under(o) && creates[o.name] == 0 {
					waitingOlder++
				}
			}
			if waitingOlder >= l.max {
				t.Errorf("%s started while %d older jobs under %s waited: not in creation order", j.name, waitingOlder, l.name)
			}
		}
		running[ev.name] = true
		for i, l := range limits {
			n := 0
			for name := range running {
				if l.under(byName[name]) {
					n++
				}
			}
			if n > l.max {
				t.Errorf("%d runs under %s at once when %s started, limit %d", n, l.name, j.name, l.max)
			}
			peak[i] = max(peak[i], n)
		}
	}
	for _, j := range burst {
		if creates[j.name] != 1 {
			t.Errorf("%s has %d PipelineRuns, want 1", j.name, creates[j.name])
		}
	}
	for i, l := range limits {
		t.Logf("At most %d runs under %s at once (limit %d)", peak[i], l.name, l.max)
	}
}

// createConcurrencyJob creates one presubmit of the burst.
func createConcurrencyJob(ctx context.Context, namespace string, j concurrencyJob) error {
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:      j.name,
			Namespace: namespace,
			Labels: map[string]string{
				prowjobsv1.CreatedByProwLabel: "true",
				prowjobsv1.TypeLabel:          string(prowjobsv1.PresubmitJob),
				prowjobsv1.JobLabel:           j.job,
				prowjobsv1.BuildIDLabel:       strings.TrimPrefix(j.name, "conc-"),
			},
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type:      prowjobsv1.PresubmitJob,
			Agent:     prowjobsv1.TektonAgent,
			Namespace: namespace,
			Job:       j.job,
			Context:   j.job,
			Refs: &prowjobsv1.Refs{
				Org: "acme", Repo: j.repo, BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
				Pulls: []prowjobsv1.Pull{{Number: 1, Author: "alice", SHA: sha(1)}},
			},
			PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: j.job}},
		},
	}
	if j.limited {
		pj.Spec.MaxConcurrency = concurrencyJobMax
	}
	if _, err := env.ProwJobs.ProwV1().ProwJobs(namespace).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create ProwJob %s: %w", j.name, err)
	}
	return nil
}

// startConcurrencyReplica runs one controller replica with cfg until the test ends.
func startConcurrencyReplica(t *testing.T, cfg *config.Config, id string) {
	t.Helper()
	runControllers(t, id, controllermanager.Options{
		PipelineWorkers: 4,
		Config:          func() *config.Config { return cfg },
	})
}

// runEvent is a PipelineRun's create or finish, as the watch saw it.
type runEvent struct {
	name    string
	created bool // else finished
}

// runHistory records the creates and finishes of a namespace's PipelineRuns in the order
// the apiserver made them, and feeds the created runs to a finisher once one runs.
type runHistory struct {
	mu       sync.Mutex
	events   []runEvent
	finished map[string]bool
	// pending holds the created runs not yet handed to the finisher.
	pending []string
	wake    chan struct{}
}

func watchRuns(ctx context.Context, t *testing.T, namespace string) *runHistory {
	t.Helper()
	runs := env.Tekton.TektonV1().PipelineRuns(namespace)
	list, err := runs.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		return runs.Watch(ctx, o)
	}}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, lw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	h := &runHistory{finished: map[string]bool{}, wake: make(chan struct{}, 1)}
	go func() {
		for ev := range w.ResultChan() {
			pr, ok := ev.Object.(*pipelinev1.PipelineRun)
			if !ok {
				continue
			}
			h.mu.Lock()
			switch {
			case ev.Type == watch.Added:
				h.events = append(h.events, runEvent{name: pr.Name, created: true})
				h.pending = append(h.pending, pr.Name)
				select {
				case h.wake <- struct{}{}:
				default:
				}
			case ev.Type == watch.Modified && !h.finished[pr.Name]:
				if c := pr.Status.GetCondition(apis.ConditionSucceeded); c != nil && !c.IsUnknown() {
					h.finished[pr.Name] = true
					h.events = append(h.events, runEvent{name: pr.Name})
				}
			}
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *runHistory) snapshot() []runEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]runEvent(nil), h.events...)
}

// finishAll finishes, as Tekton would, every run created so far and every run created from
// now on, oldest first, until the returned stop is called; stop returns once the finisher
// has.
func (h *runHistory) finishAll(ctx context.Context, t *testing.T, namespace string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			h.mu.Lock()
			next := h.pending
			h.pending = nil
			h.mu.Unlock()
			for _, name := range next {
				if err := env.SetPipelineRunCondition(ctx, namespace, name, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1"); err != nil {
					if ctx.Err() == nil {
						t.Errorf("finish %s: %v", name, err)
					}
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
