package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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
