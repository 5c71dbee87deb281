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

package localcluster

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestAPIServerFaults freezes, thaws, kills and restarts the apiserver of a running cluster:
// frozen it answers nothing, killed it refuses, restarted it serves the same data to the
// same client config (same port, certificate and etcd), and Stop ends a frozen one without
// waiting for its grace period.
func TestAPIServerFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Logf: t.Logf})
	skipIfBinariesMissing(t, err)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer func() { _ = c.Stop() }()
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	get := func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := client.CoreV1().Namespaces().Get(ctx, "kept", metav1.GetOptions{})
		return err
	}

	if err := c.FreezeAPIServer(); err != nil {
		t.Fatalf("FreezeAPIServer() = %v", err)
	}
	if err := get(time.Second); err == nil {
		t.Error("a frozen apiserver answered")
	}
	if err := c.ThawAPIServer(); err != nil {
		t.Fatalf("ThawAPIServer() = %v", err)
	}
	if err := get(10 * time.Second); err != nil {
		t.Errorf("after the thaw: %v", err)
	}

	before := c.APIServerPID()
	if err := c.KillAPIServer(); err != nil {
		t.Fatalf("KillAPIServer() = %v", err)
	}
	if !processGone(before) {
		t.Errorf("kube-apiserver %d still exists after KillAPIServer", before)
	}
	if err := get(time.Second); err == nil {
		t.Error("a killed apiserver answered")
	}
	if err := c.RestartAPIServer(ctx); err != nil {
		t.Fatalf("RestartAPIServer() = %v", err)
	}
	if after := c.APIServerPID(); after == before {
		t.Errorf("the restarted apiserver has the old pid %d", before)
	}
	if err := get(10 * time.Second); err != nil {
		t.Errorf("the restarted apiserver does not serve the namespace created before: %v", err)
	}

	// Stop does not wait out its grace period on a frozen apiserver.
	if err := c.FreezeAPIServer(); err != nil {
		t.Fatalf("FreezeAPIServer() = %v", err)
	}
	restarted := c.APIServerPID()
	began := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if took := time.Since(began); took >= stopGrace {
		t.Errorf("Stop took %s with the apiserver frozen, want under %s", took.Round(time.Millisecond), stopGrace)
	}
	if !processGone(restarted) {
		t.Errorf("kube-apiserver %d still exists after Stop", restarted)
	}
}
