package integration

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
)

// comment sends an issue_comment "created" webhook and requires a 200.
func (r *repoEnv) comment(pr framework.PullRequest, delivery, user, association, body string) {
	r.t.Helper()
	payload, err := framework.CommentPayload(pr, user, association, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if code := r.send(r.hook, "issue_comment", delivery, payload, r.hook.Secret); code != http.StatusOK {
		r.t.Fatalf("comment %q answered %d", body, code)
	}
}

// pullRequest sends a pull_request webhook and requires a 200.
func (r *repoEnv) pullRequest(action, delivery string, pr framework.PullRequest) {
	r.t.Helper()
	payload, err := framework.PullRequestPayload(action, pr)
	if err != nil {
		r.t.Fatal(err)
	}
	if code := r.send(r.hook, "pull_request", delivery, payload, r.hook.Secret); code != http.StatusOK {
		r.t.Fatalf("pull_request %s answered %d", action, code)
	}
}

// seed puts the pull request on the emulator, as GitHub has it.
func (r *repoEnv) seed(pr framework.PullRequest) {
	r.t.Helper()
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		r.t.Fatal(err)
	}
	env.GitHub.AddPullRequest(r.org, r.repo, obj)
}

func TestUntrustedPullRequestRunsNothingUntilOkToTest(t *testing.T) {
	r := newRepoEnv(t)
	pr := r.pr(21, sha(21))
	pr.Author, pr.Association = "mallory", "CONTRIBUTOR"
	r.seed(pr)

	r.pullRequest("opened", "untrusted-opened", pr)
	if got := len(r.prowJobs()); got != 0 {
		t.Fatalf("an untrusted PR created %d ProwJobs, want 0", got)
	}
	if labels := env.GitHub.Labels(r.org, r.repo, pr.Number); !slices.Contains(labels, "needs-ok-to-test") {
		t.Errorf("labels = %v, want needs-ok-to-test", labels)
	}
	if comments := env.GitHub.Comments(r.org, r.repo, pr.Number); len(comments) != 1 || !strings.Contains(comments[0].GetBody(), "/ok-to-test") {
		t.Errorf("want one comment explaining /ok-to-test, got %d", len(comments))
	}

	// Another untrusted user cannot vouch, and is told so.
	r.comment(pr, "untrusted-vouch", "eve", "NONE", "/ok-to-test")
	if got := len(r.prowJobs()); got != 0 {
		t.Fatalf("/ok-to-test from an untrusted user created %d ProwJobs", got)
	}
	if comments := env.GitHub.Comments(r.org, r.repo, pr.Number); len(comments) != 2 || !strings.Contains(comments[1].GetBody(), "refused") {
		t.Errorf("want a refusal reply to eve's /ok-to-test")
	}

	// A member vouches: the label flips and the automatic jobs run.
	r.comment(pr, "trusted-vouch", "bob", "MEMBER", "/ok-to-test")
	if got := countJobs(r.prowJobs()); got["unit"] != 1 || got["lint"] != 1 || len(got) != 2 {
		t.Fatalf("after /ok-to-test: %v, want unit and lint", got)
	}
	labels := env.GitHub.Labels(r.org, r.repo, pr.Number)
	if !slices.Contains(labels, "ok-to-test") || slices.Contains(labels, "needs-ok-to-test") {
		t.Errorf("labels after /ok-to-test = %v, want ok-to-test only", labels)
	}
}

func TestNewCommitAbortsTheOlderCommitsRuns(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	first := r.pr(22, sha(22))
	r.pullRequest("opened", "sync-opened", first)
	old := r.jobsNamed()
	for _, pj := range old {
		waitForState(ctx, t, r, pj.Name, prowjobsv1.PendingState)
	}
	// lint finishes before the push; unit is still running.
	if err := env.SetPipelineRunCondition(ctx, r.namespace, old["lint"].Name, corev1.ConditionTrue, framework.Succeeded, "done"); err != nil {
		t.Fatal(err)
	}
	waitForState(ctx, t, r, old["lint"].Name, prowjobsv1.SuccessState)

	second := first
	second.HeadSHA = sha(2222)
	r.pullRequest("synchronize", "sync-pushed", second)

	aborted := waitForState(ctx, t, r, old["unit"].Name, prowjobsv1.AbortedState)
	if aborted.Status.Description != "Aborted by trigger plugin." {
		t.Errorf("aborted description = %q", aborted.Status.Description)
	}
	waitForRunStatus(ctx, t, r, old["unit"].Name, pipelinev1.PipelineRunSpecStatusCancelledRunFinally)
	if got, _ := env.ProwJobs.ProwV1().ProwJobs(r.namespace).Get(ctx, old["lint"].Name, metav1.GetOptions{}); got.Status.State != prowjobsv1.SuccessState {
		t.Errorf("the finished lint job became %s", got.Status.State)
	}
	var onNewCommit []string
	for _, pj := range r.prowJobs() {
		if pj.Spec.Refs.Pulls[0].SHA == second.HeadSHA {
			onNewCommit = append(onNewCommit, pj.Spec.Job)
		}
	}
	slices.Sort(onNewCommit)
	if !slices.Equal(onNewCommit, []string{"lint", "unit"}) {
		t.Errorf("jobs on the new commit = %v, want lint and unit", onNewCommit)
	}
	waitForStatus(ctx, t, r, first.HeadSHA, "unit", "failure")
}

func TestCancelCommandAbortsRunningJobs(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.pr(23, sha(23))
	r.seed(pr)
	r.pullRequest("opened", "cancel-opened", pr)
	jobs := r.jobsNamed()
	for _, pj := range jobs {
		waitForState(ctx, t, r, pj.Name, prowjobsv1.PendingState)
	}

	r.comment(pr, "cancel-lint", "bob", "COLLABORATOR", "/cancel lint")
	waitForState(ctx, t, r, jobs["lint"].Name, prowjobsv1.AbortedState)
	waitForRunStatus(ctx, t, r, jobs["lint"].Name, pipelinev1.PipelineRunSpecStatusCancelledRunFinally)
	if got, _ := env.ProwJobs.ProwV1().ProwJobs(r.namespace).Get(ctx, jobs["unit"].Name, metav1.GetOptions{}); got.Status.State != prowjobsv1.PendingState {
		t.Errorf("/cancel lint touched unit: %s", got.Status.State)
	}

	r.comment(pr, "cancel-all", "bob", "COLLABORATOR", "/cancel")
	got := waitForState(ctx, t, r, jobs["unit"].Name, prowjobsv1.AbortedState)
	if got.Status.Description != "Aborted by @bob with /cancel." {
		t.Errorf("description = %q", got.Status.Description)
	}
	waitForRunStatus(ctx, t, r, jobs["unit"].Name, pipelinev1.PipelineRunSpecStatusCancelledRunFinally)
}

func TestRetestRerunsFailedJobs(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.pr(24, sha(24))
	r.seed(pr)
	r.pullRequest("opened", "retest-opened", pr)
	jobs := r.jobsNamed()
	for _, pj := range jobs {
		waitForState(ctx, t, r, pj.Name, prowjobsv1.PendingState)
	}
	if err := env.SetPipelineRunCondition(ctx, r.namespace, jobs["unit"].Name, corev1.ConditionTrue, framework.Succeeded, "ok"); err != nil {
		t.Fatal(err)
	}
	if err := env.SetPipelineRunCondition(ctx, r.namespace, jobs["lint"].Name, corev1.ConditionFalse, framework.Failed, "bad"); err != nil {
		t.Fatal(err)
	}
	waitForStatus(ctx, t, r, pr.HeadSHA, "unit", "success")
	waitForStatus(ctx, t, r, pr.HeadSHA, "lint", "failure")

	r.comment(pr, "retest-1", "bob", "COLLABORATOR", "/retest")
	got := countJobs(r.prowJobs())
	if got["lint"] != 2 || got["unit"] != 1 {
		t.Fatalf("after /retest: %v, want lint rerun only", got)
	}
	for _, pj := range r.prowJobs() {
		if pj.Spec.Job == "lint" && pj.Name != jobs["lint"].Name && pj.Labels[prowjobsv1.RetestLabel] != "true" {
			t.Errorf("the rerun lacks the %s label", prowjobsv1.RetestLabel)
		}
	}
}

// waitForRunStatus waits until a PipelineRun's spec.status is want.
func waitForRunStatus(ctx context.Context, t *testing.T, r *repoEnv, name string, want pipelinev1.PipelineRunSpecStatus) {
	t.Helper()
	err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
		pr, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, name, metav1.GetOptions{})
		return err == nil && pr.Spec.Status == want, nil
	})
	if err != nil {
		t.Fatalf("PipelineRun %s never got spec.status %s: %v", name, want, err)
	}
}

func TestClosingOrDraftingAbortsRunningJobs(t *testing.T) {
	for _, action := range []string{"closed", "converted_to_draft"} {
		t.Run(action, func(t *testing.T) {
			r := newRepoEnv(t)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			pr := r.pr(25, sha(25))
			r.pullRequest("opened", action+"-opened", pr)
			jobs := r.jobsNamed()
			for _, pj := range jobs {
				waitForState(ctx, t, r, pj.Name, prowjobsv1.PendingState)
			}
			r.pullRequest(action, action+"-event", pr)
			for _, pj := range jobs {
				waitForState(ctx, t, r, pj.Name, prowjobsv1.AbortedState)
				waitForRunStatus(ctx, t, r, pj.Name, pipelinev1.PipelineRunSpecStatusCancelledRunFinally)
			}
			if got := len(r.prowJobs()); got != 2 {
				t.Errorf("%s created jobs: %d ProwJobs, want 2", action, got)
			}
		})
	}
}
