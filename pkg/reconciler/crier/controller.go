// Package crier reports ProwJob state changes to GitHub as commit statuses, once per state.
// It never looks at Tekton: the ProwJob's status is all it reads.
package crier

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	kubeclient "knative.dev/pkg/client/injection/kube/client"
	"knative.dev/pkg/configmap"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/reconciler"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclient "github.com/bosun-ci/bosun/pkg/client/injection/client"
	prowjobinformer "github.com/bosun-ci/bosun/pkg/client/injection/informers/prowjobs/v1/prowjob"
	prowjobreconciler "github.com/bosun-ci/bosun/pkg/client/injection/reconciler/prowjobs/v1/prowjob"
	"github.com/bosun-ci/bosun/pkg/github"
)

// AgentName names this reconciler in events and leader election.
const AgentName = "bosun-crier"

// Options tune the reporter.
type Options struct {
	// Workers is how many jobs are reported at once; each report is one GitHub call.
	Workers int
	// Stopped, when set, counts the reporter's background writers of its ledger
	// (LedgerConfigMap): they end after the constructor's context, once they have written
	// their last records, and a process should wait for them before it exits, or a
	// restart posts pending again for the jobs reported in the last moments.
	Stopped *sync.WaitGroup
	// WorkersDone, when set, is closed by the caller once the controller's Run returned,
	// that is once its workers finished the reports they had started and drained the
	// queue. The ledger's writers wait for it after the context ends, so that the records
	// of those last reports are written too. Nil ends them with the context, and records
	// made after it are lost.
	WorkersDone <-chan struct{}
}

// NewController returns a constructor for the GitHub status reporter.
func NewController(opts Options, gh github.StatusCreator) func(context.Context, configmap.Watcher) *controller.Impl {
	return func(ctx context.Context, _ configmap.Watcher) *controller.Impl {
		informer := prowjobinformer.Get(ctx)
		lister := informer.Lister()
		if err := informer.Informer().AddIndexers(cache.Indexers{statusIndex: indexStatusKeys}); err != nil {
			logging.FromContext(ctx).Fatalw("Cannot index ProwJobs by commit status", "error", err)
		}
		led := &ledgers{
			configMaps: kubeclient.Get(ctx).CoreV1().ConfigMaps,
			exists: func(namespace string) (map[types.UID]bool, error) {
				pjs, err := lister.ProwJobs(namespace).List(labels.Everything())
				if err != nil {
					return nil, err
				}
				uids := make(map[types.UID]bool, len(pjs))
				for _, pj := range pjs {
					uids[pj.UID] = true
				}
				return uids, nil
			},
			flushers:    opts.Stopped,
			workersDone: opts.WorkersDone,
		}
		led.start(ctx)
		r := &Reconciler{github: gh, prowJobClient: prowjobclient.Get(ctx), ledgers: led, jobs: informer.Informer().GetIndexer()}
		impl := prowjobreconciler.NewImpl(ctx, r, func(*controller.Impl) controller.Options {
			return controller.Options{
				AgentName: AgentName,
				// Crier records what it reported with a patch of its own key in
				// prev_report_states; it must never write the rest of the status, which
				// belongs to the pipeline reconciler.
				SkipStatusUpdates: true,
				PromoteFilterFunc: func(obj interface{}) bool {
					pj, ok := obj.(*prowjobsv1.ProwJob)
					return ok && needsReport(pj)
				},
				// The jobs of a bucket taken over were reported by another replica, which
				// recorded them in the ledger: read it again before trusting "not reported".
				PromoteFunc: func(reconciler.Bucket) { led.markStale() },
			}
		})
		r.wake = impl.EnqueueKey
		if opts.Workers > 0 {
			impl.Concurrency = opts.Workers
		}
		prowjobinformer.Get(ctx).Informer().AddEventHandler(controller.HandleAll(impl.Enqueue))
		return impl
	}
}
