package horologium

import (
	"context"
	"time"

	"k8s.io/utils/clock"
	"knative.dev/pkg/logging"

	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
)

// DefaultInterval is how often the Runner syncs unless told otherwise; it is Prow's
// horologium tick. A run starts at most this long after its tick.
const DefaultInterval = time.Minute

// Run syncs the periodics of the config cfg returns, right away and then every interval
// (DefaultInterval if 0), creating ProwJobs through client, until ctx is done; then it
// returns nil. A failed sync is logged and the next one retries. The logger is taken from
// ctx.
func Run(ctx context.Context, interval time.Duration, cfg config.Getter, client prowjobclientset.Interface) error {
	r := &Runner{Interval: interval, Config: cfg, Client: client}
	return r.Start(ctx)
}

// Runner syncs periodics on a ticker.
type Runner struct {
	// Interval is how often to sync; 0 means DefaultInterval.
	Interval time.Duration
	// Config returns the config current at each sync.
	Config config.Getter
	// Client creates ProwJobs in the config's prowjob_namespace.
	Client prowjobclientset.Interface
	// Clock gives the time and the ticker; nil means the real clock.
	Clock clock.WithTicker
}

// Start syncs right away and then at every tick until ctx is done; then it returns nil.
// Each sync gets at most one interval.
func (r *Runner) Start(ctx context.Context) error {
	interval, clk := r.Interval, r.Clock
	if interval <= 0 {
		interval = DefaultInterval
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	logger := logging.FromContext(ctx)
	logger.Infow("Horologium starting", "interval", interval)
	h := New()
	ticker := clk.NewTicker(interval)
	defer ticker.Stop()
	for {
		if cfg := r.Config(); cfg != nil {
			syncCtx, cancel := context.WithTimeout(ctx, interval)
			res, err := h.Sync(syncCtx, clk.Now(), cfg, r.Client.ProwV1().ProwJobs(cfg.ProwJobNamespace))
			cancel()
			if err != nil && ctx.Err() == nil {
				logger.Errorw("Periodic sync failed", "error", err)
			}
			logger.Debugw("Synced periodics", "created", res.Created, "alreadyCreated", res.AlreadyCreated,
				"running", res.Running, "notDue", res.NotDue)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
		}
	}
}
