/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package configagent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of the Agent's metrics.
const (
	// ReloadsMetric counts reloads by result: "success" when a changed config replaced the
	// old one, "error" when it was refused. The load at start is not a reload.
	ReloadsMetric = "bosun_config_reloads_total"
	// LastReloadSuccessMetric is the Unix time of the last config that loaded, the one
	// at start included: with the error count, it tells how long a refused config has
	// been waiting for a fix.
	LastReloadSuccessMetric = "bosun_config_last_reload_success_timestamp_seconds"
)

// Values of ReloadsMetric's result label.
const (
	resultSuccess = "success"
	resultError   = "error"
)

type metrics struct {
	reloads     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

// newMetrics registers the metrics with reg, if it is not nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: ReloadsMetric,
			Help: "Config reloads after a file change, by result: success (the new config is in use) or error (refused, the last good config stays).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: LastReloadSuccessMetric,
			Help: "Unix time of the last successful config load, the one at start included.",
		}),
	}
	// Both results are exported from the start, so that a rate or an alert on errors has a
	// series to work on before the first failure.
	m.reloads.WithLabelValues(resultSuccess)
	m.reloads.WithLabelValues(resultError)
	if reg != nil {
		for _, c := range []prometheus.Collector{m.reloads, m.lastSuccess} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) loaded(now time.Time) { m.lastSuccess.Set(float64(now.UnixNano()) / 1e9) }

func (m *metrics) reloaded(now time.Time) {
	m.reloads.WithLabelValues(resultSuccess).Inc()
	m.loaded(now)
}

func (m *metrics) failed() { m.reloads.WithLabelValues(resultError).Inc() }
