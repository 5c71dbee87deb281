package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/resync"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/framework"
)

// newResyncer is a resync as one hook replica runs it: its own GitHub client (and ETag
// cache) and its own apiserver connection, for r's repository.
func (r *repoEnv) newResyncer() *resync.Resyncer {
	r.t.Helper()
	gh, err := github.NewClient(github.Options{BaseURL: env.GitHub.URL()})
	if err != nil {
		r.t.Fatal(err)
	}
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(fmt.Sprintf("plugins:\n  %s: [trigger]\n", r.org)), plugins.Default)
	if err != nil {
		r.t.Fatal(err)
	}
	rs, err := resync.New(resync.Options{
		Config:       func() *config.Config { return r.cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		GitHub:       gh,
		ProwJobs:     prowJobClient(r.t).ProwV1().ProwJobs(r.namespace),
		Logger:       zaptest.NewLogger(r.t).Sugar(),
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return rs
}

// openWithoutWebhook opens a pull request on the emulator and delivers nothing, as when
// GitHub's delivery to the hook failed.
func (r *repoEnv) openWithoutWebhook(number int) framework.PullRequest {
	r.t.Helper()
	pr := r.pr(number, sha(number))
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		r.t.Fatal(err)
	}
	env.GitHub.AddPullRequest(r.org, r.repo, obj)
	return pr
}

func TestResyncCreatesTheJobsOfAMissedWebhook(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pr := r.openWithoutWebhook(61)
	rs := r.newResyncer()

	report, err := rs.Sync(ctx)
	if err != nil {
		t.Fatalf("Sync() error = %v", err)
	}
	if report.Created != 2 {
		t.Fatalf("the pass created %d ProwJobs, want unit and lint", report.Created)
	}
	jobsByName := r.jobsNamed()
	guid := fmt.Sprintf("resync_%s_%s_%d", r.org, r.repo, pr.Number)
	for _, name := range []string{"unit", "lint"} {
		pj, ok := jobsByName[name]
		if !ok {
			t.Fatalf("no %s ProwJob; got %v", name, keys(jobsByName))
		}
		checkProwJob(t, pj, r, pr)
		// Named as the webhook's own automatic runs are, so that it finds them when it comes.
		if want := jobs.Name(trigger.AutomaticNameKey(r.org, r.repo, pr.Number), name, pr.HeadSHA); pj.Name != want || pj.Labels[prowjobsv1.EventGUIDLabel] != guid {
			t.Errorf("%s is %s with event-GUID %q, want %s with %q", name, pj.Name, pj.Labels[prowjobsv1.EventGUIDLabel], want, guid)
		}
	}
	// The controller runs them like any other job.
	for _, pj := range jobsByName {
		err := framework.Poll(ctx, pollInterval, func(ctx context.Context) (bool, error) {
			_, err := env.Tekton.TektonV1().PipelineRuns(r.namespace).Get(ctx, pj.Name, metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("PipelineRun for %s: %v", pj.Spec.Job, err)
		}
	}
	waitForStatus(ctx, t, r, pr.HeadSHA, "unit", "pending")

	// The head has its jobs now: a second pass adds nothing.
	report, err = rs.Sync(ctx)
	if err != nil || report.Created != 0 {
		t.Errorf("second pass: created %d, error %v; want 0, nil", report.Created, err)
	}
	if got := len(r.prowJobs()); got != 2 {
		t.Errorf("%d ProwJobs after two passes, want 2", got)
	}

	// The webhook the resync stood in for is delivered after all (redelivered by hand, or
	// late): it finds the head's runs and creates nothing.
	body, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		t.Fatal(err)
	}
	if code := r.send(r.hook, "pull_request", "late-delivery-61", body, r.hook.Secret); code != http.StatusOK {
		t.Fatalf("late webhook answered %d, want 200", code)
	}
	if got := countJobs(r.prowJobs()); got["unit"] != 1 || got["lint"] != 1 {
		t.Errorf("jobs after the late webhook = %v, want one unit and one lint", got)
	}
}

func TestConcurrentResyncsCreateEachJobOnce(t *testing.T) {
	r := newRepoEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	const pulls = 4
	for n := 1; n <= pulls; n++ {
		r.openWithoutWebhook(70 + n)
	}
	// Two hook replicas whose passes coincide.
	replicas := []*resync.Resyncer{r.newResyncer(), r.newResyncer()}
	var (
		wg      sync.WaitGroup
		created [2]int
		errs    [2]error
	)
	for i, rs := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			report, err := rs.Sync(ctx)
			created[i], errs[i] = report.Created, err
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("Sync() errors = %v, %v", errs[0], errs[1])
	}
	perHead := map[string]int{}
	for _, pj := range r.prowJobs() {
		perHead[fmt.Sprintf("#%d %s", pj.Spec.Refs.Pulls[0].Number, pj.Spec.Job)]++
	}
	if len(perHead) != 2*pulls {
		t.Errorf("jobs = %v, want unit and lint for each of %d pull requests", perHead, pulls)
	}
	for job, n := range perHead {
		if n != 1 {
			t.Errorf("%s has %d ProwJobs, want 1", job, n)
		}
	}
	if created[0]+created[1] != 2*pulls {
		t.Errorf("the replicas report %d + %d created, want %d together", created[0], created[1], 2*pulls)
	}
}
