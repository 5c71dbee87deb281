package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelinev1client "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	watchtools "k8s.io/client-go/tools/watch"
	"knative.dev/pkg/hash"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/system"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/reconciler/crier"
	"github.com/bosun-ci/bosun/pkg/reconciler/pipeline"
	"github.com/bosun-ci/bosun/test/framework"
)

const (
	// haJobs is the burst each failover test sends.
	haJobs = 240
	// Short leases keep the test quick; their ratios are client-go's usual ones.
	haLeaseDuration = 2 * time.Second
	haRenewDeadline = 1500 * time.Millisecond
	haRetryPeriod   = 300 * time.Millisecond
	// haBurstInterval paces the burst: 240 jobs in about two seconds, so that the kill
	// lands in the middle of it.
	haBurstInterval = 8 * time.Millisecond
	// haWait bounds one failover test, from the election to the last status: generous, as
	// the machine may be busy with other work.
	haWait = 4 * time.Minute
)

// TestHAFailover runs two controller replicas with leader election, kills the one that leads
// (most of) the pipeline buckets in the middle of a burst of jobs, and checks that the
// survivor takes over: every job gets exactly one PipelineRun, every finished run's status
// is mirrored into its job (including the runs that finished while no replica led their
// bucket) and reported to GitHub.
//
// The replicas get a control plane of their own: the package's shared controllers run
// without an election and would reconcile these jobs themselves, hiding whatever the
// replicas miss.
func TestHAFailover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	haEnv, err := framework.Start(ctx, framework.Options{NoControllers: true, Logf: t.Logf})
	if err != nil {
		if framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			t.Skipf("no local control plane: %v", err)
		}
		t.Fatal(err)
	}
	defer haEnv.Stop()
	// One bucket: the leader does everything and the standby nothing until the kill. Several:
	// both replicas work, and only the victim's buckets change hands.
	for _, buckets := range []uint32{1, 4} {
		t.Run(fmt.Sprintf("buckets=%d", buckets), func(t *testing.T) {
			testFailover(ctx, t, haEnv, buckets)
		})
	}
}

func testFailover(ctx context.Context, t *testing.T, haEnv *framework.Env, buckets uint32) {
	jobsNS, leaseNS := fmt.Sprintf("ha-jobs-%d", buckets), fmt.Sprintf("ha-leases-%d", buckets)
	for _, ns := range []string{jobsNS, leaseNS} {
		if err := haEnv.Cluster.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	// Knative's elector reads the lease namespace from SYSTEM_NAMESPACE; t.Setenv restores it.
	t.Setenv(system.NamespaceEnvKey, leaseNS)
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit}
`, jobsNS)))
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(haEnv.Cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	runs := haEnv.Tekton.TektonV1().PipelineRuns(jobsNS)
	created := watchRunCreates(ctx, t, runs)

	pipelineLeases := controllermanager.BucketLeaseNames(pipeline.AgentName, buckets)
	crierLeases := controllermanager.BucketLeaseNames(crier.AgentName, buckets)
	if buckets > 1 {
		// Left to race, one replica often wins every bucket, and the test would be the one
		// bucket case again. Leases the replicas held before (as after a rolling restart)
		// split the buckets: each replica renews its own and waits out the other's.
		for i, l := range append(slices.Clone(pipelineLeases), crierLeases...) {
			holder := []string{"replica-a", "replica-b"}[i%2]
			if err := holdLease(ctx, kc, leaseNS, l, holder); err != nil {
				t.Fatal(err)
			}
		}
	}
	logs, logged := observer.New(zapcore.InfoLevel)
	replicas := []*haReplica{
		startReplica(ctx, t, haEnv, cfg, zap.New(logs).Sugar(), "replica-a", leaseNS, buckets),
		startReplica(ctx, t, haEnv, cfg, zap.New(logs).Sugar(), "replica-b", leaseNS, buckets),
	}
	defer func() {
		for _, r := range replicas {
			r.stop(t)
		}
		// The replicas' own log lines about leadership (knative's say the same, unstructured).
		for _, e := range logged.All() {
			if strings.HasPrefix(e.Message, "Started leading") || strings.HasPrefix(e.Message, "Stopped leading") {
				t.Logf("%s %s %v", e.Time.Format("15:04:05.000"), e.Message, e.ContextMap())
			}
		}
	}()

	allLeases := append(slices.Clone(pipelineLeases), crierLeases...)
	allLeases = append(allLeases, controllermanager.LoopsLeaseName)
	waitCtx, cancel := context.WithTimeout(ctx, haWait)
	defer cancel()
	if _, err := waitForHolders(waitCtx, kc, leaseNS, allLeases, func(map[string]string) bool { return true }); err != nil {
		t.Fatalf("leases never all held: %v", err)
	}

	// The burst: jobs arrive at a steady pace, as from a busy hook, and the victim is killed
	// once a third of them exist and it is busy creating their runs.
	presubmit := cfg.PresubmitsFor("acme", "widgets")[0]
	all := make([]*prowjobsv1.ProwJob, haJobs)
	for i := range all {
		refs := prowjobsv1.Refs{Org: "acme", Repo: "widgets", BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
			Pulls: []prowjobsv1.Pull{{Number: i + 1, Author: "alice", SHA: sha(i + 1)}}}
		all[i] = jobs.NewPresubmit(cfg, presubmit, refs, jobs.Options{EventGUID: fmt.Sprintf("ha-%d", i), Now: time.Now()})
	}
	var jobsCreated atomic.Int64
	burstDone := make(chan error, 1)
	go func() { burstDone <- createJobs(waitCtx, haEnv, all, haBurstInterval, &jobsCreated) }()
	if err := framework.Poll(waitCtx, 5*time.Millisecond, func(context.Context) (bool, error) {
		return jobsCreated.Load() >= haJobs/3 && created.count() >= haJobs/20, nil
	}); err != nil {
		t.Fatalf("no PipelineRuns before the kill: %v", err)
	}

	holders, err := leaseHolders(waitCtx, kc, leaseNS)
	if err != nil {
		t.Fatal(err)
	}
	victim, survivor := replicas[0], replicas[1]
	if countHeld(holders, pipelineLeases, survivor.id) > countHeld(holders, pipelineLeases, victim.id) {
		victim, survivor = survivor, victim
	}
	var victimBuckets []string
	for _, l := range pipelineLeases {
		if holders[l] == victim.id {
			victimBuckets = append(victimBuckets, l)
		}
	}
	jobsAtKill, runsAtKill := jobsCreated.Load(), created.count()
	killedAt := time.Now()
	victim.kill()
	t.Logf("killed %s holding %v (%d of %d jobs created, %d runs)", victim.id, victimBuckets, jobsAtKill, haJobs, runsAtKill)
	takeover := make(chan time.Duration, 1)
	go func() {
		defer close(takeover)
		held, err := waitForHolders(waitCtx, kc, leaseNS, allLeases, func(h map[string]string) bool {
			return countHeld(h, allLeases, survivor.id) == len(allLeases)
		})
		if err == nil && held {
			takeover <- time.Since(killedAt)
		}
	}()

	// The runs that exist finish while their bucket may have no leader: their status must
	// still reach their jobs once the survivor resyncs the bucket.
	finished := sets.New(created.names()...)
	for name := range finished {
		if err := haEnv.SetPipelineRunCondition(waitCtx, jobsNS, name, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-burstDone; err != nil {
		t.Fatal(err)
	}

	if err := framework.Poll(waitCtx, 50*time.Millisecond, func(context.Context) (bool, error) {
		return created.count() >= haJobs, nil
	}); err != nil {
		var missing []string
		for _, pj := range all {
			if created.creates(pj.Name) == 0 {
				missing = append(missing, pj.Name)
			}
		}
		dumpJobs(ctx, t, haEnv, jobsNS, logged, missing[:min(len(missing), 3)])
		t.Fatalf("PipelineRuns: %d of %d: %v", created.count(), haJobs, err)
	}
	allRuns := time.Since(killedAt)
	for _, pj := range all {
		if finished.Has(pj.Name) {
			continue
		}
		if err := haEnv.SetPipelineRunCondition(waitCtx, jobsNS, pj.Name, corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1"); err != nil {
			t.Fatal(err)
		}
	}
	var notDone []string
	err = framework.Poll(waitCtx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := haEnv.ProwJobs.ProwV1().ProwJobs(jobsNS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		notDone = notDone[:0]
		for _, pj := range list.Items {
			if pj.Status.State != prowjobsv1.SuccessState {
				notDone = append(notDone, pj.Name+"="+string(pj.Status.State))
			}
		}
		return len(list.Items) == haJobs && len(notDone) == 0, nil
	})
	if err != nil {
		var names []string
		for _, job := range notDone[:min(len(notDone), 3)] {
			name, _, _ := strings.Cut(job, "=")
			names = append(names, name)
		}
		dumpJobs(ctx, t, haEnv, jobsNS, logged, names)
		t.Fatalf("jobs not mirrored as succeeded: %d, e.g. %v: %v", len(notDone), notDone[:min(len(notDone), 5)], err)
	}
	allMirrored := time.Since(killedAt)
	var unreported []string
	err = framework.Poll(waitCtx, 200*time.Millisecond, func(context.Context) (bool, error) {
		unreported = unreported[:0]
		for i := range all {
			if s, _ := haEnv.GitHub.LatestStatus("acme", "widgets", sha(i+1), presubmit.Context); s.GetState() != github.StatusSuccess {
				unreported = append(unreported, sha(i + 1)[32:])
			}
		}
		return len(unreported) == 0, nil
	})
	if err != nil {
		t.Errorf("commits without a success status: %d, e.g. %v: %v", len(unreported), unreported[:min(len(unreported), 5)], err)
	}
	allReported := time.Since(killedAt)

	// Exactly one PipelineRun per job: created once, never deleted, none besides.
	list, err := runs.List(waitCtx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != haJobs {
		t.Errorf("%d PipelineRuns, want %d", len(list.Items), haJobs)
	}
	for _, pj := range all {
		if n := created.creates(pj.Name); n != 1 {
			t.Errorf("PipelineRun %s created %d times, want once", pj.Name, n)
		}
	}
	if d := created.deletes.Load(); d != 0 {
		t.Errorf("%d PipelineRuns deleted, want none", d)
	}

	// How long the victim's jobs waited: from the kill to the survivor's first run for a job
	// in one of the victim's buckets. Information only: timings on a shared machine vary.
	bucketSet := hash.NewBucketSet(sets.New(pipelineLeases...))
	first, byCreator := created.firstBy(survivor.id, killedAt, func(name string) bool {
		return slices.Contains(victimBuckets, bucketSet.Owner(jobsNS+"/"+name))
	})
	took := "never (the victim had already created every run of its buckets)"
	if !first.IsZero() {
		took = first.Sub(killedAt).Round(time.Millisecond).String()
	}
	lease := "not yet"
	select {
	case d, ok := <-takeover:
		if ok {
			lease = d.Round(time.Millisecond).String()
		}
	case <-time.After(10 * time.Second):
	}
	t.Logf("failover: first run by %s for the victim's buckets %s after the kill; all leases held by it after %s (lease %s, retry %s); runs created by replica: %v; create conflicts (AlreadyExists) by replica: %s=%d %s=%d",
		survivor.id, took, lease, haLeaseDuration, haRetryPeriod, byCreator,
		replicas[0].id, replicas[0].conflicts.Load(), replicas[1].id, replicas[1].conflicts.Load())
	t.Logf("after the kill: every run created after %s, every job mirrored succeeded after %s, every commit reported after %s",
		allRuns.Round(time.Millisecond), allMirrored.Round(time.Millisecond), allReported.Round(time.Millisecond))
}

// dumpJobs logs what the replicas said and did about the named jobs, to explain a failure.
func dumpJobs(ctx context.Context, t *testing.T, haEnv *framework.Env, namespace string, logged *observer.ObservedLogs, names []string) {
	t.Helper()
	for _, name := range names {
		pj, err := haEnv.ProwJobs.ProwV1().ProwJobs(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: job state %q pending %v", name, pj.Status.State, pj.Status.PendingTime)
		if pr, err := haEnv.Tekton.TektonV1().PipelineRuns(namespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Logf("  run: %v", err)
		} else {
			t.Logf("  run created by %s, condition %v", pr.ManagedFields[0].Manager, pr.Status.GetCondition("Succeeded"))
		}
		for _, e := range logged.All() {
			if strings.Contains(fmt.Sprint(e.ContextMap()), name) || strings.Contains(e.Message, name) {
				t.Logf("  %s %s %v", e.Time.Format("15:04:05.000"), e.Message, e.ContextMap())
			}
		}
	}
}

// haReplica is one controller replica: controllermanager.Run with leader election, whose
// every apiserver request goes through a transport that kill cuts.
type haReplica struct {
	id        string
	killed    atomic.Bool
	conflicts atomic.Int64
	cancel    context.CancelFunc
	done      chan error
}

var errKilled = errors.New("replica killed")

func startReplica(ctx context.Context, t *testing.T, haEnv *framework.Env, cfg *config.Config, logger *zap.SugaredLogger, id, leaseNS string, buckets uint32) *haReplica {
	t.Helper()
	r := &haReplica{id: id, done: make(chan error, 1)}
	rc := haEnv.Cluster.RESTConfig()
	// The apiserver names a create's field manager after the user agent, which tells the
	// runs each replica created apart.
	rc.UserAgent = id
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &killableTransport{rt: rt, r: r} })
	gh, err := github.NewClient(github.Options{BaseURL: haEnv.GitHub.URL()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(logging.WithLogger(ctx, logger.Named(id)))
	r.cancel = cancel
	go func() {
		r.done <- controllermanager.Run(runCtx, rc, controllermanager.Options{
			GitHub: gh, PipelineWorkers: 8, ReporterWorkers: 8,
			// The loops run too, so that their lease changes hands with the rest.
			Config: func() *config.Config { return cfg },
			LeaderElection: &controllermanager.LeaderElectionOptions{
				Namespace: leaseNS, Identity: id, Buckets: buckets,
				LeaseDuration: haLeaseDuration, RenewDeadline: haRenewDeadline, RetryPeriod: haRetryPeriod,
			},
		})
	}()
	return r
}

// kill stops the replica the way a crash or a partition does: from now on none of its
// requests reach the apiserver, so it neither renews nor releases its leases, and the rest
// of the cluster sees them expire. Cancelling alone would not do: knative's elector releases
// its leases on cancel, which hands them over at once.
func (r *haReplica) kill() {
	r.killed.Store(true)
	r.cancel()
}

func (r *haReplica) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil && !r.killed.Load() {
			t.Errorf("%s: %v", r.id, err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop", r.id)
	}
}

type killableTransport struct {
	rt http.RoundTripper
	r  *haReplica
}

func (k *killableTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if k.r.killed.Load() {
		return nil, errKilled
	}
	resp, err := k.rt.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && resp.StatusCode == http.StatusConflict && strings.HasSuffix(req.URL.Path, "/pipelineruns") {
		k.r.conflicts.Add(1)
	}
	return resp, err
}

// runCreates records every PipelineRun creation and deletion a watch sees, from before the
// replicas start: a run created twice (deleted and created again) would show up here even
// though only one exists at the end.
type runCreates struct {
	mu      sync.Mutex
	order   []string
	byName  map[string][]runCreate
	deletes atomic.Int64
}

type runCreate struct {
	at      time.Time
	creator string
}

func watchRunCreates(ctx context.Context, t *testing.T, runs pipelinev1client.PipelineRunInterface) *runCreates {
	t.Helper()
	list, err := runs.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, runWatcher{runs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	c := &runCreates{byName: map[string][]runCreate{}}
	go func() {
		for ev := range w.ResultChan() {
			pr, ok := ev.Object.(*pipelinev1.PipelineRun)
			if !ok {
				continue
			}
			switch ev.Type {
			case watch.Added:
				creator := ""
				if len(pr.ManagedFields) > 0 {
					creator = pr.ManagedFields[0].Manager
				}
				c.mu.Lock()
				if len(c.byName[pr.Name]) == 0 {
					c.order = append(c.order, pr.Name)
				}
				c.byName[pr.Name] = append(c.byName[pr.Name], runCreate{at: time.Now(), creator: creator})
				c.mu.Unlock()
			case watch.Deleted:
				c.deletes.Add(1)
			}
		}
	}()
	return c
}

// runWatcher adapts the typed client to the RetryWatcher, which resumes a closed watch
// from the last resource version it saw.
type runWatcher struct {
	runs pipelinev1client.PipelineRunInterface
}

func (w runWatcher) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return w.runs.Watch(ctx, o)
}

func (c *runCreates) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

func (c *runCreates) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.order)
}

func (c *runCreates) creates(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byName[name])
}

// firstBy returns when creator first created a run after since whose name matches, and how
// many runs each creator made.
func (c *runCreates) firstBy(creator string, since time.Time, match func(name string) bool) (time.Time, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	by := map[string]int{}
	for name, creates := range c.byName {
		for _, cr := range creates {
			by[cr.creator]++
			if cr.creator == creator && cr.at.After(since) && match(name) && (first.IsZero() || cr.at.Before(first)) {
				first = cr.at
			}
		}
	}
	return first, by
}

// createJobs creates the ProwJobs, one every interval, with a few clients so that a slow
// create does not hold up the next; created counts those done.
func createJobs(ctx context.Context, haEnv *framework.Env, pjs []*prowjobsv1.ProwJob, interval time.Duration, created *atomic.Int64) error {
	work := make(chan *prowjobsv1.ProwJob)
	errs := make(chan error, len(pjs))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pj := range work {
				if _, err := haEnv.ProwJobs.ProwV1().ProwJobs(pj.Namespace).Create(ctx, pj, metav1.CreateOptions{}); err != nil {
					errs <- fmt.Errorf("create ProwJob %s: %w", pj.Name, err)
					continue
				}
				created.Add(1)
			}
		}()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for _, pj := range pjs {
		work <- pj
		<-tick.C
	}
	close(work)
	wg.Wait()
	close(errs)
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	return errors.Join(failed...)
}

// holdLease creates the Lease name as if holder had just acquired it. The lease lasts long
// enough for holder to start and renew it (with its own, shorter duration) on a busy machine.
func holdLease(ctx context.Context, kc kubernetes.Interface, namespace, name, holder string) error {
	now := metav1.NewMicroTime(time.Now())
	seconds := int32(10)
	_, err := kc.CoordinationV1().Leases(namespace).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: &holder, LeaseDurationSeconds: &seconds, AcquireTime: &now, RenewTime: &now,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create lease %s: %w", name, err)
	}
	return nil
}

// leaseHolders maps each Lease in namespace to its holder.
func leaseHolders(ctx context.Context, kc kubernetes.Interface, namespace string) (map[string]string, error) {
	leases, err := kc.CoordinationV1().Leases(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	out := map[string]string{}
	for _, l := range leases.Items {
		if l.Spec.HolderIdentity != nil {
			out[l.Name] = *l.Spec.HolderIdentity
		}
	}
	return out, nil
}

// waitForHolders waits until every one of names has a holder and ok accepts the holders.
func waitForHolders(ctx context.Context, kc kubernetes.Interface, namespace string, names []string, ok func(map[string]string) bool) (bool, error) {
	err := framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		h, err := leaseHolders(ctx, kc, namespace)
		if err != nil {
			return false, err
		}
		for _, n := range names {
			if h[n] == "" {
				return false, nil
			}
		}
		return ok(h), nil
	})
	return err == nil, err
}

func countHeld(holders map[string]string, names []string, id string) int {
	n := 0
	for _, l := range names {
		if holders[l] == id {
			n++
		}
	}
	return n
}
