package resync

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Pass results, the values of the passes metric's result label.
const (
	resultOK    = "ok"
	resultError = "error"
)

// metrics are the resync's Prometheus series.
type metrics struct {
	passes      *prometheus.CounterVec
	created     prometheus.Counter
	skippedOrgs prometheus.Gauge
}

// newMetrics creates the resync metrics and registers them with reg (if not nil).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bosun_resync_passes_total",
			Help: "Resync passes over the open pull requests, by result: ok, or error when some repository or pull request failed.",
		}, []string{"result"}),
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bosun_resync_jobs_created_total",
			Help: "Presubmit ProwJobs the resync created for pull request heads whose webhook never arrived.",
		}),
		skippedOrgs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bosun_resync_skipped_orgs",
			Help: "Orgs the last resync pass skipped for having more repositories with presubmits than resync.max_org_repos.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.passes, m.created, m.skippedOrgs} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	// Start both results at zero, so that an error ratio is defined before the first error.
	m.passes.WithLabelValues(resultOK)
	m.passes.WithLabelValues(resultError)
	return m, nil
}

// record counts one pass.
func (m *metrics) record(r Report, err error) {
	result := resultOK
	if err != nil {
		result = resultError
	}
	m.passes.WithLabelValues(result).Inc()
	m.created.Add(float64(r.Created))
	m.skippedOrgs.Set(float64(len(r.SkippedOrgs)))
}
