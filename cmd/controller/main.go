// Command controller runs bosun's ProwJob reconcilers: ProwJob -> PipelineRun with the status
// mirrored back, and the GitHub status reporter, which runs only when GitHub credentials (a
// token or a GitHub App) are configured.
//
// With --leader-elect several replicas can run. Each reconciler's ProwJobs are hashed into
// --leader-elect-buckets buckets, one coordination.k8s.io Lease each (bosun-pipeline.00-of-01,
// bosun-crier.00-of-01, ...), and only the holder of a bucket's Lease reconciles its jobs; the
// periodic and garbage-collection loops run in the holder of the bosun-controller-loops Lease.
// A replica that dies is replaced within --leader-elect-lease-duration plus
// --leader-elect-retry-period, and the new holder resyncs the bucket, so no job is left
// without its PipelineRun or its status. The Leases live in --leader-elect-namespace, which
// defaults to $SYSTEM_NAMESPACE, else $POD_NAMESPACE, else the pod's own namespace, else
// "default"; the service account needs get, create and update on leases there.
//
// The controller needs no cluster-wide permission when it is given namespaces: it watches
// the ProwJobs of --prowjob-namespace only, and the PipelineRuns of the --job-namespaces
// only, in its own cluster and in each build cluster of --build-cluster-kubeconfig (Prow's
// build clusters: a job's cluster: names a kubeconfig context). /healthz and /readyz are
// served on --probes-addr; /readyz passes once every informer has synced.
package main

import (
	"context"
	"flag"
	"log"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/system"

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
		leaderElect     = flag.Bool("leader-elect", false, "elect leaders through Leases so that several replicas can run; off means this replica does all the work")
		leNamespace     = flag.String("leader-elect-namespace", "", "namespace of the Leases; empty means $SYSTEM_NAMESPACE, else $POD_NAMESPACE, else the pod's namespace, else \"default\"")
		leIdentity      = flag.String("leader-elect-identity", "", "this replica's name in the Leases; empty means the host name plus a random suffix")
		leBuckets       = flag.Uint("leader-elect-buckets", 1, "Leases each reconciler's jobs are split into (1-10): more spread the work over the replicas")
		leLease         = flag.Duration("leader-elect-lease-duration", controllermanager.DefaultLeaseDuration, "how long a Lease holds without renewal: a dead leader is replaced after about this long")
		leRenew         = flag.Duration("leader-elect-renew-deadline", controllermanager.DefaultRenewDeadline, "how long a leader keeps trying to renew before it gives up its Leases")
		leRetry         = flag.Duration("leader-elect-retry-period", controllermanager.DefaultRetryPeriod, "how often Leases are tried and renewed")
		probesAddr      = flag.String("probes-addr", ":8081", "address of the Kubernetes probes: /healthz, and /readyz, which passes once the ProwJob and PipelineRun informers have synced; empty disables them")
		prowJobNS       = flag.String("prowjob-namespace", "", "the only namespace whose ProwJobs are watched and worked on (their Events and the concurrency claims too); empty means --config-path's prowjob_namespace, \"default\" without a config")
		jobNamespaces   = flag.String("job-namespaces", "", "comma-separated namespaces where PipelineRuns may be created and are watched, in every build cluster; a job for another namespace ends in error. Empty means every namespace, which needs cluster-wide list and watch of PipelineRuns")
		buildClusters   stringList
	)
	flag.Var(&buildClusters, "build-cluster-kubeconfig", "kubeconfig file, or directory of kubeconfig files, whose contexts are the build clusters jobs name in their cluster: field; repeatable or comma-separated. The cluster \"default\" is this controller's own (in-cluster or --kubeconfig) unless a context of that name is defined")
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
	opts := controllermanager.Options{
		PipelineWorkers:         *pipelineWorkers,
		ReporterWorkers:         *reporterWorkers,
		Registerer:              reg,
		JobNamespaces:           splitList(*jobNamespaces),
		BuildClusterKubeconfigs: buildClusters,
		ProbesAddr:              *probesAddr,
	}
	if *leaderElect {
		if *leBuckets > math.MaxUint32 {
			logger.Fatalw("Invalid --leader-elect-buckets", "buckets", *leBuckets)
		}
		opts.LeaderElection = &controllermanager.LeaderElectionOptions{
			Namespace:     leaseNamespace(*leNamespace),
			Identity:      *leIdentity,
			Buckets:       uint32(*leBuckets),
			LeaseDuration: *leLease,
			RenewDeadline: *leRenew,
			RetryPeriod:   *leRetry,
		}
	}
	var cfgFile *config.Config
	if *configPath != "" {
		c, err := config.Load(*configPath, *jobConfigPath)
		if err != nil {
			logger.Fatalw("Invalid config", "error", err)
		}
		opts.CloneTask, opts.DefaultPipelineTimeout = c.Tekton.CloneTask, c.Tekton.DefaultTimeoutDuration()
		opts.CancelStatus = c.Tekton.CancelStatus
		opts.Config = func() *config.Config { return c }
		cfgFile = c
	}
	opts.ProwJobNamespace = prowJobNamespace(*prowJobNS, cfgFile)
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

// serviceAccountNamespaceFile is where Kubernetes tells a pod its namespace (a variable for
// the tests).
var serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// leaseNamespace is the flag's value, else where the controller runs: the Leases belong
// beside the Deployment, whose RBAC grants them.
func leaseNamespace(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	for _, env := range []string{system.NamespaceEnvKey, "POD_NAMESPACE"} {
		if ns := os.Getenv(env); ns != "" {
			return ns
		}
	}
	if data, err := os.ReadFile(serviceAccountNamespaceFile); err == nil {
		if ns := strings.TrimSpace(string(data)); ns != "" {
			return ns
		}
	}
	return "default"
}
