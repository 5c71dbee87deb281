package horologium

import (
	"time"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

// decision is what a sync does about one periodic.
type decision int

const (
	// notDue: no tick has come since the last run.
	notDue decision = iota
	// running: a tick has come, but the last run has not completed.
	running
	// create: create the run for the tick.
	create
)

// decide returns the tick of the run due at now, and what to do about it, for a periodic
// with schedule s whose last run is last (nil if it never ran). firstSeen is when a cron
// periodic that never ran was first seen.
func decide(s config.Schedule, last *prowjobsv1.ProwJob, firstSeen, now time.Time) (time.Time, decision) {
	if last == nil {
		if d := s.Interval(); d > 0 {
			return firstTick(now, d), create
		}
		if tick := s.Latest(firstSeen, now); !tick.IsZero() {
			return tick, create
		}
		return time.Time{}, notDue
	}
	tick := s.Latest(jobs.ScheduledAt(last), now)
	switch {
	case tick.IsZero():
		return time.Time{}, notDue
	case !last.Complete():
		return tick, running
	default:
		return tick, create
	}
}

// firstTick is the tick of an interval periodic's first run: now cut to the minute, or to
// the interval if that is shorter, so that replicas syncing close together pick the same
// tick, and so the same ProwJob name.
func firstTick(now time.Time, interval time.Duration) time.Time {
	return now.UTC().Truncate(min(interval, time.Minute))
}
