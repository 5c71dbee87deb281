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
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	testclock "k8s.io/utils/clock/testing"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// configWith returns a config.yaml with one always_run presubmit per name.
func configWith(names ...string) string {
	var b strings.Builder
	b.WriteString("prowjob_namespace: ci\npresubmits:\n  acme/widgets:\n")
	for _, n := range names {
		b.WriteString("  - name: " + n + "\n    always_run: true\n    pipeline_run_spec:\n      pipelineRef: {name: " + n + "}\n")
	}
	return b.String()
}

const (
	// brokenConfig decodes but does not validate.
	brokenConfig = "tekton:\n  cancel_status: Never\n"
	pluginsYAML  = "plugins: {}\n"
)

// writeFile replaces path's content the way a careful writer does: a temporary file, then a
// rename over the old one.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// jobNames lists the presubmits of the agent's current config.
func jobNames(a *Agent) []string {
	var names []string
	for _, j := range a.Config().Presubmits["acme/widgets"] {
		names = append(names, j.Name)
	}
	return names
}

// testAgent is an Agent over config.yaml and plugins.yaml in a temporary directory, with
// its metrics in reg and its log lines in logs.
type testAgent struct {
	*Agent
	dir  string
	reg  *prometheus.Registry
	logs *observer.ObservedLogs
}

func newTestAgent(t *testing.T, configYAML string) *testAgent {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), configYAML)
	writeFile(t, filepath.Join(dir, "plugins.yaml"), pluginsYAML)
	return newTestAgentIn(t, dir, filepath.Join(dir, "config.yaml"))
}

func newTestAgentIn(t *testing.T, dir, configPath string) *testAgent {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	a, err := New(Options{
		ConfigPath:       configPath,
		PluginConfigPath: filepath.Join(dir, "plugins.yaml"),
		PluginRegistry:   &plugins.Registry{},
		Logger:           zap.New(core).Sugar(),
		Registerer:       reg,
		Clock:            testclock.NewFakePassiveClock(time.Unix(1700000000, 0)),
		Debounce:         20 * time.Millisecond,
		RecheckInterval:  time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testAgent{Agent: a, dir: dir, reg: reg, logs: logs}
}

// run runs the agent until the test ends.
func (a *testAgent) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// A write before the watches are in place would be seen by the re-check only.
	select {
	case <-a.watching:
	case <-time.After(10 * time.Second):
		t.Fatal("Run never started watching")
	}
}

// settled reports whether the agent has looked at the files as they are now.
func (a *testAgent) settled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	sum, _ := a.digest()
	return sum == a.sum
}

func (a *testAgent) reloads(result string) float64 {
	return testutil.ToFloat64(a.metrics.reloads.WithLabelValues(result))
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewRefusesABrokenConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.yaml"), brokenConfig)
	if _, err := New(Options{ConfigPath: filepath.Join(dir, "config.yaml")}); err == nil {
		t.Fatal("New accepted a config that does not validate")
	}
}

func TestReloadsAWrittenConfig(t *testing.T) {
	a := newTestAgent(t, configWith("unit"))
	if got := testutil.ToFloat64(a.metrics.lastSuccess); got != 1700000000 {
		t.Errorf("%s after the first load = %v, want 1700000000", LastReloadSuccessMetric, got)
	}
	a.run(t)
	first := a.Config()

	writeFile(t, filepath.Join(a.dir, "config.yaml"), configWith("unit", "lint"))
	// The new config is served first, then counted and logged.
	waitFor(t, "the logged reload", func() bool { return a.logs.FilterMessage("Config reloaded").Len() > 0 })
	if diff := cmp.Diff([]string{"unit", "lint"}, jobNames(a.Agent)); diff != "" {
		t.Errorf("jobs (-want, +got):\n%s", diff)
	}
	if a.Config() == first {
		t.Error("the config was not replaced")
	}
	if a.Plugins() == nil {
		t.Error("the plugin config was dropped")
	}
	if got := a.reloads(resultSuccess); got != 1 {
		t.Errorf("successful reloads = %v, want 1", got)
	}
	lines := a.logs.FilterMessage("Config reloaded").All()
	if len(lines) != 1 {
		t.Fatalf("got %d \"Config reloaded\" lines, want 1", len(lines))
	}
	if got, want := lines[0].ContextMap()["jobsAdded"], []interface{}{"presubmit acme/widgets:lint"}; !cmp.Equal(got, want) {
		t.Errorf("jobsAdded = %v, want %v", got, want)
	}
	// The metrics are those of the Registerer the agent was given.
	if n, err := testutil.GatherAndCount(a.reg, ReloadsMetric, LastReloadSuccessMetric); err != nil || n != 3 {
		t.Errorf("gathered %d series (err %v), want 3: both results and the timestamp", n, err)
	}
}

func TestKeepsTheLastGoodConfig(t *testing.T) {
	a := newTestAgent(t, configWith("unit"))
	a.run(t)
	good := a.Config()

	writeFile(t, filepath.Join(a.dir, "config.yaml"), brokenConfig)
	waitFor(t, "the refused reload", func() bool { return a.reloads(resultError) == 1 })
	if a.Config() != good {
		t.Error("a config that does not validate replaced the last good one")
	}
	if got := a.reloads(resultSuccess); got != 0 {
		t.Errorf("successful reloads = %v, want 0", got)
	}
	refused := a.logs.FilterMessage("Config reload failed: keeping the last good config").All()
	if len(refused) != 1 || !strings.Contains(refused[0].ContextMap()["error"].(string), "cancel_status") {
		t.Errorf("refusal log lines = %v, want one naming cancel_status", refused)
	}
	// The same broken files again are not a new failure.
	if err := a.Reload(); err != nil || a.reloads(resultError) != 1 {
		t.Errorf("Reload of unchanged broken files = %v with %v errors, want nil and still 1", err, a.reloads(resultError))
	}

	// A broken plugin config is refused just the same, even with a good config beside it.
	writeFile(t, filepath.Join(a.dir, "plugins.yaml"), "plugins:\n  acme: [nosuchplugin]\n")
	writeFile(t, filepath.Join(a.dir, "config.yaml"), configWith("unit", "lint"))
	waitFor(t, "the agent to load both files", a.settled)
	if a.Config() != good {
		t.Error("a config was swapped in beside a plugin config that does not validate")
	}

	writeFile(t, filepath.Join(a.dir, "plugins.yaml"), pluginsYAML)
	waitFor(t, "the fixed config", func() bool { return a.reloads(resultSuccess) == 1 })
	if len(jobNames(a.Agent)) != 2 {
		t.Errorf("jobs after the fix = %v, want unit and lint", jobNames(a.Agent))
	}
	if got := a.reloads(resultSuccess); got != 1 {
		t.Errorf("successful reloads = %v, want 1", got)
	}
}

// A mounted ConfigMap's files are links through "..data", a link to a timestamped directory
// that the kubelet swaps for a new one: config.yaml itself never changes.
func TestFollowsAConfigMapSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	writeData := func(ts, configYAML string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{"config.yaml": configYAML, "plugins.yaml": pluginsYAML} {
			if err := os.WriteFile(filepath.Join(dir, ts, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	writeData("..2026_12_03_10_00_00.1", configWith("unit"))
	for _, name := range []string{"config.yaml", "plugins.yaml"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	a := newTestAgentIn(t, dir, filepath.Join(dir, "config.yaml"))
	a.run(t)

	writeData("..2026_12_03_10_05_00.2", configWith("unit", "lint"))
	if err := os.RemoveAll(filepath.Join(dir, "..2026_12_03_10_00_00.1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the swapped config", func() bool { return a.reloads(resultSuccess) == 1 })
	if len(jobNames(a.Agent)) != 2 {
		t.Errorf("jobs after the swap = %v, want unit and lint", jobNames(a.Agent))
	}
	if got := a.reloads(resultSuccess); got != 1 {
		t.Errorf("successful reloads = %v, want 1", got)
	}
}

// Reload is what the periodic re-check runs: unchanged files are no reload at all.
func TestReloadComparesContent(t *testing.T) {
	a := newTestAgent(t, configWith("unit"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := a.reloads(resultSuccess) + a.reloads(resultError); got != 0 {
		t.Errorf("reloads of unchanged files = %v, want 0", got)
	}
	writeFile(t, filepath.Join(a.dir, "config.yaml"), configWith("unit")+"# a comment\n")
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := a.reloads(resultSuccess); got != 1 {
		t.Errorf("successful reloads = %v, want 1", got)
	}
	if a.logs.FilterMessage("Config files changed, the configs they hold did not").Len() != 1 {
		t.Error("a change of comments only was not logged as such")
	}
	if err := os.Remove(filepath.Join(a.dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err == nil || a.reloads(resultError) != 1 {
		t.Errorf("Reload of a missing config = %v with %v errors, want an error and 1", err, a.reloads(resultError))
	}
	if len(jobNames(a.Agent)) != 1 {
		t.Error("the last good config was dropped when its file went missing")
	}
}

// A job config directory is watched with its subdirectories.
func TestReloadsAJobConfigDirectory(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(filepath.Join(jobs, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), "prowjob_namespace: ci\n")
	writeFile(t, filepath.Join(jobs, "acme", "widgets.yaml"), strings.TrimPrefix(configWith("unit"), "prowjob_namespace: ci\n"))
	a, err := New(Options{ConfigPath: filepath.Join(dir, "config.yaml"), JobConfigPath: jobs, Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Run(ctx) }()
	<-a.watching
	if a.Plugins() != nil {
		t.Error("Plugins() without a plugin config is not nil")
	}
	writeFile(t, filepath.Join(jobs, "acme", "widgets.yaml"), strings.TrimPrefix(configWith("unit", "lint"), "prowjob_namespace: ci\n"))
	waitFor(t, "the new job", func() bool { return len(jobNames(a)) == 2 })
}

func TestDiffConfigs(t *testing.T) {
	load := func(yaml string) *config.Config {
		t.Helper()
		c, err := config.LoadBytes("config.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := load(configWith("unit", "lint"))
	changed := strings.Replace(configWith("unit", "e2e"), "pipelineRef: {name: unit}", "pipelineRef: {name: unit-v2}", 1)
	new := load(changed + "tekton:\n  clone_task: acme-clone\n")
	want := changes{
		added:    []string{"presubmit acme/widgets:e2e"},
		removed:  []string{"presubmit acme/widgets:lint"},
		changed:  []string{"presubmit acme/widgets:unit"},
		sections: []string{"tekton"},
	}
	if diff := cmp.Diff(want, diffConfigs(old, new), cmp.AllowUnexported(changes{})); diff != "" {
		t.Errorf("diffConfigs (-want, +got):\n%s", diff)
	}
	// A job that only moved in its file is not a change.
	moved := load("\n\n" + configWith("unit", "lint"))
	if d := diffConfigs(old, moved); !d.empty() {
		t.Errorf("diffConfigs of a config moved down two lines = %+v, want no change", d)
	}
}

// A directory that is never quiet, such as one a log is written to, delays a reload by a few
// debounce periods at most.
func TestReloadsInANoisyDirectory(t *testing.T) {
	a := newTestAgent(t, configWith("unit"))
	a.run(t)
	stop := make(chan struct{})
	noisy := make(chan struct{})
	go func() {
		defer close(noisy)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			_ = os.WriteFile(filepath.Join(a.dir, "noise.log"), []byte(strings.Repeat("x", i%100)), 0o600)
		}
	}()
	defer func() {
		close(stop)
		<-noisy
	}()
	start := time.Now()
	writeFile(t, filepath.Join(a.dir, "config.yaml"), configWith("unit", "lint"))
	waitFor(t, "the reload", func() bool { return a.reloads(resultSuccess) == 1 })
	// maxDebounceBursts debounces are 100 ms here; the bound leaves room for a slow machine.
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the reload took %s in a noisy directory, want it within a few debounce periods", took)
	}
}

// A change no watch sees, here in the directory a symbolic link points into, is picked up
// by the periodic re-check.
func TestRecheckFindsAnUnwatchedChange(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "config.yaml"), configWith("unit"))
	if err := os.Symlink(filepath.Join(elsewhere, "config.yaml"), filepath.Join(dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{ConfigPath: filepath.Join(dir, "config.yaml"), RecheckInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = a.Run(ctx) }()
	<-a.watching
	writeFile(t, filepath.Join(elsewhere, "config.yaml"), configWith("unit", "lint"))
	waitFor(t, "the re-check", func() bool { return len(jobNames(a)) == 2 })
}

// TestLogsWarningsWhenTheyChange: what bosun does not use of a Prow config is logged at the
// first load and again only when a reload changes it.
func TestLogsWarningsWhenTheyChange(t *testing.T) {
	a := newTestAgent(t, "deck:\n  spyglass: {}\n"+configWith("unit"))
	warnings := func() []string {
		var got []string
		for _, e := range a.logs.FilterMessage("Config warning").All() {
			got = append(got, e.ContextMap()["warning"].(string))
		}
		return got
	}
	if got := warnings(); len(got) != 1 || !strings.Contains(got[0], "deck") {
		t.Fatalf("warnings logged at start = %q, want one naming deck", got)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a.dir, "config.yaml"), "deck:\n  spyglass: {}\n"+configWith("unit", "lint"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := warnings(); len(got) != 1 {
		t.Errorf("unchanged warnings logged again: %q", got)
	}
	writeFile(t, filepath.Join(a.dir, "config.yaml"), "deck:\n  spyglass: {}\ntide:\n  sync_period: 1m\n"+configWith("unit", "lint"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := warnings(); len(got) != 2 || !strings.Contains(got[1], "tide") {
		t.Errorf("warnings after adding tide = %q, want a second line naming tide", got)
	}
}
