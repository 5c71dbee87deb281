// Package controllermanager wires bosun's reconcilers into one process: knative injection
// informers over a REST config, the pipeline reconciler, the GitHub reporter and the loops
// driven by the config (periodics, garbage collection). cmd/controller
// and the integration tests both run it, so the tests exercise the same wiring.
package controllermanager

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclient "github.com/tektoncd/pipeline/pkg/client/injection/client"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/injection"
	"knative.dev/pkg/logging"

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
	// CloneTask and DefaultPipelineTimeout shape the PipelineRuns (config.yaml's tekton
	// section): the Task clone placeholders become, and the timeout of runs whose job sets
	// none. Empty and zero leave bosun's and Tekton's defaults.
	CloneTask              string
	DefaultPipelineTimeout time.Duration
	// CancelStatus is the spec.status aborted jobs' runs get; empty means CancelledRunFinally.
	CancelStatus pipelinev1.PipelineRunSpecStatus
	// Config, when set, runs the loops that read the config as they go: horologium
	// (periodics) and the sinker (garbage collection); nil leaves them off.
	Config config.Getter
	// PeriodicInterval is how often periodics are checked; zero means horologium's default.
	PeriodicInterval time.Duration
	// Registerer receives the loops' metrics; nil means they are not exported.
	Registerer prometheus.Registerer
	// Clock stamps status times; nil means the real clock.
	Clock clock.PassiveClock
}

// Run starts the informers and controllers and blocks until ctx is done. The logger is
// taken from ctx (knative's logging.FromContext).
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	ctx, informers := injection.Default.SetupInformers(ctx, cfg)
	ctors := []func(ctx context.Context) *controller.Impl{
		func(ctx context.Context) *controller.Impl {
			return pipeline.NewController(pipeline.Options{
				Workers:        o.PipelineWorkers,
				CloneTask:      o.CloneTask,
				DefaultTimeout: o.DefaultPipelineTimeout,
				CancelStatus:   o.CancelStatus,
			}, o.Clock)(ctx, nil)
		},
	}
	if o.GitHub != nil {
		ctors = append(ctors, func(ctx context.Context) *controller.Impl {
			return crier.NewController(crier.Options{Workers: o.ReporterWorkers}, o.GitHub)(ctx, nil)
		})
	}
	impls := make([]*controller.Impl, 0, len(ctors))
	for _, ctor := range ctors {
		impls = append(impls, ctor(ctx))
	}
	if err := controller.StartInformers(ctx.Done(), informers...); err != nil {
		return fmt.Errorf("start informers: %w", err)
	}
	if o.Config != nil {
		startLoops(ctx, o)
	}
	logging.FromContext(ctx).Infow("Controllers starting", "controllers", len(impls))
	return controller.StartAll(ctx, impls...)
}

// startLoops runs the periodic loops beside the reconcilers until ctx ends. They are safe to
// run in several replicas at once (deletes carry UID preconditions, creates deterministic
// names), so they need no leader election to be correct, only to avoid repeated work.
func startLoops(ctx context.Context, o Options) {
	clients := sinker.Clients{ProwJobs: prowjobclient.Get(ctx), Tekton: pipelineclient.Get(ctx)}
	go func() {
		if err := horologium.Run(ctx, o.PeriodicInterval, o.Config, clients.ProwJobs); err != nil {
			logging.FromContext(ctx).Errorw("Horologium stopped", "error", err)
		}
	}()
	go func() {
		if err := sinker.Run(ctx, o.Config, clients, o.Registerer); err != nil {
			logging.FromContext(ctx).Errorw("Sinker stopped", "error", err)
		}
	}()
}
