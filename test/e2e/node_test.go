package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/localcluster"
	"github.com/bosun-ci/bosun/test/webhook"
)

const nodeNamespace = "e2e-node"

// nodeConfig's jobs run real steps in the local busybox image: unit passes, lint fails with
// exit code 2, slow runs until it is stopped.
var nodeConfig = `prowjob_namespace: ` + nodeNamespace + `
pod_namespace: ` + nodeNamespace + `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineSpec:
        params: [{name: PULL_NUMBER, type: string}, {name: PULL_PULL_SHA, type: string}]
        tasks:
        - name: unit
          taskSpec:
            steps:
            - name: test
              image: ` + localcluster.BusyboxImage + `
              script: |
                #!/bin/sh
                echo "unit tests of PR $(params.PULL_NUMBER) at $(params.PULL_PULL_SHA): ok"
  - name: lint
    always_run: true
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: lint
          taskSpec:
            steps:
            - name: vet
              image: ` + localcluster.BusyboxImage + `
              script: |
                #!/bin/sh
                echo "main.go:3:1: exported function Frob should have a comment"
                exit 2
  - name: slow
    always_run: false
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: soak
          taskSpec:
            steps:
            - name: soak
              image: ` + localcluster.BusyboxImage + `
              script: |
                #!/bin/sh
                echo soaking
                sleep 600
`

// TestRealTekton runs the hook and controller binaries against a real node with Tekton's own
// controller: steps really run, their exit codes decide the ProwJobs' states and the commit
// statuses, and aborts stop real pods, with the ProwJob ending aborted once Tekton reports
// the run cancelled.
func TestRealTekton(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, bosun := startOnNode(ctx, t, nodeNamespace, nodeConfig)
	kube := kubernetes.NewForConfigOrDie(env.Cluster.RESTConfig())
	prowJobs := env.ProwJobs.ProwV1().ProwJobs(nodeNamespace)
	runs := env.Tekton.TektonV1().PipelineRuns(nodeNamespace)

	pr := framework.PullRequest{Org: "acme", Repo: "widgets", Number: 7, Author: "alice", Association: "MEMBER",
		HeadSHA: strings.Repeat("c", 40), BaseRef: "main", BaseSHA: strings.Repeat("d", 40)}
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
	send := func(eventType, delivery string, body []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := webhook.Send(ctx, http.DefaultClient, bosun.HookURL, eventType, delivery, body, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", eventType, resp.StatusCode)
		}
	}
	jobOf := func(job string) func(ctx context.Context) (*prowjobsv1.ProwJob, error) {
		return func(ctx context.Context) (*prowjobsv1.ProwJob, error) {
			list, err := prowJobs.List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.JobLabel + "=" + job})
			if err != nil || len(list.Items) == 0 {
				return nil, err
			}
			newest := &list.Items[0]
			for i := range list.Items {
				if list.Items[i].CreationTimestamp.After(newest.CreationTimestamp.Time) {
					newest = &list.Items[i]
				}
			}
			return newest, nil
		}
	}
	waitState := func(job string, want prowjobsv1.ProwJobState) *prowjobsv1.ProwJob {
		t.Helper()
		var pj *prowjobsv1.ProwJob
		err := framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
			var err error
			pj, err = jobOf(job)(ctx)
			return pj != nil && pj.Status.State == want, err
		})
		if err != nil {
			t.Fatalf("job %s never reached %s (last: %+v): %v", job, want, pj, err)
		}
		return pj
	}

	// A PR opens: unit and lint really run.
	began := time.Now()
	body, err := framework.PullRequestPayload("opened", pr)
	send("pull_request", "node-1", body, err)
	unit := waitState("unit", prowjobsv1.SuccessState)
	lint := waitState("lint", prowjobsv1.FailureState)
	t.Logf("PR webhook -> both jobs finished on the node in %s", time.Since(began).Round(time.Millisecond))
	assertStep(ctx, t, kube, unit.Name, "step-test", 0, "unit tests of PR 7 at "+pr.HeadSHA+": ok")
	assertStep(ctx, t, kube, lint.Name, "step-vet", 2, "exported function Frob should have a comment")
	err = framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		u, ok1 := env.GitHub.LatestStatus(pr.Org, pr.Repo, pr.HeadSHA, "unit")
		l, ok2 := env.GitHub.LatestStatus(pr.Org, pr.Repo, pr.HeadSHA, "lint")
		return ok1 && ok2 && u.GetState() == "success" && l.GetState() == "failure", nil
	})
	if err != nil {
		t.Fatalf("commit statuses never became unit=success, lint=failure: %v", err)
	}

	// /test slow starts a run that would take ten minutes; /cancel slow stops it for real.
	body, err = framework.CommentPayload(pr, "bob", "COLLABORATOR", "/test slow")
	send("issue_comment", "node-2", body, err)
	slow := waitRunningStep(ctx, t, kube, jobOf("slow"))
	body, err = framework.CommentPayload(pr, "bob", "COLLABORATOR", "/cancel slow")
	send("issue_comment", "node-3", body, err)
	cancelled := waitRunCancelled(ctx, t, env, slow.Name)
	if pj, err := prowJobs.Get(ctx, slow.Name, metav1.GetOptions{}); err != nil || pj.Status.State != prowjobsv1.AbortedState {
		t.Errorf("after /cancel, job %s = %+v (err %v), want aborted", slow.Name, pj.Status, err)
	}
	if cancelled.Spec.Status != pipelinev1.PipelineRunSpecStatusCancelledRunFinally {
		t.Errorf("cancelled run spec.status = %q, want %q", cancelled.Spec.Status, pipelinev1.PipelineRunSpecStatusCancelledRunFinally)
	}
	assertPodsGone(ctx, t, kube, slow.Name)

	// A run cancelled behind bosun's back (what `tkn pipelinerun cancel` does) ends its job
	// aborted when Tekton reports the cancel, not failed.
	body, err = framework.CommentPayload(pr, "bob", "COLLABORATOR", "/test slow")
	send("issue_comment", "node-4", body, err)
	again := waitRunningStep(ctx, t, kube, func(ctx context.Context) (*prowjobsv1.ProwJob, error) {
		pj, err := jobOf("slow")(ctx)
		if pj != nil && pj.Name == slow.Name {
			return nil, err
		}
		return pj, err
	})
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"status": pipelinev1.PipelineRunSpecStatusCancelled}})
	if _, err := runs.Patch(ctx, again.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRunCancelled(ctx, t, env, again.Name)
	err = framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		pj, err := prowJobs.Get(ctx, again.Name, metav1.GetOptions{})
		return err == nil && pj.Status.State == prowjobsv1.AbortedState, err
	})
	if err != nil {
		t.Fatalf("job %s never ended aborted after its run was cancelled: %v", again.Name, err)
	}
	assertPodsGone(ctx, t, kube, again.Name)
}

// startOnNode starts the one-node cluster with Tekton's controller and bosun's binaries with
// config (see startBosun).
func startOnNode(ctx context.Context, t *testing.T, namespace, config string) (*framework.Env, *framework.Binaries) {
	t.Helper()
	return startBosun(ctx, t, true, namespace, framework.BinaryOptions{WorkDir: t.TempDir(), ConfigYAML: config, PluginsYAML: pluginConfig, Secret: secret})
}

// startBosun starts the control plane (with the node and Tekton's controller when onNode) and
// bosun's binaries with opts, in namespace, and registers their teardown: the binaries' logs
// (and Tekton's) are printed when the test failed, and a node must stop without errors and
// without traces on the host. It skips the test when the control plane (or the node) cannot
// run here, unless the environment requires it.
func startBosun(ctx context.Context, t *testing.T, onNode bool, namespace string, opts framework.BinaryOptions) (*framework.Env, *framework.Binaries) {
	t.Helper()
	env, err := framework.Start(ctx, framework.Options{NoControllers: true, Node: onNode, Logf: t.Logf})
	if err != nil {
		if onNode && framework.IsNoNode(err) && !framework.NodeRequired() {
			t.Skipf("no local node: %v", err)
		}
		if !onNode && framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			t.Skipf("no local control plane: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Stop()
		if !onNode {
			return
		}
		// Stop remembers its first result: the node's teardown errors, if any.
		if err := env.Cluster.Stop(); err != nil {
			t.Errorf("stopping the cluster and its node: %v", err)
		}
		if left := env.Cluster.NodeTraces(); len(left) > 0 {
			t.Errorf("the node left traces on the host: %v", left)
		}
	})
	if err := env.Cluster.CreateNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	bosun, err := env.StartBinaries(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bosun.Stop()
		if !t.Failed() {
			return
		}
		logs := bosun.Logs()
		if onNode {
			logs = append(logs, env.Cluster.WorkDir()+"/tekton-controller.log")
		}
		for _, path := range logs {
			data, _ := os.ReadFile(path)
			t.Logf("%s:\n%s", path, tail(string(data), 60))
		}
	})
	return env, bosun
}

// assertStep checks the real exit code and output of a run's step container.
func assertStep(ctx context.Context, t *testing.T, kube kubernetes.Interface, run, container string, wantExit int32, wantLog string) {
	t.Helper()
	pods, err := kube.CoreV1().Pods(nodeNamespace).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods of run %s: %d (err %v), want 1", run, len(pods.Items), err)
	}
	pod := pods.Items[0]
	exit := int32(-1)
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == container && st.State.Terminated != nil {
			exit = st.State.Terminated.ExitCode
		}
	}
	logs, err := kube.CoreV1().Pods(nodeNamespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("logs of %s/%s: %v", pod.Name, container, err)
	}
	if exit != wantExit || !strings.Contains(string(logs), wantLog) {
		t.Errorf("run %s step %s: exit %d, log %q; want exit %d and %q", run, container, exit, logs, wantExit, wantLog)
	}
}

// waitRunningStep waits for the job's pod to run its step, so an abort hits a live process.
func waitRunningStep(ctx context.Context, t *testing.T, kube kubernetes.Interface, job func(context.Context) (*prowjobsv1.ProwJob, error)) *prowjobsv1.ProwJob {
	t.Helper()
	var pj *prowjobsv1.ProwJob
	err := framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		if pj, err = job(ctx); pj == nil || err != nil {
			return false, err
		}
		pods, err := kube.CoreV1().Pods(nodeNamespace).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pj.Name})
		if err != nil || len(pods.Items) == 0 {
			return false, err
		}
		for _, st := range pods.Items[0].Status.ContainerStatuses {
			if st.Name == "step-soak" && st.State.Running != nil {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("the slow job's step never ran (last job %+v): %v", pj, err)
	}
	if pj.Status.State != prowjobsv1.PendingState {
		t.Errorf("job %s with a running step is %s, want pending", pj.Name, pj.Status.State)
	}
	return pj
}

// waitRunCancelled waits until Tekton itself reports the run cancelled.
func waitRunCancelled(ctx context.Context, t *testing.T, env *framework.Env, name string) *pipelinev1.PipelineRun {
	t.Helper()
	var run *pipelinev1.PipelineRun
	err := framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		run, err = env.Tekton.TektonV1().PipelineRuns(nodeNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		c := run.Status.GetCondition(apis.ConditionSucceeded)
		return c != nil && c.IsFalse() && c.Reason == pipelinev1.PipelineRunReasonCancelled.String(), nil
	})
	if err != nil {
		t.Fatalf("Tekton never reported run %s cancelled (status %+v): %v", name, run.Status.Conditions, err)
	}
	return run
}

// assertPodsGone waits for the cancelled run's pods to be deleted: the step really stopped.
func assertPodsGone(ctx context.Context, t *testing.T, kube kubernetes.Interface, run string) {
	t.Helper()
	err := framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		pods, err := kube.CoreV1().Pods(nodeNamespace).List(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run})
		if err != nil {
			return false, err
		}
		for _, pod := range pods.Items {
			if pod.Status.Phase == corev1.PodRunning || pod.Status.Phase == corev1.PodPending {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Errorf("run %s's pod still runs after the cancel: %v", run, err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestRealTektonConcurrency: with max_concurrency 2 and Tekton really running the steps, six
// pull requests' runs never overlap more than two at a time, start in the order their jobs
// were created, and all succeed.
func TestRealTektonConcurrency(t *testing.T) {
	const ns = "e2e-node-limits"
	limitedConfig := `prowjob_namespace: ` + ns + `
pod_namespace: ` + ns + `
presubmits:
  acme/widgets:
  - name: build
    always_run: true
    max_concurrency: 2
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: build
          taskSpec:
            steps:
            - name: build
              image: ` + localcluster.BusyboxImage + `
              script: |
                #!/bin/sh
                sleep 2
`
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, bosun := startOnNode(ctx, t, ns, limitedConfig)

	// Record the runs' lifetimes from a watch: created, and done when Tekton says so.
	type span struct{ created, done time.Time }
	var (
		spans = map[string]*span{}
		order []string // run names in creation order, as the watch saw them
	)
	w, err := env.Tekton.TektonV1().PipelineRuns(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	const prs = 6
	for i := 1; i <= prs; i++ {
		if i == prs/2+1 {
			// Creation timestamps have whole seconds: the second half of the jobs is created
			// in a later second than the first, so that their order is known.
			time.Sleep(1100 * time.Millisecond)
		}
		pr := framework.PullRequest{Org: "acme", Repo: "widgets", Number: 100 + i, Author: "alice", Association: "MEMBER",
			HeadSHA: strings.Repeat(string(rune('0'+i)), 40), BaseRef: "main", BaseSHA: strings.Repeat("d", 40)}
		body, err := framework.PullRequestPayload("opened", pr)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := webhook.Send(ctx, http.DefaultClient, bosun.HookURL, "pull_request", "limits-"+strconv.Itoa(i), body, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook %d answered %d", i, resp.StatusCode)
		}
	}

	maxRunning, finished := 0, 0
	for finished < prs {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d runs finished: %v", finished, prs, ctx.Err())
		case ev := <-w.ResultChan():
			run, ok := ev.Object.(*pipelinev1.PipelineRun)
			if !ok {
				continue
			}
			s := spans[run.Name]
			if s == nil {
				s = &span{created: time.Now()}
				spans[run.Name] = s
				order = append(order, run.Name)
			}
			if c := run.Status.GetCondition(apis.ConditionSucceeded); c != nil && !c.IsUnknown() && s.done.IsZero() {
				s.done = time.Now()
				finished++
				if !c.IsTrue() {
					t.Errorf("run %s: %s %s, want success", run.Name, c.Reason, c.Message)
				}
			}
			running := 0
			for _, other := range spans {
				if other.done.IsZero() {
					running++
				}
			}
			maxRunning = max(maxRunning, running)
		}
	}
	if maxRunning > 2 {
		t.Errorf("up to %d runs of the job at once, want at most max_concurrency 2", maxRunning)
	}
	if maxRunning < 2 {
		t.Errorf("never 2 runs at once (max %d): the limit was not used, the test proves nothing", maxRunning)
	}
	// The last runs' results reach their ProwJobs a moment after Tekton writes them.
	var pjs *prowjobsv1.ProwJobList
	err = framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		if pjs, err = env.ProwJobs.ProwV1().ProwJobs(ns).List(ctx, metav1.ListOptions{}); err != nil {
			return false, err
		}
		succeeded := 0
		for _, pj := range pjs.Items {
			if pj.Status.State == prowjobsv1.SuccessState {
				succeeded++
			}
		}
		return len(pjs.Items) == prs && succeeded == prs, nil
	})
	if err != nil {
		t.Fatalf("not all %d ProwJobs succeeded (%+v): %v", prs, pjs, err)
	}
	created := map[string]metav1.Time{}
	// Runs start in the order their ProwJobs were created. Only a later creation second is
	// a known order: jobs of the same second are ordered by name, and one of them may be
	// admitted before a same-second job with a smaller name exists. Jobs admitted together,
	// when both slots free at once, race to create their runs, so a run may overtake at most
	// max_concurrency-1 older ones.
	for _, pj := range pjs.Items {
		created[pj.Name] = pj.CreationTimestamp
	}
	older := func(x, y string) bool {
		return created[x].Time.Before(created[y].Time)
	}
	for i := range order {
		overtaken := 0
		for _, later := range order[i+1:] {
			if older(later, order[i]) {
				overtaken++
			}
		}
		if overtaken > 1 {
			t.Errorf("run %s started ahead of %d older jobs, more than a batch of 2 allows: order %v", order[i], overtaken, order)
		}
	}
	startedOrder := make([]string, len(order))
	for i, name := range order {
		startedOrder[i] = fmt.Sprintf("%s (created %s)", name[:8], created[name].Format("15:04:05"))
	}
	t.Logf("6 runs, at most %d at once, started in the order %v", maxRunning, startedOrder)
}
