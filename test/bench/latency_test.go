package bench

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	events    = 500
	rate      = 50 // events per second for the paced runs
	burstSize = 200
	org       = "acme"
)

var scenarioSeq atomic.Int64

// arrivals records when each PipelineRun of a namespace is first seen through a watch.
type arrivals struct {
	mu   sync.Mutex
	seen map[string]time.Time
	cond *sync.Cond
}

func watchRuns(ctx context.Context, b *testing.B, namespace string) *arrivals {
	b.Helper()
	a := &arrivals{seen: map[string]time.Time{}}
	a.cond = sync.NewCond(&a.mu)
	runs := env.Tekton.TektonV1().PipelineRuns(namespace)
	w, err := runs.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		// The apiserver closes a watch whose reader falls behind during a burst: resume from
		// the last resource version seen so that no arrival is missed.
		lastRV := ""
		for {
			for ev := range w.ResultChan() {
				pr, ok := ev.Object.(*pipelinev1.PipelineRun)
				if !ok {
					continue
				}
				lastRV = pr.ResourceVersion
				if ev.Type != watch.Added {
					continue
				}
				a.mu.Lock()
				if _, dup := a.seen[pr.Name]; !dup {
					a.seen[pr.Name] = time.Now()
				}
				a.cond.Broadcast()
				a.mu.Unlock()
			}
			w.Stop()
			if ctx.Err() != nil {
				return
			}
			if w, err = runs.Watch(ctx, metav1.ListOptions{ResourceVersion: lastRV}); err != nil {
				b.Logf("PipelineRun watch could not resume: %v", err)
				return
			}
		}
	}()
	return a
}

// waitAll waits until every name has arrived, or the deadline passes.
func (a *arrivals) waitAll(names []string, deadline time.Duration) (map[string]time.Time, error) {
	timer := time.AfterFunc(deadline, func() { a.mu.Lock(); a.cond.Broadcast(); a.mu.Unlock() })
	defer timer.Stop()
	end := time.Now().Add(deadline)
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		missing := 0
		for _, n := range names {
			if _, ok := a.seen[n]; !ok {
				missing++
			}
		}
		if missing == 0 {
			out := make(map[string]time.Time, len(a.seen))
			for k, v := range a.seen {
				out[k] = v
			}
			return out, nil
		}
		if time.Now().After(end) {
			return nil, fmt.Errorf("%d of %d PipelineRuns never appeared", missing, len(names))
		}
		a.cond.Wait()
	}
}

func newNamespace(b *testing.B, prefix string) string {
	b.Helper()
	ns := fmt.Sprintf("%s-%d", prefix, scenarioSeq.Add(1))
	if err := env.Cluster.CreateNamespace(context.Background(), ns); err != nil {
		b.Fatal(err)
	}
	return ns
}

// benchConfig is one repository with one always-run presubmit, so one event makes one job
// and one run: the same two writes the floor does.
func benchConfig(b *testing.B, namespace, repo string) *config.Config {
	b.Helper()
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  %[2]s/%[3]s:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit}
`, namespace, org, repo)))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

type sample struct {
	start time.Time
	name  string // the PipelineRun that marks the end
}

// pace runs send(i) for i in [0,n) at the given rate (0 = all at once), each in its own
// goroutine so a slow answer never delays the next event, and waits for all of them.
func pace(n, perSecond int, send func(i int)) {
	var wg sync.WaitGroup
	var tick <-chan time.Time
	if perSecond > 0 {
		t := time.NewTicker(time.Second / time.Duration(perSecond))
		defer t.Stop()
		tick = t.C
	}
	for i := 0; i < n; i++ {
		if tick != nil && i > 0 {
			<-tick
		}
		wg.Add(1)
		go func() { defer wg.Done(); send(i) }()
	}
	wg.Wait()
}

// runBosun sends n pull_request webhooks at perSecond and returns each event's time from
// POST to its PipelineRun appearing, and the wall time of the whole run.
func runBosun(b *testing.B, n, perSecond int) (lat, answers []time.Duration, wall time.Duration) {
	b.Helper()
	ns := newNamespace(b, "bench-bosun")
	repo := "widgets-" + ns
	cfg := benchConfig(b, ns, repo)
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte("plugins:\n  acme: [trigger]\n"), plugins.Default)
	if err != nil {
		b.Fatal(err)
	}
	pjClient, err := prowjobclientset.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	hook, err := env.NewHook(cfg, pluginCfg, pjClient, zap.NewNop().Sugar())
	if err != nil {
		b.Fatal(err)
	}
	defer hook.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := watchRuns(ctx, b, ns)

	bodies := make([][]byte, n)
	names := make([]string, n)
	for i := range bodies {
		pr := framework.PullRequest{Org: org, Repo: repo, Number: i + 1, Author: "alice", Association: "MEMBER",
			HeadSHA: fmt.Sprintf("%040x", i+1), BaseRef: "main", BaseSHA: strings.Repeat("b", 40)}
		if bodies[i], err = framework.PullRequestPayload("opened", pr); err != nil {
			b.Fatal(err)
		}
		// A pull request's automatic runs are named after it (trigger.AutomaticNameKey).
		names[i] = jobs.Name(trigger.AutomaticNameKey(org, repo, pr.Number), "unit", pr.HeadSHA)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	starts := make([]time.Time, n)
	answers = make([]time.Duration, n)
	var failures atomic.Int64
	began := time.Now()
	pace(n, perSecond, func(i int) {
		starts[i] = time.Now()
		resp, err := webhook.Send(ctx, client, hook.URL+"/hook", "pull_request", delivery(ns, i), bodies[i], hook.Secret)
		answers[i] = time.Since(starts[i])
		if err != nil || resp.StatusCode != http.StatusOK {
			failures.Add(1)
		}
		if resp != nil {
			resp.Body.Close()
		}
	})
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d webhooks failed", f, n)
	}
	seen, err := arrived.waitAll(names, 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	wall = time.Since(began)
	checkExactlyOnce(b, ns, n)
	lat = make([]time.Duration, n)
	for i := range names {
		lat[i] = seen[names[i]].Sub(starts[i])
	}
	return lat, answers, wall
}

// checkExactlyOnce fails the run if any event lost its job or got two: speed that loses or
// doubles work does not count.
func checkExactlyOnce(b *testing.B, ns string, n int) {
	b.Helper()
	ctx := context.Background()
	pjs, err := env.ProwJobs.ProwV1().ProwJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	runs, err := env.Tekton.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if len(pjs.Items) != n || len(runs.Items) != n {
		b.Fatalf("%d events made %d ProwJobs and %d PipelineRuns, want %d of each", n, len(pjs.Items), len(runs.Items), n)
	}
}

func delivery(ns string, i int) string { return fmt.Sprintf("%s-delivery-%d", ns, i) }

// runFloor does what any webhook-to-PipelineRun system must at least do, n times at
// perSecond: create a ProwJob and then its PipelineRun, and times it until the PipelineRun
// is seen through the same kind of watch.
func runFloor(b *testing.B, n, perSecond int) ([]time.Duration, time.Duration) {
	b.Helper()
	ns := newNamespace(b, "bench-floor")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := watchRuns(ctx, b, ns)
	names := make([]string, n)
	starts := make([]time.Time, n)
	var failures atomic.Int64
	began := time.Now()
	pace(n, perSecond, func(i int) {
		name := fmt.Sprintf("floor-%d", i)
		names[i] = name
		starts[i] = time.Now()
		pj := &prowjobsv1.ProwJob{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			// Another agent's job, so bosun's controller leaves the floor's objects alone.
			Spec: prowjobsv1.ProwJobSpec{Type: prowjobsv1.PresubmitJob, Agent: prowjobsv1.KubernetesAgent, Job: "unit", Namespace: ns},
		}
		if _, err := env.ProwJobs.ProwV1().ProwJobs(ns).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
			failures.Add(1)
			return
		}
		pr := &pipelinev1.PipelineRun{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "unit"}},
		}
		if _, err := env.Tekton.TektonV1().PipelineRuns(ns).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
			failures.Add(1)
		}
	})
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d floor creates failed", f, n)
	}
	seen, err := arrived.waitAll(names, 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(began)
	lat := make([]time.Duration, n)
	for i := range names {
		lat[i] = seen[names[i]].Sub(starts[i])
	}
	return lat, wall
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := int(float64(len(s)-1) * p)
	return s[idx]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkWebhookToPipelineRun sends 500 PR webhooks at 50/s and reports p50/p99 of
// webhook POST -> PipelineRun visible, next to the floor measured the same way.
func BenchmarkWebhookToPipelineRun(b *testing.B) {
	for i := 0; i < b.N; i++ {
		floor, _ := runFloor(b, events, rate)
		callsBefore := len(env.GitHub.Calls())
		lat, answers, _ := runBosun(b, events, rate)
		// The reporter's status posts are per job state, not per event: count the rest.
		hookCalls := 0
		for _, c := range env.GitHub.Calls()[callsBefore:] {
			if !strings.Contains(c.Path, "/statuses/") {
				hookCalls++
			}
		}
		fp50, fp99 := percentile(floor, 0.50), percentile(floor, 0.99)
		p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
		b.ReportMetric(ms(p50), "p50-ms")
		b.ReportMetric(ms(p99), "p99-ms")
		b.ReportMetric(ms(fp50), "floor-p50-ms")
		b.ReportMetric(ms(fp99), "floor-p99-ms")
		b.ReportMetric(ms(p50)/ms(fp50), "p50-ratio")
		b.ReportMetric(ms(p99)/ms(fp99), "p99-ratio")
		b.ReportMetric(float64(hookCalls)/events, "github-calls/event")
		b.ReportMetric(ms(percentile(answers, 0.50)), "hook-answer-p50-ms")
		fmt.Printf("BENCH webhook->pipelinerun events=%d rate=%d/s p50=%.2fms p99=%.2fms floor_p50=%.2fms floor_p99=%.2fms ratio_p50=%.2f ratio_p99=%.2f hook_answer_p50=%.2fms hook_answer_p99=%.2fms github_calls_per_event=%.2f\n",
			events, rate, ms(p50), ms(p99), ms(fp50), ms(fp99), ms(p50)/ms(fp50), ms(p99)/ms(fp99),
			ms(percentile(answers, 0.50)), ms(percentile(answers, 0.99)), float64(hookCalls)/events)
	}
}

// BenchmarkBurst sends 200 PR webhooks at once and reports the time until every
// PipelineRun exists, next to 200 concurrent floor pairs.
func BenchmarkBurst(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, floorWall := runFloor(b, burstSize, 0)
		lat, _, wall := runBosun(b, burstSize, 0)
		b.ReportMetric(wall.Seconds(), "all-runs-s")
		b.ReportMetric(floorWall.Seconds(), "floor-all-runs-s")
		b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
		fmt.Printf("BENCH burst events=%d all_runs=%.2fs floor_all_runs=%.2fs ratio=%.2f p50=%.2fms p99=%.2fms\n",
			burstSize, wall.Seconds(), floorWall.Seconds(), wall.Seconds()/floorWall.Seconds(), ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
	}
}
