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
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/probes"
)

func TestReadiness(t *testing.T) {
	errDown := errors.New("connection refused")
	var apiDown atomic.Bool
	var lists atomic.Int32
	clientset := fake.NewSimpleClientset()
	clientset.PrependReactor("list", "prowjobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		if apiDown.Load() {
			return true, nil, errDown
		}
		return false, nil, nil
	})
	cfg, pluginCfg := &config.Config{}, &plugins.Configuration{}
	var noConfig atomic.Bool
	lister := &limitRecorder{prowJobLister: clientset.ProwV1().ProwJobs("prow")}
	clk := clocktesting.NewFakePassiveClock(time.Unix(1e9, 0))
	p := probes.New()
	readiness{
		config: func() *config.Config {
			if noConfig.Load() {
				return nil
			}
			return cfg
		},
		pluginConfig: func() *plugins.Configuration { return pluginCfg },
		namespace:    "prow",
		prowJobs:     lister,
		clock:        clk,
	}.addTo(p)

	steps := []struct {
		name      string
		advance   time.Duration
		apiDown   bool
		noConfig  bool
		wantErr   string
		wantLists int32
	}{{
		name:      "the ProwJob API does not answer",
		apiDown:   true,
		wantErr:   `prowjobs: cannot list ProwJobs in namespace "prow": connection refused`,
		wantLists: 1,
	}, {
		name:      "its answer is reused within the TTL",
		advance:   prowJobProbeTTL - time.Second,
		wantErr:   `prowjobs: cannot list ProwJobs in namespace "prow": connection refused`,
		wantLists: 1,
	}, {
		name:      "ready once the API answers and the TTL has passed",
		advance:   time.Second,
		wantLists: 2,
	}, {
		name:      "not ready without a config",
		noConfig:  true,
		wantErr:   "config: config.yaml is not loaded",
		wantLists: 2,
	}}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.SetTime(clk.Now().Add(s.advance))
			apiDown.Store(s.apiDown)
			noConfig.Store(s.noConfig)
			err := p.Ready(context.Background())
			if got := errString(err); got != s.wantErr {
				t.Errorf("Ready() = %q, want %q", got, s.wantErr)
			}
			if got := lists.Load(); got != s.wantLists {
				t.Errorf("ProwJobs were listed %d times, want %d", got, s.wantLists)
			}
		})
	}
	// The list is the cheapest there is: one item at most.
	if limits := lister.limits; len(limits) != 2 || limits[0] != 1 || limits[1] != 1 {
		t.Errorf("the lists' limits were %v, want [1 1]", limits)
	}
}

// limitRecorder records the Limit of every list.
type limitRecorder struct {
	prowJobLister
	limits []int64
}

func (l *limitRecorder) List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	l.limits = append(l.limits, opts.Limit)
	return l.prowJobLister.List(ctx, opts)
}

func TestShutdownCheck(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	check := shutdownCheck(ctx)
	if err := check(context.Background()); err != nil {
		t.Errorf("before shutdown: %v, want nil", err)
	}
	cancel()
	if err := check(context.Background()); !errors.Is(err, errShuttingDown) {
		t.Errorf("after shutdown: %v, want %v", err, errShuttingDown)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
