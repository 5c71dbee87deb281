package trigger

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gogithub "github.com/google/go-github/v93/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/webhook"
)

// The other commits of the fixtures' story (test/testdata/webhooks/README.md).
const (
	// secondSHA is #42's head after alice's second push (pull_request_synchronize.json and
	// the later #42 fixtures).
	secondSHA = "5a8d2f6c0e4b7a9d1c3e5f7a9b0c2d4e6f8a1b3c"
	// forkSHA is the head of mallory's #43 (pull_request_labeled.json).
	forkSHA = "d4f7a2c9e1b3058a6c2e9f4b7d0a3c5e8f1b2a4d"
)

// earlier is when the seeded jobs started, well before the fixtures' events.
var earlier = time.Date(2026, 3, 3, 10, 16, 0, 0, time.UTC)

// seedJob is a presubmit an earlier event created, seeded into the recording creator.
type seedJob struct {
	job    string
	number int
	sha    string
	// state is the job's state; empty means pending (running).
	state prowjobsv1.ProwJobState
}

// seedJobs adds the jobs to the creator as an earlier delivery would have created them, with
// the labels abortRunning selects on, and returns them in order.
func (e *testEnv) seedJobs(t *testing.T, seeds ...seedJob) []*prowjobsv1.ProwJob {
	t.Helper()
	var out []*prowjobsv1.ProwJob
	for i, s := range seeds {
		job, ok := findPresubmit(e.agent.Config, s.job)
		if !ok {
			t.Fatalf("seed job %q is not a presubmit of acme/widgets", s.job)
		}
		refs := trigger.PullRequestRefs(fixturePullRequest(t))
		refs.Pulls[0].Number = s.number
		refs.Pulls[0].SHA = s.sha
		pj := jobs.NewPresubmit(e.agent.Config, job, refs, jobs.Options{EventGUID: fmt.Sprintf("earlier-delivery-%d", i), Now: earlier})
		pj.CreationTimestamp = metav1.NewTime(earlier)
		pending := metav1.NewTime(earlier.Add(20 * time.Second))
		pj.Status.PendingTime = &pending
		switch s.state {
		case "", prowjobsv1.PendingState:
			pj.Status.State = prowjobsv1.PendingState
			pj.Status.Description = prowjobsv1.DescriptionRunning
		default:
			done := metav1.NewTime(earlier.Add(5 * time.Minute))
			pj.Status.State = s.state
			pj.Status.Description = "finished"
			pj.Status.CompletionTime = &done
		}
		e.creator.mu.Lock()
		e.creator.created = append(e.creator.created, pj.DeepCopy())
		e.creator.mu.Unlock()
		out = append(out, pj)
	}
	return out
}

// findPresubmit returns the acme/widgets presubmit named name.
func findPresubmit(cfg *config.Config, name string) (config.Presubmit, bool) {
	for _, j := range cfg.PresubmitsFor("acme", "widgets") {
		if j.Name == name {
			return j, true
		}
	}
	return config.Presubmit{}, false
}

// jobStates describes the jobs that were seeded, in seeding order, as
// "<job> #<pull> <sha prefix> <state>: <description>".
func (e *testEnv) jobStates(seeded []*prowjobsv1.ProwJob) []string {
	e.creator.mu.Lock()
	defer e.creator.mu.Unlock()
	var out []string
	for _, seed := range seeded {
		for _, pj := range e.creator.created {
			if pj.Name == seed.Name {
				out = append(out, describeJob(pj))
			}
		}
	}
	return out
}

func describeJob(pj *prowjobsv1.ProwJob) string {
	number := 0
	if pj.Spec.Refs != nil && len(pj.Spec.Refs.Pulls) > 0 {
		number = pj.Spec.Refs.Pulls[0].Number
	}
	return fmt.Sprintf("%s #%d %.7s %s: %s", pj.Spec.Job, number, pullSHA(pj), pj.Status.State, pj.Status.Description)
}

// newJobs returns the jobs created after the first n (the seeded ones). of the jobs created after the first n (the seeded ones).
func (e *testEnv) newJobs(n int) []*prowjobsv1.ProwJob {
	e.creator.mu.Lock()
	defer e.creator.mu.Unlock()
	return slices.Clone(e.creator.created[n:])
}

func jobNames(pjs []*prowjobsv1.ProwJob) []string {
	var out []string
	for _, pj := range pjs {
		out = append(out, string(pj.Spec.Type)+" "+pj.Spec.Job)
	}
	slices.Sort(out)
	return out
}

// commentBodies returns the bodies of the comments on acme/widgets#number.
func commentBodies(gh *fakegithub.Server, number int) []string {
	var out []string
	for _, c := range gh.Comments("acme", "widgets", number) {
		out = append(out, c.GetBody())
	}
	return out
}

// dispatch hands a parsed event to the trigger's handler for its type, as the hook does.
func dispatch(ctx context.Context, p *plugin, a plugins.Agent, event any) error {
	switch e := event.(type) {
	case *gogithub.PullRequestEvent:
		return p.handlePullRequest(ctx, a, e)
	case *gogithub.IssueCommentEvent:
		return p.handleIssueComment(ctx, a, e)
	case *gogithub.PushEvent:
		return p.handlePush(ctx, a, e)
	}
	return fmt.Errorf("the trigger handles no %T", event)
}

// wantName is the name of a job run for sha: after the pull request and head for an
// automatic run (createOptions.automatic), else after the delivery.
func wantName(pj *prowjobsv1.ProwJob, sha string, automatic bool) string {
	if automatic {
		return jobs.Name(trigger.AutomaticNameKey(pj.Spec.Refs.Org, pj.Spec.Refs.Repo, pj.Spec.Refs.Pulls[0].Number), pj.Spec.Job, sha)
	}
	return jobs.Name(deliveryID, pj.Spec.Job, sha)
}

// checkCreated checks that every created job is named as wantName says and tests sha.
func checkCreated(t *testing.T, created []*prowjobsv1.ProwJob, sha string, automatic bool) {
	t.Helper()
	for _, pj := range created {
		if want := wantName(pj, sha, automatic && pj.Spec.Type == prowjobsv1.PresubmitJob); pj.Name != want {
			t.Errorf("job %s is named %s, want %s (automatic %t, delivery %s, commit %s)", pj.Spec.Job, pj.Name, want, automatic, deliveryID, sha)
		}
		got := pj.Spec.Refs.BaseSHA
		if pj.Spec.Type == prowjobsv1.PresubmitJob {
			got = pullSHA(pj)
		}
		if got != sha {
			t.Errorf("job %s tests %s, want %s", pj.Spec.Job, got, sha)
		}
	}
}

// TestReplayFixtures feeds every fixture of test/testdata/webhooks the trigger handles
// through its real handlers, with the GitHub emulator behind bosun's client, and checks
// the jobs created and aborted, the labels and comments left on GitHub, and every GitHub
// call made.
func TestReplayFixtures(t *testing.T) {
	tests := []struct {
		name    string
		event   string // X-GitHub-Event
		fixture string
		mutate  func(event any)
		// seed are the jobs earlier events left; nil means none.
		seed []seedJob
		// github prepares the emulator (members, collaborators).
		github func(*fakegithub.Server)
		// wantCreated are the new jobs as "<type> <job>", sorted; wantSHA is the commit
		// they test.
		wantCreated []string
		wantSHA     string
		// wantSeeded are the seeded jobs afterwards, in seeding order (see jobStates).
		wantSeeded []string
		// number is the pull request whose labels and comments are checked.
		number       int
		wantLabels   []string
		wantComments []string
		wantCalls    []string
	}{{
		name:        "opened by a member: runs the head's jobs",
		event:       "pull_request",
		fixture:     "pull_request_opened.json",
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     headSHA,
	}, {
		name:    "synchronize: aborts the older head's running jobs, runs the new head's",
		event:   "pull_request",
		fixture: "pull_request_synchronize.json",
		seed: []seedJob{
			{job: "unit", number: 42, sha: headSHA},
			{job: "lint", number: 42, sha: headSHA},
			{job: "e2e", number: 42, sha: headSHA},
			{job: "lint", number: 42, sha: headSHA, state: prowjobsv1.FailureState},
			{job: "unit", number: 43, sha: forkSHA},
		},
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     secondSHA,
		wantSeeded: []string{
			"unit #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"lint #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"e2e #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"lint #42 3f1c8a9 failure: finished",
			"unit #43 d4f7a2c pending: running",
		},
	}, {
		name:    "synchronize: a job already running for the new head is kept",
		event:   "pull_request",
		fixture: "pull_request_synchronize.json",
		seed: []seedJob{
			{job: "unit", number: 42, sha: headSHA},
			{job: "e2e", number: 42, sha: secondSHA},
		},
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     secondSHA,
		wantSeeded: []string{
			"unit #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"e2e #42 5a8d2f6 pending: running",
		},
	}, {
		name:    "closed: aborts every running job, creates nothing",
		event:   "pull_request",
		fixture: "pull_request_closed.json",
		seed: []seedJob{
			{job: "unit", number: 42, sha: secondSHA},
			{job: "e2e", number: 42, sha: headSHA},
			{job: "lint", number: 42, sha: secondSHA, state: prowjobsv1.SuccessState},
			{job: "lint", number: 43, sha: forkSHA},
		},
		number: 42,
		wantSeeded: []string{
			"unit #42 5a8d2f6 aborted: Aborted by trigger plugin.",
			"e2e #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"lint #42 5a8d2f6 success: finished",
			"lint #43 d4f7a2c pending: running",
		},
	}, {
		name:    "closed by the merge: aborts every running job, creates nothing",
		event:   "pull_request",
		fixture: "pull_request_closed_merged.json",
		seed: []seedJob{
			{job: "unit", number: 42, sha: secondSHA},
			{job: "lint", number: 42, sha: secondSHA},
		},
		number: 42,
		wantSeeded: []string{
			"unit #42 5a8d2f6 aborted: Aborted by trigger plugin.",
			"lint #42 5a8d2f6 aborted: Aborted by trigger plugin.",
		},
	}, {
		name:    "converted to draft: aborts every running job, creates nothing",
		event:   "pull_request",
		fixture: "pull_request_converted_to_draft.json",
		seed: []seedJob{
			{job: "unit", number: 42, sha: secondSHA},
			{job: "lint", number: 42, sha: secondSHA},
			{job: "unit", number: 43, sha: forkSHA},
		},
		number: 42,
		wantSeeded: []string{
			"unit #42 5a8d2f6 aborted: Aborted by trigger plugin.",
			"lint #42 5a8d2f6 aborted: Aborted by trigger plugin.",
			"unit #43 d4f7a2c pending: running",
		},
	}, {
		name:        "ready for review: runs the head's jobs",
		event:       "pull_request",
		fixture:     "pull_request_ready_for_review.json",
		seed:        []seedJob{{job: "unit", number: 42, sha: secondSHA, state: prowjobsv1.AbortedState}},
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     secondSHA,
		wantSeeded:  []string{"unit #42 5a8d2f6 aborted: finished"},
	}, {
		name:        "reopened: runs the head's jobs",
		event:       "pull_request",
		fixture:     "pull_request_reopened.json",
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     secondSHA,
	}, {
		name:        "labeled ok-to-test: runs the fork's head, removes needs-ok-to-test",
		event:       "pull_request",
		fixture:     "pull_request_labeled.json",
		github:      func(gh *fakegithub.Server) { gh.AddCollaborator("acme", "widgets", "bob") },
		number:      43,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     forkSHA,
		wantLabels:  []string{"ok-to-test"},
		// The payload says who added the label but not how they relate to the repository.
		wantCalls: []string{
			"GET /orgs/acme/members/bob",
			"GET /repos/acme/widgets/collaborators/bob",
			"DELETE /repos/acme/widgets/issues/43/labels/needs-ok-to-test",
		},
	}, {
		name:       "labeled ok-to-test by someone who may not vouch: nothing",
		event:      "pull_request",
		fixture:    "pull_request_labeled.json",
		number:     43,
		wantSHA:    forkSHA,
		wantLabels: []string{"needs-ok-to-test", "ok-to-test"},
		wantCalls:  []string{"GET /orgs/acme/members/bob", "GET /repos/acme/widgets/collaborators/bob"},
	}, {
		name:    "labeled with another label: nothing",
		event:   "pull_request",
		fixture: "pull_request_labeled.json",
		mutate: func(event any) {
			e := event.(*gogithub.PullRequestEvent)
			e.Label.Name = "kind/documentation"
			e.PullRequest.Labels = []*gogithub.Label{{Name: "needs-ok-to-test"}, {Name: "kind/documentation"}}
		},
		number:     43,
		wantLabels: []string{"needs-ok-to-test", "kind/documentation"},
	}, {
		name:        "comment /test all: runs the PR's jobs",
		event:       "issue_comment",
		fixture:     "issue_comment_test_all.json",
		number:      42,
		wantCreated: []string{"presubmit lint", "presubmit unit"},
		wantSHA:     headSHA,
		wantCalls:   []string{"GET /repos/acme/widgets/pulls/42"},
	}, {
		name:       "edited comment: nothing, though it still says /test all",
		event:      "issue_comment",
		fixture:    "issue_comment_edited.json",
		seed:       []seedJob{{job: "unit", number: 42, sha: headSHA}},
		number:     42,
		wantSeeded: []string{"unit #42 3f1c8a9 pending: running"},
	}, {
		name:        "push to main: postsubmits",
		event:       "push",
		fixture:     "push.json",
		number:      42,
		wantCreated: []string{"postsubmit docs", "postsubmit publish"},
		wantSHA:     pushSHA,
	}, {
		name:    "branch deletion: nothing",
		event:   "push",
		fixture: "push_branch_deleted.json",
		number:  42,
	}, {
		name:    "tag push: nothing",
		event:   "push",
		fixture: "push_tag.json",
		number:  42,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := webhook.Fixture(tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			event, err := gogithub.ParseWebHook(tc.event, body)
			if err != nil {
				t.Fatalf("ParseWebHook(%s, %s) error = %v", tc.event, tc.fixture, err)
			}
			if tc.mutate != nil {
				tc.mutate(event)
			}
			env := newTestEnv(t, "")
			// GitHub holds the pull request as the event shows it; the other events are
			// about #42 as it was opened.
			if e, ok := event.(*gogithub.PullRequestEvent); ok {
				env.gh.AddPullRequest("acme", "widgets", e.GetPullRequest())
			} else {
				seedPullRequest(t, env.gh)
			}
			if tc.github != nil {
				tc.github(env.gh)
			}
			seeded := env.seedJobs(t, tc.seed...)
			wantLabels := env.gh.Labels("acme", "widgets", tc.number)
			if tc.wantLabels != nil {
				wantLabels = tc.wantLabels
			}
			env.gh.Reset()

			if err := dispatch(testContext(t), newPlugin(), env.agent, event); err != nil {
				t.Fatalf("handler error = %v", err)
			}

			created := env.newJobs(len(seeded))
			if diff := cmp.Diff(tc.wantCreated, jobNames(created)); diff != "" {
				t.Errorf("created jobs (-want, +got):\n%s", diff)
			}
			// Pull request events run a head's jobs as automatic runs, but for reopened.
			pre, isPR := event.(*gogithub.PullRequestEvent)
			checkCreated(t, created, tc.wantSHA, isPR && pre.GetAction() != actionReopened)
			if diff := cmp.Diff(tc.wantSeeded, env.jobStates(seeded)); diff != "" {
				t.Errorf("earlier jobs afterwards (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantLabels, env.gh.Labels("acme", "widgets", tc.number), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("labels on #%d (-want, +got):\n%s", tc.number, diff)
			}
			if diff := cmp.Diff(tc.wantComments, commentBodies(env.gh, tc.number)); diff != "" {
				t.Errorf("comments on #%d (-want, +got):\n%s", tc.number, diff)
			}
			if diff := cmp.Diff(tc.wantCalls, env.calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
			for _, pj := range env.newJobs(0) {
				if pj.Status.State == prowjobsv1.AbortedState && pj.Status.CompletionTime == nil {
					t.Errorf("aborted job %s has no completion time", describeJob(pj))
				}
			}
		})
	}
}
