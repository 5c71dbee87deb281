package faults

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
)

const (
	commandsNamespace = "faults-commands"
	commandsSecret    = "commands-secret"
	// commandsBurst is how many comments each burst delivers; every one goes to both hook
	// replicas at once, and every third is redelivered once more on top.
	commandsBurst = 24
	// commandsWait bounds each wait of the case.
	commandsWait = 60 * time.Second
)

// commandsUsers are the trusted commenters: their author_association says so.
var commandsUsers = []struct{ login, association string }{
	{"alice", "MEMBER"}, {"bob", "COLLABORATOR"}, {"carol", "OWNER"},
}

// commandsJobs are the jobs of jobConfig: the survivor rule holds for each.
var commandsJobs = []string{"unit", "lint", "e2e"}

// TestConcurrentCommands runs two hook replicas (two processes, one config) and one
// controller on one pull request, and delivers bursts of ChatOps comments from several
// trusted users all at once: each delivery goes to both replicas at the same moment, as
// when a load balancer retries on the other replica or two GitHub webhooks point at the
// deployment, and some are redelivered on top (same X-GitHub-Delivery). The bursts are
// built so that the outcome is defined:
//
//  1. /test e2e, /test all and /retest (lint failed before, so /retest has something to
//     run): afterwards each of unit, lint and e2e has exactly one ProwJob not complete, and
//     it is the newest of that job's ProwJobs by prowjobsv1.CreatedBefore;
//  2. /test e2e and /cancel e2e mixed: at most one e2e job is left running, and if one is,
//     it is the newest; unit's and lint's survivors are untouched;
//  3. one more /cancel e2e, after the others: no e2e job is left running.
//
// Throughout, no delivery id has two ProwJobs of one job (doubled), each /test command has
// its jobs (lost otherwise), every answer is 200, and at the end the controller has
// cancelled the PipelineRun of every aborted job that has one, while the survivors' runs
// go on, and GitHub shows, for each job's context on the head, its newest run's state (the
// survivor's pending; e2e's abort): the reporter leaves superseded runs unreported, so an
// older run's abort never lands after its survivor's pending (status_wrong).
func TestConcurrentCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)
	if err := env.Cluster.CreateNamespace(ctx, commandsNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{
		ConfigYAML: jobConfig(commandsNamespace, "resync:\n  interval: 0s\n"), PluginsYAML: pluginConfig,
		Secret: commandsSecret, HookReplicas: 2,
	})
	c := &commandsRun{t: t, env: env, hooks: bosun.HookURLs, client: githubClient(), pr: pullRequest(7, sha(7))}

	// The pull request, opened: its automatic unit and lint runs. lint fails, so that
	// /retest reruns it.
	obj, err := framework.PullRequestObject(c.pr)
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.AddPullRequest(c.pr.Org, c.pr.Repo, obj)
	opened, err := framework.PullRequestPayload("opened", c.pr)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := deliver(ctx, c.client, c.hooks[0], "pull_request", "cmd-opened", opened, []byte(commandsSecret)); code != http.StatusOK {
		t.Fatalf("pull_request opened answered %d (%v), want 200", code, err)
	}
	c.failAutomaticLint(ctx)

	// 1. Only commands that run jobs.
	test := []string{"/test e2e", "/test all", "/retest", "/test e2e"}
	c.burst(ctx, "cmd-1", func(i int) string { return test[i%len(test)] })
	after1 := c.checkSurvivors(ctx, "after the /test burst", map[string]survivorWant{"unit": survivorOne, "lint": survivorOne, "e2e": survivorOne})

	// 2. /test e2e and /cancel e2e racing.
	mixed := []string{"/test e2e", "/cancel e2e"}
	c.burst(ctx, "cmd-2", func(i int) string { return mixed[i%len(mixed)] })
	after2 := c.checkSurvivors(ctx, "after the /test e2e + /cancel e2e burst", map[string]survivorWant{"unit": survivorOne, "lint": survivorOne, "e2e": survivorAtMostOne})
	c.sameSurvivors("after the /test e2e + /cancel e2e burst", after1, after2, "unit", "lint")

	// 3. /cancel e2e last.
	c.burstOf(ctx, "cmd-3", 1, func(int) string { return "/cancel e2e" })
	after3 := c.checkSurvivors(ctx, "after the last /cancel e2e", map[string]survivorWant{"unit": survivorOne, "lint": survivorOne, "e2e": survivorNone})
	c.sameSurvivors("after the last /cancel e2e", after1, after3, "unit", "lint")

	runsWrong := c.checkRuns(ctx, after3)
	statusWrong := c.checkStatuses(ctx, after3)
	if err := bosun.Exited(); err != nil {
		t.Errorf("a binary exited: %v", err)
	}
	pjs := listProwJobs(ctx, t, env, commandsNamespace)
	reportFault(t, "concurrent-commands",
		"events", c.deliveries, "requests", c.requests, "jobs", len(pjs), "doubled", c.doubled, "lost", c.lost,
		"survivor_wrong", c.survivorWrong, "non200", c.non200, "runs_wrong", runsWrong, "status_wrong", statusWrong,
		"replicas", len(c.hooks))
	if c.doubled+c.lost+c.survivorWrong+c.non200+runsWrong+statusWrong != 0 {
		t.Errorf("doubled %d, lost %d, survivor_wrong %d, non200 %d, runs_wrong %d, status_wrong %d; want none",
			c.doubled, c.lost, c.survivorWrong, c.non200, runsWrong, statusWrong)
	}
}

// commandsRun is the state of one TestConcurrentCommands.
type commandsRun struct {
	t      *testing.T
	env    *framework.Env
	hooks  []string
	client *http.Client
	pr     framework.PullRequest

	// commands maps each delivery id to its comment.
	commands map[string]string
	// the figures
	deliveries, requests, doubled, lost, survivorWrong, non200 int
}

// failAutomaticLint waits for the opened event's lint run and fails it as Tekton would, then
// waits until GitHub shows lint failed.
func (c *commandsRun) failAutomaticLint(ctx context.Context) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, commandsWait)
	defer cancel()
	var lint string
	err := framework.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, pj := range listProwJobs(ctx, c.t, c.env, commandsNamespace) {
			if pj.Spec.Job == "lint" && pj.Status.State == prowjobsv1.PendingState {
				lint = pj.Name
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		c.t.Fatalf("the opened event's lint job never ran: %v", err)
	}
	if err := c.env.SetPipelineRunCondition(ctx, commandsNamespace, lint, corev1.ConditionFalse, framework.Failed, "lint failed"); err != nil {
		c.t.Fatal(err)
	}
	err = framework.Poll(ctx, 100*time.Millisecond, func(context.Context) (bool, error) {
		s, ok := c.env.GitHub.LatestStatus(c.pr.Org, c.pr.Repo, c.pr.HeadSHA, "lint")
		return ok && s.GetState() == "failure", nil
	})
	if err != nil {
		c.t.Fatalf("lint's failure never reached GitHub: %v", err)
	}
}

// burst delivers commandsBurst comments, comment(i) for the i-th, all at once.
func (c *commandsRun) burst(ctx context.Context, prefix string, comment func(i int) string) {
	c.burstOf(ctx, prefix, commandsBurst, comment)
}

// burstOf delivers n comments all at once: each to every replica, every third once more to
// one of them, released together, and waits for every answer.
func (c *commandsRun) burstOf(ctx context.Context, prefix string, n int, comment func(i int) string) {
	c.t.Helper()
	if c.commands == nil {
		c.commands = map[string]string{}
	}
	type request struct {
		url, guid string
		body      []byte
	}
	var requests []request
	for i := range n {
		user := commandsUsers[i%len(commandsUsers)]
		guid := fmt.Sprintf("%s-%02d", prefix, i)
		body, err := framework.CommentPayload(c.pr, user.login, user.association, comment(i))
		if err != nil {
			c.t.Fatal(err)
		}
		c.commands[guid] = comment(i)
		for _, url := range c.hooks {
			requests = append(requests, request{url, guid, body})
		}
		if i%3 == 0 {
			requests = append(requests, request{c.hooks[i%len(c.hooks)], guid, body})
		}
	}
	c.deliveries += n
	c.requests += len(requests)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[int]int{}
		start   = make(chan struct{})
	)
	for _, r := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, err := deliver(ctx, c.client, r.url, "issue_comment", r.guid, r.body, []byte(commandsSecret))
			mu.Lock()
			defer mu.Unlock()
			answers[code]++
			if code != http.StatusOK {
				c.non200++
				c.t.Errorf("%s (%q) to %s answered %d (%v), want 200", r.guid, c.commands[r.guid], r.url, code, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	c.t.Logf("%s: %d comments in %d requests, answers %v", prefix, n, len(requests), answers)
}

// survivorWant is what the survivor rule expects of a job after a burst: however many runs
// of it were asked for, at most one is left running, and it is the newest of all.
type survivorWant int

const (
	survivorOne       survivorWant = iota // the last command for it asked for a run
	survivorAtMostOne                     // runs and cancels raced: one or none
	survivorNone                          // the last command for it was /cancel
)

// checkSurvivors checks the pull request's ProwJobs against the survivor rule, want saying
// for each job whether one must survive, and each delivery's jobs against its command. It
// returns each job's running ProwJob.
func (c *commandsRun) checkSurvivors(ctx context.Context, when string, want map[string]survivorWant) map[string]*prowjobsv1.ProwJob {
	c.t.Helper()
	pjs := listProwJobs(ctx, c.t, c.env, commandsNamespace)
	byJob := map[string][]*prowjobsv1.ProwJob{}
	perDelivery := map[string]map[string]int{}
	for i := range pjs {
		pj := &pjs[i]
		byJob[pj.Spec.Job] = append(byJob[pj.Spec.Job], pj)
		guid := pj.Labels[prowjobsv1.EventGUIDLabel]
		if perDelivery[guid] == nil {
			perDelivery[guid] = map[string]int{}
		}
		perDelivery[guid][pj.Spec.Job]++
	}

	survivors := map[string]*prowjobsv1.ProwJob{}
	for _, job := range commandsJobs {
		all := byJob[job]
		sort.Slice(all, func(i, j int) bool { return prowjobsv1.CreatedBefore(all[i], all[j]) })
		var live []*prowjobsv1.ProwJob
		for _, pj := range all {
			if !pj.Complete() {
				live = append(live, pj)
			}
		}
		switch {
		case len(live) > 1:
			c.survivorWrong++
			c.t.Errorf("%s: %d %s jobs still run (%s), want at most one", when, len(live), job, names(live))
		case want[job] == survivorOne && len(live) == 0:
			c.survivorWrong++
			c.t.Errorf("%s: no %s job runs, want the newest of %d", when, job, len(all))
		case want[job] == survivorNone && len(live) == 1:
			c.survivorWrong++
			c.t.Errorf("%s: %s %s still runs, want none", when, job, live[0].Name)
		}
		if len(live) >= 1 {
			newest := all[len(all)-1]
			if live[len(live)-1].Name != newest.Name {
				c.survivorWrong++
				c.t.Errorf("%s: the %s job left running is %s (created %s, build %s), but the newest is %s (created %s, build %s, %s %q)",
					when, job, live[len(live)-1].Name, live[len(live)-1].CreationTimestamp, live[len(live)-1].Labels[prowjobsv1.BuildIDLabel],
					newest.Name, newest.CreationTimestamp, newest.Labels[prowjobsv1.BuildIDLabel], newest.Status.State, newest.Status.Description)
			}
			survivors[job] = live[len(live)-1]
		}
	}

	// Per delivery: never two jobs of one name; each /test has what it asked for.
	c.doubled, c.lost = 0, 0
	for guid, jobs := range perDelivery {
		for job, n := range jobs {
			if n > 1 {
				c.doubled += n - 1
				c.t.Errorf("%s: delivery %s (%q) has %d %s ProwJobs", when, guid, c.commands[guid], n, job)
			}
		}
	}
	for guid, command := range c.commands {
		var asked []string
		switch command {
		case "/test e2e":
			asked = []string{"e2e"}
		case "/test all":
			asked = automaticJobs
		}
		for _, job := range asked {
			if perDelivery[guid][job] == 0 {
				c.lost++
				c.t.Errorf("%s: delivery %s (%q) has no %s ProwJob", when, guid, command, job)
			}
		}
		for job := range perDelivery[guid] {
			allowed := map[string]bool{}
			for _, j := range asked {
				allowed[j] = true
			}
			if command == "/retest" {
				allowed["unit"], allowed["lint"] = true, true
			}
			if !allowed[job] {
				c.t.Errorf("%s: delivery %s (%q) made a %s ProwJob", when, guid, command, job)
			}
		}
	}
	c.t.Logf("%s: %d ProwJobs; running: %s", when, len(pjs), describeSurvivors(survivors))
	return survivors
}

// sameSurvivors checks that a burst left the survivors of jobs as they were.
func (c *commandsRun) sameSurvivors(when string, before, after map[string]*prowjobsv1.ProwJob, jobs ...string) {
	c.t.Helper()
	for _, job := range jobs {
		if before[job] == nil || after[job] == nil || before[job].Name != after[job].Name {
			c.survivorWrong++
			c.t.Errorf("%s: the running %s job changed from %v to %v", when, job, nameOf(before[job]), nameOf(after[job]))
		}
	}
}

// checkRuns waits until every aborted job's PipelineRun, where there is one, is being
// cancelled, and every survivor has a run that is not; it returns how many are not so
// when the wait ends.
func (c *commandsRun) checkRuns(ctx context.Context, survivors map[string]*prowjobsv1.ProwJob) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, commandsWait)
	defer cancel()
	var wrong []string
	err := framework.Poll(ctx, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		pjs := listProwJobs(ctx, c.t, c.env, commandsNamespace)
		runs, err := c.env.Tekton.TektonV1().PipelineRuns(commandsNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		status := map[string]string{}
		for _, r := range runs.Items {
			status[r.Name] = string(r.Spec.Status)
		}
		wrong = wrong[:0]
		for _, pj := range pjs {
			s, hasRun := status[pj.Name]
			switch {
			case pj.Status.State == prowjobsv1.AbortedState && hasRun && s == "":
				wrong = append(wrong, fmt.Sprintf("aborted %s %s: run not cancelled", pj.Spec.Job, pj.Name))
			case survivors[pj.Spec.Job] != nil && survivors[pj.Spec.Job].Name == pj.Name && (!hasRun || s != ""):
				wrong = append(wrong, fmt.Sprintf("survivor %s %s: run %v, spec.status %q", pj.Spec.Job, pj.Name, hasRun, s))
			}
		}
		return len(wrong) == 0, nil
	})
	if err != nil {
		c.t.Errorf("PipelineRuns never matched their jobs: %v: %s", err, strings.Join(wrong, "; "))
	}
	return len(wrong)
}

// checkStatuses waits until GitHub shows, for each job's context on the head, the state
// of that job's newest ProwJob (a survivor's pending; e2e's aborted run as a failure), and
// returns how many contexts still show something else when the wait ends. It is the view a
// pull request's author has.
func (c *commandsRun) checkStatuses(ctx context.Context, survivors map[string]*prowjobsv1.ProwJob) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var wrong []string
	err := framework.Poll(ctx, 250*time.Millisecond, func(context.Context) (bool, error) {
		wrong = wrong[:0]
		for _, job := range commandsJobs {
			want := "failure" // every e2e run ended aborted
			if survivors[job] != nil {
				want = "pending"
			}
			s, ok := c.env.GitHub.LatestStatus(c.pr.Org, c.pr.Repo, c.pr.HeadSHA, job)
			if !ok || s.GetState() != want {
				wrong = append(wrong, fmt.Sprintf("%s shows %q (%q), want %q", job, s.GetState(), s.GetDescription(), want))
			}
		}
		return len(wrong) == 0, nil
	})
	if err != nil {
		c.t.Errorf("commit statuses: %s", strings.Join(wrong, "; "))
	}
	return len(wrong)
}

func names(pjs []*prowjobsv1.ProwJob) string {
	out := make([]string, len(pjs))
	for i, pj := range pjs {
		out[i] = pj.Name
	}
	return strings.Join(out, ", ")
}

func nameOf(pj *prowjobsv1.ProwJob) string {
	if pj == nil {
		return "none"
	}
	return pj.Name
}

func describeSurvivors(s map[string]*prowjobsv1.ProwJob) string {
	var out []string
	for _, job := range commandsJobs {
		out = append(out, job+"="+nameOf(s[job]))
	}
	return strings.Join(out, " ")
}
