package main

import (
	"os"
	"path/filepath"
	"testing"

	"knative.dev/pkg/system"
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
