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

package install

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/localcluster"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	installNamespace = "bosun-e2e"
	imageRepo        = "bosun.local/bosun"
	imageTag         = "e2e"
	webhookSecret    = "installed-secret"
)

// installedConfig's jobs run real busybox steps on the node.
func installedConfig(jobs ...string) string {
	var b strings.Builder
	b.WriteString("presubmits:\n  acme/widgets:\n")
	for _, job := range jobs {
		fmt.Fprintf(&b, `  - name: %[1]s
    always_run: true
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: %[1]s
          taskSpec:
            steps:
            - name: run
              image: %[2]s
              script: |
                #!/bin/sh
                echo "%[1]s passed"
`, job, localcluster.BusyboxImage)
	}
	return b.String()
}

// TestInstalledChart is bosun as a user installs it: `make images`' images imported into
// the local node, the chart installed with helm, and a signed webhook to the installed hook
// running real pipelines under Tekton, mirrored into ProwJobs and reported to the GitHub
// emulator; then `helm upgrade` to a changed config and `helm uninstall` leaving nothing.
//
// The node has no pod network and no kube-proxy, so the chart's hostNetwork value (meant for
// local clusters) puts the pods on the host's loopback, where the apiserver and the emulator
// listen, and KUBERNETES_SERVICE_HOST/PORT point them at the apiserver. Nothing host-wide
// outlives the test.
func TestInstalledChart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	kube, err := kubernetes.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.StartNode(ctx, t.Logf); err != nil {
		if errors.Is(err, localcluster.ErrNodeUnavailable) && os.Getenv(localcluster.RequireNodeEnv) == "" {
			t.Skipf("no local node: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.StopNode(); err != nil {
			t.Errorf("stopping the node: %v", err)
		}
		if left := cluster.NodeTraces(); len(left) > 0 {
			t.Errorf("the node left traces on the host: %v", left)
		}
	})
	if err := cluster.StartControllerManager(ctx, t.Logf); err != nil {
		t.Fatal(err)
	}
	if err := cluster.StartTekton(ctx, t.Logf); err != nil {
		t.Fatal(err)
	}

	// The images, as `make images` builds them.
	began := time.Now()
	imagesDir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "run", "./hack/images", "--out", imagesDir)
	build.Dir = repo
	build.Env = append(os.Environ(), "IMAGE_REPO="+imageRepo, "VERSION="+imageTag)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the images: %v\n%s", err, out)
	}
	t.Logf("INSTALL images built in %s", time.Since(began).Round(time.Millisecond))
	if err := cluster.ImportImages(ctx, filepath.Join(imagesDir, "hook.tar"), filepath.Join(imagesDir, "controller.tar")); err != nil {
		t.Fatal(err)
	}

	gh := fakegithub.New()
	defer gh.Close()
	pr := framework.PullRequest{Org: "acme", Repo: "widgets", Number: 9, Author: "alice", Association: "MEMBER",
		HeadSHA: strings.Repeat("e", 40), BaseRef: "main", BaseSHA: strings.Repeat("f", 40)}
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	gh.AddPullRequest(pr.Org, pr.Repo, obj)

	apiserver, err := url.Parse(cluster.RESTConfig().Host)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := localcluster.FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	hookPort := ports[0]
	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	writeValues := func(config string) {
		t.Helper()
		values := fmt.Sprintf(`image: {repository: %s, tag: %s, pullPolicy: Never}
hmacToken: %s
oauthToken: emulator-token
github: {endpoint: %q}
hostNetwork: true
env:
- {name: KUBERNETES_SERVICE_HOST, value: %q}
- {name: KUBERNETES_SERVICE_PORT, value: %q}
hook: {replicaCount: 1, port: %d, metricsPort: %d, probesPort: %d}
controller: {metricsPort: %d, probesPort: %d}
plugins:
  plugins:
    acme: [trigger]
config:
%s`, imageRepo, imageTag, webhookSecret, gh.URL(), apiserver.Hostname(), apiserver.Port(),
			ports[0], ports[1], ports[2], ports[3], ports[4], indent(config, "  "))
		if err := os.WriteFile(valuesFile, []byte(values), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	helm := func(args ...string) {
		t.Helper()
		out, err := tool(ctx, "helm", append(args, "--kubeconfig", cluster.KubeconfigPath())...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	defer func() {
		if t.Failed() {
			logPods(ctx, t, kube)
		}
	}()

	writeValues(installedConfig("unit"))
	began = time.Now()
	helm("install", "bosun", filepath.Join(repo, "charts/bosun"), "--namespace", installNamespace, "--create-namespace", "-f", valuesFile)
	waitReady(ctx, t, kube, 1, 1)
	t.Logf("INSTALL helm install -> hook and controller Ready in %s", time.Since(began).Round(time.Millisecond))

	hookURL := "http://127.0.0.1:" + strconv.Itoa(hookPort) + "/hook"
	send := func(eventType, delivery string, body []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := webhook.Send(ctx, http.DefaultClient, hookURL, eventType, delivery, body, []byte(webhookSecret))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", eventType, resp.StatusCode)
		}
	}
	prowJobs, err := prowjobclientset.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	waitJob := func(job, sha string) time.Duration {
		t.Helper()
		start := time.Now()
		err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
			list, err := prowJobs.ProwV1().ProwJobs(installNamespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.JobLabel + "=" + job})
			if err != nil {
				return false, err
			}
			for _, pj := range list.Items {
				if pj.Spec.Refs != nil && len(pj.Spec.Refs.Pulls) == 1 && pj.Spec.Refs.Pulls[0].SHA == sha && pj.Status.State == prowjobsv1.SuccessState {
					status, ok := gh.LatestStatus(pr.Org, pr.Repo, sha, job)
					return ok && status.GetState() == "success", nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("job %s at %s never succeeded with its status reported: %v", job, sha[:7], err)
		}
		return time.Since(start)
	}

	began = time.Now()
	body, err := framework.PullRequestPayload("opened", pr)
	send("pull_request", "installed-1", body, err)
	waitJob("unit", pr.HeadSHA)
	t.Logf("INSTALL PR webhook -> installed bosun ran the job on the node and reported success in %s", time.Since(began).Round(time.Millisecond))
	runs, err := dynamicClient(t).Resource(schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: "pipelineruns"}).
		Namespace(installNamespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.JobLabel + "=unit"})
	if err != nil || len(runs.Items) != 1 {
		t.Fatalf("PipelineRuns of unit: %v (err %v), want 1", len(runs.Items), err)
	}

	// helm upgrade to a config with a second job: the pods roll (the config's checksum
	// changed) and the next push runs both.
	writeValues(installedConfig("unit", "lint"))
	began = time.Now()
	helm("upgrade", "bosun", filepath.Join(repo, "charts/bosun"), "--namespace", installNamespace, "-f", valuesFile)
	waitRolled(ctx, t, kube)
	t.Logf("INSTALL helm upgrade -> new pods Ready in %s", time.Since(began).Round(time.Millisecond))
	pr.HeadSHA = strings.Repeat("d", 40)
	obj, err = framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	gh.AddPullRequest(pr.Org, pr.Repo, obj)
	body, err = framework.PullRequestPayload("synchronize", pr)
	send("pull_request", "installed-2", body, err)
	waitJob("unit", pr.HeadSHA)
	waitJob("lint", pr.HeadSHA)

	// helm uninstall leaves nothing of the release; the CRD and the ProwJobs (users' data)
	// stay, as the chart documents.
	began = time.Now()
	helm("uninstall", "bosun", "--namespace", installNamespace, "--wait", "--timeout", "2m")
	waitGone(ctx, t, kube)
	t.Logf("INSTALL helm uninstall -> nothing left in %s", time.Since(began).Round(time.Millisecond))
}

func dynamicClient(t *testing.T) dynamic.Interface {
	t.Helper()
	client, err := dynamic.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func indent(s, prefix string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		b.WriteString(prefix + sc.Text() + "\n")
	}
	return b.String()
}

const instanceSelector = "app.kubernetes.io/instance=bosun"

// waitReady waits for the hook's and the controller's pods to be Ready.
func waitReady(ctx context.Context, t *testing.T, kube kubernetes.Interface, hooks, controllers int) {
	t.Helper()
	err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		pods, err := kube.CoreV1().Pods(installNamespace).List(ctx, metav1.ListOptions{LabelSelector: instanceSelector})
		if err != nil {
			return false, err
		}
		ready := map[string]int{}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				ready[p.Labels["app.kubernetes.io/component"]]++
			}
		}
		return ready["hook"] == hooks && ready["controller"] == controllers && len(pods.Items) == hooks+controllers, nil
	})
	if err != nil {
		t.Fatalf("the installed pods never became Ready: %v", err)
	}
}

// waitRolled waits until both Deployments have rolled out their newest ReplicaSet.
func waitRolled(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, name := range []string{"bosun-hook", "bosun-controller"} {
			d, err := kube.AppsV1().Deployments(installNamespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			replicas := int32(1)
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			if d.Status.ObservedGeneration < d.Generation || d.Status.UpdatedReplicas != replicas ||
				d.Status.AvailableReplicas != replicas || d.Status.Replicas != replicas {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the upgrade never rolled out: %v", err)
	}
	waitReady(ctx, t, kube, 1, 1)
}

// waitGone waits until nothing labelled with the release is left in its namespace.
func waitGone(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	var left []string
	err := framework.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		left = left[:0]
		opts := metav1.ListOptions{LabelSelector: instanceSelector}
		ns := installNamespace
		if l, err := kube.CoreV1().Pods(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "pod/"+o.Name)
			}
		}
		if l, err := kube.AppsV1().Deployments(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "deployment/"+o.Name)
			}
		}
		if l, err := kube.AppsV1().ReplicaSets(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "replicaset/"+o.Name)
			}
		}
		if l, err := kube.CoreV1().Services(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "service/"+o.Name)
			}
		}
		if l, err := kube.CoreV1().ConfigMaps(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "configmap/"+o.Name)
			}
		}
		if l, err := kube.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				left = append(left, "secret/"+o.Name) // helm's release records included
			}
		}
		if l, err := kube.CoreV1().ServiceAccounts(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "serviceaccount/"+o.Name)
			}
		}
		if l, err := kube.RbacV1().Roles(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "role/"+o.Name)
			}
		}
		if l, err := kube.RbacV1().RoleBindings(ns).List(ctx, opts); err == nil {
			for _, o := range l.Items {
				left = append(left, "rolebinding/"+o.Name)
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Fatalf("after helm uninstall, left: %v (%v)", left, err)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// logPods prints the installed pods' states and logs, for a failed run.
func logPods(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	pods, err := kube.CoreV1().Pods(installNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("listing pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		t.Logf("pod %s: phase %s, conditions %+v, statuses %+v", p.Name, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
		for _, c := range p.Spec.Containers {
			logs, err := kube.CoreV1().Pods(installNamespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, TailLines: ptrTo(int64(40))}).DoRaw(ctx)
			t.Logf("logs of %s/%s (err %v):\n%s", p.Name, c.Name, err, logs)
		}
	}
	events, err := kube.CoreV1().Events(installNamespace).List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, e := range events.Items {
			t.Logf("event %s %s: %s %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
}
