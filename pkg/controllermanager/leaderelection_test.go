package controllermanager

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	kle "knative.dev/pkg/leaderelection"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/reconciler"
	"knative.dev/pkg/system"
)

func TestLeaderElectionOptionsWithDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      LeaderElectionOptions
		want    LeaderElectionOptions
		wantErr string
	}{{
		name: "defaults",
		in:   LeaderElectionOptions{Namespace: "bosun", Identity: "a"},
		want: LeaderElectionOptions{Namespace: "bosun", Identity: "a", Buckets: 1,
			LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
	}, {
		name: "kept",
		in: LeaderElectionOptions{Namespace: "bosun", Identity: "a", Buckets: 10,
			LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 300 * time.Millisecond},
		want: LeaderElectionOptions{Namespace: "bosun", Identity: "a", Buckets: 10,
			LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 300 * time.Millisecond},
	}, {
		name:    "no namespace",
		in:      LeaderElectionOptions{Identity: "a"},
		wantErr: "namespace",
	}, {
		name:    "too many buckets",
		in:      LeaderElectionOptions{Namespace: "bosun", Buckets: 11},
		wantErr: "at most 10",
	}, {
		name:    "lease not longer than the renew deadline",
		in:      LeaderElectionOptions{Namespace: "bosun", LeaseDuration: 10 * time.Second},
		wantErr: "must exceed the renew deadline",
	}, {
		// client-go retries with up to 20% jitter; a renewal must fit in the deadline.
		name:    "renew deadline within the jittered retry",
		in:      LeaderElectionOptions{Namespace: "bosun", RenewDeadline: 2 * time.Second},
		wantErr: "retry period",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.withDefaults()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("withDefaults() error = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLeaderElectionOptionsUniqueIdentity(t *testing.T) {
	a, err := LeaderElectionOptions{Namespace: "bosun"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b, err := LeaderElectionOptions{Namespace: "bosun"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if a.Identity == "" || a.Identity == b.Identity {
		t.Errorf("identities %q and %q: want two distinct ones", a.Identity, b.Identity)
	}
}

func TestBucketLeaseNames(t *testing.T) {
	got := BucketLeaseNames("bosun-pipeline", 3)
	want := []string{"bosun-pipeline.00-of-03", "bosun-pipeline.01-of-03", "bosun-pipeline.02-of-03"}
	if !slices.Equal(got, want) {
		t.Errorf("BucketLeaseNames = %v, want %v", got, want)
	}
}

// recordingLeaderAware records the buckets it was promoted to and demoted from.
type recordingLeaderAware struct {
	promoted chan string
	demoted  chan string
}

func (r *recordingLeaderAware) Promote(b reconciler.Bucket, _ func(reconciler.Bucket, types.NamespacedName)) error {
	r.promoted <- b.Name()
	return nil
}

func (r *recordingLeaderAware) Demote(b reconciler.Bucket) { r.demoted <- b.Name() }

// The elector knative builds from withElection's context takes the Leases named by
// BucketLeaseNames, in the namespace and under the identity of the options, and its
// promotions pass through the leaderObserver, which counts them.
func TestElectionUsesBosunLeases(t *testing.T) {
	t.Setenv(system.NamespaceEnvKey, "bosun-system")
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar()))
	defer cancel()
	kc := kubefake.NewSimpleClientset()
	le, err := LeaderElectionOptions{Namespace: "bosun-system", Identity: "replica-a", Buckets: 3,
		LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := newLeaderMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingLeaderAware{promoted: make(chan string, 3), demoted: make(chan string, 3)}
	la := &leaderObserver{leaderAware: rec, controllerName: "bosun-pipeline", identity: le.Identity,
		logger: logging.FromContext(ctx), metrics: m}
	elector, err := kle.BuildElector(withElection(ctx, kc, le, "bosun-pipeline"), la, "queue",
		func(reconciler.Bucket, types.NamespacedName) {})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		elector.Run(ctx)
	}()

	want := BucketLeaseNames("bosun-pipeline", 3)
	var promoted []string
	for range want {
		select {
		case name := <-rec.promoted:
			promoted = append(promoted, name)
		case <-time.After(10 * time.Second):
			t.Fatalf("promoted to %v, want all of %v", promoted, want)
		}
	}
	slices.Sort(promoted)
	if !slices.Equal(promoted, want) {
		t.Errorf("promoted to %v, want %v", promoted, want)
	}
	leases, err := kc.CoordinationV1().Leases("bosun-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range leases.Items {
		names = append(names, l.Name)
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != "replica-a" {
			t.Errorf("lease %s held by %v, want replica-a", l.Name, l.Spec.HolderIdentity)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("leases %v, want %v", names, want)
	}
	if got := gaugeValue(t, m, want[1]); got != 1 {
		t.Errorf("bosun_controller_leader{lease=%q} = %v, want 1", want[1], got)
	}

	cancel()
	<-done
	for range want {
		select {
		case <-rec.demoted:
		case <-time.After(10 * time.Second):
			t.Fatal("not demoted after the context ended")
		}
	}
	if got := gaugeValue(t, m, want[1]); got != 0 {
		t.Errorf("bosun_controller_leader{lease=%q} after demotion = %v, want 0", want[1], got)
	}
}

func TestLeaderMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := newLeaderMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newLeaderMetrics(reg)
	if err != nil {
		t.Fatalf("second manager in the process: %v", err)
	}
	b.set("x", true)
	if got := gaugeValue(t, a, "x"); got != 1 {
		t.Errorf("shared gauge = %v, want 1", got)
	}
}

// A term's registrations are undone when it ends, so the next term (the loops won back)
// can register the same metrics again.
func TestTermRegistererUndoesATerm(t *testing.T) {
	reg := prometheus.NewRegistry()
	term := &termRegisterer{reg: reg}
	newCounter := func() prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "bosun_test_total", Help: "test"})
	}
	if err := term.Register(newCounter()); err != nil {
		t.Fatal(err)
	}
	if err := term.Register(newCounter()); err == nil {
		t.Fatal("registering the same metric twice in a term succeeded")
	}
	term.unregisterAll()
	if err := term.Register(newCounter()); err != nil {
		t.Fatalf("next term: %v", err)
	}
}

func gaugeValue(t *testing.T, m *leaderMetrics, lease string) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.leading.WithLabelValues(lease).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetGauge().GetValue()
}

// resyncingLeaderAware stands for a generated reconciler: its Promote offers every key to
// the enqueue function it is given, which keeps those of the bucket.
type resyncingLeaderAware struct {
	keys    []types.NamespacedName
	gotNil  bool
	demoted []string
}

func (r *resyncingLeaderAware) Promote(b reconciler.Bucket, enq func(reconciler.Bucket, types.NamespacedName)) error {
	if enq == nil {
		r.gotNil = true
		return nil
	}
	for _, k := range r.keys {
		enq(b, k)
	}
	return nil
}

func (r *resyncingLeaderAware) Demote(b reconciler.Bucket) { r.demoted = append(r.demoted, b.Name()) }

// oddBucket holds the keys whose names end in an odd digit.
type oddBucket struct{}

func (oddBucket) Name() string { return "bosun-pipeline.01-of-02" }
func (oddBucket) Has(k types.NamespacedName) bool {
	return (k.Name[len(k.Name)-1]-'0')%2 == 1
}

func TestLeaderObserverResyncsInTheFastLane(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newLeaderMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	var keys []types.NamespacedName
	for i := range 4 {
		keys = append(keys, types.NamespacedName{Namespace: "ci", Name: fmt.Sprintf("job-%d", i)})
	}
	la := &resyncingLeaderAware{keys: keys}
	var fast []string
	o := &leaderObserver{leaderAware: la, controllerName: "bosun-pipeline", identity: "a",
		logger: zaptest.NewLogger(t).Sugar(), metrics: m,
		enqueue: func(k types.NamespacedName) { fast = append(fast, k.Name) }}
	slow := 0
	if err := o.Promote(oddBucket{}, func(reconciler.Bucket, types.NamespacedName) { slow++ }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"job-1", "job-3"}; !slices.Equal(fast, want) || slow != 0 {
		t.Errorf("resync enqueued %v in the fast lane and %d in the slow one, want %v and none", fast, slow, want)
	}
	// Without an enqueue function there is no resync, as knative's unopposed elector wants.
	if err := o.Promote(oddBucket{}, nil); err != nil {
		t.Fatal(err)
	}
	if !la.gotNil {
		t.Error("Promote(b, nil) passed an enqueue function on")
	}

	// A bucket never led is demoted after every lost election round: no gauge, no log.
	o.Demote(evenBucket{})
	if got := gaugeValue(t, m, evenBucket{}.Name()); got != 0 {
		t.Errorf("gauge of a bucket never led = %v, want 0", got)
	}
	o.Demote(oddBucket{})
	if got := gaugeValue(t, m, oddBucket{}.Name()); got != 0 {
		t.Errorf("gauge after demotion = %v, want 0", got)
	}
	if want := []string{"bosun-pipeline.00-of-02", "bosun-pipeline.01-of-02"}; !slices.Equal(la.demoted, want) {
		t.Errorf("demoted %v, want %v", la.demoted, want)
	}
}

type evenBucket struct{}

func (evenBucket) Name() string                    { return "bosun-pipeline.00-of-02" }
func (evenBucket) Has(k types.NamespacedName) bool { return !oddBucket{}.Has(k) }
