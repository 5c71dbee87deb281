package hook

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the hook's Prometheus series.
type Metrics struct {
	webhooks *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	plugins  *prometheus.CounterVec
}

// NewMetrics creates the hook's metrics and registers them with reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bosun_webhooks_total",
			Help: "Webhook deliveries received, by event type and HTTP status answered.",
		}, []string{"event_type", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bosun_webhook_duration_seconds",
			Help:    "Time from receiving a delivery to answering it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"event_type"}),
		plugins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bosun_plugin_handled_total",
			Help: "Plugin handler runs, by plugin and outcome.",
		}, []string{"plugin", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.webhooks, m.latency, m.plugins)
	}
	return m
}

func (m *Metrics) observe(eventType string, code int, d time.Duration) {
	// The label comes from a client-set header: keep its values to a known few.
	switch eventType {
	case "ping", "pull_request", "issue_comment", "push":
	default:
		eventType = "other"
	}
	m.webhooks.WithLabelValues(eventType, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(eventType).Observe(d.Seconds())
}

func (m *Metrics) pluginHandled(plugin string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.plugins.WithLabelValues(plugin, outcome).Inc()
}
