// Package controllermanager wires bosun's reconcilers into one process: knative injection
// informers over a REST config, the pipeline reconciler and the GitHub reporter. cmd/controller
// and the integration tests both run it, so the tests exercise the same wiring.
package controllermanager

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/injection"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/reconciler/crier"
	"github.com/bosun-ci/bosun/pkg/reconciler/pipeline"
)

// Options configure the controllers.
type Options struct {
	// GitHub receives commit statuses; nil disables the reporter.
	GitHub github.StatusCreator
	// PipelineWorkers and ReporterWorkers size the two work queues.
	PipelineWorkers int
	ReporterWorkers int
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
			return pipeline.NewController(pipeline.Options{Workers: o.PipelineWorkers}, o.Clock)(ctx, nil)
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
	logging.FromContext(ctx).Infow("Controllers starting", "controllers", len(impls))
	return controller.StartAll(ctx, impls...)
}
