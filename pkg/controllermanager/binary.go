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

package controllermanager

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/configagent"
	"github.com/bosun-ci/bosun/pkg/github"
)

// RunBinary is the controller process. It loads the kubeconfig and, if o.ConfigPath is
// set, the config, which it then reloads whenever its files change (pkg/configagent: an
// invalid reload is refused and the last good config stays). It resolves the ProwJob
// namespace and, with o.LeaderElect, the Leases' namespace. It builds the GitHub client when
// the GitHub flags carry credentials; without them, status reporting is off. Then it serves
// the metrics on o.MetricsAddr and runs Run. It logs through logging.FromContext(ctx).
//
// RunBinary runs until ctx is done, and stops the metrics server before it returns. It
// returns an error if the settings are invalid, a file cannot be loaded or the controllers
// fail.
func RunBinary(ctx context.Context, o BinaryOptions) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("invalid controller options: %w", err)
	}
	logger := logging.FromContext(ctx)

	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("failed to load the kubeconfig: %w", err)
	}
	// Deliberately high: client-go's default of 5 QPS is what makes Lighthouse queue bursts.
	cfg.QPS, cfg.Burst = float32(o.KubeAPIQPS), o.KubeAPIBurst

	reg := prometheus.NewRegistry()
	opts := Options{
		PipelineWorkers:         o.PipelineWorkers,
		ReporterWorkers:         o.ReporterWorkers,
		Registerer:              reg,
		JobNamespaces:           splitList(o.JobNamespaces),
		BuildClusterKubeconfigs: o.BuildClusterKubeconfigs,
		ProbesAddr:              o.ProbesAddr,
	}
	if o.LeaderElect {
		opts.LeaderElection = &LeaderElectionOptions{
			Namespace:     leaseNamespace(o.LeaderElectNamespace),
			Identity:      o.LeaderElectIdentity,
			Buckets:       uint32(o.LeaderElectBuckets), // Validate checked the range.
			LeaseDuration: o.LeaderElectLeaseDuration,
			RenewDeadline: o.LeaderElectRenewDeadline,
			RetryPeriod:   o.LeaderElectRetryPeriod,
		}
	}
	var cfgFile *config.Config
	var agent *configagent.Agent
	if o.ConfigPath != "" {
		// The agent reloads the config when its files change; the reconcilers and loops
		// read it through opts.Config at each pass, tekton settings included, so the
		// Options' CloneTask, DefaultPipelineTimeout and CancelStatus stay unset here.
		agent, err = configagent.New(configagent.Options{
			ConfigPath:    o.ConfigPath,
			JobConfigPath: o.JobConfigPath,
			Logger:        logger.Named("config"),
			Registerer:    reg,
		})
		if err != nil {
			return err
		}
		opts.Config = agent.Config
		cfgFile = agent.Config()
	}
	opts.ProwJobNamespace = prowJobNamespace(o.ProwJobNamespace, cfgFile)

	ghOpts, err := o.GitHub.Options()
	if err != nil {
		return fmt.Errorf("invalid GitHub flags: %w", err)
	}
	// Without credentials there is nothing to report with: statuses need write access.
	if o.GitHub.HasCredentials() {
		ghOpts.Registerer = reg
		gh, err := github.NewClient(ghOpts)
		if err != nil {
			return fmt.Errorf("failed to build the GitHub client: %w", err)
		}
		opts.GitHub = gh
	} else {
		logger.Infof("No GitHub credentials (--%s or --github-app-*): status reporting is disabled", github.FlagTokenPath)
	}

	if o.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		metrics := &http.Server{Addr: o.MetricsAddr, Handler: mux}
		// A metrics server that cannot serve is logged and the controller goes on: its
		// work does not need it.
		go func() {
			if err := metrics.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				logger.Errorw("Metrics server stopped", "error", err)
			}
		}()
		defer metrics.Close()
	}
	if agent != nil {
		agentCtx, stopAgent := context.WithCancel(ctx)
		agentDone := make(chan struct{})
		go func() {
			defer close(agentDone)
			_ = agent.Run(agentCtx) // It logs its own troubles and returns when ctx ends.
		}()
		defer func() {
			stopAgent()
			<-agentDone
		}()
	}
	if err := Run(ctx, cfg, opts); err != nil {
		return fmt.Errorf("the controllers stopped: %w", err)
	}
	return nil
}
