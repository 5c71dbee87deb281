package sinker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// series is the deletion counter's value per "dry_run/resource".
type series map[string]float64

func deletions(pj, pr, pjDry, prDry float64) series {
	return series{"false/prowjobs": pj, "false/pipelineruns": pr, "true/prowjobs": pjDry, "true/pipelineruns": prDry}
}

// gather reads the deletion counter from reg. (prometheus/testutil would pull a module
// bosun does not otherwise need.)
func gather(t *testing.T, reg *prometheus.Registry) series {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := series{}
	for _, mf := range families {
		if mf.GetName() != "bosun_sinker_deletions_total" {
			continue
		}
		if mf.GetType() != dto.MetricType_COUNTER {
			t.Errorf("bosun_sinker_deletions_total is a %v, want a counter", mf.GetType())
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["dry_run"]+"/"+labels["resource"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

func TestMetricsRecord(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(deletions(0, 0, 0, 0), gather(t, reg)); diff != "" {
		t.Errorf("before any pass (-want, +got):\n%s", diff)
	}
	m.Record(Report{ProwJobs: make([]types.NamespacedName, 2), PipelineRuns: make([]types.NamespacedName, 3)})
	m.Record(Report{DryRun: true, ProwJobs: make([]types.NamespacedName, 1)})
	m.Record(Report{})
	if diff := cmp.Diff(deletions(2, 3, 1, 0), gather(t, reg)); diff != "" {
		t.Errorf("deletions (-want, +got):\n%s", diff)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice: no error")
	}
}

// TestRun runs the loop on a fake clock: a pass right away, the next one a resync period
// later with whatever config is current then.
func TestRun(t *testing.T) {
	f := newFakes([]prowjobsv1.ProwJob{makeJob("old", completed(8*day))}, []pipelinev1.PipelineRun{makeRun(runNamespace, "old")})
	first := loadConfig(t, "sinker: {resync_period: 10m}\n")
	second := loadConfig(t, "sinker: {resync_period: 10m, dry_run: true}\n")
	var current atomic.Pointer[config.Config]
	current.Store(first)
	clk := clocktesting.NewFakeClock(now)
	reg := prometheus.NewPedanticRegistry()

	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- run(ctx, clk, current.Load, f.clients(), reg) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// The first pass deletes the job and its run, then waits for the timer.
	waitFor("the first pass", clk.HasWaiters)
	if diff := cmp.Diff(deletions(1, 1, 0, 0), gather(t, reg)); diff != "" {
		t.Errorf("after the first pass (-want, +got):\n%s", diff)
	}

	// A new old job appears and the config turns on dry_run: the next pass only counts it.
	job := makeJob("later", completed(9*day))
	if _, err := f.prowJobs.ProwV1().ProwJobs(jobNamespace).Create(ctx, &job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	current.Store(second)
	clk.Step(9 * time.Minute)
	if got := gather(t, reg)["true/prowjobs"]; got != 0 {
		t.Errorf("a pass ran before the resync period was over")
	}
	clk.Step(time.Minute)
	waitFor("the second pass", func() bool { return gather(t, reg)["true/prowjobs"] == 1 })
	waitFor("the third timer", clk.HasWaiters)
	if diff := cmp.Diff(deletions(1, 1, 1, 0), gather(t, reg)); diff != "" {
		t.Errorf("after the dry-run pass (-want, +got):\n%s", diff)
	}
	if _, err := f.prowJobs.ProwV1().ProwJobs(jobNamespace).Get(ctx, "later", metav1.GetOptions{}); err != nil {
		t.Errorf("the dry-run pass deleted a job: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
