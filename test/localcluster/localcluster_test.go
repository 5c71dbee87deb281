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
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const widgetCRDFile = "testdata/widgets.yaml"

// tektonCRDNames are the CRDs in Tekton's config/300-crds.
var tektonCRDNames = []string{
	"customruns.tekton.dev",
	"pipelineruns.tekton.dev",
	"pipelines.tekton.dev",
	"resolutionrequests.resolution.tekton.dev",
	"stepactions.tekton.dev",
	"taskruns.tekton.dev",
	"tasks.tekton.dev",
	"verificationpolicies.tekton.dev",
}

// skipIfBinariesMissing skips the test when Start found no binaries, unless RequireClusterEnv
// is set, in which case the test fails.
func skipIfBinariesMissing(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrBinariesMissing) {
		return
	}
	if os.Getenv(RequireClusterEnv) != "" {
		t.Fatalf("%v (%s is set, so this fails instead of skipping)", err, RequireClusterEnv)
	}
	t.Skipf("skipping: %v (set %s to make this a failure)", err, RequireClusterEnv)
}

func mustTektonCRDDir(t *testing.T) string {
	t.Helper()
	dir, err := TektonCRDDir()
	if err != nil {
		t.Fatalf("TektonCRDDir() = %v", err)
	}
	return dir
}

// processGone tells whether no process with pid exists (Stop reaps its children, so a
// stopped one is not even a zombie).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// pidRecorder returns a Logf that passes messages to t.Logf and records the pids in Start's
// "started ... (pid N)" messages, and a function returning the pids recorded so far.
func pidRecorder(t *testing.T) (func(string, ...any), func() []int) {
	t.Helper()
	var (
		mu   sync.Mutex
		pids []int
	)
	pidRE := regexp.MustCompile(`\(pid (\d+)\)`)
	logf := func(format string, args ...any) {
		t.Logf(format, args...)
		if m := pidRE.FindStringSubmatch(fmt.Sprintf(format, args...)); m != nil {
			pid, err := strconv.Atoi(m[1])
			if err != nil {
				t.Errorf("bad pid in %q: %v", m[0], err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			pids = append(pids, pid)
		}
	}
	return logf, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(pids)
	}
}

func TestCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	began := time.Now()
	c, err := Start(ctx, Options{
		CRDPaths: []string{mustTektonCRDDir(t), widgetCRDFile},
		Logf:     t.Logf,
	})
	skipIfBinariesMissing(t, err)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Logf("Start with %d CRDs took %s", len(tektonCRDNames)+1, time.Since(began).Round(time.Millisecond))
	stopped := false
	defer func() {
		if !stopped {
			if err := c.Stop(); err != nil {
				t.Errorf("Stop() = %v", err)
			}
		}
	}()

	t.Run("rest config is not throttled and is a copy", func(t *testing.T) {
		cfg := c.RESTConfig()
		if cfg.QPS != clientQPS || cfg.Burst != clientBurst {
			t.Errorf("QPS, Burst = %v, %v, want %v, %v", cfg.QPS, cfg.Burst, clientQPS, clientBurst)
		}
		cfg.Host = "https://changed.invalid"
		if got := c.RESTConfig().Host; got == cfg.Host {
			t.Errorf("changing a RESTConfig() changed the cluster's: Host = %q", got)
		}
	})

	t.Run("kubeconfig", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath())
		if err != nil {
			t.Fatalf("loading %s: %v", c.KubeconfigPath(), err)
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		version, err := client.Discovery().ServerVersion()
		if err != nil {
			t.Fatalf("ServerVersion() through the kubeconfig = %v", err)
		}
		t.Logf("server version %s", version.GitVersion)
		if version.GitVersion == "" || strings.HasPrefix(version.GitVersion, "v0.0.0") {
			t.Errorf("server version %q: kube-apiserver was built without version ldflags", version.GitVersion)
		}
	})

	t.Run("CRDs installed without conversion webhooks", func(t *testing.T) {
		client, err := apiextensionsclient.NewForConfig(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range append(slices.Clone(tektonCRDNames), "widgets.localcluster.bosun.dev") {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Errorf("getting CRD %s: %v", name, err)
				continue
			}
			if ok, _, why := crdEstablished(crd); !ok {
				t.Errorf("CRD %s is not Established: %s", name, why)
			}
			if conv := crd.Spec.Conversion; conv != nil && conv.Strategy != apiextensionsv1.NoneConverter {
				t.Errorf("CRD %s conversion strategy = %s, want %s", name, conv.Strategy, apiextensionsv1.NoneConverter)
			}
		}
	})

	t.Run("namespace with default ServiceAccount", func(t *testing.T) {
		client, err := kubernetes.NewForConfig(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, ns := range []string{"created-twice", "created-twice", metav1.NamespaceDefault} {
			if err := c.CreateNamespace(ctx, ns); err != nil {
				t.Fatalf("CreateNamespace(%q) = %v", ns, err)
			}
			if _, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
				t.Errorf("getting ServiceAccount %s/default: %v", ns, err)
			}
		}
	})

	t.Run("PipelineRun round trip in v1", func(t *testing.T) {
		const ns = "pipelinerun-round-trip"
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
		client, err := pipelineclient.NewForConfig(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		want := &pipelinev1.PipelineRun{
			ObjectMeta: metav1.ObjectMeta{
				Name:      "build-1",
				Namespace: ns,
				Labels:    map[string]string{"prow.k8s.io/job": "build"},
			},
			Spec: pipelinev1.PipelineRunSpec{
				PipelineRef: &pipelinev1.PipelineRef{Name: "build"},
				Params: pipelinev1.Params{{
					Name:  "revision",
					Value: *pipelinev1.NewStructuredValues("0123456789abcdef"),
				}},
				Timeouts: &pipelinev1.TimeoutFields{Pipeline: &metav1.Duration{Duration: time.Hour}},
			},
		}
		if _, err := client.TektonV1().PipelineRuns(ns).Create(ctx, want, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating PipelineRun: %v", err)
		}
		got, err := client.TektonV1().PipelineRuns(ns).Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("getting PipelineRun: %v", err)
		}
		if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
			t.Errorf("PipelineRun spec read back (-want, +got):\n%s", diff)
		}
		if diff := cmp.Diff(want.Labels, got.Labels); diff != "" {
			t.Errorf("PipelineRun labels read back (-want, +got):\n%s", diff)
		}
		if got.UID == "" || got.ResourceVersion == "" {
			t.Errorf("PipelineRun read back has no UID or resourceVersion: %+v", got.ObjectMeta)
		}
	})

	t.Run("custom resource schema is enforced", func(t *testing.T) {
		const ns = "widgets"
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
		client, err := dynamic.NewForConfig(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		widgets := client.Resource(schema.GroupVersionResource{Group: "localcluster.bosun.dev", Version: "v1", Resource: "widgets"}).Namespace(ns)
		widget := func(name string, size int64) *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "localcluster.bosun.dev/v1",
				"kind":       "Widget",
				"metadata":   map[string]any{"name": name},
				"spec":       map[string]any{"size": size},
			}}
		}
		if _, err := widgets.Create(ctx, widget("small", 3), metav1.CreateOptions{}); err != nil {
			t.Errorf("creating a valid Widget: %v", err)
		}
		if _, err := widgets.Create(ctx, widget("empty", 0), metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("creating a Widget with size 0 = %v, want an Invalid error from the CRD schema", err)
		}
	})

	t.Run("InstallCRDs again updates", func(t *testing.T) {
		if err := c.InstallCRDs(ctx, widgetCRDFile); err != nil {
			t.Errorf("InstallCRDs(%s) a second time = %v", widgetCRDFile, err)
		}
	})

	pids := []int{c.apiserver.pid(), c.etcd.pid()}
	workDir := c.WorkDir()
	began = time.Now()
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	t.Logf("Stop took %s", time.Since(began).Round(time.Millisecond))
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process %d still exists after Stop", pid)
		}
	}
	if _, err := os.Stat(workDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary WorkDir %s still there after Stop (stat: %v)", workDir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
}

// TestStartFailureCleansUp installs a CRD the apiserver rejects, so Start fails after both
// processes run: it must stop them and remove its temporary WorkDir.
func TestStartFailureCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where Start's temporary WorkDir goes
	badCRD := filepath.Join(t.TempDir(), "misnamed.yaml")
	if err := os.WriteFile(badCRD, []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: not-plural-dot-group.localcluster.bosun.dev
spec:
  group: localcluster.bosun.dev
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	logf, pids := pidRecorder(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{CRDPaths: []string{badCRD}, Logf: logf})
	skipIfBinariesMissing(t, err)
	if err == nil {
		c.Stop()
		t.Fatal("Start() with a misnamed CRD succeeded, want an error")
	}
	t.Logf("Start() = %v", err)
	if !strings.Contains(err.Error(), "not-plural-dot-group.localcluster.bosun.dev") {
		t.Errorf("Start() error %q does not name the CRD", err)
	}
	assertProcessesGone(t, pids())
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("Start left %v in its temporary directory's parent %s", entries, tmp)
	}
}

// TestStartProcessExitsEarly runs stand-in binaries: an etcd that waits and a kube-apiserver
// that fails at once. Start must report the apiserver's output, stop the etcd and clean up.
func TestStartProcessExitsEarly(t *testing.T) {
	tmp := t.TempDir()
	binDir := filepath.Join(tmp, "bin")
	workParent := filepath.Join(tmp, "work")
	for _, dir := range []string{binDir, workParent} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", workParent)
	scripts := map[string]string{
		etcdBinary:      "#!/bin/sh\nexec sleep 300\n",
		apiserverBinary: "#!/bin/sh\necho 'Error: stand-in kube-apiserver refuses to start' >&2\nexit 3\n",
	}
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(binDir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logf, pids := pidRecorder(t)
	c, err := Start(ctx, Options{BinDir: binDir, Logf: logf})
	if err == nil {
		c.Stop()
		t.Fatal("Start() with a failing kube-apiserver succeeded")
	}
	for _, want := range []string{"kube-apiserver", "exit status 3", "stand-in kube-apiserver refuses to start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start() error %q does not contain %q", err, want)
		}
	}
	assertProcessesGone(t, pids())
	if entries, _ := os.ReadDir(workParent); len(entries) != 0 {
		t.Errorf("Start left %v behind in %s", entries, workParent)
	}
}

// assertProcessesGone checks that Start reported etcd's and kube-apiserver's pids and that
// neither process exists any more.
func assertProcessesGone(t *testing.T, pids []int) {
	t.Helper()
	if len(pids) != 2 {
		t.Fatalf("saw pids %v in the progress log, want etcd's and kube-apiserver's", pids)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process %d still exists", pid)
		}
	}
}

func TestReadCRDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	configMap := write("configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
	emptyDir := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	widgetCopy := write("copy/widgets.yaml", mustRead(t, widgetCRDFile))

	tests := []struct {
		name      string
		paths     []string
		wantNames []string
		wantErr   string
	}{{
		name:      "file with a conversion webhook and an empty document",
		paths:     []string{widgetCRDFile},
		wantNames: []string{"widgets.localcluster.bosun.dev"},
	}, {
		name:      "Tekton's CRD directory",
		paths:     []string{mustTektonCRDDir(t)},
		wantNames: tektonCRDNames,
	}, {
		name:  "no paths",
		paths: nil,
	}, {
		name:    "not a CRD",
		paths:   []string{configMap},
		wantErr: `document 1 is a /v1, Kind=ConfigMap "x"`,
	}, {
		name:    "missing path",
		paths:   []string{filepath.Join(dir, "missing.yaml")},
		wantErr: "no such file",
	}, {
		name:    "directory without YAML",
		paths:   []string{emptyDir},
		wantErr: "no .yaml, .yml or .json files",
	}, {
		name:    "same CRD twice",
		paths:   []string{widgetCRDFile, widgetCopy},
		wantErr: "CRD widgets.localcluster.bosun.dev is defined in both",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			crds, err := readCRDs(tc.paths)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("readCRDs() = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("readCRDs() = %v", err)
			}
			var names []string
			for _, crd := range crds {
				names = append(names, crd.Name)
				if crd.Spec.Conversion != nil {
					t.Errorf("CRD %s still has spec.conversion %+v", crd.Name, crd.Spec.Conversion)
				}
			}
			slices.Sort(names)
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("CRD names (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestGeneratePKI(t *testing.T) {
	now := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	p, err := generatePKI(t.TempDir(), now)
	if err != nil {
		t.Fatalf("generatePKI() = %v", err)
	}

	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(mustRead(t, p.clientCAFile))) {
		t.Fatalf("%s holds no certificate", p.clientCAFile)
	}
	block, _ := pem.Decode(p.adminCertPEM)
	admin, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("admin certificate does not verify as a client certificate against the client CA: %v", err)
	}
	if diff := cmp.Diff([]string{mastersGroup}, admin.Subject.Organization); diff != "" {
		t.Errorf("admin certificate groups (-want, +got):\n%s", diff)
	}
	if got := string(mustRead(t, p.adminCertFile)); got != string(p.adminCertPEM) {
		t.Errorf("%s differs from the admin certificate in memory", p.adminCertFile)
	}

	block, _ = pem.Decode([]byte(mustRead(t, p.saSigningFile)))
	private, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("service-account signing key: %v", err)
	}
	block, _ = pem.Decode([]byte(mustRead(t, p.saPublicKeyFile)))
	public, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("service-account public key: %v", err)
	}
	if rsaPublic, ok := public.(*rsa.PublicKey); !ok || !private.PublicKey.Equal(rsaPublic) {
		t.Errorf("service-account public key does not match the signing key")
	}
	for _, keyFile := range []string{p.adminKeyFile, p.saSigningFile} {
		info, err := os.Stat(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %o, want 600", keyFile, perm)
		}
	}
}

func TestLastLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var lines []string
	for i := range 30 {
		lines = append(lines, "line "+strconv.Itoa(i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		n    int
		want string
	}{
		{name: "fewer than the file has", n: 3, want: "line 27\nline 28\nline 29"},
		{name: "more than the file has", n: 100, want: strings.Join(lines, "\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lastLines(path, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lastLines(%d) (-want, +got):\n%s", tc.n, diff)
			}
		})
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	_, err := Start(context.Background(), Options{BinDir: filepath.Join(tmp, "no-such-dir")})
	if !errors.Is(err, ErrBinariesMissing) {
		t.Fatalf("Start() with an empty BinDir = %v, want ErrBinariesMissing", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("Start() without binaries created %v", entries)
	}
}

func TestRepoRootAndTektonCRDDir(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot() = %v", err)
	}
	if !isBosunModule(filepath.Join(root, "go.mod")) {
		t.Errorf("RepoRoot() = %s, which has no bosun go.mod", root)
	}
	dir := mustTektonCRDDir(t)
	if !strings.Contains(dir, "github.com/tektoncd/pipeline@") || filepath.Base(dir) != "300-crds" {
		t.Errorf("TektonCRDDir() = %s, want config/300-crds of the tektoncd/pipeline module", dir)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
