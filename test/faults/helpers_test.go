package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

// Shared by the cases of this package (and usable by any other file in it):
//
//	startControlPlane(ctx, t)              etcd + kube-apiserver + CRDs + GitHub emulator, no controllers
//	startBosun(ctx, t, env, opts)          the hook (replicas) and controller binaries, stopped at cleanup
//	deliver(ctx, client, url, ...)         one signed delivery; its HTTP status
//	reportFault(t, name, kv...)            the case's FAULT line, to the log and stdout
//	listProwJobs(ctx, t, env, namespace)   every ProwJob of a namespace, read from the apiserver

// logTailBytes is how much of each binary's log a failing case quotes.
const logTailBytes = 6 << 10

// keepLogsEnv names a directory where the binaries' work dirs (config, logs) are kept, one
// per test, instead of a temporary directory removed with the test.
const keepLogsEnv = "BOSUN_FAULT_LOGS"

// startControlPlane starts a fresh etcd + kube-apiserver with the ProwJob and Tekton CRDs and
// the GitHub emulator, without in-process controllers (the cases run bosun's binaries), and
// stops them when the test ends. It skips the test when the control-plane binaries are
// missing, unless framework.ClusterRequired.
func startControlPlane(ctx context.Context, t *testing.T) *framework.Env {
	t.Helper()
	env, err := framework.Start(ctx, framework.Options{NoControllers: true, Logf: t.Logf})
	if err != nil {
		if framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			t.Skipf("no local control plane: %v", err)
		}
		t.Fatalf("start the control plane: %v", err)
	}
	t.Cleanup(env.Stop)
	return env
}

// startBosun runs bosun's binaries as o says, in a work dir of the test's, and stops them when
// the test ends; if the test failed, the end of every binary's log goes to the test log.
func startBosun(ctx context.Context, t *testing.T, env *framework.Env, o framework.BinaryOptions) *framework.Binaries {
	t.Helper()
	if o.WorkDir == "" {
		o.WorkDir = t.TempDir()
		if keep := os.Getenv(keepLogsEnv); keep != "" {
			o.WorkDir = filepath.Join(keep, t.Name())
			if err := os.RemoveAll(o.WorkDir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Logf("binaries' logs kept in %s", o.WorkDir)
		}
	}
	b, err := env.StartBinaries(ctx, o)
	if err != nil {
		t.Fatalf("start bosun's binaries: %v", err)
	}
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			for _, path := range b.Logs() {
				t.Logf("end of %s:\n%s", path, fileTail(path, logTailBytes))
			}
		}
	})
	return b
}

// fileTail is the last n bytes of the file at path, from a line start.
func fileTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > n {
		if _, err := f.Seek(info.Size()-n, io.SeekStart); err != nil {
			return fmt.Sprintf("(%v)", err)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 && int64(len(data)) == n {
		data = data[i+1:]
	}
	return string(data)
}

// deliver posts one delivery signed with secret, as GitHub does, and returns the answer's
// status; the body is read and dropped so the connection can be reused. A transport error
// (no answer, a timeout) returns 0 and the error.
func deliver(ctx context.Context, client *http.Client, url, eventType, guid string, body, secret []byte) (int, error) {
	resp, err := webhook.Send(ctx, client, url, eventType, guid, body, secret)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// githubClient is an HTTP client that behaves like GitHub's delivery service towards the
// hook: it gives up on a delivery after 10 seconds.
func githubClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// reportFault prints the case's one line of figures (FaultLine) to the test log and stdout.
func reportFault(t *testing.T, name string, kv ...any) {
	t.Helper()
	line := FaultLine(name, kv...)
	t.Log(line)
	fmt.Println(line)
}

// listProwJobs reads every ProwJob of namespace from the apiserver.
func listProwJobs(ctx context.Context, t *testing.T, env *framework.Env, namespace string) []prowjobsv1.ProwJob {
	t.Helper()
	list, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list the ProwJobs of %s: %v", namespace, err)
	}
	return list.Items
}

// jobConfig is a config.yaml for one repository, acme/widgets, with ProwJobs and runs in
// namespace: unit and lint run by themselves, e2e only when asked for. extra is appended
// (a resync section, say).
func jobConfig(namespace, extra string) string {
	return fmt.Sprintf(`prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit}
  - name: lint
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: lint}
  - name: e2e
    always_run: false
    pipeline_run_spec:
      pipelineRef: {name: e2e}
%s`, namespace, extra)
}

// pluginConfig enables the trigger for acme.
const pluginConfig = "plugins:\n  acme: [trigger]\n"

// automaticJobs are the jobs of jobConfig that run by themselves on a pull request's head.
var automaticJobs = []string{"unit", "lint"}

// sha is a distinct 40-hex commit id for n.
func sha(n int) string { return fmt.Sprintf("%040x", n) }

// pullRequest is acme/widgets#number at head, opened by a member.
func pullRequest(number int, head string) framework.PullRequest {
	return framework.PullRequest{
		Org: "acme", Repo: "widgets", Number: number, Author: "alice", Association: "MEMBER",
		HeadSHA: head, BaseRef: "main", BaseSHA: strings.Repeat("b", 40),
	}
}
