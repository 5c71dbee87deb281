package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

// githubCallsScenario names the scenario in the BENCH line.
const githubCallsScenario = "pr+3comments+push"

// githubCallsPluginsYAML enables what a typical Prow org runs on a repository.
const githubCallsPluginsYAML = "plugins:\n  acme: [trigger, lgtm, hold, label]\n"

// githubCallsConfig is a repository with two always_run presubmits, one run_if_changed
// presubmit (whose decision needs the pull request's files) and a postsubmit on main.
func githubCallsConfig(b *testing.B, namespace, repo string, inRepo bool) *config.Config {
	b.Helper()
	extra := ""
	if inRepo {
		extra = fmt.Sprintf("in_repo_config:\n  enabled:\n    %s/%s: true\n", org, repo)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(extra+fmt.Sprintf(`
prowjob_namespace: %[1]s
pod_namespace: %[1]s
presubmits:
  %[2]s/%[3]s:
  - name: unit
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: unit}
  - name: lint
    always_run: true
    pipeline_run_spec:
      pipelineRef: {name: lint}
  - name: widget-e2e
    run_if_changed: '^pkg/widget/'
    pipeline_run_spec:
      pipelineRef: {name: e2e}
postsubmits:
  %[2]s/%[3]s:
  - name: publish
    branches: [main]
    pipeline_run_spec:
      pipelineRef: {name: publish}
`, namespace, org, repo)))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// ghEvent is one webhook of the scenario.
type ghEvent struct {
	name      string // for the breakdown, e.g. "comment /lgtm"
	eventType string // X-GitHub-Event
	body      []byte
}

// eventCalls are the GitHub calls the hook made for one event.
type eventCalls struct {
	name  string
	calls []fakegithub.Call
}

// notModified counts the calls answered 304: revalidations that cost no rate limit.
func notModified(calls []fakegithub.Call) int {
	n := 0
	for _, c := range calls {
		if c.Status == http.StatusNotModified {
			n++
		}
	}
	return n
}

// githubCallsEvents builds the scenario for pull request pr: it is opened by a member, gets
// three comments (/test all from a collaborator, /lgtm from a member who is not the author,
// /hold from someone with no role), main gets a push, and then the three comments come again
// (/retest in place of /test all), the way reviewers repeat themselves after CI and review.
//
// The second round is what exercises the cache, by reading again what the first read:
//   - GET pulls/N: /test all, then /retest. /lgtm and /hold added labels in between, which
//     GitHub embeds in the pull request, so the second read is a changed 200, not a 304.
//   - GET issues/N/labels: /lgtm, /hold, /lgtm, /hold. Each command of the first round adds
//     a label, so only the last read finds the labels as the one before left them (304).
//   - GET pulls/N/files: once, for the run_if_changed job when the pull request opens; the
//     trigger keeps a head's files in memory, so /test all and /retest do not ask again.
//   - GET commits/SHA/status: once, for /retest.
//   - The push costs nothing: its files are in the payload.
func githubCallsEvents(b *testing.B, pr framework.PullRequest) []ghEvent {
	b.Helper()
	var events []ghEvent
	add := func(name, eventType string, body []byte, err error) {
		if err != nil {
			b.Fatal(err)
		}
		events = append(events, ghEvent{name: name, eventType: eventType, body: body})
	}
	comment := func(user, association, text string) {
		body, err := framework.CommentPayload(pr, user, association, text)
		add("comment "+text, "issue_comment", body, err)
	}

	body, err := framework.PullRequestPayload("opened", pr)
	add("pull_request opened", "pull_request", body, err)
	comment("bob", "COLLABORATOR", "/test all")
	comment("carol", "MEMBER", "/lgtm")
	comment("dave", "CONTRIBUTOR", "/hold")
	body, err = framework.PushPayload(framework.Push{
		Org: pr.Org, Repo: pr.Repo, Branch: "main", Before: pr.BaseSHA, Pusher: "erin",
		Commits: []framework.Commit{
			{SHA: strings.Repeat("c", 40), Message: "widget: cache lookups", Author: "erin", Modified: []string{"pkg/widget/widget.go"}},
			{SHA: strings.Repeat("d", 40), Message: "docs: widget cache", Author: "erin", Added: []string{"docs/cache.md"}},
		},
	})
	add("push main", "push", body, err)
	comment("bob", "COLLABORATOR", "/retest")
	comment("carol", "MEMBER", "/lgtm")
	comment("dave", "CONTRIBUTOR", "/hold")
	return events
}

// githubCallsProwYAML is the repository's own .prow.yaml in the in-repo variant: one more
// automatic presubmit and one more postsubmit.
const githubCallsProwYAML = `presubmits:
- name: inrepo-unit
  always_run: true
  pipeline_run_spec: {pipelineRef: {name: unit}}
postsubmits:
- name: inrepo-publish
  branches: [main]
  pipeline_run_spec: {pipelineRef: {name: publish}}
`

// runGitHubCalls seeds the emulator, sends the scenario to a hook whose GitHub client has the
// cache on or off, and returns the hook's GitHub calls per event. The hook authenticates with
// a token of its own, so its calls are told from the controllers' (which report statuses
// unauthenticated through the same emulator) by the Authorization header; status writes
// (paths with /statuses/) are left out as well, as in BenchmarkWebhookToPipelineRun.
//
// With inRepo, the repository enables in-repo config and has a .prow.yaml at the pull
// request's head and at the pushed commit.
func runGitHubCalls(b *testing.B, cache, inRepo bool) []eventCalls {
	b.Helper()
	ns := newNamespace(b, "bench-ghcalls")
	repo := "widgets-" + ns // a repository per run: nothing cached from an earlier run helps
	cfg := githubCallsConfig(b, ns, repo, inRepo)
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(githubCallsPluginsYAML), plugins.Default)
	if err != nil {
		b.Fatal(err)
	}
	pjClient, err := prowjobclientset.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	token := "ghp_bench_" + strings.ReplaceAll(ns, "-", "_")
	hook, err := env.NewHook(cfg, pluginCfg, pjClient, zap.NewNop().Sugar(), func(o *github.Options) {
		o.Token = token
		o.DisableCache = !cache
	})
	if err != nil {
		b.Fatal(err)
	}
	defer hook.Close()

	pr := framework.PullRequest{Org: org, Repo: repo, Number: 7, Author: "alice", Association: "MEMBER",
		HeadSHA: strings.Repeat("a", 40), BaseRef: "main", BaseSHA: strings.Repeat("b", 40)}
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		b.Fatal(err)
	}
	env.GitHub.AddPullRequest(org, repo, obj)
	env.GitHub.SetPullRequestFiles(org, repo, pr.Number, "pkg/widget/widget.go", "pkg/widget/widget_test.go", "docs/widget.md")
	if inRepo {
		for _, sha := range []string{pr.HeadSHA, strings.Repeat("d", 40)} {
			env.GitHub.SetFile(org, repo, sha, ".prow.yaml", []byte(githubCallsProwYAML))
			env.GitHub.SetFile(org, repo, sha, "pkg/widget/widget.go", []byte("package widget\n"))
		}
	}

	fromHook := func(c fakegithub.Call) bool {
		return strings.HasSuffix(c.Authorization, " "+token) && !strings.Contains(c.Path, "/statuses/")
	}
	ctx := context.Background()
	var out []eventCalls
	for i, ev := range githubCallsEvents(b, pr) {
		before := env.GitHub.CallCount()
		resp, err := webhook.Send(ctx, nil, hook.URL+"/hook", ev.eventType, fmt.Sprintf("%s-%d", ns, i), ev.body, hook.Secret)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s answered %d", ev.name, resp.StatusCode)
		}
		// The hook answers once every plugin is done, so its calls for this event are in.
		var calls []fakegithub.Call
		for _, c := range env.GitHub.Calls()[before:] {
			if fromHook(c) {
				calls = append(calls, c)
			}
		}
		out = append(out, eventCalls{name: ev.name, calls: calls})
	}
	checkGitHubCallsOutcome(b, ns, repo, pr.Number, inRepo)
	return out
}

// checkGitHubCallsOutcome fails the run if the scenario did not do what it is meant to, so
// the counts are of the intended work: the presubmits and the postsubmit exist, and the pull
// request carries lgtm and hold with one reply each.
func checkGitHubCallsOutcome(b *testing.B, ns, repo string, number int, inRepo bool) {
	b.Helper()
	pjs, err := env.ProwJobs.ProwV1().ProwJobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	byJob := map[string]int{}
	for _, pj := range pjs.Items {
		byJob[pj.Spec.Job]++
	}
	// opened and /test all make unit, lint and widget-e2e each; /retest adds those without a
	// status yet, which depends on how far the controller got; the push makes publish.
	for _, job := range []string{"unit", "lint", "widget-e2e"} {
		if byJob[job] < 2 {
			b.Fatalf("ProwJobs by job %v: want at least 2 of %s", byJob, job)
		}
	}
	if byJob["publish"] != 1 {
		b.Fatalf("ProwJobs by job %v: want 1 publish", byJob)
	}
	if inRepo && (byJob["inrepo-unit"] < 2 || byJob["inrepo-publish"] != 1) {
		b.Fatalf("ProwJobs by job %v: want the in-repo jobs too", byJob)
	}
	labels := env.GitHub.Labels(org, repo, number)
	if !slices.Contains(labels, "lgtm") || !slices.Contains(labels, "do-not-merge/hold") {
		b.Fatalf("labels %v, want lgtm and do-not-merge/hold", labels)
	}
	if n := len(env.GitHub.Comments(org, repo, number)); n != 2 {
		b.Fatalf("%d comments on the pull request, want 2 (the replies to the first /lgtm and /hold)", n)
	}
}

// BenchmarkGitHubCallsPerEvent counts the GitHub API requests bosun's hook makes for a pull
// request's life (runGitHubCalls), with the ETag cache and without. Requests answered 304
// are counted but reported apart: GitHub does not charge them to the rate limit.
func BenchmarkGitHubCallsPerEvent(b *testing.B) {
	for _, variant := range []struct {
		name          string
		cache, inRepo bool
	}{{"cache", true, false}, {"no-cache", false, false}, {"cache-inrepo", true, true}} {
		b.Run(variant.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				perEvent := runGitHubCalls(b, variant.cache, variant.inRepo)
				total, revalidated := 0, 0
				for _, e := range perEvent {
					total += len(e.calls)
					revalidated += notModified(e.calls)
					var desc []string
					for _, c := range e.calls {
						desc = append(desc, fmt.Sprintf("%s %s %d", c.Method, c.Path, c.Status))
					}
					b.Logf("%-22s %d calls, %d answered 304: %s", e.name, len(e.calls), notModified(e.calls), strings.Join(desc, "; "))
				}
				spent := total - revalidated
				events := float64(len(perEvent))
				onOff := map[bool]string{true: "on", false: "off"}[variant.cache]
				b.ReportMetric(float64(total)/events, "calls/event")
				b.ReportMetric(float64(spent)/events, "rate-limited-calls/event")
				b.ReportMetric(float64(total), "calls")
				b.ReportMetric(float64(revalidated), "304s")
				scenario := githubCallsScenario
				if variant.inRepo {
					scenario += "+inrepo"
				}
				fmt.Printf("BENCH github-calls scenario=%s cache=%s total=%d rate_limited=%d per_event=%.2f events=%d not_modified=%d rate_limited_per_event=%.2f\n",
					scenario, onOff, total, spent, float64(total)/events, len(perEvent), revalidated, float64(spent)/events)
			}
		})
	}
}
