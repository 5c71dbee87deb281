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
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/system"

	"github.com/bosun-ci/bosun/pkg/config"
)

func TestLeaseNamespace(t *testing.T) {
	podFile := filepath.Join(t.TempDir(), "namespace")
	if err := os.WriteFile(podFile, []byte("from-pod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		flag, sys, pod string
		saFile         string
		want           string
	}{
		{name: "flag wins", flag: "leases", sys: "bosun-system", pod: "ci", saFile: podFile, want: "leases"},
		{name: "system namespace", sys: "bosun-system", pod: "ci", saFile: podFile, want: "bosun-system"},
		{name: "pod namespace", pod: "ci", saFile: podFile, want: "ci"},
		{name: "service account", saFile: podFile, want: "from-pod"},
		{name: "outside a pod", saFile: filepath.Join(t.TempDir(), "missing"), want: "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(system.NamespaceEnvKey, tc.sys)
			t.Setenv("POD_NAMESPACE", tc.pod)
			saved := serviceAccountNamespaceFile
			serviceAccountNamespaceFile = tc.saFile
			defer func() { serviceAccountNamespaceFile = saved }()
			if got := leaseNamespace(tc.flag); got != tc.want {
				t.Errorf("leaseNamespace(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
}

func TestProwJobNamespace(t *testing.T) {
	fromConfig, err := config.LoadBytes("config.yaml", []byte("prowjob_namespace: ci\n"))
	if err != nil {
		t.Fatal(err)
	}
	defaulted, err := config.LoadBytes("config.yaml", []byte("{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		flag string
		cfg  *config.Config
		want string
	}{
		{name: "flag wins", flag: "jobs", cfg: fromConfig, want: "jobs"},
		{name: "config's prowjob_namespace", cfg: fromConfig, want: "ci"},
		{name: "config's default", cfg: defaulted, want: "default"},
		{name: "no config", want: "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := prowJobNamespace(tc.flag, tc.cfg); got != tc.want {
				t.Errorf("prowJobNamespace(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
}

func TestStringList(t *testing.T) {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var l stringList
	fs.Var(&l, "build-cluster-kubeconfig", "")
	if err := fs.Parse([]string{"--build-cluster-kubeconfig=/a, /b", "--build-cluster-kubeconfig", "/c", "--build-cluster-kubeconfig="}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stringList{"/a", "/b", "/c"}, l); diff != "" {
		t.Errorf("values (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), splitList(" , ")); diff != "" {
		t.Errorf("splitList of blanks (-want, +got):\n%s", diff)
	}
}

// unreachableKubeconfig is a kubeconfig that loads, for a cluster RunBinary must not reach.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {}}]
current-context: c
`

// TestRunBinaryErrors checks that RunBinary returns bad settings and files as errors,
// before it starts anything.
func TestRunBinaryErrors(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(unreachableKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(badConfig, []byte("prowjob_namespace: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "too many buckets", args: []string{"--kubeconfig", kubeconfig, "--leader-elect", "--leader-elect-buckets", "4294967296"}, want: "invalid controller options: --leader-elect-buckets 4294967296"},
		{name: "no kubeconfig", args: []string{"--kubeconfig", filepath.Join(dir, "missing")}, want: "failed to load the kubeconfig: "},
		{name: "bad config", args: []string{"--kubeconfig", kubeconfig, "--config-path", badConfig}, want: "invalid config: "},
		{name: "bad GitHub flags", args: []string{"--kubeconfig", kubeconfig, "--github-endpoint", "ftp://ghe"}, want: "invalid GitHub flags: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("controller", flag.ContinueOnError)
			var o BinaryOptions
			o.AddFlags(fs)
			if err := fs.Parse(append(tc.args, "--metrics-addr=", "--probes-addr=")); err != nil {
				t.Fatal(err)
			}
			ctx := logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar())
			err := RunBinary(ctx, o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("RunBinary(%q) = %v, want an error starting %q", tc.args, err, tc.want)
			}
		})
	}
}
