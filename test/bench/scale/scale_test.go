// Package scale measures the controller binary at scale on a real local apiserver: how long a
// burst of 1,000 ProwJobs takes to all have their PipelineRuns, next to 1,000 bare
// PipelineRun creates; and the controller's resident memory once it holds 10,000 ProwJobs and
// their 10,000 PipelineRuns in its informers. The controller runs as its own process (the
// binary users deploy), so its memory is its own. Run with `make bench`; figures are
// reported, never asserted.
package scale

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/test/framework"
)

const (
	burstJobs  = 1000
	memoryJobs = 10000
	// writers is how many clients create ProwJobs at once, like a busy hook fleet.
	writers = 32
)

var env *framework.Env

func TestMain(m *testing.M) {
	flag.Parse()
	// `go test ./...` compiles and runs this package without -bench: start nothing then.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	env, err = framework.Start(ctx, framework.Options{NoControllers: true})
	cancel()
	if err != nil {
		if framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			fmt.Printf("SKIP benchmarks: %v\n", err)
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "cannot start the local control plane: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

// scenario is one namespace with the controller binary running against the cluster.
type scenario struct {
	ns         string
	cfg        *config.Config
	controller *framework.Binaries
}

func newScenario(b *testing.B, name string) *scenario {
	b.Helper()
	ns := fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%1e6)
	ctx := context.Background()
	if err := env.Cluster.CreateNamespace(ctx, ns); err != nil {
		b.Fatal(err)
	}
	yaml := fmt.Sprintf(`prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit}
`, ns)
	cfg, err := config.LoadBytes("config.yaml", []byte(yaml))
	if err != nil {
		b.Fatal(err)
	}
	bins, err := env.StartBinaries(ctx, framework.BinaryOptions{WorkDir: b.TempDir(), ConfigYAML: yaml, PluginsYAML: "plugins: {}\n", Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bins.Stop)
	return &scenario{ns: ns, cfg: cfg, controller: bins}
}

// prowJob is the i-th job as the hook would create it for PR i.
func (s *scenario) prowJob(i int) *prowjobsv1.ProwJob {
	sha := fmt.Sprintf("%040x", i+1)
	refs := prowjobsv1.Refs{Org: "acme", Repo: "widgets", BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
		Pulls: []prowjobsv1.Pull{{Number: i + 1, Author: "alice", SHA: sha}}}
	return jobs.NewPresubmit(s.cfg, s.cfg.PresubmitsFor("acme", "widgets")[0], refs, jobs.Options{EventGUID: "scale-" + strconv.Itoa(i), Now: time.Now()})
}

// createAll runs create(i) for i in [0,n) from `writers` goroutines.
func createAll(b *testing.B, n int, create func(ctx context.Context, i int) error) {
	b.Helper()
	var next, failures atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := create(context.Background(), i); err != nil {
					failures.Add(1)
					firstErr.Do(func() { b.Logf("create %d: %v", i, err) })
				}
			}
		}()
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d creates failed", f, n)
	}
}

// countRuns watches the namespace's PipelineRuns and closes the returned channel once n exist.
func countRuns(b *testing.B, ctx context.Context, ns string, n int) <-chan struct{} {
	b.Helper()
	done := make(chan struct{})
	runs := env.Tekton.TektonV1().PipelineRuns(ns)
	w, err := runs.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		seen := map[string]bool{}
		lastRV := ""
		for {
			for ev := range w.ResultChan() {
				pr, ok := ev.Object.(*pipelinev1.PipelineRun)
				if !ok {
					continue
				}
				lastRV = pr.ResourceVersion
				if ev.Type == watch.Added && !seen[pr.Name] {
					seen[pr.Name] = true
					if len(seen) == n {
						close(done)
						w.Stop()
						return
					}
				}
			}
			// The apiserver drops watchers that fall behind in a burst: resume where it stopped.
			if ctx.Err() != nil {
				return
			}
			if w, err = runs.Watch(ctx, metav1.ListOptions{ResourceVersion: lastRV}); err != nil {
				return
			}
		}
	}()
	return done
}

func waitRuns(b *testing.B, done <-chan struct{}, n int) {
	b.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("not all %d PipelineRuns appeared within 10 minutes", n)
	}
}

// BenchmarkProwJobBurst1000 creates 1,000 ProwJobs at once and reports the time until all
// 1,000 PipelineRuns exist, next to the floor: the same 1,000 ProwJobs created, then 1,000
// bare PipelineRuns, by the same writers, with no controller involved.
func BenchmarkProwJobBurst1000(b *testing.B) {
	for range b.N {
		floor := newFloorNamespace(b)
		ctx, cancel := context.WithCancel(context.Background())
		floorDone := countRuns(b, ctx, floor, burstJobs)
		began := time.Now()
		createAll(b, burstJobs, func(ctx context.Context, i int) error {
			pj := &prowjobsv1.ProwJob{
				ObjectMeta: metav1.ObjectMeta{Name: "floor-" + strconv.Itoa(i), Namespace: floor},
				// Another agent's job: the controller leaves the floor's objects alone.
				Spec: prowjobsv1.ProwJobSpec{Type: prowjobsv1.PresubmitJob, Agent: prowjobsv1.KubernetesAgent, Job: "unit", Namespace: floor},
			}
			if _, err := env.ProwJobs.ProwV1().ProwJobs(floor).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
				return err
			}
			pr := &pipelinev1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: pj.Name, Namespace: floor},
				Spec: pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "unit"}}}
			_, err := env.Tekton.TektonV1().PipelineRuns(floor).Create(ctx, pr, metav1.CreateOptions{})
			return err
		})
		waitRuns(b, floorDone, burstJobs)
		floorWall := time.Since(began)
		cancel()

		s := newScenario(b, "burst")
		ctx, cancel = context.WithCancel(context.Background())
		done := countRuns(b, ctx, s.ns, burstJobs)
		began = time.Now()
		createAll(b, burstJobs, func(ctx context.Context, i int) error {
			_, err := env.ProwJobs.ProwV1().ProwJobs(s.ns).Create(ctx, s.prowJob(i), metav1.CreateOptions{})
			return err
		})
		created := time.Since(began)
		waitRuns(b, done, burstJobs)
		wall := time.Since(began)
		cancel()
		b.ReportMetric(wall.Seconds(), "all-runs-s")
		b.ReportMetric(floorWall.Seconds(), "floor-s")
		fmt.Printf("BENCH prowjob-burst jobs=%d all_runs=%.2fs prowjobs_created=%.2fs floor=%.2fs ratio=%.2f\n",
			burstJobs, wall.Seconds(), created.Seconds(), floorWall.Seconds(), wall.Seconds()/floorWall.Seconds())
	}
}

func newFloorNamespace(b *testing.B) string {
	b.Helper()
	ns := fmt.Sprintf("floor-%d", time.Now().UnixNano()%1e6)
	if err := env.Cluster.CreateNamespace(context.Background(), ns); err != nil {
		b.Fatal(err)
	}
	return ns
}

// BenchmarkControllerRSS10000 fills the cluster with 10,000 ProwJobs, lets the controller
// create their 10,000 PipelineRuns, and reports the controller process' resident memory.
func BenchmarkControllerRSS10000(b *testing.B) {
	for range b.N {
		s := newScenario(b, "rss")
		ctx, cancel := context.WithCancel(context.Background())
		done := countRuns(b, ctx, s.ns, memoryJobs)
		began := time.Now()
		createAll(b, memoryJobs, func(ctx context.Context, i int) error {
			_, err := env.ProwJobs.ProwV1().ProwJobs(s.ns).Create(ctx, s.prowJob(i), metav1.CreateOptions{})
			return err
		})
		waitRuns(b, done, memoryJobs)
		wall := time.Since(began)
		cancel()
		// Let the last status writes and the informers settle before reading memory.
		time.Sleep(5 * time.Second)
		rss, peak, err := memoryOf(s.controller.ControllerPID())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
		fmt.Printf("BENCH controller-rss prowjobs=%d pipelineruns=%d rss=%.1fMiB peak_rss=%.1fMiB all_runs=%.1fs\n",
			memoryJobs, memoryJobs, float64(rss)/(1<<20), float64(peak)/(1<<20), wall.Seconds())
	}
}

// memoryOf reads a process' resident set (VmRSS) and its peak (VmHWM) in bytes.
func memoryOf(pid int) (rss, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the controller's memory: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, peak, nil
}
