package trigger

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// TestDecidePresubmits checks the decision the pull_request handlers and the resync share:
// the same jobs as an opened event, and no change on GitHub whatever the outcome.
func TestDecidePresubmits(t *testing.T) {
	tests := []struct {
		name string
		// jobs is the job config; empty means changesJobConfig.
		jobs          string
		plugins       string
		seed          func(*fakegithub.Server)
		mutate        func(*gogithub.PullRequest)
		wantJobs      []string
		wantUntrusted bool
		wantCalls     []string
	}{{
		name:      "member: always_run and the change-dependent jobs the files select",
		seed:      func(gh *fakegithub.Server) { gh.SetPullRequestFiles("acme", "widgets", 42, "fetcher/fetcher.go") },
		wantJobs:  []string{"unit", "e2e"},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42/files"},
	}, {
		name:     "branch filters apply",
		jobs:     jobConfig,
		mutate:   func(pr *gogithub.PullRequest) { pr.Base.Ref = gogithub.Ptr("release-1.2") },
		wantJobs: []string{"lint", "release-check"},
	}, {
		name:   "draft: nothing, no call",
		mutate: func(pr *gogithub.PullRequest) { pr.Draft = gogithub.Ptr(true) },
	}, {
		name:   "closed: nothing, no call",
		mutate: func(pr *gogithub.PullRequest) { pr.State = gogithub.Ptr("closed") },
	}, {
		name: "untrusted: nothing, and neither label nor comment",
		mutate: func(pr *gogithub.PullRequest) {
			pr.User.Login, pr.AuthorAssociation = gogithub.Ptr("mallory"), gogithub.Ptr("CONTRIBUTOR")
		},
		wantUntrusted: true,
		wantCalls:     []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory"},
	}, {
		name: "untrusted with ok-to-test: runs without a trust call",
		jobs: alwaysRunJobConfig,
		mutate: func(pr *gogithub.PullRequest) {
			pr.User.Login, pr.AuthorAssociation = gogithub.Ptr("mallory"), gogithub.Ptr("CONTRIBUTOR")
			pr.Labels = []*gogithub.Label{{Name: "ok-to-test"}}
		},
		wantJobs: []string{"unit", "lint"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, tc.plugins)
			if tc.jobs == "" {
				tc.jobs = changesJobConfig
			}
			env.useJobConfig(t, tc.jobs)
			pr := fixturePullRequest(t)
			if tc.mutate != nil {
				tc.mutate(pr)
			}
			env.gh.AddPullRequest("acme", "widgets", pr)
			if tc.seed != nil {
				tc.seed(env.gh)
			}
			env.gh.Reset()

			d, err := core(env.agent).Decide(testContext(t), event(env.agent, "acme", "widgets"), pr)
			if err != nil {
				t.Fatalf("decide() error = %v", err)
			}
			var got []string
			for _, j := range d.Jobs {
				got = append(got, j.Name)
			}
			if diff := cmp.Diff(tc.wantJobs, got); diff != "" {
				t.Errorf("jobs (-want, +got):\n%s", diff)
			}
			if d.Untrusted != tc.wantUntrusted {
				t.Errorf("Untrusted = %t, want %t", d.Untrusted, tc.wantUntrusted)
			}
			if diff := cmp.Diff(tc.wantCalls, env.calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
			if len(env.creator.created) > 0 {
				t.Errorf("decide created %d jobs, want none", len(env.creator.created))
			}
		})
	}
}

// TestCreatePresubmitsCounts checks the exported pair end to end and that the count says what
// a call added: the second call for the same head finds every job there already.
func TestCreatePresubmitsCounts(t *testing.T) {
	env := newTestEnv(t, "")
	clientset := fake.NewSimpleClientset()
	env.agent.ProwJobs = clientset.ProwV1().ProwJobs("prow")
	ctx := testContext(t)
	pr := fixturePullRequest(t)
	env.agent.Trigger = trigger.New(trigger.Options{Files: env.agent.GitHub, ProwJobs: env.agent.ProwJobs})

	d, err := core(env.agent).Decide(ctx, event(env.agent, "acme", "widgets"), pr)
	if err != nil {
		t.Fatalf("Decide() error = %v", err)
	}
	for i, want := range []int{2, 0} {
		n, err := createPresubmits(ctx, env.agent, pr, d.Jobs)
		if err != nil || n != want {
			t.Errorf("CreatePresubmits() call %d = %d, %v; want %d, nil", i+1, n, err, want)
		}
	}
	pj, err := clientset.ProwV1().ProwJobs("prow").Get(ctx, jobs.Name(trigger.AutomaticNameKey("acme", "widgets", 42), "unit", pr.GetHead().GetSHA()), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the unit job is not named after the pull request and the head: %v", err)
	}
	if got := pj.Labels[prowjobsv1.EventGUIDLabel]; got != deliveryID {
		t.Errorf("event-GUID label = %q, want the delivery %q", got, deliveryID)
	}
	if pj.Spec.Refs.HeadSHA() != pr.GetHead().GetSHA() || pj.Spec.Refs.Pulls[0].Number != 42 {
		t.Errorf("refs = %+v, want #42 at the head", pj.Spec.Refs)
	}
}

// failingCreates fails the first create of each listed job with a server error, as an
// apiserver that went away in the middle of an event does.
type failingCreates struct {
	plugins.ProwJobClient
	mu   sync.Mutex
	fail map[string]bool
}

func (f *failingCreates) Create(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.CreateOptions) (*prowjobsv1.ProwJob, error) {
	f.mu.Lock()
	fail := f.fail[pj.Spec.Job]
	delete(f.fail, pj.Spec.Job)
	f.mu.Unlock()
	if fail {
		return nil, apierrors.NewServiceUnavailable("the apiserver is going away")
	}
	return f.ProwJobClient.Create(ctx, pj, opts)
}

// TestAutomaticRunsAreNamedAfterTheHead checks that the runs a head gets by itself are the
// same runs whichever event or resync creates them, and run again only when they were
// superseded.
func TestAutomaticRunsAreNamedAfterTheHead(t *testing.T) {
	const resyncGUID = "resync_acme_widgets_42"
	opened := func(t *testing.T) handlerFunc { return handlePR(t) }
	synchronizeTo := func(t *testing.T, sha string) handlerFunc {
		return handlePR(t, prAction("synchronize"), func(e *gogithub.PullRequestEvent) { e.PullRequest.Head.SHA = gogithub.Ptr(sha) })
	}
	resync := func(t *testing.T) handlerFunc {
		return func(ctx context.Context, a plugins.Agent) error {
			_, err := createPresubmits(ctx, a, fixturePullRequest(t), mustPresubmits(t, a.Config, "lint", "unit"))
			return err
		}
	}
	type step struct {
		guid     string
		handle   func(t *testing.T) handlerFunc
		failUnit bool // the apiserver fails unit's create
		wantErr  bool
	}
	tests := []struct {
		name  string
		steps []step
		// want are every job afterwards as "job sha[:7] state event-GUID", sorted.
		want []string
	}{{
		name: "a resync, then the webhook it stood in for: nothing doubled",
		steps: []step{
			{guid: resyncGUID, handle: resync},
			{guid: "d1", handle: opened},
		},
		want: []string{"lint 3f1c8a9 triggered " + resyncGUID, "unit 3f1c8a9 triggered " + resyncGUID},
	}, {
		name: "a webhook handled halfway, a resync, then its redelivery: each job once",
		steps: []step{
			{guid: "d1", handle: opened, failUnit: true, wantErr: true},
			{guid: resyncGUID, handle: resync},
			{guid: "d1", handle: opened},
		},
		want: []string{"lint 3f1c8a9 triggered d1", "unit 3f1c8a9 triggered " + resyncGUID},
	}, {
		name: "/cancel, then a redelivery of opened: the cancelled runs stay cancelled",
		steps: []step{
			{guid: "d1", handle: opened},
			{guid: "d2", handle: func(t *testing.T) handlerFunc { return handleComment(t, "/cancel") }},
			{guid: "d1", handle: opened},
		},
		want: []string{"lint 3f1c8a9 aborted d1", "unit 3f1c8a9 aborted d1"},
	}, {
		name: "pushed away and back: the superseded runs of the head run again",
		steps: []step{
			{guid: "d1", handle: opened},
			{guid: "d2", handle: func(t *testing.T) handlerFunc { return synchronizeTo(t, pushSHA) }},
			{guid: "d3", handle: func(t *testing.T) handlerFunc { return synchronizeTo(t, headSHA) }},
		},
		want: []string{
			"lint 3f1c8a9 aborted d1", "lint 3f1c8a9 triggered d3", "lint c41d7e0 aborted d2",
			"unit 3f1c8a9 aborted d1", "unit 3f1c8a9 triggered d3", "unit c41d7e0 aborted d2",
		},
	}, {
		name: "made a draft and ready again: the runs start again",
		steps: []step{
			{guid: "d1", handle: opened},
			{guid: "d2", handle: func(t *testing.T) handlerFunc { return handlePR(t, prAction("converted_to_draft")) }},
			{guid: "d3", handle: func(t *testing.T) handlerFunc { return handlePR(t, prAction("ready_for_review")) }},
		},
		want: []string{"lint 3f1c8a9 aborted d1", "lint 3f1c8a9 triggered d3", "unit 3f1c8a9 aborted d1", "unit 3f1c8a9 triggered d3"},
	}, {
		name: "a head run again, then a resync and a redelivery: the run again is not doubled",
		steps: []step{
			{guid: "d1", handle: opened},
			{guid: "d2", handle: func(t *testing.T) handlerFunc { return handlePR(t, prAction("converted_to_draft")) }},
			{guid: resyncGUID, handle: resync},
			{guid: "d3", handle: func(t *testing.T) handlerFunc { return handlePR(t, prAction("ready_for_review")) }},
			{guid: "d3", handle: func(t *testing.T) handlerFunc { return handlePR(t, prAction("ready_for_review")) }},
		},
		want: []string{"lint 3f1c8a9 aborted d1", "lint 3f1c8a9 triggered " + resyncGUID, "unit 3f1c8a9 aborted d1", "unit 3f1c8a9 triggered " + resyncGUID},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			seedPullRequest(t, env.gh)
			clientset := fake.NewSimpleClientset()
			jobsClient := clientset.ProwV1().ProwJobs("prow")
			ctx := testContext(t)
			for i, s := range tc.steps {
				a := env.agent
				a.EventGUID = s.guid
				a.ProwJobs = jobsClient
				if s.failUnit {
					a.ProwJobs = &failingCreates{ProwJobClient: jobsClient, fail: map[string]bool{"unit": true}}
				}
				if err := s.handle(t)(ctx, a); (err != nil) != s.wantErr {
					t.Fatalf("step %d (%s): error = %v, want error %t", i+1, s.guid, err, s.wantErr)
				}
			}
			list, err := jobsClient.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pj := range list.Items {
				state := pj.Status.State
				if state == "" {
					state = prowjobsv1.TriggeredState // the apiserver drops the status on create
				}
				got = append(got, fmt.Sprintf("%s %.7s %s %s", pj.Spec.Job, pj.Spec.Refs.HeadSHA(), state, pj.Labels[prowjobsv1.EventGUIDLabel]))
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("jobs afterwards (-want, +got):\n%s", diff)
			}
		})
	}
}

// mustPresubmits returns acme/widgets' presubmits of these names.
func mustPresubmits(t *testing.T, cfg *config.Config, names ...string) []config.Presubmit {
	t.Helper()
	var out []config.Presubmit
	for _, name := range names {
		job, ok := findPresubmit(cfg, name)
		if !ok {
			t.Fatalf("no presubmit %q", name)
		}
		out = append(out, job)
	}
	return out
}
