package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"knative.dev/pkg/apis"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/localcluster"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	org       = "acme"
	repo      = "widgets"
	namespace = "bosun-demo"
	secret    = "demo-webhook-secret"
)

const configYAML = `prowjob_namespace: ` + namespace + `
pod_namespace: ` + namespace + `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: unit
          taskSpec:
            steps:
            - {name: test, image: busybox, script: "echo running unit tests for $(params.PULL_NUMBER)"}
  - name: lint
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: lint}
`

const pluginsYAML = `plugins:
  acme: [trigger]
`

func run(ctx context.Context) error {
	began := time.Now()
	work, err := os.MkdirTemp("", "bosun-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step("Starting etcd + kube-apiserver with the ProwJob and Tekton CRDs, and the GitHub API emulator")
	env, err := framework.Start(ctx, framework.Options{NoControllers: true, Logf: func(f string, a ...any) { fmt.Printf("  "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer env.Stop()
	if err := env.Cluster.CreateNamespace(ctx, namespace); err != nil {
		return err
	}
	pr := framework.PullRequest{Org: org, Repo: repo, Number: 42, Author: "alice", Association: "MEMBER",
		HeadSHA: "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e", BaseRef: "main", BaseSHA: "9d2c4b1a0e8f7d6c5b4a39281706f5e4d3c2b1a0"}
	prObject, err := framework.PullRequestObject(pr)
	if err != nil {
		return err
	}
	env.GitHub.AddPullRequest(org, repo, prObject)

	step("Building and starting bosun: the hook, and the controller with the GitHub reporter")
	bosun, err := env.StartBinaries(ctx, framework.BinaryOptions{WorkDir: work, ConfigYAML: configYAML, PluginsYAML: pluginsYAML, Secret: secret})
	if err != nil {
		return err
	}
	defer bosun.Stop()
	fmt.Printf("  hook at %s; logs in %v\n", bosun.HookURL, bosun.Logs())
	kubeconfig := env.Cluster.KubeconfigPath()

	step("GitHub: alice opens pull request acme/widgets#42 (a signed pull_request webhook)")
	body, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		return err
	}
	if err := send(ctx, bosun.HookURL, "pull_request", "demo-delivery-1", body); err != nil {
		return err
	}
	if err := advanceRuns(ctx, env, 2); err != nil {
		return err
	}

	step("GitHub: bob comments \"/test all\" on #42 (a signed issue_comment webhook)")
	comment, err := framework.CommentPayload(pr, "bob", "COLLABORATOR", "/test all")
	if err != nil {
		return err
	}
	if err := send(ctx, bosun.HookURL, "issue_comment", "demo-delivery-2", comment); err != nil {
		return err
	}
	if err := advanceRuns(ctx, env, 4); err != nil {
		return err
	}
	if err := waitReported(ctx, env, pr.HeadSHA, 4); err != nil {
		return err
	}

	step("ProwJobs (kubectl get prowjobs -n " + namespace + ")")
	if err := printProwJobs(ctx, env); err != nil {
		return err
	}
	step("PipelineRuns (tkn pipelinerun list -n " + namespace + ")")
	if err := printPipelineRuns(ctx, env, kubeconfig); err != nil {
		return err
	}
	step("Commit statuses the GitHub emulator received for " + org + "/" + repo + "@" + pr.HeadSHA[:7])
	printStatuses(env, pr.HeadSHA)
	fmt.Printf("\nGitHub API requests bosun made: %d (hook and controller together)\n", env.GitHub.CallCount())
	fmt.Printf("Demo finished in %s; stopping hook, controller, kube-apiserver and etcd.\n", time.Since(began).Round(time.Second))
	return nil
}

// advanceRuns waits until want PipelineRuns exist and finishes the new ones the way Tekton's
// controller would: the unit run succeeds, the lint run fails.
func advanceRuns(ctx context.Context, env *framework.Env, want int) error {
	runs := env.Tekton.TektonV1().PipelineRuns(namespace)
	err := framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := runs.List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) >= want, err
	})
	if err != nil {
		return fmt.Errorf("waiting for %d PipelineRuns: %w", want, err)
	}
	list, err := runs.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("  bosun created the ProwJobs and the controller created their PipelineRuns (%d in all).\n", len(list.Items))
	fmt.Println("  No Tekton controller runs in this local control plane yet (a later issue adds a real node and")
	fmt.Println("  Tekton), so the demo now sets each new run's Succeeded condition as Tekton would:")
	for _, pr := range list.Items {
		if pr.Status.GetCondition(apis.ConditionSucceeded) != nil {
			continue
		}
		job := pr.Labels[prowjobsv1.JobLabel]
		status, reason, msg := corev1.ConditionTrue, framework.Succeeded, "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0"
		if job == "lint" {
			status, reason, msg = corev1.ConditionFalse, framework.Failed, "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0"
		}
		if err := env.SetPipelineRunCondition(ctx, namespace, pr.Name, corev1.ConditionUnknown, "Running", ""); err != nil {
			return err
		}
		if err := env.SetPipelineRunCondition(ctx, namespace, pr.Name, status, reason, msg); err != nil {
			return err
		}
		fmt.Printf("    %s (%s): Succeeded=%s, reason %s\n", pr.Name, job, status, reason)
	}
	return nil
}

// waitReported waits until the emulator holds a final status for every job.
func waitReported(ctx context.Context, env *framework.Env, sha string, jobs int) error {
	return framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		done := 0
		for _, pj := range list.Items {
			if pj.Complete() && pj.Status.PrevReportStates["github-reporter"] == pj.Status.State {
				done++
			}
		}
		return done >= jobs, nil
	})
}

func printProwJobs(ctx context.Context, env *framework.Env) error {
	list, err := env.ProwJobs.ProwV1().ProwJobs(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tJOB\tTYPE\tSTATE\tDESCRIPTION\tEVENT-GUID\tAGE")
	for _, pj := range list.Items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pj.Name, pj.Spec.Job, pj.Spec.Type, pj.Status.State,
			pj.Status.Description, pj.Labels[prowjobsv1.EventGUIDLabel], duration.HumanDuration(time.Since(pj.CreationTimestamp.Time)))
	}
	return w.Flush()
}

// printPipelineRuns shows the runs with tkn when it has been built (make tkn), else in the
// same columns tkn prints.
func printPipelineRuns(ctx context.Context, env *framework.Env, kubeconfig string) error {
	tkn := filepath.Join(localcluster.DefaultBinDir(), "tkn")
	if _, err := os.Stat(tkn); err == nil {
		list := exec.CommandContext(ctx, tkn, "pipelinerun", "list", "-n", namespace, "--kubeconfig", kubeconfig)
		list.Stdout, list.Stderr = os.Stdout, os.Stderr
		if err := list.Run(); err == nil {
			fmt.Println("\n  tkn pipelinerun describe --last -n " + namespace + ":")
			describe := exec.CommandContext(ctx, tkn, "pipelinerun", "describe", "--last", "-n", namespace, "--kubeconfig", kubeconfig)
			describe.Stdout, describe.Stderr = os.Stdout, os.Stderr
			return describe.Run()
		}
		fmt.Println("  (tkn failed; listing the runs directly)")
	} else {
		fmt.Println("  (tkn is not built: `make tkn` builds it once, ~13 min; same columns below)")
	}
	list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTARTED\tDURATION\tSTATUS\tJOB")
	for _, pr := range list.Items {
		started, took, status := "---", "---", "---"
		if pr.Status.StartTime != nil {
			started = duration.HumanDuration(time.Since(pr.Status.StartTime.Time)) + " ago"
			if pr.Status.CompletionTime != nil {
				took = pr.Status.CompletionTime.Sub(pr.Status.StartTime.Time).Round(time.Second).String()
			}
		}
		if c := pr.Status.GetCondition(apis.ConditionSucceeded); c != nil {
			status = c.Reason
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", pr.Name, started, took, status, pr.Labels[prowjobsv1.JobLabel])
	}
	return w.Flush()
}

func printStatuses(env *framework.Env, sha string) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "#\tCONTEXT\tSTATE\tDESCRIPTION")
	for i, s := range env.GitHub.Statuses(org, repo, sha) {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", i+1, s.GetContext(), s.GetState(), s.GetDescription())
	}
	_ = w.Flush()
}

func send(ctx context.Context, url, eventType, delivery string, body []byte) error {
	start := time.Now()
	resp, err := webhook.Send(ctx, http.DefaultClient, url, eventType, delivery, body, []byte(secret))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	fmt.Printf("  hook answered %d in %s: %s", resp.StatusCode, time.Since(start).Round(time.Millisecond), msg)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("hook answered %d", resp.StatusCode)
	}
	return nil
}

func step(s string) { fmt.Printf("\n==> %s\n", strings.TrimSpace(s)) }
