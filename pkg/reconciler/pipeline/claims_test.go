package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	prowjoblisters "github.com/bosun-ci/bosun/pkg/client/listers/prowjobs/v1"
)

var configMapsResource = corev1.SchemeGroupVersion.WithResource("configmaps")

// withResourceVersions makes the fake clientset guard ConfigMap updates by resource version,
// as the apiserver does, which the fake's tracker does not: an update of a stale read fails
// with a conflict. Reactors run under the fake's lock, so each check-and-write is atomic.
func withResourceVersions(cs *kubefake.Clientset) {
	rv := 0
	cs.PrependReactor("create", "configmaps", func(a clienttesting.Action) (bool, runtime.Object, error) {
		cm := a.(clienttesting.CreateAction).GetObject().(*corev1.ConfigMap).DeepCopy()
		rv++
		cm.ResourceVersion = strconv.Itoa(rv)
		if err := cs.Tracker().Create(configMapsResource, cm, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, cm, nil
	})
	cs.PrependReactor("update", "configmaps", func(a clienttesting.Action) (bool, runtime.Object, error) {
		cm := a.(clienttesting.UpdateAction).GetObject().(*corev1.ConfigMap).DeepCopy()
		cur, err := cs.Tracker().Get(configMapsResource, a.GetNamespace(), cm.Name)
		if err != nil {
			return true, nil, err
		}
		if cur.(*corev1.ConfigMap).ResourceVersion != cm.ResourceVersion {
			return true, nil, apierrors.NewConflict(configMapsResource.GroupResource(), cm.Name, errors.New("the object has been modified"))
		}
		rv++
		cm.ResourceVersion = strconv.Itoa(rv)
		if err := cs.Tracker().Update(configMapsResource, cm, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, cm, nil
	})
}

// claimsConfigMap holds the given claims, as stored.
func claimsConfigMap(t *testing.T, claims claimSet) *corev1.ConfigMap {
	t.Helper()
	data, err := claims.encode()
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ClaimsConfigMap, Namespace: prowNS, ResourceVersion: "100"},
		Data:       data,
	}
}

// claimFixture is a claimer over fakes: informer holds what the informer has seen, stored
// what the apiserver has, and cm the claims ConfigMap if any.
type claimFixture struct {
	claimer *claimer
	kube    *kubefake.Clientset
	prow    *prowjobfake.Clientset
}

func newClaimFixture(t *testing.T, cm *corev1.ConfigMap, informer, stored []*prowjobsv1.ProwJob) *claimFixture {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{limitIndex: indexLimitKeys})
	for _, pj := range informer {
		if err := indexer.Add(pj); err != nil {
			t.Fatal(err)
		}
	}
	var kubeObjects []runtime.Object
	if cm != nil {
		kubeObjects = append(kubeObjects, cm)
	}
	kube := kubefake.NewSimpleClientset(kubeObjects...)
	withResourceVersions(kube)
	var prowObjects []runtime.Object
	for _, pj := range stored {
		prowObjects = append(prowObjects, pj)
	}
	prow := prowjobfake.NewSimpleClientset(prowObjects...)
	return &claimFixture{
		claimer: &claimer{
			configMaps: kube.CoreV1().ConfigMaps,
			prowJobs:   prow,
			lister:     prowjoblisters.NewProwJobLister(indexer),
			active:     indexedActiveJobs(indexer),
		},
		kube: kube,
		prow: prow,
	}
}

// storedClaims reads the claims ConfigMap back; nil if there is none.
func (f *claimFixture) storedClaims(t *testing.T) claimSet {
	t.Helper()
	obj, err := f.kube.Tracker().Get(configMapsResource, prowNS, ClaimsConfigMap)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	claims := claimSet{}
	for name, value := range obj.(*corev1.ConfigMap).Data {
		var cl claim
		if err := json.Unmarshal([]byte(value), &cl); err != nil {
			t.Fatalf("claim of %s: %v", name, err)
		}
		claims[name] = cl
	}
	return claims
}

func TestClaim(t *testing.T) {
	job := func(n int, opts ...jobOption) *prowjobsv1.ProwJob {
		return makeJob(t, append([]jobOption{named(fmt.Sprintf("job%d", n), n), withMaxConcurrency(2)}, opts...)...)
	}
	jobLimit := limit{key: jobKey, max: 2}
	repoLimit := limit{key: repoKey, max: 2}
	pj := job(5)
	recreated := makeJob(t, named("job1", 9), withMaxConcurrency(2))
	tests := []struct {
		name     string
		limits   []limit
		claims   claimSet // nil: no ConfigMap yet
		informer []*prowjobsv1.ProwJob
		stored   []*prowjobsv1.ProwJob
		// wantBlocked is the blocking limit's key, "" for none.
		wantBlocked string
		wantClaims  claimSet
		wantActions []string
	}{{
		name:        "the first claim of the namespace creates the ConfigMap",
		limits:      []limit{jobLimit},
		wantClaims:  claimsOf(holding("job5", jobKey)),
		wantActions: []string{"get configmaps", "create configmaps"},
	}, {
		name:        "a free slot is taken in one guarded update",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(1, startedJob())},
		wantClaims:  claimsOf(holding("job1", jobKey), holding("job5", jobKey)),
		wantActions: []string{"get configmaps", "update configmaps"},
	}, {
		name:        "a job that holds its slots already: one read, no write",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey), holding("job2", jobKey), holding("job5", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(1, startedJob()), job(2, startedJob())},
		wantClaims:  claimsOf(holding("job1", jobKey), holding("job2", jobKey), holding("job5", jobKey)),
		wantActions: []string{"get configmaps"},
	}, {
		name:        "all slots held: blocked, nothing written",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(1, startedJob()), job(2, startedJob())},
		wantBlocked: jobKey,
		wantClaims:  claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		wantActions: []string{"get configmaps"},
	}, {
		name:        "a complete job's claim is dropped and its slot taken",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(1, completedJob()), job(2, startedJob())},
		wantClaims:  claimsOf(holding("job2", jobKey), holding("job5", jobKey)),
		wantActions: []string{"get configmaps", "update configmaps"},
	}, {
		name:        "a deleted job's claim is dropped once the apiserver confirms it is gone",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(2, startedJob())},
		wantClaims:  claimsOf(holding("job2", jobKey), holding("job5", jobKey)),
		wantActions: []string{"get configmaps", "get prowjobs", "update configmaps"},
	}, {
		name:        "the claim of a job the informer has not seen yet is kept",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(2, startedJob())},
		stored:      []*prowjobsv1.ProwJob{job(1, startedJob())},
		wantBlocked: jobKey,
		wantClaims:  claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		wantActions: []string{"get configmaps", "get prowjobs"},
	}, {
		name:   "a job created again under the same name does not inherit the old one's claim",
		limits: []limit{jobLimit},
		claims: claimSet{
			"job1": {UID: "uid-of-the-deleted-job1", Limits: []string{jobKey}},
			"job2": {UID: "uid-job2", Limits: []string{jobKey}},
		},
		// The new job1 was created after job5, so it does not wait ahead of it either.
		informer:    []*prowjobsv1.ProwJob{recreated, job(2, startedJob())},
		stored:      []*prowjobsv1.ProwJob{recreated, job(2, startedJob())},
		wantClaims:  claimsOf(holding("job2", jobKey), holding("job5", jobKey)),
		wantActions: []string{"get configmaps", "get prowjobs", "update configmaps"},
	}, {
		name:        "blocked, but a finished job's claim is dropped all the same",
		limits:      []limit{jobLimit},
		claims:      claimsOf(holding("job0", jobKey), holding("job1", jobKey), holding("job2", jobKey)),
		informer:    []*prowjobsv1.ProwJob{job(0, completedJob()), job(1, startedJob()), job(2, startedJob())},
		wantBlocked: jobKey,
		wantClaims:  claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		wantActions: []string{"get configmaps", "update configmaps"},
	}, {
		name:        "the job slot is free but the repository's is not: neither is taken",
		limits:      []limit{jobLimit, repoLimit},
		claims:      claimsOf(holding("other1", repoKey), holding("other2", repoKey)),
		informer:    []*prowjobsv1.ProwJob{makeJob(t, named("other1", 1), startedJob()), makeJob(t, named("other2", 2), startedJob())},
		wantBlocked: repoKey,
		wantClaims:  claimsOf(holding("other1", repoKey), holding("other2", repoKey)),
		wantActions: []string{"get configmaps"},
	}, {
		name:        "both slots in one write",
		limits:      []limit{jobLimit, repoLimit},
		claims:      claimsOf(holding("other1", repoKey)),
		informer:    []*prowjobsv1.ProwJob{makeJob(t, named("other1", 1), startedJob())},
		wantClaims:  claimsOf(holding("other1", repoKey), holding("job5", jobKey, repoKey)),
		wantActions: []string{"get configmaps", "update configmaps"},
	}, {
		name:        "a job holding its job slot gets a repository limit configured later",
		limits:      []limit{jobLimit, repoLimit},
		claims:      claimsOf(holding("job5", jobKey)),
		wantClaims:  claimsOf(holding("job5", jobKey, repoKey)),
		wantActions: []string{"get configmaps", "update configmaps"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cm *corev1.ConfigMap
			if tc.claims != nil {
				cm = claimsConfigMap(t, tc.claims)
			}
			f := newClaimFixture(t, cm, append([]*prowjobsv1.ProwJob{pj}, tc.informer...), tc.stored)
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())

			blocked, err := f.claimer.claim(ctx, pj, tc.limits)
			if err != nil {
				t.Fatalf("claim() = %v", err)
			}
			got := ""
			if blocked != nil {
				got = blocked.key
			}
			if got != tc.wantBlocked {
				t.Errorf("claim() blocked by %q, want %q", got, tc.wantBlocked)
			}
			if diff := cmp.Diff(tc.wantClaims, f.storedClaims(t)); diff != "" {
				t.Errorf("Claims (-want, +got):\n%s", diff)
			}
			var actions []string
			for _, a := range append(f.kube.Actions(), f.prow.Actions()...) {
				actions = append(actions, a.GetVerb()+" "+a.GetResource().Resource)
			}
			// The ProwJob reads come after the ConfigMap's read; order within a client is
			// what matters.
			if diff := cmp.Diff(sortActions(tc.wantActions), sortActions(actions)); diff != "" {
				t.Errorf("Actions (-want, +got):\n%s", diff)
			}
		})
	}
}

// sortActions puts ProwJob reads last, keeping the order of the rest, since the two
// clients' actions are recorded apart.
func sortActions(actions []string) []string {
	var out, prowJobs []string
	for _, a := range actions {
		if a == "get prowjobs" {
			prowJobs = append(prowJobs, a)
			continue
		}
		out = append(out, a)
	}
	return append(out, prowJobs...)
}

// TestClaimRace has two replicas claim for ten waiting jobs at once, each job from both, under
// a limit of three: whatever the interleaving, exactly the three oldest get slots, once each.
func TestClaimRace(t *testing.T) {
	const max = 3
	var jobs []*prowjobsv1.ProwJob
	for i := range 10 {
		jobs = append(jobs, makeJob(t, named(fmt.Sprintf("job%d", i), i), withMaxConcurrency(max)))
	}
	f := newClaimFixture(t, nil, jobs, jobs)
	// The second replica: its own informer with the same jobs, the same apiserver.
	replica := newClaimFixture(t, nil, jobs, jobs).claimer
	replica.configMaps = f.kube.CoreV1().ConfigMaps
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	limits := []limit{{key: jobKey, max: max}}

	var wg sync.WaitGroup
	for _, c := range []*claimer{f.claimer, replica} {
		for _, pj := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Retried as the work queue would when the conflicts outlast the retries.
				for {
					_, err := c.claim(ctx, pj, limits)
					if err == nil {
						return
					}
					if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) {
						t.Errorf("claim(%s) = %v", pj.Name, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()

	want := claimsOf(holding("job0", jobKey), holding("job1", jobKey), holding("job2", jobKey))
	if diff := cmp.Diff(want, f.storedClaims(t)); diff != "" {
		t.Errorf("Claims (-want, +got):\n%s", diff)
	}
}

func TestDecodeClaimsSkipsMalformedEntries(t *testing.T) {
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	got := decodeClaims(ctx, map[string]string{
		"job1": `{"uid":"uid-job1","limits":["job:unit"]}`,
		"job2": `not json`,
	})
	want := claimSet{"job1": {UID: types.UID("uid-job1"), Limits: []string{"job:unit"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeClaims() (-want, +got):\n%s", diff)
	}
}

// TestReconcileKindUnderLimits follows one limited job through ReconcileKind: it waits, with
// no run, while the slot is held, and gets its run once the holder completes.
func TestReconcileKindUnderLimits(t *testing.T) {
	holder := makeJob(t, named("job1", 1), withMaxConcurrency(1), startedJob())
	pj := makeJob(t, named("job5", 5), withMaxConcurrency(1))
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())

	f := newClaimFixture(t, claimsConfigMap(t, claimsOf(holding("job1", jobKey))), []*prowjobsv1.ProwJob{holder, pj}, nil)
	r := newReconciler(t, nil, nil)
	r.claims = f.claimer

	waiting := pj.DeepCopy()
	if err := r.ReconcileKind(ctx, waiting); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	wantStatus := triggeredStatus()
	wantStatus.StartTime = pj.CreationTimestamp
	wantStatus.Description = "Waiting for a slot: job max_concurrency 1 reached"
	if diff := cmp.Diff(wantStatus, waiting.Status); diff != "" {
		t.Errorf("Status while waiting (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), describeActions(t, r.tekton.Actions())); diff != "" {
		t.Errorf("Tekton client actions while waiting (-want, +got):\n%s", diff)
	}

	// The holder completes; the informer sees it.
	done := makeJob(t, named("job1", 1), withMaxConcurrency(1), completedJob())
	f2 := newClaimFixture(t, nil, []*prowjobsv1.ProwJob{done, pj}, nil)
	f.claimer.lister, f.claimer.active = f2.claimer.lister, f2.claimer.active

	started := waiting.DeepCopy()
	if err := r.ReconcileKind(ctx, started); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	if started.Status.State != prowjobsv1.PendingState {
		t.Errorf("State = %s, want pending", started.Status.State)
	}
	if diff := cmp.Diff([]string{"create pipelineruns " + runNS + "/job5"}, describeActions(t, r.tekton.Actions())); diff != "" {
		t.Errorf("Tekton client actions (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(claimsOf(holding("job5", jobKey)), f.storedClaims(t)); diff != "" {
		t.Errorf("Claims (-want, +got):\n%s", diff)
	}
}

// TestReconcileKindWithoutLimitsMakesNoClaims guards the fast path: a job under no limit gets
// its run with no request beyond the create.
func TestReconcileKindWithoutLimitsMakesNoClaims(t *testing.T) {
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	f := newClaimFixture(t, nil, []*prowjobsv1.ProwJob{makeJob(t)}, nil)
	r := newReconciler(t, nil, nil)
	r.claims = f.claimer
	r.repoMax = repoCaps(5)
	pj := makeJob(t, withRepo("acme", "gadgets"))

	if err := r.ReconcileKind(ctx, pj); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	if diff := cmp.Diff([]string{createRun}, describeActions(t, r.tekton.Actions())); diff != "" {
		t.Errorf("Tekton client actions (-want, +got):\n%s", diff)
	}
	if n := len(f.kube.Actions()) + len(f.prow.Actions()); n != 0 {
		t.Errorf("%d Kubernetes and ProwJob requests for a job without limits, want none", n)
	}
}
