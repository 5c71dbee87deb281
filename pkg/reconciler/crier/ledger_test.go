package crier

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
)

func uid(n int) types.UID {
	return types.UID(uuid.NewSHA1(uuid.Nil, fmt.Appendf(nil, "job-%d", n)).String())
}

func TestLedgerReplicasMerge(t *testing.T) {
	// Two replicas write the one ledger of a namespace; the second's write conflicts with
	// the first's, and it merges instead of overwriting. A replica that takes over jobs
	// (a promotion) reads what the other recorded.
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	kube := kubefake.NewSimpleClientset()
	a := &ledgers{configMaps: kube.CoreV1().ConfigMaps}
	b := &ledgers{configMaps: kube.CoreV1().ConfigMaps}
	if got, err := b.get(prowNS).reported(ctx, uid(1)); err != nil || got {
		t.Fatalf("before anything is recorded: reported = %t, %v; want false", got, err)
	}
	a.get(prowNS).add(ctx, uid(1))
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// b read the ledger before a wrote it: its write is refused once, as the apiserver
	// refuses a stale resource version.
	conflicts := 0
	kube.PrependReactor("update", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			conflicts++
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, LedgerConfigMap, fmt.Errorf("stale"))
		}
		return false, nil, nil
	})
	b.get(prowNS).add(ctx, uid(2))
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("b's write: %v", err)
	}
	if conflicts != 1 {
		t.Errorf("%d conflicts, want the one injected", conflicts)
	}
	want := map[uidKey]bool{uidBytes(uid(1)): true, uidBytes(uid(2)): true}
	if got := storedLedger(t, kube); !equalSets(got, want) {
		t.Errorf("ledger holds %d entries %v, want jobs 1 and 2", len(got), got)
	}
	// a does not read again until it takes over jobs: then it sees b's.
	if got, _ := a.get(prowNS).reported(ctx, uid(2)); got {
		t.Errorf("a saw b's record without reading the ledger again")
	}
	a.markStale()
	if got, err := a.get(prowNS).reported(ctx, uid(2)); err != nil || !got {
		t.Errorf("after a promotion: reported(job 2) = %t, %v; want true", got, err)
	}
	b.get(prowNS).remove(uid(1))
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := storedLedger(t, kube); !equalSets(got, map[uidKey]bool{uidBytes(uid(2)): true}) {
		t.Errorf("after job 1's final report: ledger holds %v, want only job 2", got)
	}
}

func TestLedgerPrunesJobsThatAreGone(t *testing.T) {
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	kube := kubefake.NewSimpleClientset()
	live := map[types.UID]bool{uid(1): true}
	l := &ledgers{configMaps: kube.CoreV1().ConfigMaps, exists: func(string) (map[types.UID]bool, error) { return live, nil }}
	led := l.get(prowNS)
	led.add(ctx, uid(1))
	led.add(ctx, uid(2)) // deleted while running, or not yet in this replica's informer
	for pass := 1; pass <= 2; pass++ {
		if err := led.prune(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		want := map[uidKey]bool{uidBytes(uid(1)): true}
		if pass == 1 {
			want[uidBytes(uid(2))] = true // one pass is not enough: the informer may lag
		}
		if got := storedLedger(t, kube); !equalSets(got, want) {
			t.Errorf("after prune pass %d: ledger holds %v, want %v", pass, got, want)
		}
	}
}

func TestLedgerWritesTheRecordsOfReportsFinishedAfterTheStop(t *testing.T) {
	// knative's workers finish the reports they started, and drain the queue, after the
	// controller's context ended. The CI run that found this: the 1,000th pending status
	// was posted while the process stopped, its record came after the writer's last write,
	// and the restarted reporter posted it again.
	base := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	ctx, stop := context.WithCancel(base)
	kube := kubefake.NewSimpleClientset()
	var writers sync.WaitGroup
	workersDone := make(chan struct{})
	l := &ledgers{configMaps: kube.CoreV1().ConfigMaps, flushers: &writers, workersDone: workersDone, flushDelay: time.Millisecond}
	l.start(ctx)
	led := l.get(prowNS)
	led.add(ctx, uid(1))
	stop()
	// A worker's report ends after the stop: the record is made then.
	led.add(base, uid(2))
	close(workersDone)
	writers.Wait()
	want := map[uidKey]bool{uidBytes(uid(1)): true, uidBytes(uid(2)): true}
	if got := storedLedger(t, kube); !equalSets(got, want) {
		t.Errorf("after the stop the ledger holds %d entries, want both jobs: the one reported after the stop would be posted again", len(got))
	}
}

func TestLedgerIsBounded(t *testing.T) {
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	kube := kubefake.NewSimpleClientset()
	l := &ledgers{configMaps: kube.CoreV1().ConfigMaps}
	led := l.get(prowNS)
	for i := 0; i < maxLedgerEntries+10; i++ {
		led.add(ctx, uid(i))
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cm, err := kube.CoreV1().ConfigMaps(prowNS).Get(ctx, LedgerConfigMap, metav1GetOptions)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cm.BinaryData[ledgerKey]); n != 16*maxLedgerEntries || n >= 1<<20 {
		t.Errorf("ledger holds %d bytes, want %d entries of 16 and under the 1 MiB ConfigMap limit", n, maxLedgerEntries)
	}
}

func TestFailedReportsBackOffUpToThirtySeconds(t *testing.T) {
	// The work queue's own backoff reached minutes after half a minute of errors; reports
	// are retried at most 30 s apart, and a primary rate limit waits for its reset.
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	pj := makeJob(t, prowjobsv1.PendingState)
	gh := &recordingGitHub{err: fmt.Errorf("POST statuses: 502 Bad Gateway")}
	r := &Reconciler{github: gh, prowJobClient: prowjobfake.NewSimpleClientset(pj.DeepCopy()), now: func() time.Time { return now }}
	var delays []time.Duration
	for i := 0; i < 12; i++ {
		err := r.ReconcileKind(ctx, pj.DeepCopy())
		ok, delay := controller.IsRequeueKey(err)
		if !ok {
			t.Fatalf("attempt %d: error %v is not a requeue", i+1, err)
		}
		delays = append(delays, delay)
	}
	for i, d := range delays {
		ceiling := min(time.Second<<i, 30*time.Second)
		if d > ceiling || d < ceiling/2 {
			t.Errorf("delay after failure %d = %s, want between %s and %s", i+1, d, ceiling/2, ceiling)
		}
	}

	reset := now.Add(42 * time.Minute)
	gh.err = &gogithub.RateLimitError{Rate: gogithub.Rate{Limit: 5000, Remaining: 0, Reset: gogithub.Timestamp{Time: reset}}}
	_, delay := controller.IsRequeueKey(r.ReconcileKind(ctx, pj.DeepCopy()))
	if want := 42*time.Minute + time.Second; delay != want {
		t.Errorf("after a primary rate limit: retry in %s, want %s (a second past the reset)", delay, want)
	}

	// A success starts the delays over.
	gh.err = nil
	if err := r.ReconcileKind(ctx, pj.DeepCopy()); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	if d := r.retries.next(pj.UID, types.NamespacedName{}); d > time.Second {
		t.Errorf("first delay after a success = %s, want at most 1s", d)
	}
	if len(gh.calls) != 14 {
		t.Errorf("%d status posts, want 14 (one per attempt)", len(gh.calls))
	}
}

var metav1GetOptions = metav1.GetOptions{}

func storedLedger(t *testing.T, kube *kubefake.Clientset) map[uidKey]bool {
	t.Helper()
	cm, err := kube.CoreV1().ConfigMaps(prowNS).Get(t.Context(), LedgerConfigMap, metav1GetOptions)
	if err != nil {
		t.Fatalf("get the ledger: %v", err)
	}
	return decodeUIDs(cm)
}

func equalSets(a, b map[uidKey]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
