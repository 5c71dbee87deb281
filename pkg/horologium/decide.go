package horologium

import (
	"errors"
	"fmt"
	"time"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/cron"
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

// schedule returns when periodic p runs: its cron expression, or its interval. A config
// that loaded has been validated, so the errors are for periodics built by hand.
func schedule(p config.Periodic) (cron.Schedule, error) {
	switch {
	case p.Cron != "" && p.Interval != "":
		return cron.Schedule{}, errors.New("cron and interval are mutually exclusive")
	case p.Cron != "":
		return cron.Parse(p.Cron)
	case p.Interval != "":
		d := p.IntervalDuration()
		if d == 0 { // a Periodic that did not come through validation
			var err error
			if d, err = time.ParseDuration(p.Interval); err != nil {
				return cron.Schedule{}, err
			}
		}
		if d <= 0 {
			return cron.Schedule{}, fmt.Errorf("interval %q must be positive", p.Interval)
		}
		return cron.Every(d), nil
	default:
		return cron.Schedule{}, errors.New("a periodic needs cron or interval")
	}
}

// decide returns the tick of the run due at now, and what to do about it, for a periodic
// with schedule s whose last run is last (nil if it never ran). firstSeen is when a cron
// periodic that never ran was first seen.
func decide(s cron.Schedule, last *prowjobsv1.ProwJob, firstSeen, now time.Time) (time.Time, decision) {
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
