package resync

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/bosun-ci/bosun/pkg/config"
)

// TestRun runs the loop on a fake clock: no pass at start, one every interval of the config
// current at the time, none while the interval is 0, and a return when ctx ends.
func TestRun(t *testing.T) {
	e := newTestEnv(t, "  interval: 10m\n  max_org_repos: 2", "")
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 1, headSHA(t, "1")))
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.r.Run(ctx)
	}()

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
	passes := func() float64 { return counter(t, e.reg, "bosun_resync_passes_total", "ok") }

	waitFor("the first timer", e.clock.HasWaiters)
	if got := passes(); got != 0 {
		t.Fatalf("%v passes at start, want none before the first interval", got)
	}
	e.clock.Step(9 * time.Minute)
	if got := passes(); got != 0 {
		t.Errorf("a pass ran before the interval was over")
	}
	e.clock.Step(time.Minute)
	waitFor("the first pass", func() bool { return passes() == 1 })
	waitFor("the second timer", e.clock.HasWaiters)
	if got := len(e.jobs(t)); got != 1 {
		t.Errorf("%d ProwJobs after the first pass, want 1", got)
	}

	// The config turns the resync off: the loop keeps checking it, every minute, and runs
	// nothing until it is back on.
	off, err := config.LoadBytes("config.yaml", []byte("resync: {interval: 0s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.current.Store(off)
	e.clock.Step(10 * time.Minute) // the timer set under the old config
	waitFor("the off timer", e.clock.HasWaiters)
	for range 3 {
		e.clock.Step(time.Minute)
		waitFor("the next off timer", e.clock.HasWaiters)
	}
	if got := passes(); got != 1 {
		t.Errorf("%v passes while off, want still 1", got)
	}
	e.current.Store(e.cfg)
	e.gh.AddPullRequest("acme", "gadgets", pullRequest("acme", "gadgets", 2, headSHA(t, "2")))
	e.clock.Step(time.Minute) // the last off timer; then a full interval
	waitFor("the timer after turning on", e.clock.HasWaiters)
	e.clock.Step(10 * time.Minute)
	waitFor("the pass after turning on", func() bool { return passes() == 2 })
	if got := len(e.jobs(t)); got != 2 {
		t.Errorf("%d ProwJobs after turning on, want 2", got)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestNewRequiresClients(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New(Options{}) = no error, want one naming what is missing")
	}
}

// TestEventGUID checks the delivery id's shape: one per pull request, valid as a label value.
func TestEventGUID(t *testing.T) {
	got := eventGUID("acme", "widgets.go", 42)
	if want := "resync_acme_widgets.go_42"; got != want {
		t.Errorf("eventGUID() = %q, want %q", got, want)
	}
	if msgs := validation.IsValidLabelValue(got); len(msgs) > 0 {
		t.Errorf("eventGUID() = %q is not a label value: %v", got, msgs)
	}
	if eventGUID("acme", "widgets", 1) == eventGUID("acme", "widgets", 2) {
		t.Error("two pull requests share a delivery id")
	}
}
