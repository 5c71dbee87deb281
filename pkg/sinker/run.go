package sinker

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/config"
)

// Run cleans once right away and then every sinker.resync_period of the config current at
// the time, until ctx is done; then it returns nil. A failed pass is logged and the next
// one retries. The deletion counter is registered with reg (nil skips registration); an
// error is returned only if that fails. The logger is taken from ctx.
func Run(ctx context.Context, cfg config.Getter, c Clients, reg prometheus.Registerer) error {
	return run(ctx, clock.RealClock{}, cfg, c, reg)
}

func run(ctx context.Context, clk clock.WithTicker, cfg config.Getter, c Clients, reg prometheus.Registerer) error {
	m, err := NewMetrics(reg)
	if err != nil {
		return fmt.Errorf("register sinker metrics: %w", err)
	}
	logger := logging.FromContext(ctx)
	for {
		current := cfg()
		report, err := Clean(ctx, clk.Now(), current, c)
		m.Record(report)
		if err != nil && ctx.Err() == nil {
			logger.Errorw("Sinker pass failed", "error", err)
		}
		t := clk.NewTimer(current.Sinker.ResyncPeriodDuration())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}
