package jobs

import (
	"time"

	"github.com/google/uuid"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// ScheduledAtAnnotation holds the tick a periodic ProwJob was created for, in RFC 3339 (UTC,
// with fractions of a second only if the tick has them). Horologium reads it back to know
// when a periodic last ran: it is the schedule's time, not the (later) creation time.
const ScheduledAtAnnotation = "bosun.dev/scheduled-at"

// PeriodicName returns the ProwJob name for the run of a periodic at one tick of its
// schedule: a UUID derived from the job name and the tick. Two controller replicas, or one
// restarted halfway through a sync, that create the run for the same tick produce the same
// name, and the apiserver refuses the second create: AlreadyExists means done.
func PeriodicName(job string, tick time.Time) string {
	return uuid.NewSHA1(nameSpace, []byte("periodic\x00"+job+"\x00"+formatTick(tick))).String()
}

// NewPeriodic builds the ProwJob for the run of a periodic scheduled at tick. The job has
// no refs (nor refs labels) and clones what its extra_refs list. o.Now is the start time;
// when zero, the tick is used. o.EventGUID and o.Retest do not apply to periodics.
func NewPeriodic(cfg *config.Config, job config.Periodic, tick time.Time, o Options) *prowjobsv1.ProwJob {
	if o.Now.IsZero() {
		o.Now = tick
	}
	o.EventGUID, o.Retest = "", false
	pj := newProwJob(cfg, job.JobBase, prowjobsv1.PeriodicJob, nil, PeriodicName(job.Name, tick), o)
	pj.Annotations[ScheduledAtAnnotation] = formatTick(tick)
	fixLabelValues(pj.Labels)
	return pj
}

// ScheduledAt returns the tick a periodic ProwJob was created for. Jobs without the
// annotation (created by Prow's horologium, or by hand) count from their start time, else
// their creation time, as Prow counts intervals.
func ScheduledAt(pj *prowjobsv1.ProwJob) time.Time {
	if v, ok := pj.Annotations[ScheduledAtAnnotation]; ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC()
		}
	}
	if !pj.Status.StartTime.IsZero() {
		return pj.Status.StartTime.UTC()
	}
	return pj.CreationTimestamp.UTC()
}

func formatTick(tick time.Time) string { return tick.UTC().Format(time.RFC3339Nano) }
