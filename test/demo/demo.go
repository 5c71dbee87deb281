package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

	step("Building bosun's hook and controller")
	root, err := localcluster.RepoRoot()
	if err != nil {
		return err
	}
	binDir := filepath.Join(work, "bin")
	build := exec.CommandContext(ctx, "go", "build", "-o", binDir+string(os.PathSeparator), "./cmd/hook", "./cmd/controller")
	build.Dir, build.Stdout, build.Stderr = root, os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

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

	files := map[string]string{"config.yaml": configYAML, "plugins.yaml": pluginsYAML, "hmac": secret, "token": "demo-token"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	hookAddr, err := freeAddr()
	if err != nil {
		return err
	}
	step("Starting bosun: hook on " + hookAddr + ", controller with the GitHub reporter")
	kubeconfig := env.Cluster.KubeconfigPath()
	hook, err := startProcess(ctx, work, filepath.Join(binDir, "hook"), "--addr", hookAddr,
		"--config-path", filepath.Join(work, "config.yaml"), "--plugin-config", filepath.Join(work, "plugins.yaml"),
		"--hmac-secret-file", filepath.Join(work, "hmac"), "--kubeconfig", kubeconfig,
		"--github-endpoint", env.GitHub.URL(), "--github-token-path", filepath.Join(work, "token"))
	if err != nil {
		return err
	}
	defer hook.stop()
	controller, err := startProcess(ctx, work, filepath.Join(binDir, "controller"), "--kubeconfig", kubeconfig,
		"--github-endpoint", env.GitHub.URL(), "--github-token-path", filepath.Join(work, "token"), "--metrics-addr", "")
	if err != nil {
		return err
	}
	defer controller.stop()
	if err := waitHTTP(ctx, "http://"+hookAddr+"/healthz"); err != nil {
		return fmt.Errorf("hook never became healthy (log %s): %w", hook.logPath, err)
	}

	step("GitHub: alice opens pull request acme/widgets#42 (a signed pull_request webhook)")
	body, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		return err
	}
	if err := send(ctx, hookAddr, "pull_request", "demo-delivery-1", body); err != nil {
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
	if err := send(ctx, hookAddr, "issue_comment", "demo-delivery-2", comment); err != nil {
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
		cmd := exec.CommandContext(ctx, tkn, "pipelinerun", "list", "-n", namespace, "--kubeconfig", kubeconfig)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err == nil {
			return nil
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

func send(ctx context.Context, addr, eventType, delivery string, body []byte) error {
	start := time.Now()
	resp, err := webhook.Send(ctx, http.DefaultClient, "http://"+addr+"/hook", eventType, delivery, body, []byte(secret))
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

type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func startProcess(ctx context.Context, dir, path string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, filepath.Base(path)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func step(s string) { fmt.Printf("\n==> %s\n", strings.TrimSpace(s)) }
