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

// Package configagent keeps bosun's config and plugin config current while a process runs.
// An Agent loads the files once when it is made, then reloads them when they change on disk
// (Run): it watches their directories, so that the symlink swap by which Kubernetes updates a
// mounted ConfigMap is seen, and re-checks the files' content on a timer in case an event was
// missed. A reloaded config that does not load or validate is refused: the Agent keeps the last
// good one, logs why and counts the failure. Readers call Config and Plugins, which are safe
// for concurrent use and never return a half-loaded config.
package configagent

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"k8s.io/utils/clock"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// Defaults of Options.
const (
	// DefaultDebounce is how long the Agent waits after the last file event before it
	// reloads: a ConfigMap update, or an editor's save, is several events in a row.
	DefaultDebounce = time.Second
	// DefaultRecheckInterval is how often the Agent compares the files' content with what
	// it last loaded, in case the watcher missed a change.
	DefaultRecheckInterval = time.Minute
)

// Options say what an Agent loads and how it reports.
type Options struct {
	// ConfigPath is config.yaml (required); JobConfigPath an optional job config file or
	// directory, as config.Load takes them.
	ConfigPath    string
	JobConfigPath string
	// PluginConfigPath is plugins.yaml; empty means the process has no plugins (the
	// controller) and Plugins returns nil.
	PluginConfigPath string
	// PluginRegistry validates the plugin config's plugin names; nil means plugins.Default.
	PluginRegistry *plugins.Registry

	// Logger receives what changed at each reload and why a reload was refused; nil means
	// no logging.
	Logger *zap.SugaredLogger
	// Registerer receives the reload metrics (metrics.go); nil means they are not exported.
	Registerer prometheus.Registerer
	// Clock stamps the last successful load; nil means the real clock.
	Clock clock.PassiveClock

	// Debounce and RecheckInterval are zero for DefaultDebounce and DefaultRecheckInterval.
	Debounce        time.Duration
	RecheckInterval time.Duration
}

// Agent holds the last good config and plugin config. Make one with New.
type Agent struct {
	o       Options
	metrics *metrics

	config  atomic.Pointer[config.Config]
	plugins atomic.Pointer[plugins.Configuration]

	// mu serializes reloads; sum is the digest of the files as last loaded, good or bad,
	// so that a file left broken is not reported again at every re-check.
	mu  sync.Mutex
	sum string
	// warned is the warnings last logged, so a reload logs them only when they change.
	warned string
	// watching is closed once Run watches the directories, for tests.
	watching     chan struct{}
	watchingOnce sync.Once
}

// New loads the config (and the plugin config, if o.PluginConfigPath is set) and returns an
// Agent serving them. It fails if they do not load or validate, as a process that starts with
// a broken config must: there is no last good config to keep. Call Run to follow changes.
func New(o Options) (*Agent, error) {
	if o.ConfigPath == "" {
		return nil, errors.New("configagent: ConfigPath is required")
	}
	if o.PluginConfigPath != "" && o.PluginRegistry == nil {
		o.PluginRegistry = plugins.Default
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop().Sugar()
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = DefaultRecheckInterval
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	a := &Agent{o: o, metrics: m, watching: make(chan struct{})}
	sum, err := a.digest()
	if err != nil {
		return nil, err
	}
	cfg, pluginCfg, err := a.load()
	if err != nil {
		return nil, err
	}
	a.config.Store(cfg)
	a.plugins.Store(pluginCfg)
	a.sum = sum
	a.metrics.loaded(a.o.Clock.Now())
	return a, nil
}

// Config returns the last good config; it is a config.Getter. Callers must not modify it.
func (a *Agent) Config() *config.Config { return a.config.Load() }

// Plugins returns the last good plugin config, or nil if the Agent loads none. Callers must
// not modify it.
func (a *Agent) Plugins() *plugins.Configuration { return a.plugins.Load() }

// Reload loads the files again if their content changed since they were last loaded. If they
// load and validate, the new configs replace the old ones and what changed is logged;
// otherwise the last good configs stay, and Reload returns the errors. Unchanged files cost
// one read each and no parse. Run calls it; tests and tools may too.
func (a *Agent) Reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	// A file that cannot be read gives a digest of its own (see digest): the failure is
	// reported once, not at every re-check, and again once the file is back.
	sum, err := a.digest()
	if sum == a.sum {
		return nil
	}
	a.sum = sum
	if err != nil {
		return a.refuse(err)
	}
	cfg, pluginCfg, err := a.load()
	if err != nil {
		return a.refuse(err)
	}
	oldCfg, oldPlugins := a.Config(), a.Plugins()
	a.config.Store(cfg)
	a.plugins.Store(pluginCfg)
	a.metrics.reloaded(a.o.Clock.Now())
	a.logChanges(oldCfg, cfg, oldPlugins, pluginCfg)
	return nil
}

// refuse counts and logs a reload that failed; the last good configs stay.
func (a *Agent) refuse(err error) error {
	a.metrics.failed()
	a.o.Logger.Errorw("Config reload failed: keeping the last good config", "error", err)
	return err
}

// load reads and validates both files.
func (a *Agent) load() (*config.Config, *plugins.Configuration, error) {
	cfg, err := config.Load(a.o.ConfigPath, a.o.JobConfigPath)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid config: %w", err)
	}
	if a.o.PluginConfigPath == "" {
		a.logWarnings(cfg.Warnings())
		return cfg, nil, nil
	}
	pluginCfg, err := plugins.LoadConfiguration(a.o.PluginConfigPath, a.o.PluginRegistry)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid plugin config: %w", err)
	}
	a.logWarnings(append(cfg.Warnings(), pluginCfg.Warnings()...))
	return cfg, pluginCfg, nil
}

// maxWarningBytes bounds one logged warning: a config shared with Prow lists thousands of
// jobs left to it.
const maxWarningBytes = 2000

// logWarnings logs what the configs hold that bosun does not use (Prow's sections, jobs left
// to Prow, ...), once, and again only when it changes. Callers hold a.mu or own the Agent.
func (a *Agent) logWarnings(warnings []string) {
	joined := strings.Join(warnings, "\n")
	if joined == a.warned {
		return
	}
	a.warned = joined
	for _, w := range warnings {
		if len(w) > maxWarningBytes {
			w = strings.ToValidUTF8(w[:maxWarningBytes], "") + fmt.Sprintf("... (%d bytes more)", len(w)-maxWarningBytes)
		}
		a.o.Logger.Warnw("Config warning", "warning", w)
	}
}

// logChanges logs one line saying what a reload changed.
func (a *Agent) logChanges(oldCfg, newCfg *config.Config, oldPlugins, newPlugins *plugins.Configuration) {
	d := diffConfigs(oldCfg, newCfg)
	pluginSections := diffSections(oldPlugins, newPlugins, nil)
	if d.empty() && len(pluginSections) == 0 {
		a.o.Logger.Info("Config files changed, the configs they hold did not")
		return
	}
	kv := []any{}
	for _, f := range []struct {
		key    string
		values []string
	}{
		{"jobsAdded", d.added}, {"jobsRemoved", d.removed}, {"jobsChanged", d.changed},
		{"sectionsChanged", d.sections}, {"pluginSectionsChanged", pluginSections},
	} {
		if len(f.values) > 0 {
			kv = append(kv, f.key, f.values)
		}
	}
	a.o.Logger.Infow("Config reloaded", kv...)
	if oldCfg.ProwJobNamespace != newCfg.ProwJobNamespace {
		a.o.Logger.Warnw("prowjob_namespace changed: the process keeps working in the namespace it started with until it restarts",
			"old", oldCfg.ProwJobNamespace, "new", newCfg.ProwJobNamespace)
	}
}
