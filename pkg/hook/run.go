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
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
	"knative.dev/pkg/logging"

	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/configagent"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/probes"
	"github.com/bosun-ci/bosun/pkg/resync"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// drainTimeout bounds how long a stopping server waits for the requests in flight; a
// delivery's plugins take at most DefaultHandleTimeout.
const drainTimeout = 10 * time.Second

// Run is the hook process: it loads the config, the plugin config and the webhook secret,
// builds the ProwJob and GitHub clients, and serves webhooks on o.Addr, the metrics on
// o.MetricsAddr and the probes on o.ProbesAddr, with the resync of open pull requests
// beside them if the config enables it. It logs through logging.FromContext(ctx).
//
// The config and the plugin config are reloaded when their files change (pkg/configagent):
// a reload that is invalid is refused, logged and counted (bosun_config_reloads_total), and
// the hook goes on with the last good configs, so the readiness check "config" stays green.
//
// Run serves until ctx is done. Then /readyz answers 503, the webhook server stops taking
// connections and lets the deliveries in flight finish, the resync pass in progress ends,
// and the metrics and probe servers stop last. It returns nil after a clean shutdown and
// an error if the settings are invalid, a file cannot be loaded or a server fails; the
// plugins it dispatches to are those linked into the binary (see pkg/plugins/all).
func Run(ctx context.Context, o RunOptions) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("invalid hook options: %w", err)
	}
	logger := logging.FromContext(ctx)

	reg := prometheus.NewRegistry()
	// The agent loads both configs now, failing Run if they are invalid, and reloads them
	// when their files change (it runs beside the servers below); every reader goes through
	// its getters, so a reload reaches the next delivery. What is read once here, such as
	// the ProwJob namespace and whether the resync runs, needs a restart to change.
	agent, err := configagent.New(configagent.Options{
		ConfigPath:       o.ConfigPath,
		JobConfigPath:    o.JobConfigPath,
		PluginConfigPath: o.PluginConfigPath,
		PluginRegistry:   plugins.Default,
		Logger:           logger.Named("config"),
		Registerer:       reg,
	})
	if err != nil {
		return err
	}
	secret, err := readWebhookSecret(o.HMACSecretFile)
	if err != nil {
		return err
	}
	var getConfig config.Getter = agent.Config
	getPluginConfig := agent.Plugins
	cfg := getConfig()

	restCfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("failed to load the kubeconfig: %w", err)
	}
	// Deliberately high: client-go's default of 5 QPS is what makes Lighthouse queue bursts.
	restCfg.QPS, restCfg.Burst = float32(o.KubeAPIQPS), o.KubeAPIBurst
	pjClient, err := prowjobclientset.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("failed to build the ProwJob client: %w", err)
	}
	// config-updater writes ConfigMaps, with the ProwJob client's rate settings.
	kubeClient, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("failed to build the Kubernetes client: %w", err)
	}
	configMaps := func(namespace string) plugins.ConfigMapClient { return kubeClient.CoreV1().ConfigMaps(namespace) }
	// The readiness check gets a client of its own, so its own rate limiter: a burst of
	// deliveries waiting on the hook's limiter must not make the hook look unreachable.
	probeClient, err := prowjobclientset.NewForConfig(rest.CopyConfig(restCfg))
	if err != nil {
		return fmt.Errorf("failed to build the ProwJob client of the readiness check: %w", err)
	}

	ghOpts, err := o.GitHub.Options()
	if err != nil {
		return fmt.Errorf("invalid GitHub flags: %w", err)
	}
	if !o.GitHub.HasCredentials() {
		logger.Warn("No GitHub credentials: requests are unauthenticated, with GitHub's limit of 60 an hour")
	}
	ghOpts.Registerer = reg
	gh, err := github.NewClient(ghOpts)
	if err != nil {
		return fmt.Errorf("failed to build the GitHub client: %w", err)
	}

	prowJobs := pjClient.ProwV1().ProwJobs(cfg.ProwJobNamespace)
	// One decision core for the webhooks' trigger plugin and the resync: they share its
	// file cache and decide alike.
	jobTrigger := trigger.New(trigger.Options{Files: gh, ProwJobs: prowJobs, Trees: gh, Statuses: gh})
	webhooks := NewServer(Options{
		Secret:       func() []byte { return secret },
		Config:       getConfig,
		PluginConfig: getPluginConfig,
		GitHub:       gh,
		ProwJobs:     prowJobs,
		ConfigMaps:   configMaps,
		Trigger:      jobTrigger,
		Logger:       logger,
		Metrics:      NewMetrics(reg),

		MaxBodyBytesInFlight: o.MaxBodyBytesInFlight,
	})

	// The resync shares the webhook handlers' GitHub client, so its listings revalidate
	// against the same ETag cache, and their decision core (jobTrigger).
	var resyncer *resync.Resyncer
	if cfg.Resync.Enabled() {
		resyncer, err = resync.New(resync.Options{
			Config:       getConfig,
			PluginConfig: getPluginConfig,
			GitHub:       gh,
			ProwJobs:     prowJobs,
			Trigger:      jobTrigger,
			Logger:       logger.Named("resync"),
			Registerer:   reg,
		})
		if err != nil {
			return fmt.Errorf("failed to set up the resync of open pull requests: %w", err)
		}
		logger.Infow("Resyncing open pull requests", "interval", cfg.Resync.IntervalDuration().String(),
			"max-org-repos", cfg.Resync.MaxOrgReposCount(), "orgs", cfg.Resync.Orgs)
	} else {
		logger.Info("The resync of open pull requests is off (resync.interval is 0)")
	}

	// serveCtx ends with ctx or with the first server that fails; it stops the webhook
	// server and the resync. auxCtx stops the metrics and probe servers once the webhook
	// server has drained, so that they answer until the last delivery has been.
	g, serveCtx := errgroup.WithContext(ctx)
	auxCtx, stopAux := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAux()

	if o.ProbesAddr != "" {
		prober := probes.New()
		readiness{
			config:       getConfig,
			pluginConfig: getPluginConfig,
			namespace:    cfg.ProwJobNamespace,
			prowJobs:     probeClient.ProwV1().ProwJobs(cfg.ProwJobNamespace),
			clock:        clock.RealClock{},
		}.addTo(prober)
		prober.AddReadyCheck(readyCheckShutdown, shutdownCheck(serveCtx))
		logger.Infow("Serving probes", "addr", o.ProbesAddr)
		g.Go(func() error { return prober.Serve(auxCtx, o.ProbesAddr) })
	}
	if o.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		metrics := &http.Server{
			Addr:              o.MetricsAddr,
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		logger.Infow("Serving metrics", "addr", o.MetricsAddr)
		g.Go(func() error { return serveHTTP(auxCtx, "metrics", metrics) })
	}
	mux := http.NewServeMux()
	mux.Handle("/hook", webhooks)
	hookServer := &http.Server{
		Addr:              o.Addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Infow("Serving webhooks", "addr", o.Addr)
	g.Go(func() error {
		defer stopAux()
		return serveHTTP(serveCtx, "webhook", hookServer)
	})
	// The agent stops with the servers; a reload in progress when they do is of no use.
	g.Go(func() error { return agent.Run(serveCtx) })
	if resyncer != nil {
		// A pass in progress ends with serveCtx; waiting for it keeps its last log lines.
		g.Go(func() error {
			resyncer.Run(serveCtx)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	logger.Info("The hook stopped")
	return nil
}

// readWebhookSecret reads the webhook secret, which must not be empty: with an empty
// secret, every delivery would be accepted.
func readWebhookSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the webhook secret: %w", err)
	}
	secret := []byte(strings.TrimSpace(string(data)))
	if len(secret) == 0 {
		return nil, fmt.Errorf("the webhook secret in %s is empty: every delivery would be accepted", path)
	}
	return secret, nil
}

// serveHTTP serves srv on srv.Addr until ctx is done, then shuts it down, waiting up to
// drainTimeout for the requests in flight. It returns nil after that shutdown.
func serveHTTP(ctx context.Context, name string, srv *http.Server) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("failed to listen for the %s server: %w", name, err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("the %s server on %s stopped: %w", name, srv.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("the %s server on %s did not drain within %s: %w", name, srv.Addr, drainTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("the %s server on %s stopped: %w", name, srv.Addr, err)
	}
	return nil
}
