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
	"errors"
	"flag"
	"os"

	"github.com/bosun-ci/bosun/pkg/github"
)

// Defaults of the hook process' addresses.
const (
	DefaultAddr        = ":8888"
	DefaultMetricsAddr = ":9090"
	DefaultProbesAddr  = ":8081"
)

// RunOptions are a hook process' settings, which cmd/hook takes from its flags (AddFlags)
// and Run serves with. They are not the Server's Options: Run builds those from these.
type RunOptions struct {
	// Addr serves the webhooks (POST /hook).
	Addr string
	// MetricsAddr serves /metrics; empty disables it.
	MetricsAddr string
	// ProbesAddr serves /healthz and /readyz (package probes); empty disables them.
	ProbesAddr string

	// ConfigPath is bosun's config.yaml, JobConfigPath an optional job config file or
	// directory, PluginConfigPath plugins.yaml.
	ConfigPath       string
	JobConfigPath    string
	PluginConfigPath string
	// HMACSecretFile holds the webhook secret.
	HMACSecretFile string

	// Kubeconfig is the kubeconfig file; empty means in-cluster.
	Kubeconfig string
	// KubeAPIQPS and KubeAPIBurst are the client-side rate limit for apiserver requests.
	KubeAPIQPS   float64
	KubeAPIBurst int

	// MaxBodyBytesInFlight is Options.MaxBodyBytesInFlight.
	MaxBodyBytesInFlight int64

	// GitHub configures the GitHub client the plugins and the resync share.
	GitHub github.Flags
}

// AddFlags registers the hook's flags on fs, with their defaults, as cmd/hook runs them.
func (o *RunOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Addr, "addr", DefaultAddr, "address to serve webhooks on (POST /hook)")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", DefaultMetricsAddr, "address of the /metrics endpoint; empty disables it")
	fs.StringVar(&o.ProbesAddr, "probes-addr", DefaultProbesAddr, "address of the /healthz (liveness) and /readyz (readiness) probes; empty disables them")
	fs.StringVar(&o.ConfigPath, "config-path", "", "bosun config.yaml (required)")
	fs.StringVar(&o.JobConfigPath, "job-config-path", "", "job config file or directory (optional)")
	fs.StringVar(&o.PluginConfigPath, "plugin-config", "", "plugins.yaml (required)")
	fs.StringVar(&o.HMACSecretFile, "hmac-secret-file", "", "file holding the webhook secret (required)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty means in-cluster")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", 200, "client-side rate limit for apiserver requests")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 400, "client-side burst for apiserver requests")
	fs.Int64Var(&o.MaxBodyBytesInFlight, "max-payload-bytes-in-flight", DefaultMaxBodyBytesInFlight,
		"bytes of webhook payloads read or handled at once; past it deliveries get 503 with Retry-After")
	o.GitHub.AddFlags(fs)
}

// Validate checks what can be checked before reading any file: the required settings are
// set and no two servers share an address.
func (o *RunOptions) Validate() error {
	var errs []error
	for _, required := range []struct{ flag, value string }{
		{"addr", o.Addr},
		{"config-path", o.ConfigPath},
		{"plugin-config", o.PluginConfigPath},
		{"hmac-secret-file", o.HMACSecretFile},
	} {
		if required.value == "" {
			errs = append(errs, errors.New("--"+required.flag+" is required"))
		}
	}
	addrs := map[string]string{}
	for _, a := range []struct{ flag, value string }{
		{"addr", o.Addr}, {"metrics-addr", o.MetricsAddr}, {"probes-addr", o.ProbesAddr},
	} {
		if a.value == "" {
			continue
		}
		if other, ok := addrs[a.value]; ok {
			errs = append(errs, errors.New("--"+a.flag+" and --"+other+" are both "+a.value+"; each server needs an address of its own"))
		}
		addrs[a.value] = a.flag
	}
	return errors.Join(errs...)
}
