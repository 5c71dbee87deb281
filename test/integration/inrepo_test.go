package integration

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/framework"
)

// inRepoProwYAML is a repository's own .prow.yaml: one automatic job and one on request.
const inRepoProwYAML = `presubmits:
- name: inrepo-unit
  always_run: true
  pipeline_run_spec:
    pipelineSpec:
      tasks:
      - name: unit
        taskSpec:
          steps:
          - {name: unit, image: busybox, script: "echo in-repo unit"}
- name: inrepo-e2e
  pipeline_run_spec:
    pipelineSpec:
      tasks:
      - name: e2e
        taskSpec:
          steps:
          - {name: e2e, image: busybox, script: "echo in-repo e2e"}
postsubmits:
- name: inrepo-release
  branches: [main]
  pipeline_run_spec:
    pipelineSpec:
      tasks:
      - name: release
        taskSpec:
          steps:
          - {name: release, image: busybox, script: "echo release"}
`

// A Jenkins X repository's .lighthouse/jenkins-x/: triggers naming PipelineRun files
// beside them, as jx's quickstarts lay them out.
const (
	lighthouseTriggers = `apiVersion: config.lighthouse.jenkins-x.io/v1alpha1
kind: TriggerConfig
spec:
  presubmits:
  - name: pr
    context: "pr"
    always_run: true
    optional: false
    source: "pullrequest.yaml"
`
	lighthousePullRequest = `apiVersion: tekton.dev/v1beta1
kind: PipelineRun
metadata:
  name: pullrequest
spec:
  pipelineSpec:
    tasks:
    - name: from-build-pack
      taskSpec:
        steps:
        - name: build-make-test
          image: golang:1.26
          script: |
            #!/bin/sh
            make test
`
)

// newInRepoEnv is newRepoEnv with in-repo config on for the repository.
func newInRepoEnv(t *testing.T) *repoEnv {
	t.Helper()
	r := newRepoEnv(t)
	central := jobConfig(r.namespace, r.org, r.repo) + fmt.Sprintf("in_repo_config:\n  enabled:\n    %s/%s: true\n", r.org, r.repo)
	cfg, err := config.LoadBytes("config.yaml", []byte(central))
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	r.hook = r.newHook(prowJobClient(t))
	return r
}

// pushMain sends a push of one commit, after, to main and requires a 200.
func (r *repoEnv) pushMain(delivery, before, after string) {
	r.t.Helper()
	payload, err := framework.PushPayload(framework.Push{Org: r.org, Repo: r.repo, Branch: "main", Before: before, Pusher: "alice",
		Commits: []framework.Commit{{SHA: after, Message: "release", Author: "alice", Modified: []string{"main.go"}}}})
	if err != nil {
		r.t.Fatal(err)
	}
	if code := r.send(r.hook, "push", delivery, payload, r.hook.Secret); code != http.StatusOK {
		r.t.Fatalf("push answered %d", code)
	}
}

// setFiles puts a repository's files at a commit.
func (r *repoEnv) setFiles(sha string, files map[string]string) {
	for p, content := range files {
		env.GitHub.SetFile(r.org, r.repo, sha, p, []byte(content))
	}
}

func TestInRepoJobsRunEndToEnd(t *testing.T) {
	r := newInRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.pr(41, sha(41))
	r.setFiles(pr.HeadSHA, map[string]string{
		".prow.yaml":                             inRepoProwYAML,
		".lighthouse/jenkins-x/triggers.yaml":    lighthouseTriggers,
		".lighthouse/jenkins-x/pullrequest.yaml": lighthousePullRequest,
		"main.go":                                "package main\n",
	})
	r.seed(pr)

	r.pullRequest("opened", "inrepo-opened", pr)
	got := countJobs(r.prowJobs())
	want := map[string]int{"unit": 1, "lint": 1, "inrepo-unit": 1, "pr": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("jobs after opened = %v, want %v (central and in-repo automatic jobs)", got, want)
	}
	jobs := r.jobsNamed()
	for _, name := range []string{"inrepo-unit", "pr"} {
		pj := jobs[name]
		waitForState(ctx, t, r, pj.Name, "pending")
		run, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, pj.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("PipelineRun of %s: %v", name, err)
		}
		if run.Spec.PipelineSpec == nil || len(run.Spec.PipelineSpec.Tasks) != 1 {
			t.Errorf("PipelineRun of %s has no pipelineSpec from the repository's file: %+v", name, run.Spec)
		}
	}

	// A second event for the same head reads nothing of the repository again.
	env.GitHub.Reset()
	r.comment(pr, "inrepo-test-e2e", "bob", "MEMBER", "/test inrepo-e2e")
	if got := countJobs(r.prowJobs())["inrepo-e2e"]; got != 1 {
		t.Errorf("/test inrepo-e2e ran it %d times, want once", got)
	}
	gitReads := 0
	for _, c := range env.GitHub.Calls() {
		if strings.Contains(c.Path, "/git/") {
			gitReads++
		}
	}
	if gitReads != 0 {
		t.Errorf("the comment on a head already read cost %d git reads, want 0", gitReads)
	}
	var calls []string
	for _, c := range env.GitHub.Calls() {
		calls = append(calls, c.Method+" "+c.Path)
	}
	fmt.Printf("FIGURE inrepo-github-calls comment_on_known_head=%d git_reads=%d calls=%q\n", len(calls), gitReads, calls)
}

func TestInRepoJobsOfUntrustedPullRequestsRunOnlyAtVouchedCommits(t *testing.T) {
	r := newInRepoEnv(t)
	first := r.pr(42, sha(42))
	first.Author, first.Association = "mallory", "CONTRIBUTOR"
	second := first
	second.HeadSHA = sha(4242)
	for _, p := range []framework.PullRequest{first, second} {
		r.setFiles(p.HeadSHA, map[string]string{".prow.yaml": inRepoProwYAML})
	}
	r.seed(first)

	r.pullRequest("opened", "untrusted-inrepo-opened", first)
	if n := len(r.prowJobs()); n != 0 {
		t.Fatalf("an untrusted pull request ran %d jobs", n)
	}
	r.comment(first, "untrusted-inrepo-vouch", "bob", "MEMBER", "/ok-to-test")
	if got := countJobs(r.prowJobs()); got["inrepo-unit"] != 1 || got["unit"] != 1 {
		t.Fatalf("after /ok-to-test: %v, want the central and the in-repo automatic jobs of the vouched commit", got)
	}

	// A new commit: ok-to-test keeps covering the central jobs, not the commit's own.
	second.Labels = []string{"ok-to-test"}
	r.seed(second)
	r.pullRequest("synchronize", "untrusted-inrepo-push", second)
	atSecond := map[string]int{}
	for _, pj := range r.prowJobs() {
		if pj.Spec.Refs.Pulls[0].SHA == second.HeadSHA {
			atSecond[pj.Spec.Job]++
		}
	}
	if atSecond["unit"] != 1 || atSecond["inrepo-unit"] != 0 {
		t.Fatalf("jobs at the unvouched commit = %v, want the central ones only", atSecond)
	}
	// A member asks for the in-repo job on the new commit: it runs there.
	r.comment(second, "untrusted-inrepo-test", "bob", "MEMBER", "/test inrepo-unit")
	n := 0
	for _, pj := range r.prowJobs() {
		if pj.Spec.Job == "inrepo-unit" && pj.Spec.Refs.Pulls[0].SHA == second.HeadSHA {
			n++
		}
	}
	if n != 1 {
		t.Errorf("/test inrepo-unit from a member ran it %d times at the new commit, want once", n)
	}
	// The author cannot ask for it.
	r.comment(second, "untrusted-inrepo-self", "mallory", "CONTRIBUTOR", "/test inrepo-e2e")
	if got := countJobs(r.prowJobs())["inrepo-e2e"]; got != 0 {
		t.Errorf("the untrusted author ran inrepo-e2e %d times", got)
	}
}

func TestBrokenInRepoConfigFailsAStatusAndRunsTheCentralJobs(t *testing.T) {
	r := newInRepoEnv(t)
	pr := r.pr(43, sha(43))
	r.setFiles(pr.HeadSHA, map[string]string{".prow.yaml": "presubmits:\n- name: inrepo-unit\n  alway_run: true\n"})
	r.seed(pr)
	r.pullRequest("opened", "broken-inrepo-opened", pr)
	if got := countJobs(r.prowJobs()); got["unit"] != 1 || got["lint"] != 1 || len(got) != 2 {
		t.Fatalf("jobs = %v, want the central ones", got)
	}
	var status *github.Status
	for _, s := range env.GitHub.Statuses(r.org, r.repo, pr.HeadSHA) {
		if s.GetContext() == trigger.ConfigStatusContext {
			status = &github.Status{State: s.GetState(), Description: s.GetDescription()}
		}
	}
	if status == nil || status.State != github.StatusFailure || !strings.Contains(status.Description, ".prow.yaml") || !strings.Contains(status.Description, "alway_run") {
		t.Errorf("config status = %+v, want a failure naming .prow.yaml and the key", status)
	}
}

func TestInRepoPostsubmitsRunOnPush(t *testing.T) {
	r := newInRepoEnv(t)
	after := sha(44)
	r.setFiles(after, map[string]string{".prow.yaml": inRepoProwYAML})
	r.pushMain("inrepo-push", sha(43), after)
	if got := countJobs(r.prowJobs()); got["publish"] != 1 || got["inrepo-release"] != 1 {
		t.Errorf("jobs after the push = %v, want publish and inrepo-release", got)
	}
}

// TestRealLighthouseRepositoryRunsUnchanged serves a real Jenkins X repository's
// .lighthouse/ (pkg/config/testdata/inrepo/krestomatio-container_builder, its source in the
// README there) as the repository's files: its pull request job and its release job run
// under bosun without edits, from its v1beta1 PipelineRun files.
func TestRealLighthouseRepositoryRunsUnchanged(t *testing.T) {
	r := newInRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	root := filepath.Join("..", "..", "pkg", "config", "testdata", "inrepo", "krestomatio-container_builder")
	files := map[string]string{}
	if err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pr := r.pr(45, sha(45))
	r.setFiles(pr.HeadSHA, files)
	r.seed(pr)
	r.pullRequest("opened", "real-lighthouse-opened", pr)
	job, ok := r.jobsNamed()["pr"]
	if !ok {
		t.Fatalf("the repository's pr job did not run: %v", countJobs(r.prowJobs()))
	}
	waitForState(ctx, t, r, job.Name, "pending")
	run, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, job.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Spec.PipelineSpec == nil || len(run.Spec.PipelineSpec.Tasks) == 0 {
		t.Errorf("the pr job's PipelineRun has no pipeline from pullrequest.yaml: %+v", run.Spec)
	}

	after := sha(4545)
	r.setFiles(after, files)
	r.pushMain("real-lighthouse-push", sha(45), after)
	if got := countJobs(r.prowJobs())["release"]; got != 1 {
		t.Errorf("the repository's release job ran %d times on a push to main, want once", got)
	}
}
