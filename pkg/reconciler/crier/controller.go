// Package crier reports ProwJob state changes to GitHub as commit statuses, once per state.
// It never looks at Tekton: the ProwJob's status is all it reads.
package crier

import (
	"context"

	"knative.dev/pkg/configmap"
	"knative.dev/pkg/controller"

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
}

// NewController returns a constructor for the GitHub status reporter.
func NewController(opts Options, gh github.StatusCreator) func(context.Context, configmap.Watcher) *controller.Impl {
	return func(ctx context.Context, _ configmap.Watcher) *controller.Impl {
		r := &Reconciler{github: gh, prowJobClient: prowjobclient.Get(ctx)}
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
			}
		})
		if opts.Workers > 0 {
			impl.Concurrency = opts.Workers
		}
		prowjobinformer.Get(ctx).Informer().AddEventHandler(controller.HandleAll(impl.Enqueue))
		return impl
	}
}
