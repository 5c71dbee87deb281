package sinker

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sinker's Prometheus series.
type Metrics struct {
	deletions *prometheus.CounterVec
}

// NewMetrics creates the sinker's metrics and registers them with reg (if not nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		deletions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bosun_sinker_deletions_total",
			Help: "Objects the sinker deleted, or in a dry run would have deleted, by resource (prowjobs, pipelineruns).",
		}, []string{"resource", "dry_run"}),
	}
	if reg != nil {
		if err := reg.Register(m.deletions); err != nil {
			return nil, err
		}
	}
	// Start both series at zero, so that rates and alerts work before the first deletion.
	for _, res := range []Resource{ProwJobs, PipelineRuns} {
		for _, dry := range []bool{false, true} {
			m.deletions.WithLabelValues(string(res), strconv.FormatBool(dry))
		}
	}
	return m, nil
}

// Record counts what a pass deleted.
func (m *Metrics) Record(r Report) {
	dry := strconv.FormatBool(r.DryRun)
	m.deletions.WithLabelValues(string(ProwJobs), dry).Add(float64(len(r.ProwJobs)))
	m.deletions.WithLabelValues(string(PipelineRuns), dry).Add(float64(len(r.PipelineRuns)))
}
