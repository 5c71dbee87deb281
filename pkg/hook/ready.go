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

package hook

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/probes"
)

// prowJobProbeTTL is how long the answer of the ProwJob API check is reused: probes cost
// the apiserver at most one list per TTL, however many replicas probe how often.
const prowJobProbeTTL = 5 * time.Second

// Names of the hook's readiness checks, which /readyz reports failures by.
const (
	readyCheckConfig   = "config"
	readyCheckProwJobs = "prowjobs"
	readyCheckShutdown = "shutdown"
)

// prowJobLister is the one call the ProwJob API check makes.
type prowJobLister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error)
}

// readiness is what the hook needs to serve a delivery: its config and plugin config
// loaded and validated, and the ProwJob API of its namespace reachable.
type readiness struct {
	config       config.Getter
	pluginConfig func() *plugins.Configuration
	// namespace is the one prowJobs lists in, for the reason a failure gives.
	namespace string
	prowJobs  prowJobLister
	clock     clock.PassiveClock
}

// addTo registers the checks on p.
func (r readiness) addTo(p *probes.Prober) {
	p.AddReadyCheck(readyCheckConfig, r.checkConfig)
	p.AddReadyCheck(readyCheckProwJobs, probes.Cached(prowJobProbeTTL, r.clock, r.checkProwJobs))
}

// checkConfig fails while either config is missing. Run serves only after both loaded and
// validated, so today it fails only on wiring mistakes; a config agent that reloads will
// report its state through the same getters.
func (r readiness) checkConfig(context.Context) error {
	var errs []error
	if r.config == nil || r.config() == nil {
		errs = append(errs, errors.New("config.yaml is not loaded"))
	}
	if r.pluginConfig == nil || r.pluginConfig() == nil {
		errs = append(errs, errors.New("plugins.yaml is not loaded"))
	}
	return errors.Join(errs...)
}

// checkProwJobs lists at most one ProwJob: the cheapest request that proves the apiserver
// answers and the hook may read ProwJobs there.
func (r readiness) checkProwJobs(ctx context.Context) error {
	if _, err := r.prowJobs.List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return fmt.Errorf("cannot list ProwJobs in namespace %q: %w", r.namespace, err)
	}
	return nil
}

// errShuttingDown is the readiness of a hook whose Run is ending: it finishes the
// deliveries it has but should be sent no more.
var errShuttingDown = errors.New("the hook is shutting down")

// shutdownCheck fails once ctx is done.
func shutdownCheck(ctx context.Context) probes.Check {
	return func(context.Context) error {
		if ctx.Err() != nil {
			return errShuttingDown
		}
		return nil
	}
}
