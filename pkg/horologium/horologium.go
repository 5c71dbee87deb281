// Package horologium creates the ProwJobs of periodic jobs when their schedule says so. It
// keeps no record of its own: the periodics' existing ProwJobs say when each last ran, so a
// restart neither doubles nor skips a run, and the run for a tick has a name derived from
// the job and the tick, so two replicas creating it at once make one ProwJob.
//
// The rules, per periodic, at each sync:
//   - The last run is the periodic's ProwJob with the latest scheduled tick
//     (jobs.ScheduledAt: the bosun.dev/scheduled-at annotation, else the start time, else
//     the creation time, so jobs left by Prow's horologium count too).
//   - The run due is the latest tick of the schedule after the last run's tick and not after
//     now: one run however many ticks were missed (downtime, a long previous run), never one
//     per missed tick. Cron ticks (pkg/cron) are calendar times in UTC; interval (and
//     "@every") ticks are the last run's tick plus whole intervals, so the schedule does not
//     drift.
//   - As in Prow, nothing is started while the last run has not completed; the due tick
//     then runs once it has.
//   - A periodic that has never run: an interval (or "@every") job runs at once, as in Prow;
//     its first tick is now cut to the minute (to the interval, if shorter), so replicas
//     syncing in the same minute agree on it. A cron job waits for its first tick after
//     this Horologium first saw it, as in Prow; that memory is the only state kept, and a
//     restart before a cron job's first run starts the wait again.
package horologium

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

// ProwJobClient is what horologium needs of the ProwJob client of the config's
// prowjob_namespace; the generated typed client (ProwV1().ProwJobs(ns)) is one.
type ProwJobClient interface {
	List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error)
	Create(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.CreateOptions) (*prowjobsv1.ProwJob, error)
}

// Horologium decides and creates periodic runs. Use New; it is safe for concurrent use.
type Horologium struct {
	mu sync.Mutex
	// firstSeen holds, for each cron periodic that has never run, when Sync first saw it.
	firstSeen map[string]time.Time
}

// New returns a Horologium that has seen no periodic yet.
func New() *Horologium {
	return &Horologium{firstSeen: map[string]time.Time{}}
}

// Result says what one Sync did, by periodic name.
type Result struct {
	// Created are the periodics whose due run was created.
	Created []string
	// AlreadyCreated are the periodics whose due run existed by the time of the create:
	// another replica, or an earlier sync interrupted before its list showed it.
	AlreadyCreated []string
	// Running are the periodics with a run due that wait for their last run to complete.
	Running []string
	// NotDue counts the periodics with no run due.
	NotDue int
}

// periodicSelector picks periodic ProwJobs, whoever created them.
var periodicSelector = labels.Set{prowjobsv1.TypeLabel: string(prowjobsv1.PeriodicJob)}.String()

// Sync creates, in cfg's prowjob_namespace through client, the run due at now of each
// periodic in cfg (see the package documentation for the rules). It goes on past errors and
// returns them joined, with what it did. The logger is taken from ctx.
func (h *Horologium) Sync(ctx context.Context, now time.Time, cfg *config.Config, client ProwJobClient) (Result, error) {
	var res Result
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: periodicSelector})
	if err != nil {
		return res, fmt.Errorf("list periodic ProwJobs: %w", err)
	}
	last := lastRuns(list.Items)
	periodics := cfg.AllPeriodics()
	firstSeen := h.observe(now, periodics, last)

	logger := logging.FromContext(ctx)
	var errs []error
	for _, p := range periodics {
		sched, err := schedule(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("periodic %s: %w", p.Name, err))
			continue
		}
		tick, d := decide(sched, last[p.Name], firstSeen[p.Name], now)
		switch d {
		case notDue:
			res.NotDue++
			continue
		case running:
			logger.Debugw("Periodic due, waiting for its last run", "job", p.Name, "tick", tick, "last", last[p.Name].Name)
			res.Running = append(res.Running, p.Name)
			continue
		}
		pj := jobs.NewPeriodic(cfg, p, tick, jobs.Options{Now: now})
		_, err = client.Create(ctx, pj, metav1.CreateOptions{})
		switch {
		case apierrors.IsAlreadyExists(err):
			logger.Debugw("Periodic run already created", "job", p.Name, "tick", tick, "prowjob", pj.Name)
			res.AlreadyCreated = append(res.AlreadyCreated, p.Name)
		case err != nil:
			errs = append(errs, fmt.Errorf("create the %s run of periodic %s: %w", tick.Format(time.RFC3339), p.Name, err))
		default:
			logger.Infow("Created periodic run", "job", p.Name, "tick", tick, "prowjob", pj.Name)
			res.Created = append(res.Created, p.Name)
		}
	}
	return res, errors.Join(errs...)
}

// observe records when cron periodics that have never run were first seen, forgets the
// others, and returns a copy of the record.
func (h *Horologium) observe(now time.Time, periodics []config.Periodic, last map[string]*prowjobsv1.ProwJob) map[string]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	current := make(map[string]bool, len(periodics))
	for _, p := range periodics {
		if p.Cron == "" || last[p.Name] != nil {
			continue
		}
		current[p.Name] = true
		if _, ok := h.firstSeen[p.Name]; !ok {
			h.firstSeen[p.Name] = now
		}
	}
	out := make(map[string]time.Time, len(current))
	for name, t := range h.firstSeen {
		if !current[name] {
			delete(h.firstSeen, name)
			continue
		}
		out[name] = t
	}
	return out
}

// lastRuns returns each periodic's run with the latest tick, by job name. Ties (two runs
// of one tick, which names prevent, or jobs created by hand) go to the later created, then
// to the greater name.
func lastRuns(items []prowjobsv1.ProwJob) map[string]*prowjobsv1.ProwJob {
	last := map[string]*prowjobsv1.ProwJob{}
	for i := range items {
		pj := &items[i]
		if pj.Spec.Type != prowjobsv1.PeriodicJob || pj.Spec.Job == "" {
			continue
		}
		if cur, ok := last[pj.Spec.Job]; !ok || compareRuns(pj, cur) > 0 {
			last[pj.Spec.Job] = pj
		}
	}
	return last
}

func compareRuns(a, b *prowjobsv1.ProwJob) int {
	if c := jobs.ScheduledAt(a).Compare(jobs.ScheduledAt(b)); c != 0 {
		return c
	}
	if c := a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}
