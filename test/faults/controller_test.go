package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
)

const (
	crashNamespace = "faults-crash"
	crashSecret    = "crash-secret"
	// crashPulls pull requests, each with unit and lint: the 300-job burst.
	crashPulls = 150
	// crashKillRunsAt is how many PipelineRuns exist when the first kill comes (mid-burst),
	// crashKillFinalsAt how many final statuses are posted when the second comes.
	crashKillRunsAt   = 100
	crashKillFinalsAt = 150
	// reporterWorkers is the controller's default --reporter-workers: how many final
	// statuses can be in the middle of their post when a kill comes.
	reporterWorkers = 4
	// flushWindowPosts bounds the pending statuses a kill can make the restarted reporter
	// post again: those posted in the ledger's last 250 ms gathering window before the kill,
	// with the posts in flight, at the burst's rate on this machine.
	flushWindowPosts = 40
)

// TestControllerCrashes kills the controller with SIGKILL twice: in the middle of a burst
// of 300 jobs (while it creates their PipelineRuns), and in the middle of reporting their
// results, starting it again right after each kill. The test plays Tekton and ends the runs,
// half of the pull requests passing and half failing.
//
// Afterwards every ProwJob has exactly one PipelineRun, every job ended in the state its run
// did (mirrored), GitHub shows each job's context in that state, and no state was posted
// twice beyond the stated bound of a kill -9: the final statuses in the middle of their post
// (at most one per reporter worker) and the pending statuses of the ledger's last gathering
// window (flushWindowPosts).
func TestControllerCrashes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)
	if err := env.Cluster.CreateNamespace(ctx, crashNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{
		ConfigYAML: jobConfig(crashNamespace, "resync:\n  interval: 0s\n"), PluginsYAML: pluginConfig, Secret: crashSecret,
	})
	began := time.Now()

	// The burst: every pull request opened at once, 8 deliveries at a time.
	sendErrs := make(chan error, 1)
	go func() { sendErrs <- openPulls(ctx, env, bosun.HookURL, crashSecret, "crash", 1, crashPulls) }()

	// Kill 1, mid-burst.
	if err := pollRuns(ctx, env, crashNamespace, crashKillRunsAt); err != nil {
		t.Fatalf("before the first kill: %v", err)
	}
	bosun.KillController()
	killedAt := time.Now()
	if err := bosun.RestartController(); err != nil {
		t.Fatal(err)
	}
	if err := <-sendErrs; err != nil {
		t.Fatal(err)
	}
	if err := pollRuns(ctx, env, crashNamespace, 2*crashPulls); err != nil {
		t.Fatalf("after the first kill: %v", err)
	}
	runsBackAfter := time.Since(killedAt)
	// Every run reported pending before the results come.
	if err := pollStatuses(ctx, env, crashPulls, func(c statusCounts) bool { return c.pendingContexts == 2*crashPulls }); err != nil {
		t.Fatalf("pending statuses: %v", err)
	}

	// The results, and kill 2 in the middle of reporting them.
	finishErrs := make(chan error, 1)
	go func() { finishErrs <- finishRuns(ctx, env, crashNamespace) }()
	if err := pollStatuses(ctx, env, crashPulls, func(c statusCounts) bool { return c.finalContexts >= crashKillFinalsAt }); err != nil {
		t.Fatalf("before the second kill: %v", err)
	}
	bosun.KillController()
	if err := bosun.RestartController(); err != nil {
		t.Fatal(err)
	}
	if err := <-finishErrs; err != nil {
		t.Fatal(err)
	}

	// Every job mirrored and reported.
	var mirrored int
	err := framework.Poll(ctx, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		mirrored = 0
		for _, pj := range listProwJobs(ctx, t, env, crashNamespace) {
			if pj.Status.State == expectedState(&pj) {
				mirrored++
			}
		}
		return mirrored == 2*crashPulls, nil
	})
	if err != nil {
		t.Errorf("%d of %d jobs mirrored their run's end: %v", mirrored, 2*crashPulls, err)
	}
	if err := pollStatuses(ctx, env, crashPulls, func(c statusCounts) bool { return c.finalContexts == 2*crashPulls && c.wrongLatest == 0 }); err != nil {
		t.Errorf("final statuses: %v", err)
	}
	pjs := listProwJobs(ctx, t, env, crashNamespace)
	runs, err := env.Tekton.TektonV1().PipelineRuns(crashNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runNames := map[string]int{}
	for _, pr := range runs.Items {
		runNames[pr.Labels[prowjobsv1.ProwJobIDLabel]]++
	}
	runsWrong := 0
	for _, pj := range pjs {
		if runNames[pj.Name] != 1 {
			runsWrong++
		}
	}
	c := countStatuses(env, crashPulls)
	if err := bosun.Exited(); err != nil {
		t.Errorf("a binary exited: %v", err)
	}
	reportFault(t, "controller-crash", "events", crashPulls, "jobs", len(pjs), "runs", len(runs.Items), "runs_wrong", runsWrong,
		"kills", 2, "mirrored", mirrored, "pending_doubled", c.pendingDoubled, "final_doubled", c.finalDoubled,
		"wrong_latest", c.wrongLatest, "runs_back_after_kill_s", runsBackAfter.Seconds(), "total_s", time.Since(began).Seconds())
	if len(pjs) != 2*crashPulls || runsWrong != 0 || len(runs.Items) != 2*crashPulls {
		t.Errorf("%d ProwJobs, %d PipelineRuns, %d jobs without exactly one run; want %d, %d, 0", len(pjs), len(runs.Items), runsWrong, 2*crashPulls, 2*crashPulls)
	}
	if c.finalDoubled > 2*reporterWorkers {
		t.Errorf("%d final statuses posted twice, more than the %d posts two kills can interrupt", c.finalDoubled, 2*reporterWorkers)
	}
	if c.pendingDoubled > 2*flushWindowPosts {
		t.Errorf("%d pending statuses posted twice, more than two kills' gathering windows (%d)", c.pendingDoubled, 2*flushWindowPosts)
	}
}

// openPulls opens acme/widgets#first..#last on the emulator and delivers their opened
// events, 8 at a time, each until it is answered 200.
func openPulls(ctx context.Context, env *framework.Env, hookURL, secret, prefix string, first, last int) error {
	client := githubClient()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	errs := make(chan error, last-first+1)
	for n := first; n <= last; n++ {
		pr := pullRequest(n, sha(n))
		obj, err := framework.PullRequestObject(pr)
		if err != nil {
			return err
		}
		env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
		body, err := framework.PullRequestPayload("opened", pr)
		if err != nil {
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			guid := fmt.Sprintf("%s-%d", prefix, n)
			for attempt := 0; ; attempt++ {
				code, err := deliver(ctx, client, hookURL, "pull_request", guid, body, []byte(secret))
				if code == 200 {
					return
				}
				if attempt == 5 || ctx.Err() != nil {
					errs <- fmt.Errorf("delivery %s: answer %d, %v", guid, code, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// pollRuns waits until the namespace holds at least n PipelineRuns.
func pollRuns(ctx context.Context, env *framework.Env, namespace string, n int) error {
	got := 0
	err := framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		got = len(list.Items)
		return got >= n, nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d PipelineRuns: %w", got, n, err)
	}
	return nil
}

// passes is whether the runs of pull request number pass: the even ones do.
func passes(number int) bool { return number%2 == 0 }

// expectedState is the state a job ends in once the test has ended its run.
func expectedState(pj *prowjobsv1.ProwJob) prowjobsv1.ProwJobState {
	if pj.Spec.Refs == nil || len(pj.Spec.Refs.Pulls) == 0 {
		return ""
	}
	if passes(pj.Spec.Refs.Pulls[0].Number) {
		return prowjobsv1.SuccessState
	}
	return prowjobsv1.FailureState
}

// finishRuns ends every PipelineRun of the namespace as Tekton does, passing or failing as
// passes says for its pull request, 16 at a time.
func finishRuns(ctx context.Context, env *framework.Env, namespace string) error {
	list, err := env.Tekton.TektonV1().PipelineRuns(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make(chan error, len(list.Items))
	for _, pr := range list.Items {
		var number int
		if _, err := fmt.Sscan(pr.Labels[prowjobsv1.PullLabel], &number); err != nil {
			return fmt.Errorf("PipelineRun %s has no pull request label: %w", pr.Name, err)
		}
		status, reason := corev1.ConditionTrue, framework.Succeeded
		if !passes(number) {
			status, reason = corev1.ConditionFalse, framework.Failed
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := env.SetPipelineRunCondition(ctx, namespace, pr.Name, status, reason, "the test ended it"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// statusCounts are what GitHub holds of the automatic jobs' statuses on pull requests 1..n.
type statusCounts struct {
	// pendingContexts and finalContexts count the (head, context) pairs with at least one
	// pending and one final status.
	pendingContexts, finalContexts int
	// pendingDoubled and finalDoubled count the posts beyond the first of a state.
	pendingDoubled, finalDoubled int
	// wrongLatest counts the contexts whose latest status is final but not what the run
	// ended as.
	wrongLatest int
}

func countStatuses(env *framework.Env, n int) statusCounts {
	var c statusCounts
	for number := 1; number <= n; number++ {
		want := "failure"
		if passes(number) {
			want = "success"
		}
		byContext := map[string][]string{}
		for _, st := range env.GitHub.Statuses("acme", "widgets", sha(number)) {
			byContext[st.GetContext()] = append(byContext[st.GetContext()], st.GetState())
		}
		for _, job := range automaticJobs {
			pending, final := 0, 0
			for _, state := range byContext[job] {
				if state == "pending" {
					pending++
				} else {
					final++
				}
			}
			if pending > 0 {
				c.pendingContexts++
				c.pendingDoubled += pending - 1
			}
			if final > 0 {
				c.finalContexts++
				c.finalDoubled += final - 1
				if latest, ok := env.GitHub.LatestStatus("acme", "widgets", sha(number), job); ok && latest.GetState() != want {
					c.wrongLatest++
				}
			}
		}
	}
	return c
}

// pollStatuses waits until the statuses of pull requests 1..n satisfy done.
func pollStatuses(ctx context.Context, env *framework.Env, n int, done func(statusCounts) bool) error {
	var c statusCounts
	err := framework.Poll(ctx, 50*time.Millisecond, func(context.Context) (bool, error) {
		c = countStatuses(env, n)
		return done(c), nil
	})
	if err != nil {
		return fmt.Errorf("statuses %+v: %w", c, err)
	}
	return nil
}
