// Command controller runs bosun's ProwJob reconcilers: ProwJob -> PipelineRun with the status
// mirrored back, and the GitHub status reporter, which runs only when GitHub credentials (a
// token or a GitHub App) are configured.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/controllermanager"
	"github.com/bosun-ci/bosun/pkg/github"
)

func main() {
	var (
		kubeconfig      = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty means in-cluster")
		metricsAddr     = flag.String("metrics-addr", ":9090", "address of the /metrics endpoint; empty disables it")
		qps             = flag.Float64("kube-api-qps", 200, "client-side rate limit for apiserver requests")
		burst           = flag.Int("kube-api-burst", 400, "client-side burst for apiserver requests")
		pipelineWorkers = flag.Int("pipeline-workers", 8, "ProwJobs reconciled at once")
		reporterWorkers = flag.Int("reporter-workers", 4, "ProwJobs reported at once")
		configPath      = flag.String("config-path", "", "bosun config.yaml: tekton settings, garbage collection (optional)")
		jobConfigPath   = flag.String("job-config-path", "", "job config file or directory (optional)")
		githubFlags     github.Flags
	)
	githubFlags.AddFlags(flag.CommandLine)
	flag.Parse()

	zl, err := zap.NewProduction()
	if err != nil {
		log.Fatalf("build logger: %v", err)
	}
	logger := zl.Sugar().Named("bosun-controller")
	ctx, stop := signal.NotifyContext(logging.WithLogger(context.Background(), logger), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		logger.Fatalw("Cannot load kubeconfig", "error", err)
	}
	// Deliberately high: client-go's default of 5 QPS is what makes Lighthouse queue bursts.
	cfg.QPS, cfg.Burst = float32(*qps), *burst

	reg := prometheus.NewRegistry()
	opts := controllermanager.Options{PipelineWorkers: *pipelineWorkers, ReporterWorkers: *reporterWorkers}
	if *configPath != "" {
		c, err := config.Load(*configPath, *jobConfigPath)
		if err != nil {
			logger.Fatalw("Invalid config", "error", err)
		}
		opts.CloneTask, opts.DefaultPipelineTimeout = c.Tekton.CloneTask, c.Tekton.DefaultTimeoutDuration()
		opts.CancelStatus = c.Tekton.CancelStatus
		opts.Config = func() *config.Config { return c }
		opts.Registerer = reg
	}
	ghOpts, err := githubFlags.Options()
	if err != nil {
		logger.Fatalw("Invalid GitHub flags", "error", err)
	}
	// Without credentials there is nothing to report with: statuses need write access.
	if githubFlags.HasCredentials() {
		ghOpts.Registerer = reg
		gh, err := github.NewClient(ghOpts)
		if err != nil {
			logger.Fatalw("Cannot build GitHub client", "error", err)
		}
		opts.GitHub = gh
	} else {
		logger.Infof("No GitHub credentials (--%s or --github-app-*): status reporting is disabled", github.FlagTokenPath)
	}
	if *metricsAddr != "" {
		go serveMetrics(logger, *metricsAddr, reg)
	}
	if err := controllermanager.Run(ctx, cfg, opts); err != nil {
		logger.Fatalw("Controller stopped", "error", err)
	}
}

func serveMetrics(logger *zap.SugaredLogger, addr string, reg *prometheus.Registry) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := http.ListenAndServe(addr, mux); err != nil {
		logger.Errorw("Metrics server stopped", "error", err)
	}
}
