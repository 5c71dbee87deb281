// Package e2e runs bosun as it is deployed: the hook and controller binaries as processes,
// configured by files and flags, against a real kube-apiserver + etcd and the GitHub API
// emulator, with signed webhooks over HTTP.
package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	namespace = "e2e"
	secret    = "e2e-secret"
	config    = `prowjob_namespace: e2e
pod_namespace: e2e
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
periodics:
- name: nightly
  interval: 24h
  pipeline_run_spec:
    pipelineRef: {name: nightly}
`
	pluginConfig = "plugins:\n  acme: [trigger]\n"
)

func TestBinariesRunTheLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, bosun := startBosun(ctx, t, false, namespace, framework.BinaryOptions{WorkDir: t.TempDir(), ConfigYAML: config, PluginsYAML: pluginConfig, Secret: secret})

	pr := framework.PullRequest{Org: "acme", Repo: "widgets", Number: 5, Author: "alice", Association: "MEMBER",
		HeadSHA: strings.Repeat("a", 40), BaseRef: "main", BaseSHA: strings.Repeat("b", 40)}
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
	opened, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		t.Fatal(err)
	}
	comment, err := framework.CommentPayload(pr, "bob", "COLLABORATOR", "/test all")
	if err != nil {
		t.Fatal(err)
	}
	send := func(eventType, delivery string, body []byte) {
		t.Helper()
		resp, err := webhook.Send(ctx, http.DefaultClient, bosun.HookURL, eventType, delivery, body, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", eventType, resp.StatusCode)
		}
	}
	// Two jobs per event, each with its run; Tekton's part is played by the test.
	runs := env.Tekton.TektonV1().PipelineRuns(namespace)
	waitForRuns := func(n int) {
		t.Helper()
		err := framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
			list, err := runs.List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.TypeLabel + "=presubmit"})
			return err == nil && len(list.Items) == n, err
		})
		if err != nil {
			t.Fatalf("waiting for %d PipelineRuns: %v", n, err)
		}
	}
	send("pull_request", "e2e-1", opened)
	waitForRuns(2)
	send("issue_comment", "e2e-2", comment)
	waitForRuns(4)
	list, err := runs.List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.TypeLabel + "=presubmit"})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range list.Items {
		status, reason := corev1.ConditionTrue, framework.Succeeded
		if run.Labels[prowjobsv1.JobLabel] == "lint" {
			status, reason = corev1.ConditionFalse, framework.Failed
		}
		if err := env.SetPipelineRunCondition(ctx, namespace, run.Name, status, reason, reason); err != nil {
			t.Fatal(err)
		}
	}

	// The /test all runs supersede the still-running runs of the same jobs, which end
	// aborted and are not reported (GitHub shows each context's newest run); the newest
	// runs carry the results.
	want := map[string]prowjobsv1.ProwJobState{
		"e2e-1 unit": prowjobsv1.AbortedState, "e2e-1 lint": prowjobsv1.AbortedState,
		"e2e-2 unit": prowjobsv1.SuccessState, "e2e-2 lint": prowjobsv1.FailureState,
	}
	err = framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		pjs, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.TypeLabel + "=presubmit"})
		if err != nil || len(pjs.Items) != 4 {
			return false, err
		}
		for _, pj := range pjs.Items {
			key := pj.Labels[prowjobsv1.EventGUIDLabel] + " " + pj.Spec.Job
			wantReported := want[key]
			if wantReported == prowjobsv1.AbortedState {
				wantReported = ""
			}
			if pj.Status.State != want[key] || pj.Status.PrevReportStates["github-reporter"] != wantReported {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("ProwJobs never all finished and reported: %v", err)
	}
	for job, state := range map[string]string{"unit": "success", "lint": "failure"} {
		s, ok := env.GitHub.LatestStatus(pr.Org, pr.Repo, pr.HeadSHA, job)
		if !ok || s.GetState() != state {
			t.Errorf("status %s = %q, want %q", job, s.GetState(), state)
		}
	}

	// The controller was given the config: its horologium starts the never-run interval
	// periodic at once, exactly once, and the pipeline reconciler gives it a run.
	err = framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := runs.List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.TypeLabel + "=periodic"})
		return err == nil && len(list.Items) == 1, err
	})
	if err != nil {
		t.Fatalf("the nightly periodic never got its PipelineRun: %v", err)
	}
	periodics, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.TypeLabel + "=periodic"})
	if err != nil || len(periodics.Items) != 1 || periodics.Items[0].Spec.Job != "nightly" {
		t.Fatalf("periodic ProwJobs = %v (err %v), want one nightly", periodics, err)
	}
}
