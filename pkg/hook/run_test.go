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

package hook_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/hook"
)

func TestRunOptionsValidate(t *testing.T) {
	valid := hook.RunOptions{Addr: ":8888", MetricsAddr: ":9090", ProbesAddr: ":8081",
		ConfigPath: "config.yaml", PluginConfigPath: "plugins.yaml", HMACSecretFile: "hmac"}
	tests := []struct {
		name    string
		change  func(o *hook.RunOptions)
		wantErr []string
	}{{
		name:   "valid",
		change: func(*hook.RunOptions) {},
	}, {
		name:   "metrics and probes disabled",
		change: func(o *hook.RunOptions) { o.MetricsAddr, o.ProbesAddr = "", "" },
	}, {
		name:    "required settings missing",
		change:  func(o *hook.RunOptions) { o.Addr, o.ConfigPath, o.PluginConfigPath, o.HMACSecretFile = "", "", "", "" },
		wantErr: []string{"--addr is required", "--config-path is required", "--plugin-config is required", "--hmac-secret-file is required"},
	}, {
		name:    "two servers on one address",
		change:  func(o *hook.RunOptions) { o.ProbesAddr = o.Addr },
		wantErr: []string{"--probes-addr and --addr are both :8888"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid
			tc.change(&o)
			err := o.Validate()
			if (err != nil) != (len(tc.wantErr) > 0) {
				t.Fatalf("Validate() = %v, want errors %q", err, tc.wantErr)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

// runFiles writes a config, a plugin config, a webhook secret and a kubeconfig for an
// apiserver at apiserverURL, and returns options naming them, without addresses.
func runFiles(t *testing.T, apiserverURL, secret string) hook.RunOptions {
	t.Helper()
	dir := t.TempDir()
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q}
contexts:
- name: fake
  context: {cluster: fake, user: fake}
current-context: fake
users:
- name: fake
  user: {}
`, apiserverURL)
	files := map[string]string{
		"config.yaml":  "prowjob_namespace: prow\nresync: {interval: 1h}\n",
		"plugins.yaml": "plugins: {}\n",
		"hmac":         secret,
		"kubeconfig":   kubeconfig,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return hook.RunOptions{
		ConfigPath:       filepath.Join(dir, "config.yaml"),
		PluginConfigPath: filepath.Join(dir, "plugins.yaml"),
		HMACSecretFile:   filepath.Join(dir, "hmac"),
		Kubeconfig:       filepath.Join(dir, "kubeconfig"),
		KubeAPIQPS:       50,
		KubeAPIBurst:     100,
	}
}

// freeAddrs returns n loopback addresses nothing listens on.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// fakeAPIServer answers the ProwJob list of namespace prow, the one call Run makes on its
// own (the readiness check's), and 404 to anything else.
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/apis/prow.k8s.io/v1/namespaces/prow/prowjobs" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"apiVersion":"prow.k8s.io/v1","kind":"ProwJobList","metadata":{},"items":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// waitGet GETs url until it answers, and returns the status code and the body.
func waitGet(t *testing.T, url string) (int, string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRun(t *testing.T) {
	apiserver := fakeAPIServer(t)
	github := httptest.NewServer(http.NotFoundHandler()) // never called: the resync waits an hour
	defer github.Close()
	o := runFiles(t, apiserver.URL, "s3cret\n")
	addrs := freeAddrs(t, 3)
	o.Addr, o.MetricsAddr, o.ProbesAddr = addrs[0], addrs[1], addrs[2]
	o.GitHub.Endpoint = github.URL

	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar()))
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- hook.Run(ctx, o) }()

	checks := []struct {
		name, url string
		wantCode  int
		wantBody  string
	}{
		{"ready", "http://" + o.ProbesAddr + "/readyz", http.StatusOK, "ok\n"},
		{"live", "http://" + o.ProbesAddr + "/healthz", http.StatusOK, "ok\n"},
		{"metrics on their own port", "http://" + o.MetricsAddr + "/metrics", http.StatusOK, ""},
		{"webhooks are POSTed", "http://" + o.Addr + "/hook", http.StatusMethodNotAllowed, ""},
		{"no probes on the webhook port", "http://" + o.Addr + "/healthz", http.StatusNotFound, ""},
		{"no metrics on the webhook port", "http://" + o.Addr + "/metrics", http.StatusNotFound, ""},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			code, body := waitGet(t, c.url)
			if code != c.wantCode || (c.wantBody != "" && body != c.wantBody) {
				t.Errorf("GET %s = %d %q, want %d %q", c.url, code, body, c.wantCode, c.wantBody)
			}
		})
	}

	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run() after its context ended = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	for _, addr := range addrs {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Run returned", addr)
		}
	}
}

func TestRunErrors(t *testing.T) {
	apiserver := fakeAPIServer(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name    string
		change  func(t *testing.T, o *hook.RunOptions)
		wantErr string
	}{{
		name:    "invalid options",
		change:  func(_ *testing.T, o *hook.RunOptions) { o.HMACSecretFile = "" },
		wantErr: "invalid hook options: --hmac-secret-file is required",
	}, {
		name: "invalid config",
		change: func(t *testing.T, o *hook.RunOptions) {
			if err := os.WriteFile(o.ConfigPath, []byte("prowjob_namespace: [\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: "invalid config: ",
	}, {
		name: "unknown plugin",
		change: func(t *testing.T, o *hook.RunOptions) {
			if err := os.WriteFile(o.PluginConfigPath, []byte("plugins: {acme: [nope]}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: `invalid plugin config: `,
	}, {
		name: "empty webhook secret",
		change: func(t *testing.T, o *hook.RunOptions) {
			if err := os.WriteFile(o.HMACSecretFile, []byte(" \n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: "is empty: every delivery would be accepted",
	}, {
		name:    "probe address taken",
		change:  func(_ *testing.T, o *hook.RunOptions) { o.ProbesAddr = taken.Addr().String() },
		wantErr: "failed to listen for probes",
	}, {
		name:    "webhook address taken",
		change:  func(_ *testing.T, o *hook.RunOptions) { o.Addr = taken.Addr().String() },
		wantErr: "failed to listen for the webhook server",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := runFiles(t, apiserver.URL, "s3cret")
			addrs := freeAddrs(t, 3)
			o.Addr, o.MetricsAddr, o.ProbesAddr = addrs[0], addrs[1], addrs[2]
			o.GitHub.Endpoint = apiserver.URL
			tc.change(t, &o)
			ctx := logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar())
			ran := make(chan error, 1)
			go func() { ran <- hook.Run(ctx, o) }()
			select {
			case err := <-ran:
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Run() = %v, want an error containing %q", err, tc.wantErr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return")
			}
		})
	}
}
