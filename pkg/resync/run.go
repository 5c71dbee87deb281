package resync

import (
	"context"
	"time"
)

// offRecheck is how often Run looks at the config again while it turns the resync off.
const offRecheck = time.Minute

// Run runs a pass every resync.interval of the config current at the time, until ctx is done.
// The first pass waits one interval too: a hook that starts has just been deployed or
// restarted, and several replicas starting together should not all list every repository at
// once. A failed pass is logged and counted; the next one retries what it missed. While the
// interval is 0 (the resync is off), Run checks the config again every minute.
func (r *Resyncer) Run(ctx context.Context) {
	for {
		wait := r.opts.Config().Resync.IntervalDuration()
		if wait <= 0 {
			wait = offRecheck
		}
		t := r.opts.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if !r.opts.Config().Resync.Enabled() {
			continue
		}
		start := r.opts.Clock.Now()
		report, err := r.Sync(ctx)
		if ctx.Err() != nil {
			return
		}
		log := r.opts.Logger.With("repos", report.Repos, "pull-requests", report.PullRequests, "created", report.Created,
			"skipped-orgs", report.SkippedOrgs, "duration", r.opts.Clock.Since(start).String())
		if err != nil {
			log.Errorw("Resync pass failed in part", "error", err)
			continue
		}
		log.Infow("Resync pass done")
	}
}
