package trigger

import (
	"context"
	"errors"
	"fmt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/webhook"
)

const (
	deliveryID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	baseSHA    = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
	headSHA    = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	pushSHA    = "c41d7e0a9f3b2e8d6c5a4b3f2e1d0c9b8a7f6e5d"
)

// jobConfig has, for acme/widgets, always_run presubmits on main only (unit), on every
// branch (lint) and on release branches only (release-check), one presubmit that runs
// only when asked (e2e), and postsubmits for main, release branches and every branch.
const jobConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: lint
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: lint}}
  - name: release-check
    always_run: true
    branches: ['^release-']
    pipeline_run_spec: {pipelineRef: {name: release-check}}
  - name: e2e
    pipeline_run_spec: {pipelineRef: {name: e2e}}
postsubmits:
  acme/widgets:
  - name: publish
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: publish}}
  - name: docs
    pipeline_run_spec: {pipelineRef: {name: docs}}
  - name: release-publish
    branches: ['^release-']
    pipeline_run_spec: {pipelineRef: {name: release-publish}}
`

// recordingCreator is an in-memory ProwJobCreator that records what it is asked to create.
// err, when set, decides the answer for each job. updateErr, when set, is asked before each
// status update and may fail it (a conflict with the controller's write); it is called
// without the lock held, so it may change the stored jobs (testEnv.finishJob).
type recordingCreator struct {
	err       func(pj *prowjobsv1.ProwJob) error
	updateErr func(pj *prowjobsv1.ProwJob) error

	mu      sync.Mutex
	created []*prowjobsv1.ProwJob
	updates int // UpdateStatus calls, failed ones included
	clock   int // creates so far: the seconds after apiserverStart the last one was stamped
}

// apiserverStart is the recording creator's clock before its first create, after the
// seeded jobs' time (earlier).
var apiserverStart = time.Date(2026, 3, 3, 10, 20, 0, 0, time.UTC)

func (c *recordingCreator) Create(_ context.Context, pj *prowjobsv1.ProwJob, _ metav1.CreateOptions) (*prowjobsv1.ProwJob, error) {
	if c.err != nil {
		if err := c.err(pj); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	stored := pj.DeepCopy()
	// The apiserver stamps whole seconds; this one's clock moves a second per create, so
	// that jobs created one after another are ordered by creation time.
	c.clock++
	stored.CreationTimestamp = metav1.NewTime(apiserverStart.Add(time.Duration(c.clock) * time.Second))
	c.created = append(c.created, stored)
	return stored.DeepCopy(), nil
}

func (c *recordingCreator) Get(_ context.Context, name string, _ metav1.GetOptions) (*prowjobsv1.ProwJob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pj := range c.created {
		if pj.Name == name {
			return pj.DeepCopy(), nil
		}
	}
	return nil, apierrors.NewNotFound(prowjobsv1.Resource("prowjobs"), name)
}

func (c *recordingCreator) List(_ context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	selector, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := &prowjobsv1.ProwJobList{}
	for _, pj := range c.created {
		if selector.Matches(labels.Set(pj.Labels)) {
			list.Items = append(list.Items, *pj.DeepCopy())
		}
	}
	return list, nil
}

func (c *recordingCreator) UpdateStatus(_ context.Context, pj *prowjobsv1.ProwJob, _ metav1.UpdateOptions) (*prowjobsv1.ProwJob, error) {
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	if c.updateErr != nil {
		if err := c.updateErr(pj); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, existing := range c.created {
		if existing.Name == pj.Name {
			c.created[i].Status = *pj.Status.DeepCopy()
			return c.created[i].DeepCopy(), nil
		}
	}
	return nil, apierrors.NewNotFound(prowjobsv1.Resource("prowjobs"), pj.Name)
}

// jobs returns the created jobs as "<type> <job>", sorted, since jobs are created in parallel.
func (c *recordingCreator) jobs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, pj := range c.created {
		out = append(out, string(pj.Spec.Type)+" "+pj.Spec.Job)
	}
	slices.Sort(out)
	return out
}

// newPlugin is a trigger with its own empty caches.
func newPlugin() *plugin { return &plugin{} }

// createPresubmits creates jobs for pr's head as automatic runs, as the pull_request
// events and the resync do, through a's core.
func createPresubmits(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest, jobs []config.Presubmit) (int, error) {
	refs := trigger.PullRequestRefs(pr)
	return core(a).CreatePresubmits(ctx, event(a, refs.Org, refs.Repo), refs, jobs, trigger.CreateOptions{Automatic: true})
}

// testEnv is one handler invocation's world: the GitHub emulator with bosun's real client in
// front of it, and a recording creator.
type testEnv struct {
	gh      *fakegithub.Server
	creator *recordingCreator
	agent   plugins.Agent
}

// newTestEnv starts an emulator and builds the Agent a handler gets, with jobConfig and the
// given plugins.yaml content.
func newTestEnv(t *testing.T, pluginsYAML string) *testEnv {
	t.Helper()
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL(), Retry: github.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(jobConfig))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	reg := &plugins.Registry{}
	reg.Register(plugins.Plugin{Name: PluginName})
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(pluginsYAML), reg)
	if err != nil {
		t.Fatalf("ParseConfiguration() error:\n%v", err)
	}
	creator := &recordingCreator{}
	return &testEnv{
		gh:      gh,
		creator: creator,
		agent: plugins.Agent{
			GitHub:       client,
			ProwJobs:     creator,
			Config:       cfg,
			PluginConfig: pluginCfg,
			Logger:       zaptest.NewLogger(t).Sugar(),
			EventGUID:    deliveryID,
		},
	}
}

// calls returns the GitHub calls made so far as "METHOD path".
func (e *testEnv) calls() []string {
	var out []string
	for _, c := range e.gh.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

// testContext returns a context that ends with the test; it bounds calls to the emulator.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// parseFixture parses a payload from test/testdata/webhooks as eventType.
func parseFixture(t *testing.T, eventType, name string) any {
	t.Helper()
	body, err := webhook.Fixture(name)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := gogithub.ParseWebHook(eventType, body)
	if err != nil {
		t.Fatalf("ParseWebHook(%s, %s) error = %v", eventType, name, err)
	}
	return ev
}

// pullRequestEvent is pull_request_opened.json changed by mutate.
func pullRequestEvent(t *testing.T, mutate func(*gogithub.PullRequestEvent)) *gogithub.PullRequestEvent {
	t.Helper()
	e := parseFixture(t, "pull_request", "pull_request_opened.json").(*gogithub.PullRequestEvent)
	if mutate != nil {
		mutate(e)
	}
	return e
}

// fixturePullRequest is the pull request of pull_request_opened.json, to seed the emulator.
func fixturePullRequest(t *testing.T) *gogithub.PullRequest {
	t.Helper()
	return pullRequestEvent(t, nil).GetPullRequest()
}

// commentEvent is issue_comment_test_all.json with the given body, changed by mutate.
func commentEvent(t *testing.T, body string, mutate func(*gogithub.IssueCommentEvent)) *gogithub.IssueCommentEvent {
	t.Helper()
	e := parseFixture(t, "issue_comment", "issue_comment_test_all.json").(*gogithub.IssueCommentEvent)
	e.Comment.Body = gogithub.Ptr(body)
	if mutate != nil {
		mutate(e)
	}
	return e
}

// pushEvent is push.json changed by mutate.
func pushEvent(t *testing.T, mutate func(*gogithub.PushEvent)) *gogithub.PushEvent {
	t.Helper()
	e := parseFixture(t, "push", "push.json").(*gogithub.PushEvent)
	if mutate != nil {
		mutate(e)
	}
	return e
}

// prAuthor makes the pull request's author login with the given association.
func prAuthor(login, association string) func(*gogithub.PullRequestEvent) {
	return func(e *gogithub.PullRequestEvent) {
		e.PullRequest.User.Login = gogithub.Ptr(login)
		e.PullRequest.AuthorAssociation = gogithub.Ptr(association)
	}
}

// commenter makes the comment's author login with the given association.
func commenter(login, association string) func(*gogithub.IssueCommentEvent) {
	return func(e *gogithub.IssueCommentEvent) {
		e.Comment.User.Login = gogithub.Ptr(login)
		e.Comment.AuthorAssociation = gogithub.Ptr(association)
	}
}

// handlerCase is one event handled by one of the trigger's handlers.
type handlerCase struct {
	name string
	// plugins is plugins.yaml content; empty means trigger with Prow's default trust.
	plugins string
	// seed prepares the emulator (members, collaborators, pull requests).
	seed func(*fakegithub.Server)
	// handle runs the handler under test.
	handle handlerFunc
	// wantJobs are the created jobs as "<type> <job>", sorted.
	wantJobs []string
	// wantSHA is the commit every created job must be named after.
	wantSHA string
	// automatic says the created jobs are automatic runs, named after the pull request.
	automatic bool
	// wantCalls are the GitHub calls as "METHOD path", in order.
	wantCalls []string
}

// checkHandlerCase handles the case's event and checks jobs and GitHub calls.
func checkHandlerCase(t *testing.T, tc handlerCase) {
	t.Helper()
	env := newTestEnv(t, tc.plugins)
	seedPullRequest(t, env.gh)
	if tc.seed != nil {
		tc.seed(env.gh)
	}
	env.gh.Reset()

	if err := tc.handle(testContext(t), env.agent); err != nil {
		t.Fatalf("handler error = %v", err)
	}
	if diff := cmp.Diff(tc.wantJobs, env.creator.jobs()); diff != "" {
		t.Errorf("created jobs (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(tc.wantCalls, env.calls()); diff != "" {
		t.Errorf("GitHub calls (-want, +got):\n%s", diff)
	}
	for _, pj := range env.creator.created {
		if want := wantName(pj, tc.wantSHA, tc.automatic && pj.Spec.Type == prowjobsv1.PresubmitJob); pj.Name != want {
			t.Errorf("job %s is named %s, want %s (automatic %t, delivery %s, commit %s)", pj.Spec.Job, pj.Name, want, tc.automatic, deliveryID, tc.wantSHA)
		}
		if got := pj.Labels[prowjobsv1.EventGUIDLabel]; got != deliveryID {
			t.Errorf("job %s has %s label %q, want %q", pj.Spec.Job, prowjobsv1.EventGUIDLabel, got, deliveryID)
		}
	}
}

// seedPullRequest puts acme/widgets#42 of the fixtures into the emulator.
func seedPullRequest(t *testing.T, gh *fakegithub.Server) {
	t.Helper()
	gh.AddPullRequest("acme", "widgets", fixturePullRequest(t))
}

func handlePR(t *testing.T, mutate ...func(*gogithub.PullRequestEvent)) handlerFunc {
	t.Helper()
	e := pullRequestEvent(t, func(e *gogithub.PullRequestEvent) {
		for _, m := range mutate {
			m(e)
		}
	})
	return func(ctx context.Context, a plugins.Agent) error { return newPlugin().handlePullRequest(ctx, a, e) }
}

func handleComment(t *testing.T, body string, mutate ...func(*gogithub.IssueCommentEvent)) handlerFunc {
	t.Helper()
	e := commentEvent(t, body, func(e *gogithub.IssueCommentEvent) {
		for _, m := range mutate {
			m(e)
		}
	})
	return func(ctx context.Context, a plugins.Agent) error { return newPlugin().handleIssueComment(ctx, a, e) }
}

func handlePushEvent(t *testing.T, mutate ...func(*gogithub.PushEvent)) handlerFunc {
	t.Helper()
	e := pushEvent(t, func(e *gogithub.PushEvent) {
		for _, m := range mutate {
			m(e)
		}
	})
	return func(ctx context.Context, a plugins.Agent) error { return newPlugin().handlePush(ctx, a, e) }
}

func TestHandlePullRequest(t *testing.T) {
	tests := []handlerCase{{
		name:     "opened by a member: always_run jobs for main, no GitHub call",
		handle:   handlePR(t),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name: "against a release branch: the branch filters pick other jobs",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) {
			e.PullRequest.Base.Ref = gogithub.Ptr("release-1.2")
		}),
		wantJobs: []string{"presubmit lint", "presubmit release-check"},
		wantSHA:  headSHA,
	}, {
		name:     "opened by the owner",
		handle:   handlePR(t, prAuthor("acme-admin", "OWNER")),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:     "opened by a collaborator",
		handle:   handlePR(t, prAuthor("bob", "COLLABORATOR")),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:      "contributor who is an org member per the API: one call",
		seed:      func(gh *fakegithub.Server) { gh.AddOrgMember("acme", "carol") },
		handle:    handlePR(t, prAuthor("carol", "CONTRIBUTOR")),
		wantJobs:  []string{"presubmit lint", "presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: []string{"GET /orgs/acme/members/carol"},
	}, {
		name:      "contributor who is a collaborator per the API",
		seed:      func(gh *fakegithub.Server) { gh.AddCollaborator("acme", "widgets", "carol") },
		handle:    handlePR(t, prAuthor("carol", "CONTRIBUTOR")),
		wantJobs:  []string{"presubmit lint", "presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: []string{"GET /orgs/acme/members/carol", "GET /repos/acme/widgets/collaborators/carol"},
	}, {
		name:      "untrusted contributor: asked for ok-to-test, no jobs",
		handle:    handlePR(t, prAuthor("mallory", "CONTRIBUTOR")),
		wantCalls: []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory", "POST /repos/acme/widgets/issues/42/labels", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:      "first-time contributor: asked for ok-to-test, no jobs",
		handle:    handlePR(t, prAuthor("mallory", "FIRST_TIME_CONTRIBUTOR")),
		wantCalls: []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory", "POST /repos/acme/widgets/issues/42/labels", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:      "collaborator with only_org_members and not a member: asked for ok-to-test, no jobs",
		plugins:   "triggers:\n- repos: [acme/widgets]\n  only_org_members: true\n",
		handle:    handlePR(t, prAuthor("bob", "COLLABORATOR")),
		wantCalls: []string{"GET /orgs/acme/members/bob", "POST /repos/acme/widgets/issues/42/labels", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:     "trusted app",
		plugins:  "triggers:\n- repos: [acme]\n  trusted_apps: [dependabot]\n",
		handle:   handlePR(t, prAuthor("dependabot[bot]", "NONE")),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:      "app that is not trusted: asked for ok-to-test, no jobs",
		plugins:   "triggers:\n- repos: [acme]\n  trusted_apps: [dependabot]\n",
		handle:    handlePR(t, prAuthor("renovate[bot]", "NONE")),
		wantCalls: []string{"GET /orgs/acme/members/renovate[bot]", "GET /repos/acme/widgets/collaborators/renovate[bot]", "POST /repos/acme/widgets/issues/42/labels", "POST /repos/acme/widgets/issues/42/comments"},
	}, {
		name:      "member of the trusted org",
		plugins:   "triggers:\n- repos: [acme]\n  trusted_org: acme-friends\n",
		seed:      func(gh *fakegithub.Server) { gh.AddOrgMember("acme-friends", "dave") },
		handle:    handlePR(t, prAuthor("dave", "CONTRIBUTOR")),
		wantJobs:  []string{"presubmit lint", "presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: []string{"GET /orgs/acme/members/dave", "GET /orgs/acme-friends/members/dave"},
	}, {
		name: "draft: nothing, no GitHub call",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) {
			e.PullRequest.Draft = gogithub.Ptr(true)
		}),
	}, {
		name:     "reopened",
		handle:   handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("reopened") }),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:     "synchronize",
		handle:   handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("synchronize") }),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:     "ready_for_review",
		handle:   handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("ready_for_review") }),
		wantJobs: []string{"presubmit lint", "presubmit unit"},
		wantSHA:  headSHA,
	}, {
		name:   "closed: nothing",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("closed") }),
	}, {
		name:   "labeled: nothing",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("labeled") }),
	}, {
		name:   "edited: nothing",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("edited") }),
	}, {
		name:   "converted_to_draft: nothing",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("converted_to_draft") }),
	}, {
		name: "repository without jobs: nothing",
		handle: handlePR(t, func(e *gogithub.PullRequestEvent) {
			e.Repo.Name = gogithub.Ptr("sprockets")
			e.PullRequest.Base.Repo.Name = gogithub.Ptr("sprockets")
		}),
	}}
	for _, tc := range tests {
		// Pull request events create automatic runs, but for reopened.
		tc.automatic = !strings.HasPrefix(tc.name, "reopened")
		t.Run(tc.name, func(t *testing.T) { checkHandlerCase(t, tc) })
	}
}

func TestHandleIssueComment(t *testing.T) {
	pullCall := []string{"GET /repos/acme/widgets/pulls/42"}
	tests := []handlerCase{{
		name:      "/test all by a collaborator: PR fetched once, all always_run jobs",
		handle:    handleComment(t, "/test all"),
		wantJobs:  []string{"presubmit lint", "presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: pullCall,
	}, {
		name:      "/test unit: only that job",
		handle:    handleComment(t, "/test unit"),
		wantJobs:  []string{"presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: pullCall,
	}, {
		name:      "/test e2e runs a job that is not always_run",
		handle:    handleComment(t, "/test e2e"),
		wantJobs:  []string{"presubmit e2e"},
		wantSHA:   headSHA,
		wantCalls: pullCall,
	}, {
		name:      "/test with two names",
		handle:    handleComment(t, "/test unit lint"),
		wantJobs:  []string{"presubmit lint", "presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: pullCall,
	}, {
		name:      "command on a later line",
		handle:    handleComment(t, "Flaky, let's see.\r\n/test unit\r\nthanks"),
		wantJobs:  []string{"presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: pullCall,
	}, {
		name:      "job that cannot run on the PR's base branch: nothing",
		handle:    handleComment(t, "/test release-check"),
		wantCalls: pullCall,
	}, {
		name:   "/test unit inside a code block: nothing, no GitHub call",
		handle: handleComment(t, "The bot said:\n```\n/test unit\n```\n"),
	}, {
		name:   "/test all inside a tilde code block: nothing, no GitHub call",
		handle: handleComment(t, "~~~\n/test all\n~~~"),
	}, {
		name:   "/test unit in a quote: nothing, no GitHub call",
		handle: handleComment(t, "> /test unit\nI don't think this helps."),
	}, {
		name:   "comment that is not a command: no GitHub call",
		handle: handleComment(t, "LGTM, thanks for the retry logic!"),
	}, {
		name:   "/test of an unknown job: no GitHub call",
		handle: handleComment(t, "/test integration"),
	}, {
		name:   "/test mid-line: no GitHub call",
		handle: handleComment(t, "please /test unit"),
	}, {
		name: "comment on a closed PR: nothing, no GitHub call",
		handle: handleComment(t, "/test all", func(e *gogithub.IssueCommentEvent) {
			e.Issue.State = gogithub.Ptr("closed")
		}),
	}, {
		name: "PR closed by the time it is fetched: nothing",
		seed: func(gh *fakegithub.Server) {
			pr := fixturePullRequest(t)
			pr.State = gogithub.Ptr("closed")
			gh.AddPullRequest("acme", "widgets", pr)
		},
		handle:    handleComment(t, "/test all"),
		wantCalls: pullCall,
	}, {
		name: "comment on an issue: nothing, no GitHub call",
		handle: handleComment(t, "/test all", func(e *gogithub.IssueCommentEvent) {
			e.Issue.PullRequestLinks = nil
		}),
	}, {
		name: "edited comment: nothing, no GitHub call",
		handle: handleComment(t, "/test all", func(e *gogithub.IssueCommentEvent) {
			e.Action = gogithub.Ptr("edited")
		}),
	}, {
		name: "deleted comment: nothing, no GitHub call",
		handle: handleComment(t, "/test all", func(e *gogithub.IssueCommentEvent) {
			e.Action = gogithub.Ptr("deleted")
		}),
	}, {
		name:      "by a member per the API",
		seed:      func(gh *fakegithub.Server) { gh.AddOrgMember("acme", "carol") },
		handle:    handleComment(t, "/test unit", commenter("carol", "CONTRIBUTOR")),
		wantJobs:  []string{"presubmit unit"},
		wantSHA:   headSHA,
		wantCalls: []string{"GET /orgs/acme/members/carol", "GET /repos/acme/widgets/pulls/42"},
	}, {
		name:      "by an untrusted user: nothing, the PR is not fetched",
		handle:    handleComment(t, "/test all", commenter("mallory", "NONE")),
		wantCalls: []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory"},
	}, {
		name: "/test unit on a repository without that job: no GitHub call",
		handle: handleComment(t, "/test unit", func(e *gogithub.IssueCommentEvent) {
			e.Repo.Name = gogithub.Ptr("sprockets")
		}),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkHandlerCase(t, tc) })
	}
}

func TestHandlePush(t *testing.T) {
	tests := []handlerCase{{
		name:     "push to main: postsubmits for main",
		handle:   handlePushEvent(t),
		wantJobs: []string{"postsubmit docs", "postsubmit publish"},
		wantSHA:  pushSHA,
	}, {
		name: "push to a release branch",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Ref = gogithub.Ptr("refs/heads/release-1.2")
		}),
		wantJobs: []string{"postsubmit docs", "postsubmit release-publish"},
		wantSHA:  pushSHA,
	}, {
		name: "owner named only in owner.name",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Repo.Owner.Login = nil
		}),
		wantJobs: []string{"postsubmit docs", "postsubmit publish"},
		wantSHA:  pushSHA,
	}, {
		name: "branch deletion: nothing",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Deleted = gogithub.Ptr(true)
			e.After = gogithub.Ptr("0000000000000000000000000000000000000000")
		}),
	}, {
		name: "tag push: nothing",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Ref = gogithub.Ptr("refs/tags/v1.0.0")
		}),
	}, {
		name: "repository without jobs: nothing",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Repo.Name = gogithub.Ptr("sprockets")
		}),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkHandlerCase(t, tc) })
	}
}

func TestPullRequestRefs(t *testing.T) {
	got := trigger.PullRequestRefs(fixturePullRequest(t))
	want := prowjobsv1.Refs{
		Org:      "acme",
		Repo:     "widgets",
		RepoLink: "https://github.com/acme/widgets",
		BaseRef:  "main",
		BaseSHA:  baseSHA,
		BaseLink: "https://github.com/acme/widgets/commit/" + baseSHA,
		Pulls: []prowjobsv1.Pull{{
			Number:     42,
			Author:     "alice",
			SHA:        headSHA,
			Title:      "fetcher: retry transient widget lookups",
			Ref:        "refs/pull/42/head",
			HeadRef:    "alice/retry-fetch",
			Link:       "https://github.com/acme/widgets/pull/42",
			CommitLink: "https://github.com/acme/widgets/commit/" + headSHA,
			AuthorLink: "https://github.com/alice",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trigger.PullRequestRefs() (-want, +got):\n%s", diff)
	}
}

func TestCreatedJobs(t *testing.T) {
	// The jobs a handler creates are the ones pkg/jobs builds for the event's refs, apart
	// from the build id, start time and creation time, which depend on the clock.
	env := newTestEnv(t, "")
	e := pullRequestEvent(t, nil)
	if err := newPlugin().handlePullRequest(testContext(t), env.agent, e); err != nil {
		t.Fatalf("handlePullRequest() error = %v", err)
	}
	refs := trigger.PullRequestRefs(e.GetPullRequest())
	for _, got := range env.creator.created {
		var job config.Presubmit
		for _, j := range env.agent.Config.PresubmitsFor("acme", "widgets") {
			if j.Name == got.Spec.Job {
				job = j
			}
		}
		want := jobs.NewPresubmit(env.agent.Config, job, refs, jobs.Options{EventGUID: deliveryID, NameKey: trigger.AutomaticNameKey("acme", "widgets", 42), Now: got.Status.StartTime.Time})
		want.Labels[prowjobsv1.BuildIDLabel] = got.Labels[prowjobsv1.BuildIDLabel]
		want.Status.BuildID = got.Status.BuildID
		want.CreationTimestamp = got.CreationTimestamp // the apiserver's, not the hook's
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ProwJob for %s (-want, +got):\n%s", got.Spec.Job, diff)
		}
	}
	if len(env.creator.created) == 0 {
		t.Error("no ProwJob created")
	}
}

// handlerFunc runs one of the trigger's handlers on a prepared event.
type handlerFunc = func(ctx context.Context, a plugins.Agent) error

func TestCreateErrors(t *testing.T) {
	alreadyExists := apierrors.NewAlreadyExists(prowjobsv1.Resource("prowjobs"), "x")
	unavailable := apierrors.NewServiceUnavailable("etcd is unavailable")
	handlers := []struct {
		name string
		// jobs are the jobs the event asks for, sorted.
		jobs   []string
		handle func(t *testing.T) handlerFunc
	}{
		{name: "pull request", jobs: []string{"lint", "unit"}, handle: func(t *testing.T) handlerFunc { return handlePR(t) }},
		{name: "comment", jobs: []string{"lint", "unit"}, handle: func(t *testing.T) handlerFunc { return handleComment(t, "/test all") }},
		{name: "push", jobs: []string{"docs", "publish"}, handle: func(t *testing.T) handlerFunc { return handlePushEvent(t) }},
	}
	tests := []struct {
		name string
		// errs maps a job's position in the handler's jobs to what its create returns.
		errs        map[int]error
		wantCreated int
		// wantErrFor are the positions of the jobs the handler's error must name; none
		// means the handler must succeed.
		wantErrFor []int
	}{{
		name:        "every job already exists: no error",
		errs:        map[int]error{0: alreadyExists, 1: alreadyExists},
		wantCreated: 0,
	}, {
		name:        "one job already exists: the other is created, no error",
		errs:        map[int]error{0: alreadyExists},
		wantCreated: 1,
	}, {
		name:        "another error: returned, naming the job",
		errs:        map[int]error{1: unavailable},
		wantCreated: 1,
		wantErrFor:  []int{1},
	}, {
		name:        "errors for every job are all returned",
		errs:        map[int]error{0: errors.New("connection refused"), 1: unavailable},
		wantCreated: 0,
		wantErrFor:  []int{0, 1},
	}}
	for _, h := range handlers {
		for _, tc := range tests {
			t.Run(h.name+"/"+tc.name, func(t *testing.T) {
				env := newTestEnv(t, "")
				seedPullRequest(t, env.gh)
				env.creator.err = func(pj *prowjobsv1.ProwJob) error {
					return tc.errs[slices.Index(h.jobs, pj.Spec.Job)]
				}
				err := h.handle(t)(testContext(t), env.agent)
				if len(tc.wantErrFor) == 0 && err != nil {
					t.Errorf("handler error = %v, want none", err)
				}
				for _, i := range tc.wantErrFor {
					if want := "create ProwJob for " + h.jobs[i]; err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("handler error = %v, want one containing %q", err, want)
					}
				}
				if got := len(env.creator.jobs()); got != tc.wantCreated {
					t.Errorf("%d jobs created, want %d", got, tc.wantCreated)
				}
			})
		}
	}
}

func TestGitHubUnreachable(t *testing.T) {
	// A trust check or PR fetch that fails loses the event's jobs: the handler must say so,
	// so that the hook answers 5xx and GitHub shows the delivery as failed.
	tests := []struct {
		name   string
		handle func(t *testing.T) handlerFunc
	}{{
		name:   "trust check of a PR author",
		handle: func(t *testing.T) handlerFunc { return handlePR(t, prAuthor("carol", "CONTRIBUTOR")) },
	}, {
		name:   "trust check of a commenter",
		handle: func(t *testing.T) handlerFunc { return handleComment(t, "/test all", commenter("carol", "NONE")) },
	}, {
		name:   "fetching the PR for /test",
		handle: func(t *testing.T) handlerFunc { return handleComment(t, "/test all") },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			handle := tc.handle(t)
			env.gh.Close()
			if err := handle(testContext(t), env.agent); err == nil {
				t.Error("handler error = nil, want the GitHub failure")
			}
			if got := env.creator.jobs(); len(got) != 0 {
				t.Errorf("created %v, want nothing", got)
			}
		})
	}
}

func TestRedeliveryWithClientset(t *testing.T) {
	// The generated fake clientset answers AlreadyExists for the second create of a name,
	// as the apiserver does: a redelivered event creates nothing twice and is no error.
	env := newTestEnv(t, "")
	clientset := fake.NewSimpleClientset()
	env.agent.ProwJobs = clientset.ProwV1().ProwJobs("prow")
	ctx := testContext(t)
	for i := 0; i < 2; i++ {
		if err := handlePR(t)(ctx, env.agent); err != nil {
			t.Fatalf("delivery %d: handlePullRequest() error = %v", i+1, err)
		}
	}
	list, err := clientset.ProwV1().ProwJobs("prow").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	var got []string
	for _, pj := range list.Items {
		got = append(got, fmt.Sprintf("%s %s", pj.Spec.Job, pj.Name))
	}
	slices.Sort(got)
	key := trigger.AutomaticNameKey("acme", "widgets", 42)
	want := []string{
		"lint " + jobs.Name(key, "lint", headSHA),
		"unit " + jobs.Name(key, "unit", headSHA),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProwJobs after two deliveries (-want, +got):\n%s", diff)
	}
}
