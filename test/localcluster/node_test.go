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
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"
)

// skipIfNodeUnavailable skips when this machine cannot run a node, unless RequireNodeEnv is set.
func skipIfNodeUnavailable(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrNodeUnavailable) && !errors.Is(err, ErrBinariesMissing) {
		return
	}
	if os.Getenv(RequireNodeEnv) != "" {
		t.Fatalf("%v (%s is set, so this fails instead of skipping)", err, RequireNodeEnv)
	}
	t.Skipf("skipping: %v (set %s to make this a failure)", err, RequireNodeEnv)
}

// TestNodeRunsTektonPipelines is the real thing: a kubelet, containerd and Tekton's own
// controller run a PipelineRun whose steps execute; one task passes, one exits 3; the logs
// are the steps' output; and stopping leaves nothing on the host.
func TestNodeRunsTektonPipelines(t *testing.T) {
	if _, err := nodeBinaries(DefaultBinDir()); err != nil {
		skipIfNodeUnavailable(t, err)
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{CRDPaths: []string{mustTektonCRDDir(t)}, Logf: t.Logf})
	skipIfBinariesMissing(t, err)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()
	if err := c.StartNode(ctx, t.Logf); err != nil {
		t.Fatalf("StartNode: %v", err)
	}
	if err := c.StartTekton(ctx, t.Logf); err != nil {
		skipIfNodeUnavailable(t, err)
		t.Fatalf("StartTekton: %v", err)
	}
	const ns = "node-test"
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	tekton := pipelineclient.NewForConfigOrDie(c.RESTConfig())
	kube := kubernetes.NewForConfigOrDie(c.RESTConfig())

	run := func(name, script string) *pipelinev1.PipelineRun {
		pr := &pipelinev1.PipelineRun{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: pipelinev1.PipelineRunSpec{PipelineSpec: &pipelinev1.PipelineSpec{Tasks: []pipelinev1.PipelineTask{{
				Name: "only",
				TaskSpec: &pipelinev1.EmbeddedTask{TaskSpec: pipelinev1.TaskSpec{Steps: []pipelinev1.Step{{
					Name: "sh", Image: BusyboxImage, Script: script,
				}}}},
			}}}},
		}
		if _, err := tekton.TektonV1().PipelineRuns(ns).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	began := time.Now()
	run("passes", "#!/bin/sh\necho hello from a real step\n")
	run("fails", "#!/bin/sh\necho about to fail\nexit 3\n")

	done := map[string]*apis.Condition{}
	for len(done) < 2 {
		if ctx.Err() != nil {
			t.Fatalf("runs not done: %v; see %s", done, c.WorkDir())
		}
		for _, name := range []string{"passes", "fails"} {
			pr, err := tekton.TektonV1().PipelineRuns(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cond := pr.Status.GetCondition(apis.ConditionSucceeded); cond != nil && !cond.IsUnknown() {
				done[name] = cond
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("both runs done %s after creation", time.Since(began).Round(time.Millisecond))
	if !done["passes"].IsTrue() {
		t.Errorf("run passes: %+v, want Succeeded=True", done["passes"])
	}
	if done["fails"].IsTrue() || done["fails"].Reason != "Failed" {
		t.Errorf("run fails: %+v, want Succeeded=False reason Failed", done["fails"])
	}

	// The step's exit code and output are real: read them from the pods.
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, pod := range pods.Items {
		run := pod.Labels["tekton.dev/pipelineRun"]
		var exit int32 = -1
		for _, st := range pod.Status.ContainerStatuses {
			if st.Name == "step-sh" && st.State.Terminated != nil {
				exit = st.State.Terminated.ExitCode
			}
		}
		logs, err := kube.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "step-sh"}).DoRaw(ctx)
		if err != nil {
			t.Fatalf("logs of %s: %v", pod.Name, err)
		}
		switch run {
		case "passes":
			seen[run] = exit == 0 && strings.Contains(string(logs), "hello from a real step")
		case "fails":
			seen[run] = exit == 3 && strings.Contains(string(logs), "about to fail")
		}
		t.Logf("pod %s (run %s): exit %d, log %q", pod.Name, run, exit, logs)
	}
	if !seen["passes"] || !seen["fails"] {
		t.Errorf("pods' exit codes and logs: %v, want both runs with their real output", seen)
	}

	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	stopped = true
	if left := c.NodeTraces(); len(left) > 0 {
		t.Errorf("the stopped node left traces on the host: %v", left)
	}
}

// TestOCIArchive checks the image archive's shape against what `ctr images import` reads.
func TestOCIArchive(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := busyboxImage("bosun.local/test:v1", bin, []string{"sh", "echo", "busybox"}, []string{"/bin/sh"})
	var first, second bytes.Buffer
	if err := writeOCIArchive(&first, spec); err != nil {
		t.Fatal(err)
	}
	if err := writeOCIArchive(&second, spec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two archives of the same image differ; want reproducible output")
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&first)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = data
	}
	var index struct {
		Manifests []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json = %s (%v), want one manifest", files["index.json"], err)
	}
	if got := index.Manifests[0].Annotations["io.containerd.image.name"]; got != spec.name {
		t.Errorf("image name annotation = %q, want %q", got, spec.name)
	}
	manifest := files["blobs/sha256/"+strings.TrimPrefix(index.Manifests[0].Digest, "sha256:")]
	if digestOf(manifest) != index.Manifests[0].Digest {
		t.Fatalf("manifest blob missing or its digest differs")
	}
	var m struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	if err := json.Unmarshal(manifest, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest = %s (%v)", manifest, err)
	}
	layer := files["blobs/sha256/"+strings.TrimPrefix(m.Layers[0].Digest, "sha256:")]
	if digestOf(layer) != m.Layers[0].Digest {
		t.Fatal("layer blob missing or its digest differs")
	}
	entries := map[string]string{}
	lr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h.Linkname
	}
	for _, want := range []string{"bin/busybox", "bin/sh", "bin/echo", "tmp/"} {
		if _, ok := entries[want]; !ok {
			t.Errorf("layer lacks %s; has %v", want, entries)
		}
	}
	if entries["bin/sh"] != "busybox" {
		t.Errorf("bin/sh links to %q, want busybox", entries["bin/sh"])
	}
	if _, ok := entries["bin/busybox"]; ok && entries["bin/busybox"] != "" {
		t.Error("bin/busybox must be a file, not a link")
	}
}

// crashingNodeEnv makes TestNodeRecoversFromCrash's child run a node and hang until killed.
const crashingNodeEnv = "BOSUN_TEST_CRASHING_NODE"

// TestNodeRecoversFromCrash kills a test process (kill -9) while its node runs a pod: the
// containers and containerd's shims outlive it. The next node cleans all of that up before it
// starts, and itself leaves nothing.
func TestNodeRecoversFromCrash(t *testing.T) {
	if os.Getenv(crashingNodeEnv) != "" {
		runCrashingNode(t)
		return
	}
	if _, err := nodeBinaries(DefaultBinDir()); err != nil {
		skipIfNodeUnavailable(t, err)
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNodeRecoversFromCrash$", "-test.v")
	// The child works in this test's temporary directory, so whatever of it is left goes too.
	child.Env = append(os.Environ(), crashingNodeEnv+"="+filepath.Join(t.TempDir(), "crashing"))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints the node's directory once its pod runs.
	var staleDir string
	scanner := bufio.NewScanner(out)
	for scanner.Scan() {
		if dir, ok := strings.CutPrefix(scanner.Text(), "NODE-DIR "); ok {
			staleDir = dir
			break
		}
	}
	if staleDir == "" {
		child.Process.Kill()
		child.Wait()
		t.Fatal("the child never reported a running pod")
	}
	stale := &node{dir: staleDir}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	time.Sleep(time.Second) // the death signal reaches the child's children
	if len(stale.strayProcesses()) == 0 {
		t.Fatal("nothing outlived the killed node; the scenario did not happen")
	}

	c, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := c.StartNode(ctx, t.Logf); err != nil {
		t.Fatalf("StartNode after a crash: %v", err)
	}
	if left := stale.strayProcesses(); len(left) > 0 {
		t.Errorf("processes of the crashed node still run: %v", left)
	}
	if m := mountsUnder(staleDir); len(m) > 0 {
		t.Errorf("mounts of the crashed node remain: %v", m)
	}
	if _, err := os.Stat(staleDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the crashed node's directory %s remains (%v)", staleDir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if left := c.NodeTraces(); len(left) > 0 {
		t.Errorf("the stopped node left traces on the host: %v", left)
	}
}

// runCrashingNode is the child: a node with a sleeping pod, then a hang until it is killed.
func runCrashingNode(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Options{WorkDir: os.Getenv(crashingNodeEnv)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartNode(ctx, nil); err != nil {
		t.Fatal(err)
	}
	kube := kubernetes.NewForConfigOrDie(c.RESTConfig())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sleeper", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sleep", Image: BusyboxImage, Command: []string{"sleep", "600"}}},
			AutomountServiceAccountToken: new(bool)},
	}
	if _, err := kube.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := kube.CoreV1().Pods("default").Get(ctx, "sleeper", metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("NODE-DIR %s\n", filepath.Join(c.WorkDir(), "node"))
	select {}
}
