// Command hook is bosun's webhook server: GitHub deliveries in, ProwJobs out.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"k8s.io/client-go/tools/clientcmd"

	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/hook"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/resync"
)

func main() {
	var (
		addr           = flag.String("addr", ":8888", "address to serve webhooks on (POST /hook)")
		configPath     = flag.String("config-path", "", "bosun config.yaml")
		jobConfigPath  = flag.String("job-config-path", "", "job config file or directory (optional)")
		pluginConfig   = flag.String("plugin-config", "", "plugins.yaml")
		hmacSecretFile = flag.String("hmac-secret-file", "", "file holding the webhook secret")
		kubeconfig     = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty means in-cluster")
		qps            = flag.Float64("kube-api-qps", 200, "client-side rate limit for apiserver requests")
		burst          = flag.Int("kube-api-burst", 400, "client-side burst for apiserver requests")
		bodyBudget     = flag.Int64("max-payload-bytes-in-flight", hook.DefaultMaxBodyBytesInFlight, "bytes of webhook payloads read or handled at once; past it deliveries get 503 with Retry-After")
		githubFlags    github.Flags
	)
	githubFlags.AddFlags(flag.CommandLine)
	flag.Parse()

	zl, err := zap.NewProduction()
	if err != nil {
		log.Fatalf("build logger: %v", err)
	}
	logger := zl.Sugar().Named("bosun-hook")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.Load(*configPath, *jobConfigPath)
	if err != nil {
		logger.Fatalw("Invalid config", "error", err)
	}
	pluginCfg, err := plugins.LoadConfiguration(*pluginConfig, plugins.Default)
	if err != nil {
		logger.Fatalw("Invalid plugin config", "error", err)
	}
	secret, err := os.ReadFile(*hmacSecretFile)
	if err != nil {
		logger.Fatalw("Cannot read webhook secret", "error", err)
	}
	secret = []byte(strings.TrimSpace(string(secret)))
	if len(secret) == 0 {
		logger.Fatal("The webhook secret is empty: every delivery would be accepted")
	}

	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		logger.Fatalw("Cannot load kubeconfig", "error", err)
	}
	restCfg.QPS, restCfg.Burst = float32(*qps), *burst
	pjClient, err := prowjobclientset.NewForConfig(restCfg)
	if err != nil {
		logger.Fatalw("Cannot build ProwJob client", "error", err)
	}

	reg := prometheus.NewRegistry()
	ghOpts, err := githubFlags.Options()
	if err != nil {
		logger.Fatalw("Invalid GitHub flags", "error", err)
	}
	if !githubFlags.HasCredentials() {
		logger.Warn("No GitHub credentials: requests are unauthenticated, with GitHub's limit of 60 an hour")
	}
	ghOpts.Registerer = reg
	gh, err := github.NewClient(ghOpts)
	if err != nil {
		logger.Fatalw("Cannot build GitHub client", "error", err)
	}

	prowJobs := pjClient.ProwV1().ProwJobs(cfg.ProwJobNamespace)
	server := hook.NewServer(hook.Options{
		Secret:       func() []byte { return secret },
		Config:       func() *config.Config { return cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		GitHub:       gh,
		ProwJobs:     prowJobs,
		Logger:       logger,
		Metrics:      hook.NewMetrics(reg),

		MaxBodyBytesInFlight: *bodyBudget,
	})

	// The resync shares the webhook handlers' GitHub client, so its listings revalidate
	// against the same ETag cache, and the trigger's file cache (see trigger.DecidePresubmits).
	resyncDone := make(chan struct{})
	if cfg.Resync.Enabled() {
		resyncer, err := resync.New(resync.Options{
			Config:       func() *config.Config { return cfg },
			PluginConfig: func() *plugins.Configuration { return pluginCfg },
			GitHub:       gh,
			ProwJobs:     prowJobs,
			Logger:       logger.Named("resync"),
			Registerer:   reg,
		})
		if err != nil {
			logger.Fatalw("Cannot start the resync of open pull requests", "error", err)
		}
		logger.Infow("Resyncing open pull requests", "interval", cfg.Resync.IntervalDuration().String(),
			"max-org-repos", cfg.Resync.MaxOrgReposCount(), "orgs", cfg.Resync.Orgs)
		go func() {
			defer close(resyncDone)
			resyncer.Run(ctx)
		}()
	} else {
		logger.Info("The resync of open pull requests is off (resync.interval is 0)")
		close(resyncDone)
	}

	mux := http.NewServeMux()
	mux.Handle("/hook", server)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	httpServer := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(shutdownCtx)
	}()
	logger.Infow("Serving webhooks", "addr", *addr)
	if err := httpServer.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Fatalw("Webhook server stopped", "error", err)
	}
	// A pass in progress ends with ctx; waiting for it keeps its last log lines.
	<-resyncDone
}
