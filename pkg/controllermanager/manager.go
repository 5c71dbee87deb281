// Package controllermanager wires bosun's reconcilers into one process: knative injection
// informers over a REST config, the pipeline reconciler, the GitHub reporter and the loops
// driven by the config (periodics, garbage collection), optionally under leader election so
// that several replicas can run. cmd/controller and the integration tests both run it, so the
// tests exercise the same wiring.
package controllermanager

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	kubeclient "knative.dev/pkg/client/injection/kube/client"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/injection"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/buildcluster"
	prowjobclient "github.com/bosun-ci/bosun/pkg/client/injection/client"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/horologium"
	"github.com/bosun-ci/bosun/pkg/reconciler/crier"
	"github.com/bosun-ci/bosun/pkg/reconciler/pipeline"
	"github.com/bosun-ci/bosun/pkg/sinker"
)

// Options configure the controllers.
type Options struct {
	// GitHub receives commit statuses; nil disables the reporter.
	GitHub github.StatusCreator
	// PipelineWorkers and ReporterWorkers size the two work queues.
	PipelineWorkers int
	ReporterWorkers int
	// CloneTask and DefaultPipelineTimeout shape the PipelineRuns: the Task clone
	// placeholders become, and the timeout of runs whose job sets none. CancelStatus is the
	// spec.status aborted jobs' runs get. Set, each overrides config.yaml's tekton setting
	// (Config's, read at each reconcile); unset in both, bosun's and Tekton's defaults apply
	// (CancelledRunFinally for CancelStatus). cmd/controller leaves them unset, so that a
	// reloaded config takes effect.
	CloneTask              string
	DefaultPipelineTimeout time.Duration
	CancelStatus           pipelinev1.PipelineRunSpecStatus
	// Config, when set, runs the loops that read the config as they go: horologium
	// (periodics) and the sinker (garbage collection), and gives the pipeline reconciler its
	// tekton settings and the repositories' concurrency limits, read at each reconcile; nil
	// leaves the loops off and caps no repository. cmd/controller passes a reloading
	// config (pkg/configagent).
	Config config.Getter
	// PeriodicInterval is how often periodics are checked; zero means horologium's default.
	PeriodicInterval time.Duration
	// Registerer receives the loops' and the leader election's metrics; nil means they are
	// not exported.
	Registerer prometheus.Registerer
	// LeaderElection, when set, lets several replicas run: each reconciler works only on the
	// keys of the buckets whose Leases it holds, and the loops run in one replica. nil means
	// this process does all the work, as a single replica must.
	LeaderElection *LeaderElectionOptions
	// Clock stamps status times; nil means the real clock.
	Clock clock.PassiveClock

	// ProwJobNamespace, when set, is the only namespace whose ProwJobs the controller
	// watches and works on: its ProwJob informers, the Events about jobs, the concurrency
	// claims and the reporter's ledger are there, and it replaces the config's
	// prowjob_namespace for horologium and the sinker. Empty means every namespace, which
	// needs cluster-wide list and watch of ProwJobs (the tests' shared control plane;
	// cmd/controller always sets it).
	ProwJobNamespace string
	// JobNamespaces are the namespaces PipelineRuns may be created in and are watched in, in
	// every build cluster; a job whose spec.namespace is another ends in error. Empty means
	// every namespace, which needs cluster-wide list and watch of PipelineRuns.
	JobNamespaces []string
	// BuildClusterKubeconfigs are kubeconfig files, or directories of them, whose contexts
	// are the build clusters jobs name in spec.cluster (buildcluster.LoadKubeconfigs).
	// "default" is the cluster of cfg unless one of them defines it.
	BuildClusterKubeconfigs []string
	// ClusterSyncGrace is how long Run waits for the build clusters' PipelineRun informers
	// to sync before it starts the reconcilers anyway; the jobs of a cluster that has not
	// synced wait for it. Zero means DefaultClusterSyncGrace.
	ClusterSyncGrace time.Duration
	// Readiness, when set, tells from Run on whether every informer has synced, for a
	// readiness probe.
	Readiness *Readiness
	// ProbesAddr, when set, is where Run serves the Kubernetes probes (pkg/probes):
	// /healthz answers as long as the process serves, /readyz once every informer (the
	// ProwJobs', and the PipelineRuns' of each build cluster and job namespace) has synced.
	// Empty serves none.
	ProbesAddr string
}

// clusterStopWait bounds how long Run waits for the build clusters' informers to stop.
const clusterStopWait = 5 * time.Second

// DefaultClusterSyncGrace is how long Run waits for the build clusters before starting the
// reconcilers without the ones that have not synced.
const DefaultClusterSyncGrace = 10 * time.Second

// Run starts the informers and controllers and blocks until ctx is done. The logger is
// taken from ctx (knative's logging.FromContext).
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.ProbesAddr != "" && o.Readiness == nil {
		o.Readiness = &Readiness{}
	}
	var le LeaderElectionOptions
	if o.LeaderElection != nil {
		var err error
		if le, err = o.LeaderElection.withDefaults(); err != nil {
			return err
		}
		if err := setLeaseNamespace(ctx, le.Namespace); err != nil {
			return err
		}
	}
	// The reporter writes its ledger in the background until its workers stopped (they
	// finish what they started after ctx ends), and once more then; Run returns only after
	// that last write (see crier.Options.Stopped and WorkersDone), and after the build
	// clusters' informers stopped.
	var stopped sync.WaitGroup
	workersDone := make(chan struct{})
	var clustersStopped <-chan struct{}
	ctx, stopAll := context.WithCancel(ctx)
	probesDone := make(chan struct{})
	defer func() {
		stopAll()
		// Every controller's Run has returned by now (or never started).
		close(workersDone)
		stopped.Wait()
		if clustersStopped != nil {
			// client-go's reflector may sit out a backoff before it sees that ctx ended
			// (an unreachable cluster's, up to 30 s): it is not worth holding up a
			// shutdown for.
			select {
			case <-clustersStopped:
			case <-time.After(clusterStopWait):
			}
		}
		o.Readiness.set(nil)
		if o.ProbesAddr != "" {
			<-probesDone
		}
	}()
	if o.ProbesAddr != "" {
		// Served from the start, so that the liveness probe answers during a long sync. A
		// probe server that cannot serve (its port taken) is logged and the controller goes
		// on: its work does not need it, and a kubelet whose probes fail says so anyway.
		go func() {
			defer close(probesDone)
			if err := serveProbes(ctx, o.ProbesAddr, o.Readiness); err != nil {
				logging.FromContext(ctx).Errorw("Probe server failed", "error", err)
			}
		}()
	}
	if o.ProwJobNamespace != "" {
		// Every injection informer factory (the ProwJob informers) lists and watches in
		// this namespace only.
		ctx = injection.WithNamespaceScope(ctx, o.ProwJobNamespace)
		o.Config = inNamespace(o.Config, o.ProwJobNamespace)
	}
	ctx, informers := injection.Default.SetupInformers(ctx, cfg)
	clusters, err := newBuildClusters(ctx, cfg, o)
	if err != nil {
		return err
	}
	// Each constructor is paired with the name its Leases carry (its agent name).
	type ctor struct {
		name string
		new  func(ctx context.Context) *controller.Impl
	}
	ctors := []ctor{{
		name: pipeline.AgentName,
		new: func(ctx context.Context) *controller.Impl {
			return pipeline.NewController(pipeline.Options{
				Workers:        o.PipelineWorkers,
				CloneTask:      o.CloneTask,
				DefaultTimeout: o.DefaultPipelineTimeout,
				CancelStatus:   o.CancelStatus,
				Config:         o.Config,
				Clusters:       clusters,
			}, o.Clock)(ctx, nil)
		},
	}}
	if o.GitHub != nil {
		ctors = append(ctors, ctor{name: crier.AgentName, new: func(ctx context.Context) *controller.Impl {
			return crier.NewController(crier.Options{Workers: o.ReporterWorkers, Stopped: &stopped, WorkersDone: workersDone}, o.GitHub)(ctx, nil)
		}})
	}
	recorders := newEventRecorders(ctx)
	impls := make([]*controller.Impl, 0, len(ctors))
	for _, c := range ctors {
		impls = append(impls, c.new(recorders.withRecorder(ctx, c.name)))
	}
	// The build clusters sync in the background while the ProwJob informers do.
	clustersStopped = clusters.Start(ctx)
	if err := controller.StartInformers(ctx.Done(), informers...); err != nil {
		return fmt.Errorf("start informers: %w", err)
	}
	waitForClusters(ctx, clusters, o.ClusterSyncGrace)
	o.Readiness.set(clusters.Ready)
	if o.LeaderElection == nil {
		if o.Config != nil {
			go runLoops(ctx, o, clusters, o.Registerer)
		}
		logging.FromContext(ctx).Infow("Controllers starting", "controllers", len(impls))
		return controller.StartAll(ctx, impls...)
	}

	m, err := newLeaderMetrics(o.Registerer)
	if err != nil {
		return err
	}
	kc := kubeclient.Get(ctx)
	// runCtx ends everything when one controller fails, as controller.StartAll would.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Config != nil {
		if err := runLoopsElected(runCtx, kc, le, o, clusters, m); err != nil {
			return err
		}
	}
	// What controller.StartAll does, with each controller's own election in its context.
	errs := make(chan error, len(impls))
	for i, impl := range impls {
		name := ctors[i].name
		observeLeadership(ctx, impl, name, le.Identity, m)
		electCtx := withElection(runCtx, kc, le, name)
		go func() {
			if err := impl.Run(electCtx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				return
			}
			errs <- nil
		}()
	}
	logging.FromContext(ctx).Infow("Controllers starting with leader election", "controllers", len(impls),
		"identity", le.Identity, "namespace", le.Namespace, "buckets", le.Buckets, "leaseDuration", le.LeaseDuration)
	var first error
	for range impls {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// runLoops runs the periodic loops beside the reconcilers until ctx ends, and returns once
// both stopped. They are safe to run in several replicas at once (deletes carry UID
// preconditions, creates deterministic names), so leader election only saves repeated work.
func runLoops(ctx context.Context, o Options, clusters *buildcluster.Set, reg prometheus.Registerer) {
	clients := sinker.Clients{ProwJobs: prowjobclient.Get(ctx), Clusters: sinkerClusters(clusters)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := horologium.Run(ctx, o.PeriodicInterval, o.Config, clients.ProwJobs); err != nil {
			logging.FromContext(ctx).Errorw("Horologium stopped", "error", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := sinker.Run(ctx, o.Config, clients, reg); err != nil {
			logging.FromContext(ctx).Errorw("Sinker stopped", "error", err)
		}
	}()
	wg.Wait()
}
