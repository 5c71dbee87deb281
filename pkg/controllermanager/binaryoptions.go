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
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"knative.dev/pkg/system"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
)

// BinaryOptions are a controller process' settings. cmd/controller takes them from its
// flags (AddFlags), and RunBinary runs with them. They are not Options: RunBinary builds
// those from these, the config file and the GitHub flags.
type BinaryOptions struct {
	// Kubeconfig is the kubeconfig file; empty means in-cluster.
	Kubeconfig string
	// KubeAPIQPS and KubeAPIBurst are the client-side rate limit for apiserver requests.
	KubeAPIQPS   float64
	KubeAPIBurst int
	// MetricsAddr serves /metrics; empty disables it.
	MetricsAddr string
	// ProbesAddr serves /healthz and /readyz (Options.ProbesAddr); empty disables them.
	ProbesAddr string

	// PipelineWorkers and ReporterWorkers are Options.PipelineWorkers and
	// Options.ReporterWorkers.
	PipelineWorkers int
	ReporterWorkers int

	// ConfigPath is bosun's config.yaml and JobConfigPath a job config file or directory.
	// Both are optional. Without ConfigPath, the loops that read the config are off.
	ConfigPath    string
	JobConfigPath string

	// LeaderElect turns on leader election (Options.LeaderElection), with the Leases in
	// LeaderElectNamespace. When that is empty, the Leases go in $SYSTEM_NAMESPACE, else
	// $POD_NAMESPACE, else the pod's namespace, else "default". The other LeaderElect*
	// fields are LeaderElectionOptions'.
	LeaderElect              bool
	LeaderElectNamespace     string
	LeaderElectIdentity      string
	LeaderElectBuckets       uint
	LeaderElectLeaseDuration time.Duration
	LeaderElectRenewDeadline time.Duration
	LeaderElectRetryPeriod   time.Duration

	// ProwJobNamespace is Options.ProwJobNamespace. Empty means the config's
	// prowjob_namespace, or config.DefaultProwJobNamespace without a config.
	ProwJobNamespace string
	// JobNamespaces is Options.JobNamespaces, comma-separated.
	JobNamespaces string
	// BuildClusterKubeconfigs is Options.BuildClusterKubeconfigs. Its flag may be repeated,
	// and each value may be a comma-separated list.
	BuildClusterKubeconfigs []string

	// GitHub configures the reporter's GitHub client. Without credentials, nothing reports.
	GitHub github.Flags
}

// AddFlags registers the controller's flags on fs, with their defaults, as cmd/controller
// runs them.
func (o *BinaryOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty means in-cluster")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", ":9090", "address of the /metrics endpoint; empty disables it")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", 200, "client-side rate limit for apiserver requests")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 400, "client-side burst for apiserver requests")
	fs.IntVar(&o.PipelineWorkers, "pipeline-workers", 8, "ProwJobs reconciled at once")
	fs.IntVar(&o.ReporterWorkers, "reporter-workers", 4, "ProwJobs reported at once")
	fs.StringVar(&o.ConfigPath, "config-path", "", "bosun config.yaml: tekton settings, garbage collection (optional)")
	fs.StringVar(&o.JobConfigPath, "job-config-path", "", "job config file or directory (optional)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect leaders through Leases so that several replicas can run; off means this replica does all the work")
	fs.StringVar(&o.LeaderElectNamespace, "leader-elect-namespace", "", "namespace of the Leases; empty means $SYSTEM_NAMESPACE, else $POD_NAMESPACE, else the pod's namespace, else \"default\"")
	fs.StringVar(&o.LeaderElectIdentity, "leader-elect-identity", "", "this replica's name in the Leases; empty means the host name plus a random suffix")
	fs.UintVar(&o.LeaderElectBuckets, "leader-elect-buckets", 1, "Leases each reconciler's jobs are split into (1-10): more spread the work over the replicas")
	fs.DurationVar(&o.LeaderElectLeaseDuration, "leader-elect-lease-duration", DefaultLeaseDuration, "how long a Lease holds without renewal: a dead leader is replaced after about this long")
	fs.DurationVar(&o.LeaderElectRenewDeadline, "leader-elect-renew-deadline", DefaultRenewDeadline, "how long a leader keeps trying to renew before it gives up its Leases")
	fs.DurationVar(&o.LeaderElectRetryPeriod, "leader-elect-retry-period", DefaultRetryPeriod, "how often Leases are tried and renewed")
	fs.StringVar(&o.ProbesAddr, "probes-addr", ":8081", "address of the Kubernetes probes: /healthz, and /readyz, which passes once the ProwJob and PipelineRun informers have synced; empty disables them")
	fs.StringVar(&o.ProwJobNamespace, "prowjob-namespace", "", "the only namespace whose ProwJobs are watched and worked on (their Events and the concurrency claims too); empty means --config-path's prowjob_namespace, \"default\" without a config")
	fs.StringVar(&o.JobNamespaces, "job-namespaces", "", "comma-separated namespaces where PipelineRuns may be created and are watched, in every build cluster; a job for another namespace ends in error. Empty means every namespace, which needs cluster-wide list and watch of PipelineRuns")
	fs.Var((*stringList)(&o.BuildClusterKubeconfigs), "build-cluster-kubeconfig", "kubeconfig file, or directory of kubeconfig files, whose contexts are the build clusters jobs name in their cluster: field; repeatable or comma-separated. The cluster \"default\" is this controller's own (in-cluster or --kubeconfig) unless a context of that name is defined")
	o.GitHub.AddFlags(fs)
}

// Validate checks what can be checked before reading any file. The range of
// --leader-elect-buckets (1 to 10) is checked by Run, which defaults 0 to 1.
func (o *BinaryOptions) Validate() error {
	if o.LeaderElect && o.LeaderElectBuckets > math.MaxUint32 {
		return fmt.Errorf("--leader-elect-buckets %d is out of range", o.LeaderElectBuckets)
	}
	return nil
}

// stringList is a flag that may be repeated, each value a comma-separated list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(value string) error {
	*l = append(*l, splitList(value)...)
	return nil
}

// splitList splits a comma-separated list, dropping blanks and empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// prowJobNamespace is the flag's value, else the config's prowjob_namespace (defaulted by
// loading), else the config's default: the controller always works in one namespace.
func prowJobNamespace(flagValue string, c *config.Config) string {
	switch {
	case flagValue != "":
		return flagValue
	case c != nil && c.ProwJobNamespace != "":
		return c.ProwJobNamespace
	}
	return config.DefaultProwJobNamespace
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
