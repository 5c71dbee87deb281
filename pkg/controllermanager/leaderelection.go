package controllermanager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	k8sleaderelection "k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"knative.dev/pkg/controller"
	kle "knative.dev/pkg/leaderelection"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/reconciler"
	"knative.dev/pkg/system"

	"github.com/bosun-ci/bosun/pkg/buildcluster"
)

// Knative's and client-go's usual lease timings: a dead leader is replaced within
// LeaseDuration + RetryPeriod, and a live one renews well inside its lease.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// LoopsLeaseName is the Lease that decides which replica runs the loops (horologium and the
// sinker). They are safe in several replicas, but each pass lists every ProwJob and
// PipelineRun, so running them once saves that load.
const LoopsLeaseName = "bosun-controller-loops"

// LeaderElectionOptions let several controller replicas run at once: each reconciler's
// ProwJob keys are hashed into Buckets buckets, each bucket is a Lease, and only the holder
// of a bucket's Lease reconciles its keys. The loops run in the holder of LoopsLeaseName.
type LeaderElectionOptions struct {
	// Namespace holds the Leases. Knative's elector reads it from SYSTEM_NAMESPACE, so Run
	// sets that variable: there is one lease namespace per process.
	Namespace string
	// Identity names this replica in the Leases' holderIdentity; empty means the host name
	// plus a random suffix, unique per process.
	Identity string
	// Buckets is how many Leases each reconciler's keys are split into, 1 to 10 (knative's
	// limit); 0 means 1. More buckets spread the reconciling over the replicas; one makes a
	// single replica do all of it.
	Buckets uint32
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's lease timings; zero means
	// DefaultLeaseDuration, DefaultRenewDeadline and DefaultRetryPeriod.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// withDefaults fills in the zero fields and checks what client-go would otherwise refuse
// only once the elector starts, deep inside a controller.
func (le LeaderElectionOptions) withDefaults() (LeaderElectionOptions, error) {
	if le.Namespace == "" {
		return le, errors.New("leader election needs a namespace for its leases")
	}
	if le.Identity == "" {
		id, err := kle.UniqueID()
		if err != nil {
			return le, fmt.Errorf("leader election identity: %w", err)
		}
		le.Identity = id
	}
	if le.Buckets == 0 {
		le.Buckets = 1
	}
	if le.Buckets > kle.MaxBuckets {
		return le, fmt.Errorf("leader election buckets %d: at most %d", le.Buckets, kle.MaxBuckets)
	}
	if le.LeaseDuration == 0 {
		le.LeaseDuration = DefaultLeaseDuration
	}
	if le.RenewDeadline == 0 {
		le.RenewDeadline = DefaultRenewDeadline
	}
	if le.RetryPeriod == 0 {
		le.RetryPeriod = DefaultRetryPeriod
	}
	if le.RetryPeriod < 0 || le.RenewDeadline <= time.Duration(k8sleaderelection.JitterFactor*float64(le.RetryPeriod)) {
		return le, fmt.Errorf("leader election renew deadline %s must exceed %.1f x retry period %s", le.RenewDeadline, k8sleaderelection.JitterFactor, le.RetryPeriod)
	}
	if le.LeaseDuration <= le.RenewDeadline {
		return le, fmt.Errorf("leader election lease duration %s must exceed the renew deadline %s", le.LeaseDuration, le.RenewDeadline)
	}
	return le, nil
}

// BucketLeaseName is the Lease of one bucket of a reconciler, e.g. "bosun-pipeline.00-of-03"
// for the first of three buckets of the pipeline reconciler (named by its AgentName).
func BucketLeaseName(controllerName string, bucket, buckets uint32) string {
	return fmt.Sprintf("%s.%02d-of-%02d", controllerName, bucket, buckets)
}

// BucketLeaseNames are all the Leases of a reconciler's buckets. Keys are assigned to them by
// knative's hash.NewBucketSet over these names, the same in every replica.
func BucketLeaseNames(controllerName string, buckets uint32) []string {
	names := make([]string, 0, buckets)
	for i := range buckets {
		names = append(names, BucketLeaseName(controllerName, i, buckets))
	}
	return names
}

// withElection returns ctx set up so that the knative controller run with it elects its
// buckets as the Leases BucketLeaseNames(controllerName, ...). Each reconciler gets its own
// context because knative names leases after the component, and two reconcilers sharing
// lease names (with one identity) would both believe they hold them.
func withElection(ctx context.Context, kc kubernetes.Interface, le LeaderElectionOptions, controllerName string) context.Context {
	return kle.WithStandardLeaderElectorBuilder(ctx, kc, kle.ComponentConfig{
		Component:     controllerName,
		Buckets:       le.Buckets,
		LeaseDuration: le.LeaseDuration,
		RenewDeadline: le.RenewDeadline,
		RetryPeriod:   le.RetryPeriod,
		Identity:      le.Identity,
		LeaseName: func(i uint32) string {
			return BucketLeaseName(controllerName, i, le.Buckets)
		},
	})
}

// setLeaseNamespace points knative's elector at the lease namespace: it takes it from
// SYSTEM_NAMESPACE (system.Namespace) and has no other way in.
func setLeaseNamespace(ctx context.Context, namespace string) error {
	if os.Getenv(system.NamespaceEnvKey) == namespace {
		return nil
	}
	if err := os.Setenv(system.NamespaceEnvKey, namespace); err != nil {
		return fmt.Errorf("set %s for the leader election: %w", system.NamespaceEnvKey, err)
	}
	logging.FromContext(ctx).Infow("Leader election leases", "namespace", namespace)
	return nil
}

// leaderMetrics is the gauge of the leases this replica holds.
type leaderMetrics struct {
	leading *prometheus.GaugeVec
}

func newLeaderMetrics(reg prometheus.Registerer) (*leaderMetrics, error) {
	leading := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "bosun_controller_leader",
		Help: "1 for each Lease (a reconciler bucket or the loops) this replica holds, 0 once it lost it.",
	}, []string{"lease"})
	if reg != nil {
		if err := reg.Register(leading); err != nil {
			// Two managers in one process (the tests) share the gauge.
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("register leader metrics: %w", err)
			}
			existing, ok := are.ExistingCollector.(*prometheus.GaugeVec)
			if !ok {
				return nil, fmt.Errorf("register leader metrics: %w", err)
			}
			leading = existing
		}
	}
	return &leaderMetrics{leading: leading}, nil
}

func (m *leaderMetrics) set(lease string, leading bool) {
	v := 0.0
	if leading {
		v = 1
	}
	m.leading.WithLabelValues(lease).Set(v)
}

// leaderObserver stands between knative's elector and a generated reconciler to log and
// count leadership changes with this replica's identity, and to put the resync of a newly
// led bucket in the fast lane of the work queue; the reconciler still does the work (its
// Promote lists the bucket's jobs).
type leaderObserver struct {
	controller.Reconciler
	leaderAware    reconciler.LeaderAware
	controllerName string
	identity       string
	logger         *zap.SugaredLogger
	metrics        *leaderMetrics
	// enqueue adds a key to the fast lane (controller.Impl.EnqueueKey).
	enqueue func(types.NamespacedName)

	// led holds the buckets this replica leads: knative demotes a bucket whenever an election
	// round ends, also one this replica never won, and only real changes are worth a log line.
	mu  sync.Mutex
	led map[string]bool
}

var _ reconciler.LeaderAware = (*leaderObserver)(nil)

// observeLeadership wraps impl's reconciler in a leaderObserver. Reconcilers that are not
// leader-aware are left alone: knative runs them without an election.
func observeLeadership(ctx context.Context, impl *controller.Impl, controllerName, identity string, m *leaderMetrics) {
	la, ok := impl.Reconciler.(reconciler.LeaderAware)
	if !ok {
		return
	}
	impl.Reconciler = &leaderObserver{
		Reconciler:     impl.Reconciler,
		leaderAware:    la,
		controllerName: controllerName,
		identity:       identity,
		logger:         logging.FromContext(ctx).With("controller", controllerName, "identity", identity),
		metrics:        m,
		enqueue:        impl.EnqueueKey,
	}
}

// Promote marks the bucket as led before the wrapped Promote enqueues its keys, so the
// metric never lags the work.
//
// Knative puts a promotion's resync in the slow lane, which is served only when the fast
// lane is empty: a replica busy with its own buckets would leave the jobs of a dead
// replica's buckets waiting for as long as its own burst lasts (tens of seconds in the HA
// test). Those jobs have waited since the old leader died, so they join the fast lane in
// turn with new events. The reconcilers' promote filters keep the resync to the jobs that
// still need work.
func (o *leaderObserver) Promote(b reconciler.Bucket, enq func(reconciler.Bucket, types.NamespacedName)) error {
	o.mu.Lock()
	if o.led == nil {
		o.led = map[string]bool{}
	}
	o.led[b.Name()] = true
	o.mu.Unlock()
	o.logger.Infow("Started leading bucket", "bucket", b.Name())
	o.metrics.set(b.Name(), true)
	if enq != nil && o.enqueue != nil {
		// A nil enq means no resync (knative's unopposed elector); keep it that way.
		enq = func(b reconciler.Bucket, key types.NamespacedName) {
			if b.Has(key) {
				o.enqueue(key)
			}
		}
	}
	if err := o.leaderAware.Promote(b, enq); err != nil {
		return fmt.Errorf("%s: resync bucket %s: %w", o.controllerName, b.Name(), err)
	}
	return nil
}

func (o *leaderObserver) Demote(b reconciler.Bucket) {
	o.leaderAware.Demote(b)
	o.mu.Lock()
	wasLeading := o.led[b.Name()]
	delete(o.led, b.Name())
	o.mu.Unlock()
	if wasLeading {
		o.metrics.set(b.Name(), false)
		o.logger.Infow("Stopped leading bucket", "bucket", b.Name())
	}
}

// runLoopsElected runs the loops whenever this replica holds LoopsLeaseName, until ctx is
// done. A lost lease stops the loops; the election then starts over, so the replica can
// take the loops back later.
func runLoopsElected(ctx context.Context, kc kubernetes.Interface, le LeaderElectionOptions, o Options, clusters *buildcluster.Set, m *leaderMetrics) error {
	logger := logging.FromContext(ctx).With("lease", LoopsLeaseName, "identity", le.Identity)
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: le.Namespace, Name: LoopsLeaseName},
		Client:     kc.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: le.Identity},
	}
	// The loops register their metrics each term; the terms must not overlap (a lost lease
	// can be won back before the last term's loops returned), and each term's registrations
	// are undone at its end so that the next can make them again.
	var term sync.Mutex
	var led atomic.Bool
	reg := &termRegisterer{reg: o.Registerer}
	elector, err := k8sleaderelection.NewLeaderElector(k8sleaderelection.LeaderElectionConfig{
		Lock:          lock,
		LeaseDuration: le.LeaseDuration,
		RenewDeadline: le.RenewDeadline,
		RetryPeriod:   le.RetryPeriod,
		// A replica shutting down hands the loops over at once instead of after a lease.
		ReleaseOnCancel: true,
		Name:            LoopsLeaseName,
		Callbacks: k8sleaderelection.LeaderCallbacks{
			OnStartedLeading: func(termCtx context.Context) {
				term.Lock()
				defer term.Unlock()
				led.Store(true)
				logger.Info("Started leading the loops")
				m.set(LoopsLeaseName, true)
				var loopsReg prometheus.Registerer
				if o.Registerer != nil {
					loopsReg = reg
				}
				runLoops(termCtx, o, clusters, loopsReg)
				reg.unregisterAll()
			},
			// client-go calls this at the end of every Run, led or not.
			OnStoppedLeading: func() {
				if led.Swap(false) {
					m.set(LoopsLeaseName, false)
					logger.Info("Stopped leading the loops")
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("loops leader election: %w", err)
	}
	go func() {
		for ctx.Err() == nil {
			elector.Run(ctx)
		}
	}()
	return nil
}

// termRegisterer registers with reg and remembers what, so that unregisterAll can undo a
// term's registrations.
type termRegisterer struct {
	reg        prometheus.Registerer
	mu         sync.Mutex
	registered []prometheus.Collector
}

var _ prometheus.Registerer = (*termRegisterer)(nil)

func (t *termRegisterer) Register(c prometheus.Collector) error {
	if err := t.reg.Register(c); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.registered = append(t.registered, c)
	return nil
}

func (t *termRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := t.Register(c); err != nil {
			panic(err)
		}
	}
}

func (t *termRegisterer) Unregister(c prometheus.Collector) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, r := range t.registered {
		if r == c {
			t.registered = append(t.registered[:i], t.registered[i+1:]...)
			break
		}
	}
	return t.reg.Unregister(c)
}

func (t *termRegisterer) unregisterAll() {
	if t.reg == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.registered {
		t.reg.Unregister(c)
	}
	t.registered = nil
}
