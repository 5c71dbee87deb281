// Package pipeline reconciles tekton-pipeline ProwJobs: it creates each job's PipelineRun and
// mirrors the run's Succeeded condition back into the job's status. It never talks to
// GitHub; reporting is crier's job.
package pipeline

import (
	"context"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	kubeclient "knative.dev/pkg/client/injection/kube/client"
	"knative.dev/pkg/configmap"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/kmeta"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/buildcluster"
	prowjobclient "github.com/bosun-ci/bosun/pkg/client/injection/client"
	prowjobinformer "github.com/bosun-ci/bosun/pkg/client/injection/informers/prowjobs/v1/prowjob"
	prowjobreconciler "github.com/bosun-ci/bosun/pkg/client/injection/reconciler/prowjobs/v1/prowjob"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// AgentName names this reconciler in events and leader election.
const AgentName = "bosun-pipeline"

// Options tune the reconciler.
type Options struct {
	// Workers is how many ProwJobs are reconciled at once. Each reconcile is one or two
	// apiserver round trips, so a handful of workers keeps up with bursts of webhooks.
	Workers int
	// CancelStatus is the spec.status aborted jobs' runs get: CancelledRunFinally (the
	// default), Cancelled or StoppedRunFinally. Set, it overrides Config's
	// tekton.cancel_status.
	CancelStatus pipelinev1.PipelineRunSpecStatus
	// CloneTask is the Task that PROW_IMPLICIT_GIT_REF and PROW_EXTRA_GIT_REF_<n> pipeline
	// tasks become. Set, it overrides Config's tekton.clone_task; empty in both means
	// bosun-git-clone (tekton/git-clone.yaml).
	CloneTask string
	// DefaultTimeout is the pipeline timeout of runs whose job sets none. Set, it overrides
	// Config's tekton.default_timeout; zero in both leaves it to Tekton.
	DefaultTimeout time.Duration
	// Config, when set, gives the tekton settings the fields above leave unset and the
	// repositories' concurrency limits (max_concurrency_per_repo), read at each reconcile,
	// so that a reloaded config applies to the next job; nil caps no repository. Jobs' own
	// max_concurrency comes from their spec either way.
	Config config.Getter
	// Clusters are where the PipelineRuns run: the job's spec.cluster names one, in whose
	// job namespaces the reconciler creates, watches and cancels its run. Required.
	Clusters BuildClusters
}

// BuildClusters are the clusters PipelineRuns run in, with their informers
// (buildcluster.Set).
type BuildClusters interface {
	buildcluster.Clusters
	// AddEventHandler registers h with every cluster's PipelineRun informers; it is called
	// before they start.
	AddEventHandler(h cache.ResourceEventHandler) error
	// OnSynced registers f to be called with a cluster's name once its informers synced.
	OnSynced(f func(cluster string))
}

// NewController returns a constructor for the pipeline reconciler.
func NewController(opts Options, clk clock.PassiveClock) func(context.Context, configmap.Watcher) *controller.Impl {
	return func(ctx context.Context, _ configmap.Watcher) *controller.Impl {
		prowJobInformer := prowjobinformer.Get(ctx)
		// Added before the informers start, as they must be: the jobs under each
		// concurrency limit, found without a scan.
		if err := prowJobInformer.Informer().AddIndexers(cache.Indexers{limitIndex: indexLimitKeys}); err != nil {
			logging.FromContext(ctx).Fatalw("Cannot index ProwJobs by concurrency limit", "error", err)
		}
		active := indexedActiveJobs(prowJobInformer.Informer().GetIndexer())
		repoMax := repoLimitsOf(opts.Config)
		prowJobs := prowjobclient.Get(ctx)
		r := &statusWriter{
			reconciler: &Reconciler{
				clusters:     opts.Clusters,
				clock:        clk,
				cancelStatus: opts.CancelStatus,
				runOptions:   pipelinerun.Options{CloneTask: opts.CloneTask, DefaultTimeout: opts.DefaultTimeout},
				config:       opts.Config,
				repoMax:      repoMax,
				claims: &claimer{
					configMaps: kubeclient.Get(ctx).CoreV1().ConfigMaps,
					prowJobs:   prowJobs,
					lister:     prowJobInformer.Lister(),
					active:     active,
				},
			},
			prowJobClient: prowJobs,
		}
		impl := prowjobreconciler.NewImpl(ctx, r, func(*controller.Impl) controller.Options {
			return controller.Options{
				AgentName: AgentName,
				// statusWriter writes the status, with a resource-version guard.
				SkipStatusUpdates: true,
				// Only tekton-pipeline jobs that are still running need this reconciler.
				PromoteFilterFunc: isActiveTektonJob,
			}
		})
		if opts.Workers > 0 {
			impl.Concurrency = opts.Workers
		}

		prowJobInformer.Informer().AddEventHandler(controller.HandleAll(impl.Enqueue))
		// A job that completes or starts may let the next waiting jobs under its limits
		// take a slot.
		prowJobInformer.Informer().AddEventHandler((&waker{repoMax: repoMax, active: active, enqueue: impl.EnqueueKey}).handler())
		// Runs are created by this reconciler, which already holds the new run: only their
		// changes (Tekton's conditions) and deletions need to bring their job back. Skipping
		// the add saves a second reconcile of every new job, and the status write conflict
		// it would race into.
		//
		// Runs are mapped back to their jobs by the id label and the namespace annotation,
		// not by owner references, so this works the same for runs in other namespaces and
		// in remote build clusters, where no owner reference can point at the job.
		enqueue := enqueueProwJobOf(impl)
		if err := opts.Clusters.AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
			DeleteFunc: enqueue,
		}); err != nil {
			logging.FromContext(ctx).Fatalw("Cannot watch PipelineRuns", "error", err)
		}
		// The jobs of a cluster that was not synced waited (ReconcileKind requeues them):
		// once it is, they need not wait for their next retry.
		opts.Clusters.OnSynced(func(cluster string) {
			impl.FilteredGlobalResync(func(obj interface{}) bool {
				pj, ok := obj.(*prowjobsv1.ProwJob)
				return ok && isActiveTektonJob(pj) && buildcluster.NameOf(pj.Spec.Cluster) == cluster
			}, prowJobInformer.Informer())
		})
		return impl
	}
}

// repoLimitsOf reads the repositories' concurrency limits from the current config.
func repoLimitsOf(get config.Getter) repoLimits {
	if get == nil {
		return nil
	}
	return func(org, repo string) int {
		c := get()
		if c == nil {
			return 0
		}
		return c.Tekton.RepoMaxConcurrency(org, repo)
	}
}

func isActiveTektonJob(obj interface{}) bool {
	pj, ok := obj.(*prowjobsv1.ProwJob)
	return ok && pj.Spec.Agent == prowjobsv1.TektonAgent && (!pj.Complete() || pj.Status.State == prowjobsv1.AbortedState)
}

// enqueueProwJobOf maps a PipelineRun back to the ProwJob that owns it, by the id label and
// the namespace annotation bosun sets (runs may live in another namespace than their job).
func enqueueProwJobOf(impl *controller.Impl) func(obj interface{}) {
	return func(obj interface{}) {
		object, err := kmeta.DeletionHandlingAccessor(obj)
		if err != nil {
			return
		}
		name := object.GetLabels()[prowjobsv1.ProwJobIDLabel]
		namespace := object.GetAnnotations()[prowjobsv1.ProwJobNamespaceAnnotation]
		if name == "" || namespace == "" {
			return
		}
		impl.EnqueueKey(types.NamespacedName{Namespace: namespace, Name: name})
	}
}
