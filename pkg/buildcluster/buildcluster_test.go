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

package buildcluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/logging"
)

// unreachable is an apiserver address nothing listens on.
const unreachable = "https://127.0.0.1:1"

func newSet(t *testing.T, namespaces []string) *Set {
	t.Helper()
	s, err := New([]Config{
		{Name: DefaultCluster, REST: &rest.Config{Host: unreachable}, Local: true},
		{Name: "build01", REST: &rest.Config{Host: unreachable}},
	}, Options{Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetCluster(t *testing.T) {
	s := newSet(t, nil)
	for _, tc := range []struct {
		name, want string
		local      bool
	}{{name: "", want: DefaultCluster, local: true}, {name: "default", want: DefaultCluster, local: true}, {name: "build01", want: "build01"}} {
		c, err := s.Cluster(tc.name)
		if err != nil {
			t.Fatalf("Cluster(%q): %v", tc.name, err)
		}
		if c.Name() != tc.want || c.Local() != tc.local {
			t.Errorf("Cluster(%q) = %s local %v, want %s local %v", tc.name, c.Name(), c.Local(), tc.want, tc.local)
		}
	}
	_, err := s.Cluster("build02")
	var unknown *UnknownClusterError
	if !errors.As(err, &unknown) {
		t.Fatalf("Cluster(build02) = %v, want an UnknownClusterError", err)
	}
	if want := `build cluster "build02" is not configured (known: build01, default)`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestClusterPipelineRuns(t *testing.T) {
	tests := []struct {
		name       string
		namespaces []string
		namespace  string
		wantErr    string
	}{
		{name: "every namespace watched", namespace: "anything"},
		{name: "a job namespace", namespaces: []string{"ci", "test-pods"}, namespace: "test-pods"},
		{name: "not a job namespace", namespaces: []string{"test-pods", "ci"}, namespace: "kube-system",
			wantErr: `namespace "kube-system" is not one bosun runs jobs in (--job-namespaces=ci,test-pods)`},
		{name: "no namespace", namespace: "", wantErr: "the job names no namespace for its PipelineRun"},
		{name: "no namespace with job namespaces", namespaces: []string{"ci"}, namespace: "", wantErr: "the job names no namespace for its PipelineRun"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newSet(t, tc.namespaces).Cluster("build01")
			if err != nil {
				t.Fatal(err)
			}
			runs, err := c.PipelineRuns(tc.namespace)
			if tc.wantErr != "" {
				var nsErr *NamespaceError
				if !errors.As(err, &nsErr) || err.Error() != tc.wantErr {
					t.Fatalf("PipelineRuns(%q) = %v, want NamespaceError %q", tc.namespace, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("PipelineRuns(%q): %v", tc.namespace, err)
			}
			if runs.Lister == nil || runs.Client == nil {
				t.Fatalf("PipelineRuns(%q) = %+v, want a lister and a client", tc.namespace, runs)
			}
			if _, err := runs.Lister.Get("nothing-yet"); err == nil {
				t.Error("an unsynced lister found a run")
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	cfg := &rest.Config{Host: unreachable}
	for name, tc := range map[string]struct {
		configs    []Config
		namespaces []string
		want       string
	}{
		"no clusters":     {want: "no build clusters"},
		"twice":           {configs: []Config{{Name: "a", REST: cfg}, {Name: "a", REST: cfg}}, want: `build cluster "a" given twice`},
		"empty namespace": {configs: []Config{{Name: "a", REST: cfg}}, namespaces: []string{"ci", ""}, want: "empty job namespace"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tc.configs, Options{Namespaces: tc.namespaces}); err == nil || err.Error() != tc.want {
				t.Errorf("New = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestUnreachableClusters starts clusters nothing answers for: Start returns at once, the
// clusters stay unsynced and say so in Ready and WaitForSync, no callback fires, and
// everything stops with the context.
func TestUnreachableClusters(t *testing.T) {
	s := newSet(t, []string{"ci", "test-pods"})
	if err := s.Ready(); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Ready before Start = %v, want not started", err)
	}
	if err := s.AddEventHandler(cache.ResourceEventHandlerFuncs{}); err != nil {
		t.Fatal(err)
	}
	synced := make(chan string, 2)
	s.OnSynced(func(c string) { synced <- c })
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar()))
	began := time.Now()
	stopped := s.Start(ctx)
	if d := time.Since(began); d > time.Second {
		t.Errorf("Start took %s, want it to return at once", d)
	}
	if diff := cmp.Diff([]string{"build01", "default"}, s.WaitForSync(ctx, 200*time.Millisecond)); diff != "" {
		t.Errorf("WaitForSync's unsynced clusters (-want, +got):\n%s", diff)
	}
	want := "PipelineRun informers not synced: build01/ci, build01/test-pods, default/ci, default/test-pods"
	if err := s.Ready(); err == nil || err.Error() != want {
		t.Errorf("Ready = %v, want %q", err, want)
	}
	for _, c := range s.All() {
		if c.HasSynced() {
			t.Errorf("%s synced", c.Name())
		}
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the clusters' informers did not stop")
	}
	select {
	case c := <-synced:
		t.Errorf("OnSynced called for %s", c)
	default:
	}
}
