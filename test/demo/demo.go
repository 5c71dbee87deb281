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
	"k8s.io/client-go/kubernetes"
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

// configYAML's jobs run real steps on the local node, in the busybox image built from the
// host's busybox: unit passes, lint fails with exit code 1, integration runs on /test.
var configYAML = `prowjob_namespace: ` + namespace + `
pod_namespace: ` + namespace + `
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
                echo "go test ./... (PR #$(params.PULL_NUMBER) at $(params.PULL_PULL_SHA))"
                echo "ok   acme/widgets/pkg/frob   0.012s"
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
                echo "pkg/frob/frob.go:12:1: exported function Frob should have a comment"
                exit 1
  - name: integration
    always_run: false
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: integration
          taskSpec:
            steps:
            - name: run
              image: ` + localcluster.BusyboxImage + `
              script: |
                #!/bin/sh
                echo "starting the integration suite on $(hostname)"
                sleep 1
                echo "PASS: 3 scenarios"
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

	step("Starting a one-node cluster: etcd + kube-apiserver (ProwJob and Tekton CRDs), containerd + kubelet +")
	fmt.Println("    kube-scheduler, Tekton Pipelines' own controller; and the GitHub API emulator")
	env, err := framework.Start(ctx, framework.Options{NoControllers: true, Node: true, Logf: func(f string, a ...any) { fmt.Printf("  "+f+"\n", a...) }})
	if err != nil {
		if framework.IsNoNode(err) {
			return fmt.Errorf("%w\n(the demo runs pipelines on a real local node: run it as root after `make node`)", err)
		}
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
	sent := time.Now()
	if err := send(ctx, bosun.HookURL, "pull_request", "demo-delivery-1", body); err != nil {
		return err
	}
	if err := waitReported(ctx, env, pr.HeadSHA, 2); err != nil {
		return err
	}
	fmt.Printf("  unit and lint ran on the node; both reported to GitHub %s after the webhook\n", time.Since(sent).Round(time.Millisecond))

	step("GitHub: bob comments \"/test integration\" on #42 (a signed issue_comment webhook)")
	comment, err := framework.CommentPayload(pr, "bob", "COLLABORATOR", "/test integration")
	if err != nil {
		return err
	}
	sent = time.Now()
	if err := send(ctx, bosun.HookURL, "issue_comment", "demo-delivery-2", comment); err != nil {
		return err
	}
	if err := waitReported(ctx, env, pr.HeadSHA, 3); err != nil {
		return err
	}
	fmt.Printf("  integration ran and was reported %s after the comment\n", time.Since(sent).Round(time.Millisecond))

	step("ProwJobs (kubectl get prowjobs -n " + namespace + ")")
	if err := printProwJobs(ctx, env); err != nil {
		return err
	}
	step("PipelineRuns, as Tekton's controller left them (tkn pipelinerun list / describe / logs)")
	if err := printPipelineRuns(ctx, env, kubeconfig); err != nil {
		return err
	}
	step("Commit statuses the GitHub emulator received for " + org + "/" + repo + "@" + pr.HeadSHA[:7])
	printStatuses(env, pr.HeadSHA)
	fmt.Printf("\nGitHub API requests bosun made: %d (hook and controller together)\n", env.GitHub.CallCount())
	fmt.Printf("Demo finished in %s; stopping bosun, Tekton, the node (cleaning its host traces), kube-apiserver and etcd.\n", time.Since(began).Round(time.Second))
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

// printPipelineRuns shows the runs with tkn when it has been built (make tkn): the list, the
// failed lint run described and its logs. Without tkn, the same facts come from the API: the
// runs' conditions and the step containers' logs.
func printPipelineRuns(ctx context.Context, env *framework.Env, kubeconfig string) error {
	list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var lintRun string
	for _, pr := range list.Items {
		if pr.Labels[prowjobsv1.JobLabel] == "lint" {
			lintRun = pr.Name
		}
	}
	tkn := filepath.Join(localcluster.DefaultBinDir(), "tkn")
	if _, err := os.Stat(tkn); err == nil {
		ok := true
		for _, args := range [][]string{
			{"pipelinerun", "list"},
			{"pipelinerun", "describe", lintRun},
			{"pipelinerun", "logs", lintRun},
		} {
			fmt.Printf("\n  $ tkn %s\n", strings.Join(args, " "))
			cmd := exec.CommandContext(ctx, tkn, append(args, "-n", namespace, "--kubeconfig", kubeconfig)...)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		fmt.Println("  (tkn failed; showing the runs from the API)")
	} else {
		fmt.Println("  (tkn is not built: `make tkn` builds it once, ~13 min; the same facts from the API below)")
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
	if err := w.Flush(); err != nil {
		return err
	}
	return printStepLogs(ctx, env)
}

// printStepLogs prints every run's step output and exit code, read from the node through the
// apiserver (what `tkn pipelinerun logs` shows).
func printStepLogs(ctx context.Context, env *framework.Env) error {
	kube, err := kubernetes.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		return err
	}
	pods, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pod := range pods.Items {
		for _, st := range pod.Status.ContainerStatuses {
			if !strings.HasPrefix(st.Name, "step-") || st.State.Terminated == nil {
				continue
			}
			logs, err := kube.CoreV1().Pods(namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: st.Name}).DoRaw(ctx)
			if err != nil {
				return fmt.Errorf("logs of %s/%s: %w", pod.Name, st.Name, err)
			}
			fmt.Printf("\n  [%s : %s] exit code %d\n", pod.Labels["tekton.dev/pipelineRun"], st.Name, st.State.Terminated.ExitCode)
			for _, line := range strings.Split(strings.TrimRight(string(logs), "\n"), "\n") {
				fmt.Printf("    %s\n", line)
			}
		}
	}
	return nil
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
