package trigger

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gogithub "github.com/google/go-github/v93/github"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
)

// statusJobConfig has, for acme/widgets on main, every kind of presubmit /retest and
// "/test ?" tell apart: always_run required jobs (unit; lint, which reports as ci/lint;
// coverage), an always_run optional one (integration), a required one that runs only when
// asked (e2e), one that runs when docs change (docs-lint), an optional one with its own
// command (bench), and one for release branches only (release-check).
const statusJobConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: lint
    always_run: true
    context: ci/lint
    pipeline_run_spec: {pipelineRef: {name: lint}}
  - name: integration
    always_run: true
    optional: true
    pipeline_run_spec: {pipelineRef: {name: integration}}
  - name: e2e
    pipeline_run_spec: {pipelineRef: {name: e2e}}
  - name: docs-lint
    run_if_changed: '^docs/'
    pipeline_run_spec: {pipelineRef: {name: docs-lint}}
  - name: coverage
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: coverage}}
  - name: bench
    optional: true
    trigger: '(?m)^/bench\s*$'
    rerun_command: /bench
    pipeline_run_spec: {pipelineRef: {name: bench}}
  - name: release-check
    always_run: true
    branches: ['^release-']
    pipeline_run_spec: {pipelineRef: {name: release-check}}
`

// changesJobConfig has presubmits that depend on the changed files: unit always runs,
// docs-lint runs when docs change, e2e is skipped when only docs change, and manual runs
// only when asked. Its postsubmits decide from the pushed files the same way.
const changesJobConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: docs-lint
    run_if_changed: '^docs/|\.md$'
    pipeline_run_spec: {pipelineRef: {name: docs-lint}}
  - name: e2e
    skip_if_only_changed: '^docs/|\.md$'
    pipeline_run_spec: {pipelineRef: {name: e2e}}
  - name: manual
    pipeline_run_spec: {pipelineRef: {name: manual}}
postsubmits:
  acme/widgets:
  - name: publish
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: publish}}
  - name: docs-site
    run_if_changed: '^docs/'
    pipeline_run_spec: {pipelineRef: {name: docs-site}}
  - name: go-build
    run_if_changed: '\.go$|(^|/)go\.mod$'
    pipeline_run_spec: {pipelineRef: {name: go-build}}
  - name: e2e-main
    skip_if_only_changed: '^docs/|\.md$'
    pipeline_run_spec: {pipelineRef: {name: e2e-main}}
  - name: nightly
    always_run: false
    pipeline_run_spec: {pipelineRef: {name: nightly}}
`

// alwaysRunJobConfig has only always_run presubmits and plain postsubmits: no decision
// depends on the changed files.
const alwaysRunJobConfig = `
prowjob_namespace: prow
pod_namespace: test-pods
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: lint
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: lint}}
`

// useJobConfig replaces the env's job config with jobsYAML.
func (e *testEnv) useJobConfig(t *testing.T, jobsYAML string) {
	t.Helper()
	cfg, err := config.LoadBytes("config.yaml", []byte(jobsYAML))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	e.agent.Config = cfg
}

// handleFixture handles a fixture of test/testdata/webhooks, changed by mutate, with a
// trigger of its own.
func handleFixture[E any](t *testing.T, eventType, name string, mutate ...func(E)) handlerFunc {
	t.Helper()
	e, ok := parseFixture(t, eventType, name).(E)
	if !ok {
		t.Fatalf("%s does not parse into %T", name, e)
	}
	for _, m := range mutate {
		m(e)
	}
	return func(ctx context.Context, a plugins.Agent) error { return dispatch(ctx, newPlugin(), a, e) }
}

// untrustedPR seeds #42 as a pull request from mallory, a first-time contributor, with the
// given labels.
func untrustedPR(t *testing.T, labels ...string) func(*fakegithub.Server) {
	t.Helper()
	pr := fixturePullRequest(t)
	pr.User.Login = gogithub.Ptr("mallory")
	pr.AuthorAssociation = gogithub.Ptr("FIRST_TIME_CONTRIBUTOR")
	for _, l := range labels {
		pr.Labels = append(pr.Labels, &gogithub.Label{Name: l})
	}
	return func(gh *fakegithub.Server) { gh.AddPullRequest("acme", "widgets", pr) }
}

// prLabels gives the event's pull request the labels.
func prLabels(labels ...string) func(*gogithub.PullRequestEvent) {
	return func(e *gogithub.PullRequestEvent) {
		e.PullRequest.Labels = nil
		for _, l := range labels {
			e.PullRequest.Labels = append(e.PullRequest.Labels, &gogithub.Label{Name: l})
		}
	}
}

func prAction(action string) func(*gogithub.PullRequestEvent) {
	return func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr(action) }
}

// seedStatus is a commit status set before the event.
type seedStatus struct {
	sha, context, state string
}

// flowCase is one event handled with seeded GitHub state and jobs, checked for the jobs
// created and aborted, the labels and comments on #42, and the GitHub calls.
type flowCase struct {
	name string
	// jobs is the job config; empty means jobConfig.
	jobs    string
	plugins string
	// seed prepares the emulator after #42 of the fixtures is added.
	seed     func(*fakegithub.Server)
	statuses []seedStatus
	running  []seedJob
	handle   handlerFunc
	// wantJobs are the created jobs as "<type> <job>", sorted, all testing wantSHA.
	wantJobs []string
	wantSHA  string
	// wantRetest says the created jobs carry the /retest label.
	wantRetest bool
	// automatic says the created jobs are a pull request event's automatic runs, named
	// after the pull request and head.
	automatic bool
	// wantSeeded are the running jobs afterwards, in order (see jobStates).
	wantSeeded []string
	// wantLabels are the labels on #42 afterwards.
	wantLabels []string
	// wantComments hold, for each comment on #42, a text it contains.
	wantComments []string
	wantCalls    []string
}

func checkFlow(t *testing.T, tc flowCase) {
	t.Helper()
	env := newTestEnv(t, tc.plugins)
	if tc.jobs != "" {
		env.useJobConfig(t, tc.jobs)
	}
	seedPullRequest(t, env.gh)
	if tc.seed != nil {
		tc.seed(env.gh)
	}
	ctx := testContext(t)
	for _, s := range tc.statuses {
		if err := env.agent.GitHub.CreateStatus(ctx, "acme", "widgets", s.sha, github.Status{State: s.state, Context: s.context}); err != nil {
			t.Fatalf("CreateStatus() error = %v", err)
		}
	}
	seeded := env.seedJobs(t, tc.running...)
	env.gh.Reset()

	if err := tc.handle(ctx, env.agent); err != nil {
		t.Fatalf("handler error = %v", err)
	}

	created := env.newJobs(len(seeded))
	if diff := cmp.Diff(tc.wantJobs, jobNames(created)); diff != "" {
		t.Errorf("created jobs (-want, +got):\n%s", diff)
	}
	checkCreated(t, created, tc.wantSHA, tc.automatic)
	for _, pj := range created {
		if got := pj.Labels[prowjobsv1.RetestLabel] == "true"; got != tc.wantRetest {
			t.Errorf("job %s has the %s label: %v, want %v", pj.Spec.Job, prowjobsv1.RetestLabel, got, tc.wantRetest)
		}
	}
	if diff := cmp.Diff(tc.wantSeeded, env.jobStates(seeded)); diff != "" {
		t.Errorf("earlier jobs afterwards (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(tc.wantLabels, env.gh.Labels("acme", "widgets", 42), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("labels on #42 (-want, +got):\n%s", diff)
	}
	comments := commentBodies(env.gh, 42)
	if len(comments) != len(tc.wantComments) {
		t.Errorf("comments on #42 = %q, want %d containing %q", comments, len(tc.wantComments), tc.wantComments)
	} else {
		for i, want := range tc.wantComments {
			if !strings.Contains(comments[i], want) {
				t.Errorf("comment %d = %q, want it to contain %q", i, comments[i], want)
			}
		}
	}
	if diff := cmp.Diff(tc.wantCalls, env.calls()); diff != "" {
		t.Errorf("GitHub calls (-want, +got):\n%s", diff)
	}
}

func TestParseCommands(t *testing.T) {
	cfg, err := config.LoadBytes("config.yaml", []byte(statusJobConfig))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	// parsed is commands with the jobs by name, to compare.
	type parsed struct {
		OkToTest, TestAll, Retest, RetestRequired, TestHelp, Cancel bool
		CancelJobs, Named                                           []string
	}
	tests := []struct {
		name string
		body string
		want parsed
	}{{
		name: "/ok-to-test",
		body: "/ok-to-test",
		want: parsed{OkToTest: true},
	}, {
		name: "/test all",
		body: "/test all",
		want: parsed{TestAll: true},
	}, {
		name: "/retest",
		body: "/retest",
		want: parsed{Retest: true},
	}, {
		name: "/retest-required is not /retest",
		body: "/retest-required",
		want: parsed{RetestRequired: true},
	}, {
		name: "/test ?",
		body: "/test ?",
		want: parsed{TestHelp: true},
	}, {
		name: "bare /test lists the jobs too",
		body: "/test",
		want: parsed{TestHelp: true},
	}, {
		name: "/test ? with trailing spaces and CRLF",
		body: "/test ?  \r\nthanks",
		want: parsed{TestHelp: true},
	}, {
		name: "/test unit names a job and is no help request",
		body: "/test unit",
		want: parsed{Named: []string{"unit"}},
	}, {
		name: "/test with two names, in config order",
		body: "/test e2e unit",
		want: parsed{Named: []string{"unit", "e2e"}},
	}, {
		name: "a job's own trigger",
		body: "/bench",
		want: parsed{Named: []string{"bench"}},
	}, {
		name: "/test of an unknown job: nothing",
		body: "/test integration-xl",
		want: parsed{},
	}, {
		name: "bare /cancel: every running job",
		body: "/cancel",
		want: parsed{Cancel: true},
	}, {
		name: "/cancel with a name",
		body: "/cancel lint",
		want: parsed{Cancel: true, CancelJobs: []string{"lint"}},
	}, {
		name: "/cancel with names and trailing spaces",
		body: "/cancel lint  e2e  ",
		want: parsed{Cancel: true, CancelJobs: []string{"lint", "e2e"}},
	}, {
		name: "two /cancel lines add up",
		body: "/cancel lint\n/cancel e2e",
		want: parsed{Cancel: true, CancelJobs: []string{"lint", "e2e"}},
	}, {
		name: "a bare /cancel among named ones cancels everything",
		body: "/cancel lint\n/cancel\n/cancel e2e",
		want: parsed{Cancel: true},
	}, {
		name: "several commands in one comment",
		body: "Looks safe to me.\r\n/ok-to-test\r\n/test e2e\r\n/retest\r\n/cancel bench",
		want: parsed{OkToTest: true, Retest: true, Cancel: true, CancelJobs: []string{"bench"}, Named: []string{"e2e"}},
	}, {
		name: "commands in a fenced code block are ignored",
		body: "The bot answered:\n```\n/retest\n/cancel\n/test ?\n/ok-to-test\n/test unit\n```\n",
		want: parsed{},
	}, {
		name: "commands in a tilde code block are ignored",
		body: "~~~text\n/test all\n/retest-required\n~~~",
		want: parsed{},
	}, {
		name: "commands in quotes are ignored",
		body: "> /ok-to-test\n> /cancel\n> /test unit\nI don't think so.",
		want: parsed{},
	}, {
		name: "a command after a closed code block counts",
		body: "```\n/cancel\n```\n/retest",
		want: parsed{Retest: true},
	}, {
		name: "commands mid-line or with trailing words are not commands",
		body: "please /retest\n/retest now\n/ok-to-test? sure\n/cancelled\n/testing",
		want: parsed{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := parseCommands(tc.body, cfg.PresubmitsFor("acme", "widgets"))
			got := parsed{
				OkToTest: c.okToTest, TestAll: c.testAll, Retest: c.retest, RetestRequired: c.retestRequired,
				TestHelp: c.testHelp, Cancel: c.cancel, CancelJobs: c.cancelJobs,
			}
			for _, job := range c.named {
				got.Named = append(got.Named, job.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseCommands(%q) (-want, +got):\n%s", tc.body, diff)
			}
			if wantAny := !cmp.Equal(tc.want, parsed{}); c.any() != wantAny {
				t.Errorf("any() = %v, want %v", c.any(), wantAny)
			}
		})
	}
}

// TestCommandRegexps checks the trigger's command grammar line by line; TestParseCommands
// checks it through parseCommands.
func TestCommandRegexps(t *testing.T) {
	tests := []struct {
		name string
		re   *regexp.Regexp
		body string
		want bool
	}{
		{"test all", testAllRe, "/test all", true},
		{"test all with comma", testAllRe, "/test all,", true},
		{"test all then text", testAllRe, "/test all please", true},
		{"test all on a later line", testAllRe, "hi\n/test all", true},
		{"test allx", testAllRe, "/test allx", false},
		{"test unit is not all", testAllRe, "/test unit", false},
		{"retest", retestRe, "/retest", true},
		{"retest with trailing space", retestRe, "/retest  \nthanks", true},
		{"retest with words", retestRe, "/retest unit", false},
		{"retest-required is not retest", retestRe, "/retest-required", false},
		{"retest-required", retestRequiredRe, "/retest-required", true},
		{"ok-to-test", okToTestRe, "/ok-to-test", true},
		{"ok-to-test mid-line", okToTestRe, "is this /ok-to-test", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.re.MatchString(config.StripCodeAndQuotes(tc.body)); got != tc.want {
				t.Errorf("%s.MatchString(%q) = %v, want %v", tc.re, tc.body, got, tc.want)
			}
		})
	}
}

func TestChangedFilesSelection(t *testing.T) {
	filesCall := "GET /repos/acme/widgets/pulls/42/files"
	withFiles := func(files ...string) func(*fakegithub.Server) {
		return func(gh *fakegithub.Server) { gh.SetPullRequestFiles("acme", "widgets", 42, files...) }
	}
	tests := []flowCase{{
		name:      "code change: e2e runs, docs-lint does not",
		seed:      withFiles("fetcher/fetcher.go", "fetcher/retry_test.go"),
		handle:    handlePR(t),
		automatic: true,
		wantJobs:  []string{"presubmit e2e", "presubmit unit"},
		wantCalls: []string{filesCall},
	}, {
		name:      "docs-only change: docs-lint runs, e2e is skipped",
		seed:      withFiles("docs/retry.md", "README.md"),
		handle:    handlePR(t),
		automatic: true,
		wantJobs:  []string{"presubmit docs-lint", "presubmit unit"},
		wantCalls: []string{filesCall},
	}, {
		name:      "code and docs: both run",
		seed:      withFiles("README.md", "fetcher/fetcher.go"),
		handle:    handlePR(t),
		automatic: true,
		wantJobs:  []string{"presubmit docs-lint", "presubmit e2e", "presubmit unit"},
		wantCalls: []string{filesCall},
	}, {
		name:      "no changed files: neither kind runs",
		handle:    handlePR(t),
		automatic: true,
		wantJobs:  []string{"presubmit unit"},
		wantCalls: []string{filesCall},
	}, {
		name:      "/test all decides the same way",
		seed:      withFiles("docs/retry.md"),
		handle:    handleComment(t, "/test all"),
		wantJobs:  []string{"presubmit docs-lint", "presubmit unit"},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42", filesCall},
	}, {
		name:      "/test of a change-dependent job runs it whatever changed, without the files",
		seed:      withFiles("fetcher/fetcher.go"),
		handle:    handleComment(t, "/test docs-lint"),
		wantJobs:  []string{"presubmit docs-lint"},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42"},
	}}
	for _, tc := range tests {
		tc.jobs = changesJobConfig
		tc.wantSHA = headSHA
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}

func TestChangedFilesFetchedOncePerHead(t *testing.T) {
	opened := func(t *testing.T) *gogithub.PullRequestEvent { return pullRequestEvent(t, nil) }
	reopened := func(t *testing.T) *gogithub.PullRequestEvent { return pullRequestEvent(t, prAction("reopened")) }
	pushed := func(t *testing.T) *gogithub.PullRequestEvent {
		return pullRequestEvent(t, func(e *gogithub.PullRequestEvent) {
			e.Action = gogithub.Ptr("synchronize")
			e.PullRequest.Head.SHA = gogithub.Ptr(secondSHA)
			// The push comes after the opened event's jobs were created.
			e.PullRequest.UpdatedAt = &gogithub.Timestamp{Time: apiserverStart.Add(time.Hour)}
		})
	}
	tests := []struct {
		name string
		jobs string
		// events are handled in order by one trigger.
		events         []func(t *testing.T) any
		wantFilesCalls int
	}{{
		name:           "two events for one head: one files call",
		jobs:           changesJobConfig,
		events:         []func(t *testing.T) any{func(t *testing.T) any { return opened(t) }, func(t *testing.T) any { return reopened(t) }},
		wantFilesCalls: 1,
	}, {
		name: "a PR event and /test all for one head: one files call",
		jobs: changesJobConfig,
		events: []func(t *testing.T) any{
			func(t *testing.T) any { return opened(t) },
			func(t *testing.T) any { return commentEvent(t, "/test all", nil) },
		},
		wantFilesCalls: 1,
	}, {
		name:           "a new head fetches again",
		jobs:           changesJobConfig,
		events:         []func(t *testing.T) any{func(t *testing.T) any { return opened(t) }, func(t *testing.T) any { return pushed(t) }},
		wantFilesCalls: 2,
	}, {
		name: "always_run jobs only: never fetched",
		jobs: alwaysRunJobConfig,
		events: []func(t *testing.T) any{
			func(t *testing.T) any { return opened(t) },
			func(t *testing.T) any { return pushed(t) },
			func(t *testing.T) any { return commentEvent(t, "/test all", nil) },
			func(t *testing.T) any { return commentEvent(t, "/retest", nil) },
		},
		wantFilesCalls: 0,
	}, {
		name: "a job that runs only when asked needs no files",
		jobs: jobConfig,
		events: []func(t *testing.T) any{
			func(t *testing.T) any { return opened(t) },
			func(t *testing.T) any { return commentEvent(t, "/test all", nil) },
		},
		wantFilesCalls: 0,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			env.useJobConfig(t, tc.jobs)
			seedPullRequest(t, env.gh)
			env.gh.SetPullRequestFiles("acme", "widgets", 42, "docs/retry.md", "fetcher/fetcher.go")
			env.gh.Reset()
			p := newPlugin()
			// One core for all the events, as the hook has.
			env.agent.Trigger = trigger.New(trigger.Options{Files: env.agent.GitHub, ProwJobs: env.agent.ProwJobs})
			ctx := testContext(t)
			for i, event := range tc.events {
				if err := dispatch(ctx, p, env.agent, event(t)); err != nil {
					t.Fatalf("event %d: handler error = %v", i+1, err)
				}
			}
			got := 0
			for _, call := range env.calls() {
				if call == "GET /repos/acme/widgets/pulls/42/files" {
					got++
				}
			}
			if got != tc.wantFilesCalls {
				t.Errorf("%d files calls, want %d; all calls: %q", got, tc.wantFilesCalls, env.calls())
			}
			if len(env.creator.jobs()) == 0 {
				t.Error("no job created: the events did not exercise the selection")
			}
		})
	}
}

func TestOkToTest(t *testing.T) {
	untrustedOpened := []func(*gogithub.PullRequestEvent){prAuthor("mallory", "FIRST_TIME_CONTRIBUTOR")}
	trustChecks := []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory"}
	tests := []flowCase{{
		name:         "untrusted PR opened: needs-ok-to-test and exactly one comment",
		seed:         untrustedPR(t),
		handle:       handlePR(t, untrustedOpened...),
		wantLabels:   []string{"needs-ok-to-test"},
		wantComments: []string{"@mallory: thanks for the pull request."},
		wantCalls:    append(slices.Clone(trustChecks), "POST /repos/acme/widgets/issues/42/labels", "POST /repos/acme/widgets/issues/42/comments"),
	}, {
		name:       "untrusted PR opened again (redelivery) with the label already there: no second comment",
		seed:       untrustedPR(t, "needs-ok-to-test"),
		handle:     handlePR(t, append(slices.Clone(untrustedOpened), prLabels("needs-ok-to-test"))...),
		wantLabels: []string{"needs-ok-to-test"},
		wantCalls:  trustChecks,
	}, {
		name:      "untrusted PR reopened: nothing",
		seed:      untrustedPR(t),
		handle:    handlePR(t, append(slices.Clone(untrustedOpened), prAction("reopened"))...),
		wantCalls: trustChecks,
	}, {
		name:       "untrusted PR gets a new commit: nothing",
		seed:       untrustedPR(t, "needs-ok-to-test"),
		handle:     handlePR(t, append(slices.Clone(untrustedOpened), prAction("synchronize"), prLabels("needs-ok-to-test"))...),
		wantLabels: []string{"needs-ok-to-test"},
		wantCalls:  trustChecks,
	}, {
		name: "untrusted PR labelled ok-to-test gets a new commit: runs, no trust check",
		seed: untrustedPR(t, "ok-to-test"),
		handle: handleFixture(t, "pull_request", "pull_request_synchronize.json",
			prAuthor("mallory", "FIRST_TIME_CONTRIBUTOR"), prLabels("ok-to-test")),
		automatic:  true,
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSHA:    secondSHA,
		wantLabels: []string{"ok-to-test"},
	}, {
		name:       "/ok-to-test by a collaborator: labels swapped, jobs run",
		automatic:  true,
		seed:       untrustedPR(t, "needs-ok-to-test"),
		handle:     handleComment(t, "/ok-to-test"),
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSHA:    headSHA,
		wantLabels: []string{"ok-to-test"},
		wantCalls: []string{
			"GET /repos/acme/widgets/pulls/42",
			"POST /repos/acme/widgets/issues/42/labels",
			"DELETE /repos/acme/widgets/issues/42/labels/needs-ok-to-test",
		},
	}, {
		name:       "/ok-to-test by a member per the API",
		automatic:  true,
		seed:       func(gh *fakegithub.Server) { untrustedPR(t, "needs-ok-to-test")(gh); gh.AddOrgMember("acme", "carol") },
		handle:     handleComment(t, "/ok-to-test", commenter("carol", "CONTRIBUTOR")),
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSHA:    headSHA,
		wantLabels: []string{"ok-to-test"},
		wantCalls: []string{
			"GET /orgs/acme/members/carol",
			"GET /repos/acme/widgets/pulls/42",
			"POST /repos/acme/widgets/issues/42/labels",
			"DELETE /repos/acme/widgets/issues/42/labels/needs-ok-to-test",
		},
	}, {
		name:       "/ok-to-test on a PR already labelled ok-to-test: no label calls",
		automatic:  true,
		seed:       untrustedPR(t, "ok-to-test"),
		handle:     handleComment(t, "/ok-to-test"),
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSHA:    headSHA,
		wantLabels: []string{"ok-to-test"},
		wantCalls:  []string{"GET /repos/acme/widgets/pulls/42"},
	}, {
		name:         "/ok-to-test by an untrusted user: refused, nothing created",
		seed:         untrustedPR(t, "needs-ok-to-test"),
		handle:       handleComment(t, "/ok-to-test", commenter("mallory", "CONTRIBUTOR")),
		wantLabels:   []string{"needs-ok-to-test"},
		wantComments: []string{"@mallory: `/ok-to-test` is refused"},
		wantCalls:    append(slices.Clone(trustChecks), "POST /repos/acme/widgets/issues/42/comments"),
	}, {
		name:       "/ok-to-test quoted: nothing, no GitHub call",
		seed:       untrustedPR(t, "needs-ok-to-test"),
		handle:     handleComment(t, "> /ok-to-test\nNot yet, please split the PR first."),
		wantLabels: []string{"needs-ok-to-test"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}

func TestRetest(t *testing.T) {
	// On the head: unit failed, lint (context ci/lint) passed though a stray "lint" context
	// failed, integration errored, e2e (run by hand) and bench failed, an unrelated context
	// is pending; coverage and docs-lint have no status. coverage failed on another commit
	// only.
	statuses := []seedStatus{
		{sha: headSHA, context: "unit", state: "failure"},
		{sha: headSHA, context: "ci/lint", state: "success"},
		{sha: headSHA, context: "lint", state: "failure"},
		{sha: headSHA, context: "integration", state: "error"},
		{sha: headSHA, context: "e2e", state: "failure"},
		{sha: headSHA, context: "bench", state: "failure"},
		{sha: headSHA, context: "tide", state: "pending"},
		{sha: secondSHA, context: "coverage", state: "failure"},
	}
	codeChange := func(gh *fakegithub.Server) { gh.SetPullRequestFiles("acme", "widgets", 42, "fetcher/fetcher.go") }
	retestCalls := []string{
		"GET /repos/acme/widgets/pulls/42",
		"GET /repos/acme/widgets/commits/" + headSHA + "/status",
		"GET /repos/acme/widgets/pulls/42/files",
	}
	tests := []flowCase{{
		name:       "/retest: failed and errored jobs, and automatic jobs without status",
		statuses:   statuses,
		seed:       codeChange,
		handle:     handleComment(t, "/retest"),
		wantJobs:   []string{"presubmit bench", "presubmit coverage", "presubmit e2e", "presubmit integration", "presubmit unit"},
		wantRetest: true,
		wantCalls:  retestCalls,
	}, {
		name:       "/retest-required: optional jobs left out",
		statuses:   statuses,
		seed:       codeChange,
		handle:     handleComment(t, "/retest-required"),
		wantJobs:   []string{"presubmit coverage", "presubmit e2e", "presubmit unit"},
		wantRetest: true,
		wantCalls:  retestCalls,
	}, {
		name:       "/retest and /retest-required together: /retest wins",
		statuses:   statuses,
		seed:       codeChange,
		handle:     handleComment(t, "/retest-required\n/retest"),
		wantJobs:   []string{"presubmit bench", "presubmit coverage", "presubmit e2e", "presubmit integration", "presubmit unit"},
		wantRetest: true,
		wantCalls:  retestCalls,
	}, {
		name:     "/retest with docs changed: docs-lint has no status and runs",
		statuses: statuses,
		seed: func(gh *fakegithub.Server) {
			gh.SetPullRequestFiles("acme", "widgets", 42, "docs/retry.md")
		},
		handle:     handleComment(t, "/retest"),
		wantJobs:   []string{"presubmit bench", "presubmit coverage", "presubmit docs-lint", "presubmit e2e", "presubmit integration", "presubmit unit"},
		wantRetest: true,
		wantCalls:  retestCalls,
	}, {
		name: "/retest with every status green or pending: nothing",
		statuses: []seedStatus{
			{sha: headSHA, context: "unit", state: "success"},
			{sha: headSHA, context: "ci/lint", state: "pending"},
			{sha: headSHA, context: "integration", state: "success"},
			{sha: headSHA, context: "coverage", state: "success"},
			{sha: headSHA, context: "e2e", state: "failure"},
			{sha: headSHA, context: "e2e", state: "success"},
		},
		seed:      codeChange,
		handle:    handleComment(t, "/retest"),
		wantCalls: retestCalls,
	}, {
		name:      "/test of a job is no retest",
		statuses:  statuses,
		handle:    handleComment(t, "/test unit"),
		wantJobs:  []string{"presubmit unit"},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42"},
	}}
	for _, tc := range tests {
		tc.jobs = statusJobConfig
		tc.wantSHA = headSHA
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}

func TestListJobsReply(t *testing.T) {
	wantList := "@bob: these jobs can be run on this pull request (base branch `main`).\n" +
		"\nRequired:\n- `/test unit`\n- `/test lint`\n- `/test e2e`\n- `/test docs-lint`\n- `/test coverage`\n" +
		"\nOptional:\n- `/test integration`\n- `/bench`\n" +
		"\n`/test all` runs the ones that run automatically:\n- `unit`\n- `lint`\n- `integration`\n- `docs-lint`\n- `coverage`\n"
	wantRelease := "@bob: these jobs can be run on this pull request (base branch `release-1.2`).\n" +
		"\nRequired:\n- `/test lint`\n"
	releasePR := func(gh *fakegithub.Server) {
		pr := fixturePullRequest(t)
		pr.Base.Ref = gogithub.Ptr("release-1.2")
		gh.AddPullRequest("acme", "widgets", pr)
	}
	tests := []struct {
		name     string
		jobs     string
		seed     func(*fakegithub.Server)
		body     string
		want     string
		wantJobs []string
	}{{
		name: "/test ?",
		jobs: statusJobConfig,
		body: "/test ?",
		want: wantList,
	}, {
		name: "bare /test",
		jobs: statusJobConfig,
		body: "/test",
		want: wantList,
	}, {
		name:     "/test ? and /test unit: the list and the job",
		jobs:     statusJobConfig,
		body:     "/test ?\n/test unit",
		want:     wantList,
		wantJobs: []string{"presubmit unit"},
	}, {
		name: "only the jobs of the PR's base branch",
		jobs: `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: lint
    pipeline_run_spec: {pipelineRef: {name: lint}}
`,
		seed: releasePR,
		body: "/test ?",
		want: wantRelease,
	}, {
		name: "no job for the branch",
		jobs: `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    branches: ['^main$']
    pipeline_run_spec: {pipelineRef: {name: unit}}
`,
		seed: releasePR,
		body: "/test ?",
		want: "@bob: these jobs can be run on this pull request (base branch `release-1.2`).\n\nNo job is configured for this branch.\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			env.useJobConfig(t, tc.jobs)
			seedPullRequest(t, env.gh)
			if tc.seed != nil {
				tc.seed(env.gh)
			}
			env.gh.Reset()
			if err := handleComment(t, tc.body)(testContext(t), env.agent); err != nil {
				t.Fatalf("handler error = %v", err)
			}
			if diff := cmp.Diff([]string{tc.want}, commentBodies(env.gh, 42)); diff != "" {
				t.Errorf("reply (-want, +got):\n%s", diff)
			}
			wantCalls := []string{"GET /repos/acme/widgets/pulls/42", "POST /repos/acme/widgets/issues/42/comments"}
			if diff := cmp.Diff(wantCalls, env.calls()); diff != "" {
				t.Errorf("GitHub calls (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantJobs, env.creator.jobs()); diff != "" {
				t.Errorf("created jobs (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	running := []seedJob{
		{job: "unit", number: 42, sha: headSHA},
		{job: "lint", number: 42, sha: headSHA},
		{job: "e2e", number: 42, sha: headSHA},
		{job: "lint", number: 42, sha: headSHA, state: prowjobsv1.SuccessState},
		{job: "unit", number: 43, sha: forkSHA},
	}
	const byBob = "Aborted by @bob with /cancel."
	untouched := []string{
		"unit #42 3f1c8a9 pending: running",
		"lint #42 3f1c8a9 pending: running",
		"e2e #42 3f1c8a9 pending: running",
		"lint #42 3f1c8a9 success: finished",
		"unit #43 d4f7a2c pending: running",
	}
	tests := []flowCase{{
		name:   "/cancel: every running job of the PR, no GitHub call",
		handle: handleComment(t, "/cancel"),
		wantSeeded: []string{
			"unit #42 3f1c8a9 aborted: " + byBob,
			"lint #42 3f1c8a9 aborted: " + byBob,
			"e2e #42 3f1c8a9 aborted: " + byBob,
			"lint #42 3f1c8a9 success: finished",
			"unit #43 d4f7a2c pending: running",
		},
	}, {
		name:   "/cancel lint: only lint",
		handle: handleComment(t, "/cancel lint"),
		wantSeeded: []string{
			"unit #42 3f1c8a9 pending: running",
			"lint #42 3f1c8a9 aborted: " + byBob,
			"e2e #42 3f1c8a9 pending: running",
			"lint #42 3f1c8a9 success: finished",
			"unit #43 d4f7a2c pending: running",
		},
	}, {
		name:   "/cancel lint e2e",
		handle: handleComment(t, "/cancel lint e2e"),
		wantSeeded: []string{
			"unit #42 3f1c8a9 pending: running",
			"lint #42 3f1c8a9 aborted: " + byBob,
			"e2e #42 3f1c8a9 aborted: " + byBob,
			"lint #42 3f1c8a9 success: finished",
			"unit #43 d4f7a2c pending: running",
		},
	}, {
		name:       "/cancel of a job that is not running: nothing",
		handle:     handleComment(t, "/cancel release-check"),
		wantSeeded: untouched,
	}, {
		name:   "/cancel by a member per the API",
		seed:   func(gh *fakegithub.Server) { gh.AddOrgMember("acme", "carol") },
		handle: handleComment(t, "/cancel unit", commenter("carol", "CONTRIBUTOR")),
		wantSeeded: []string{
			"unit #42 3f1c8a9 aborted: Aborted by @carol with /cancel.",
			"lint #42 3f1c8a9 pending: running",
			"e2e #42 3f1c8a9 pending: running",
			"lint #42 3f1c8a9 success: finished",
			"unit #43 d4f7a2c pending: running",
		},
		wantCalls: []string{"GET /orgs/acme/members/carol"},
	}, {
		name:       "/cancel by an untrusted user: nothing",
		handle:     handleComment(t, "/cancel", commenter("mallory", "NONE")),
		wantSeeded: untouched,
		wantCalls:  []string{"GET /orgs/acme/members/mallory", "GET /repos/acme/widgets/collaborators/mallory"},
	}, {
		name:       "/cancel in a code block: nothing",
		handle:     handleComment(t, "```\n/cancel\n```"),
		wantSeeded: untouched,
	}, {
		name: "/cancel on a closed PR: nothing, no GitHub call",
		handle: handleComment(t, "/cancel", func(e *gogithub.IssueCommentEvent) {
			e.Issue.State = gogithub.Ptr("closed")
		}),
		wantSeeded: untouched,
	}, {
		name: "/test all on a closed PR: nothing, no GitHub call",
		handle: handleComment(t, "/test all", func(e *gogithub.IssueCommentEvent) {
			e.Issue.State = gogithub.Ptr("closed")
		}),
		wantSeeded: untouched,
	}, {
		name: "/retest on a PR closed by the time it is fetched: nothing",
		seed: func(gh *fakegithub.Server) {
			pr := fixturePullRequest(t)
			pr.State = gogithub.Ptr("closed")
			gh.AddPullRequest("acme", "widgets", pr)
		},
		handle:     handleComment(t, "/retest"),
		wantSeeded: untouched,
		wantCalls:  []string{"GET /repos/acme/widgets/pulls/42"},
	}, {
		name:     "/cancel unit then /test unit: the old unit aborted by the cancel, a new one created",
		handle:   handleComment(t, "/cancel unit\n/test unit"),
		wantJobs: []string{"presubmit unit"},
		wantSHA:  headSHA,
		wantSeeded: []string{
			"unit #42 3f1c8a9 aborted: " + byBob,
			"lint #42 3f1c8a9 pending: running",
			"e2e #42 3f1c8a9 pending: running",
			"lint #42 3f1c8a9 success: finished",
			"unit #43 d4f7a2c pending: running",
		},
		wantCalls: []string{"GET /repos/acme/widgets/pulls/42"},
	}}
	for _, tc := range tests {
		tc.running = running
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}

func TestRunAgainSupersedes(t *testing.T) {
	// The first comment's jobs are still running (triggered) when the second comes.
	tests := []struct {
		name          string
		first, second string
		// wantJobs are every job afterwards, in creation order: the seeded ones, then the
		// first comment's, then the second's (sorted within a comment).
		wantJobs []string
	}{{
		name:   "/test unit twice: the older unit aborted, the newest kept, others left alone",
		first:  "/test unit",
		second: "/test unit",
		wantJobs: []string{
			"lint #42 3f1c8a9 pending: running",
			"unit #43 d4f7a2c pending: running",
			"unit #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"unit #42 3f1c8a9 triggered: Job triggered.",
		},
	}, {
		name:   "/test unit then /test e2e: both kept",
		first:  "/test unit",
		second: "/test e2e",
		wantJobs: []string{
			"lint #42 3f1c8a9 pending: running",
			"unit #43 d4f7a2c pending: running",
			"unit #42 3f1c8a9 triggered: Job triggered.",
			"e2e #42 3f1c8a9 triggered: Job triggered.",
		},
	}, {
		name:   "/test unit then /test all: the older unit and the running lint superseded",
		first:  "/test unit",
		second: "/test all",
		wantJobs: []string{
			"lint #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"unit #43 d4f7a2c pending: running",
			"unit #42 3f1c8a9 aborted: Aborted by trigger plugin.",
			"lint #42 3f1c8a9 triggered: Job triggered.",
			"unit #42 3f1c8a9 triggered: Job triggered.",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			seedPullRequest(t, env.gh)
			env.seedJobs(t, seedJob{job: "lint", number: 42, sha: headSHA}, seedJob{job: "unit", number: 43, sha: forkSHA})
			ctx := testContext(t)
			for i, body := range []string{tc.first, tc.second} {
				a := env.agent
				a.EventGUID = fmt.Sprintf("%s-%d", deliveryID, i+1)
				if err := handleComment(t, body)(ctx, a); err != nil {
					t.Fatalf("comment %d: handler error = %v", i+1, err)
				}
			}
			// Jobs of one delivery are created in parallel: sort within each delivery.
			var got, group []string
			guid := ""
			flush := func() {
				slices.Sort(group)
				got = append(got, group...)
				group = nil
			}
			for _, pj := range env.newJobs(0) {
				if g := pj.Labels[prowjobsv1.EventGUIDLabel]; g != guid {
					flush()
					guid = g
				}
				group = append(group, describeJob(pj))
			}
			flush()
			if diff := cmp.Diff(tc.wantJobs, got); diff != "" {
				t.Errorf("jobs afterwards (-want, +got):\n%s", diff)
			}
		})
	}
}

// barrierCreator holds every List until n jobs were created: each handler's job exists
// before any handler looks for older runs to abort, the interleaving of comments that
// arrive at the same moment.
type barrierCreator struct {
	*recordingCreator
	mu      sync.Mutex
	pending int
	ready   chan struct{}
}

func newBarrierCreator(c *recordingCreator, n int) *barrierCreator {
	return &barrierCreator{recordingCreator: c, pending: n, ready: make(chan struct{})}
}

func (b *barrierCreator) Create(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.CreateOptions) (*prowjobsv1.ProwJob, error) {
	out, err := b.recordingCreator.Create(ctx, pj, opts)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending--; b.pending == 0 {
		close(b.ready)
	}
	return out, err
}

func (b *barrierCreator) List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	select {
	case <-b.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.recordingCreator.List(ctx, opts)
}

func TestConcurrentRunsLeaveTheNewest(t *testing.T) {
	// Several deliveries asking for the same job at the same moment: two users' /test e2e,
	// or /retest and /test e2e, handled at once (by one hook or several replicas).
	tests := []struct {
		name   string
		bodies []string
		// wantRunning are the jobs still running afterwards, one of each.
		wantRunning []string
	}{{
		name:        "two /test e2e",
		bodies:      []string{"/test e2e", "/test e2e"},
		wantRunning: []string{"e2e"},
	}, {
		name:        "five /test e2e",
		bodies:      []string{"/test e2e", "/test e2e", "/test e2e", "/test e2e", "/test e2e"},
		wantRunning: []string{"e2e"},
	}, {
		name:        "/test all and /test unit: one unit, one lint",
		bodies:      []string{"/test all", "/test unit", "/test all"},
		wantRunning: []string{"lint", "unit"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			seedPullRequest(t, env.gh)
			creates := 0
			for _, body := range tc.bodies {
				creates += len(parseCommands(body, env.agent.Config.PresubmitsFor("acme", "widgets")).named)
				if body == "/test all" {
					creates += 2 // unit and lint run for main
				}
			}
			barrier := newBarrierCreator(env.creator, creates)
			ctx := testContext(t)
			var wg sync.WaitGroup
			errs := make([]error, len(tc.bodies))
			for i, body := range tc.bodies {
				a := env.agent
				a.ProwJobs = barrier
				a.EventGUID = fmt.Sprintf("%s-%d", deliveryID, i+1)
				handle := handleComment(t, body)
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = handle(ctx, a)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("comment %d: handler error = %v", i+1, err)
				}
			}
			// Exactly one run of each job is left, and it is the newest in the order every
			// replica computes.
			all := env.newJobs(0)
			newest := map[string]*prowjobsv1.ProwJob{}
			for _, pj := range all {
				if cur := newest[pj.Spec.Job]; cur == nil || prowjobsv1.CreatedBefore(cur, pj) {
					newest[pj.Spec.Job] = pj
				}
			}
			var running []string
			for _, pj := range all {
				switch {
				case !pj.Complete():
					running = append(running, pj.Spec.Job)
					if newest[pj.Spec.Job].Name != pj.Name {
						t.Errorf("%s (%s) survived, but it is not the newest run of its job", pj.Name, pj.Spec.Job)
					}
				case pj.Status.State != prowjobsv1.AbortedState || pj.Status.Description != descriptionSuperseded:
					t.Errorf("%s (%s) ended %s %q, want aborted %q", pj.Name, pj.Spec.Job, pj.Status.State, pj.Status.Description, descriptionSuperseded)
				}
			}
			slices.Sort(running)
			if diff := cmp.Diff(tc.wantRunning, running); diff != "" {
				t.Errorf("running jobs afterwards, of %d created (-want, +got):\n%s", len(all), diff)
			}
		})
	}
}

func TestAbortRace(t *testing.T) {
	// /cancel unit races the controller's status writes on the running unit job.
	conflict := func(name string) error {
		return apierrors.NewConflict(prowjobsv1.Resource("prowjobs"), name, errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	}
	tests := []struct {
		name string
		// updateErr answers the n-th status update (from 1) of the job; env lets it
		// change the stored job as the controller would.
		updateErr   func(env *testEnv, n int, pj *prowjobsv1.ProwJob) error
		wantState   string
		wantUpdates int
		wantErr     bool
	}{{
		name:        "no conflict",
		wantState:   "unit #42 3f1c8a9 aborted: Aborted by @bob with /cancel.",
		wantUpdates: 1,
	}, {
		name: "a conflict once: retried on the fresh object",
		updateErr: func(_ *testEnv, n int, pj *prowjobsv1.ProwJob) error {
			if n == 1 {
				return conflict(pj.Name)
			}
			return nil
		},
		wantState:   "unit #42 3f1c8a9 aborted: Aborted by @bob with /cancel.",
		wantUpdates: 2,
	}, {
		name: "the job succeeded meanwhile: left as it ended",
		updateErr: func(env *testEnv, n int, pj *prowjobsv1.ProwJob) error {
			if n == 1 {
				env.finishJob(pj.Name, prowjobsv1.SuccessState, "succeeded")
				return conflict(pj.Name)
			}
			return nil
		},
		wantState:   "unit #42 3f1c8a9 success: succeeded",
		wantUpdates: 1,
	}, {
		name: "the job was deleted meanwhile: no error",
		updateErr: func(_ *testEnv, _ int, pj *prowjobsv1.ProwJob) error {
			return apierrors.NewNotFound(prowjobsv1.Resource("prowjobs"), pj.Name)
		},
		wantState:   "unit #42 3f1c8a9 pending: running",
		wantUpdates: 1,
	}, {
		name: "conflicts that never end: an error naming the job",
		updateErr: func(_ *testEnv, _ int, pj *prowjobsv1.ProwJob) error {
			return conflict(pj.Name)
		},
		wantState:   "unit #42 3f1c8a9 pending: running",
		wantUpdates: 5, // client-go's retry.DefaultRetry
		wantErr:     true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "")
			seeded := env.seedJobs(t, seedJob{job: "unit", number: 42, sha: headSHA})
			if tc.updateErr != nil {
				n := 0
				env.creator.updateErr = func(pj *prowjobsv1.ProwJob) error {
					n++
					return tc.updateErr(env, n, pj)
				}
			}
			err := handleComment(t, "/cancel unit")(testContext(t), env.agent)
			switch {
			case tc.wantErr && (err == nil || !strings.Contains(err.Error(), "abort ProwJob "+seeded[0].Name+" (unit)")):
				t.Errorf("handler error = %v, want one naming the job", err)
			case !tc.wantErr && err != nil:
				t.Errorf("handler error = %v, want none", err)
			}
			if diff := cmp.Diff([]string{tc.wantState}, env.jobStates(seeded)); diff != "" {
				t.Errorf("job afterwards (-want, +got):\n%s", diff)
			}
			if env.creator.updates != tc.wantUpdates {
				t.Errorf("%d status updates, want %d", env.creator.updates, tc.wantUpdates)
			}
			if got := env.creator.jobs(); len(got) != 1 {
				t.Errorf("jobs = %v, want only the seeded one", got)
			}
		})
	}
}

// finishJob ends a stored job as the controller would.
func (e *testEnv) finishJob(name string, state prowjobsv1.ProwJobState, description string) {
	e.creator.mu.Lock()
	defer e.creator.mu.Unlock()
	for _, pj := range e.creator.created {
		if pj.Name == name {
			done := metav1.NewTime(earlier.Add(10 * time.Minute))
			pj.Status.State = state
			pj.Status.Description = description
			pj.Status.CompletionTime = &done
		}
	}
}

func TestPushChangedFiles(t *testing.T) {
	commits := func(cs ...*gogithub.HeadCommit) func(*gogithub.PushEvent) {
		return func(e *gogithub.PushEvent) { e.Commits = cs }
	}
	commit := func(added, modified, removed []string) *gogithub.HeadCommit {
		return &gogithub.HeadCommit{ID: gogithub.Ptr(pushSHA), Added: added, Modified: modified, Removed: removed}
	}
	tests := []flowCase{{
		name:     "push.json: code and go.mod changed",
		handle:   handlePushEvent(t),
		wantJobs: []string{"postsubmit e2e-main", "postsubmit go-build", "postsubmit publish"},
	}, {
		name:     "docs added only",
		handle:   handlePushEvent(t, commits(commit([]string{"docs/retry.md"}, nil, nil))),
		wantJobs: []string{"postsubmit docs-site", "postsubmit publish"},
	}, {
		name:     "a removed file counts",
		handle:   handlePushEvent(t, commits(commit(nil, nil, []string{"fetcher/legacy.go"}))),
		wantJobs: []string{"postsubmit e2e-main", "postsubmit go-build", "postsubmit publish"},
	}, {
		name: "files of every commit count",
		handle: handlePushEvent(t, commits(
			commit(nil, []string{"README.md"}, nil),
			commit(nil, []string{"docs/retry.md"}, nil),
		)),
		wantJobs: []string{"postsubmit docs-site", "postsubmit publish"},
	}, {
		name: "a later commit's code change runs the code jobs",
		handle: handlePushEvent(t, commits(
			commit([]string{"docs/retry.md"}, nil, nil),
			commit(nil, []string{"go.mod"}, nil),
		)),
		wantJobs: []string{"postsubmit docs-site", "postsubmit e2e-main", "postsubmit go-build", "postsubmit publish"},
	}, {
		name:     "no commits (a branch created at an existing commit): only unconditional jobs",
		handle:   handlePushEvent(t, commits()),
		wantJobs: []string{"postsubmit publish"},
	}, {
		name: "another branch: the main-only job does not run",
		handle: handlePushEvent(t, func(e *gogithub.PushEvent) {
			e.Ref = gogithub.Ptr("refs/heads/release-1.2")
		}, commits(commit(nil, []string{"docs/retry.md"}, nil))),
		wantJobs: []string{"postsubmit docs-site"},
	}}
	for _, tc := range tests {
		tc.jobs = changesJobConfig
		tc.wantSHA = pushSHA
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}

func TestStaleSynchronize(t *testing.T) {
	// A push to secondSHA happened (updated_at 10:10) before the running unit job of headSHA
	// was created (10:16): either the event is a redelivery of an old push that a newer one
	// overtook, or clocks disagree. One GitHub call tells which.
	pushedEarlier := func(e *gogithub.PullRequestEvent) {
		e.Action = gogithub.Ptr("synchronize")
		e.PullRequest.Head.SHA = gogithub.Ptr(secondSHA)
		e.PullRequest.UpdatedAt = &gogithub.Timestamp{Time: earlier.Add(-6 * time.Minute)}
	}
	headIs := func(sha string) func(*fakegithub.Server) {
		return func(gh *fakegithub.Server) {
			pr := fixturePullRequest(t)
			pr.Head.SHA = gogithub.Ptr(sha)
			gh.AddPullRequest("acme", "widgets", pr)
		}
	}
	tests := []flowCase{{
		name:       "GitHub's head is the running job's: the event is stale, nothing aborted or run",
		seed:       headIs(headSHA),
		running:    []seedJob{{job: "unit", number: 42, sha: headSHA}},
		handle:     handlePR(t, pushedEarlier),
		wantSeeded: []string{"unit #42 3f1c8a9 pending: running"},
		wantCalls:  []string{"GET /repos/acme/widgets/pulls/42"},
	}, {
		name:       "GitHub's head is the event's: the clocks disagreed, the push is handled",
		seed:       headIs(secondSHA),
		running:    []seedJob{{job: "unit", number: 42, sha: headSHA}},
		handle:     handlePR(t, pushedEarlier),
		automatic:  true,
		wantSHA:    secondSHA,
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSeeded: []string{"unit #42 3f1c8a9 aborted: Aborted by trigger plugin."},
		wantCalls:  []string{"GET /repos/acme/widgets/pulls/42"},
	}, {
		name:    "a push after the running jobs: no call",
		running: []seedJob{{job: "unit", number: 42, sha: headSHA}},
		handle: handlePR(t, pushedEarlier, func(e *gogithub.PullRequestEvent) {
			e.PullRequest.UpdatedAt = &gogithub.Timestamp{Time: earlier.Add(time.Minute)}
		}),
		automatic:  true,
		wantSHA:    secondSHA,
		wantJobs:   []string{"presubmit lint", "presubmit unit"},
		wantSeeded: []string{"unit #42 3f1c8a9 aborted: Aborted by trigger plugin."},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkFlow(t, tc) })
	}
}
