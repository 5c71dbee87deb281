package horologium_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/horologium"
)

func TestRunnerSyncsAtStartAndEveryInterval(t *testing.T) {
	c := loadConfig(t, configYAML)
	client := fake.NewSimpleClientset()
	clk := clocktesting.NewFakeClock(at(3, 10, 15).Add(2 * time.Second))
	r := &horologium.Runner{Interval: time.Minute, Config: func() *config.Config { return c }, Client: client, Clock: clk}
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()

	waitFor := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := created(t, client, nil)
			if equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("ProwJobs = %v, want %v", got, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The first sync runs at once: the interval job has never run.
	waitFor([]string{"interval@2026-03-03T10:15:00Z"})
	completeAll(t, client, clk.Now())

	// Each tick syncs; the hourly job's first tick is 10:30, the interval's next 11:15.
	for clk.Now().Before(at(3, 11, 16)) {
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		clk.Step(time.Minute)
		if clk.Now().Equal(at(3, 10, 31).Add(2 * time.Second)) {
			waitFor([]string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:15:00Z"})
			completeAll(t, client, clk.Now())
		}
	}
	waitFor([]string{"hourly@2026-03-03T10:30:00Z", "interval@2026-03-03T10:15:00Z", "interval@2026-03-03T11:15:00Z"})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start() = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start() did not return after the context ended")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func completeAll(t *testing.T, client *fake.Clientset, now time.Time) {
	t.Helper()
	list, err := client.ProwV1().ProwJobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if list.Items[i].Complete() {
			continue
		}
		complete(&list.Items[i], now)
		if _, err := client.ProwV1().ProwJobs(ns).Update(context.Background(), &list.Items[i], metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}
