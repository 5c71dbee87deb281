package faults

// Fault case (f): the public corpus of real GitHub webhook payloads. Every example of the
// npm package @octokit/webhooks-examples (GitHub's documentation examples, one JSON array of
// examples per event, for github.com and each GHES release) is signed with the real secret
// and delivered, under its event's name and a fresh delivery id, to the hook binary, with the
// controller binary running, on the real apiserver and the GitHub emulator. The corpus is
// fetched by the test (npm pack, pinned version and integrity) into a cache, never committed.
//
// Checked for every delivery: the answer (200 with what the hook did: none of GitHub's own
// payloads is malformed, so none may get a 4xx, and a 5xx would tell GitHub bosun is broken);
// the ProwJobs that exist right after the answer, compared exactly with what the test's own
// rule (expectedCorpusJobs) derives from the example's content; and that the controller gives
// each its PipelineRun. The emulator holds what GitHub holds when it sends these examples:
// the pull request and issue they are about, and the pull request's files. (Without them the
// trigger's file lookup for a run_if_changed job gets a 404 and the hook answers 503, as it
// does for any GitHub failure.)

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/localcluster"
	"github.com/bosun-ci/bosun/test/webhook"
)

// The corpus, pinned: the newest version npm served when this test was written, and the
// integrity npm publishes for its tarball, checked before anything is read from it.
const (
	corpusPackage   = "@octokit/webhooks-examples"
	corpusVersion   = "7.6.1"
	corpusIntegrity = "sha512-De6U3XB6O3DtCa7bKgCMzTHdeopqqZ6SNivMYJnK65ierKL1AnNIA0tkRYCRS7lwGT792d+Ps1WbfHlso6MynQ=="
)

// corpusIndexes are the package's examples files, package/<dir>/index.json, one for github.com
// and one per GitHub Enterprise Server release, with the number of examples each holds at
// the pinned version. All are replayed: the GHES files hold older shapes of the payloads.
var corpusIndexes = []struct {
	dir      string
	examples int
}{{"api.github.com", 329}, {"ghes-31", 49}, {"ghes-32", 49}, {"ghes-33", 50}, {"ghes-34", 124}, {"ghes-35", 125}}

func corpusIndexPath(dir, index string) string {
	return filepath.Join(dir, "package", index, "index.json")
}

const (
	corpusNamespace = "faults-corpus"
	corpusSecret    = "corpus-secret"
)

// The corpus' story, as its examples tell it: in Codertocat/Hello-World (owner Codertocat),
// pull request #2 against master, by Codertocat (OWNER), goes through every pull_request
// action; issue #1, a plain issue, gets comments without commands; master gets pushes that
// add README.md; tags are pushed and deleted. Other examples name other repositories
// (octo-org/octo-repo, Octocoders/Hello-World...) or none.
const (
	corpusOrg    = "Codertocat"
	corpusRepo   = "Hello-World"
	corpusPR     = 2
	corpusPRFile = "README.md" // what pull request #2 changes (the emulator is told so)
)

// corpusPresubmit and corpusPostsubmit are the configured jobs, each with the test's own
// statement of when it runs, written without bosun's code: base (or pushed) branch and
// changed files in, yes or no out. The YAML is built from the same table.
type corpusPresubmit struct {
	name, yaml string
	auto       func(baseRef string, files []string) bool // runs by itself for a trusted pull request
}

type corpusPostsubmit struct {
	name, yaml string
	runs       func(branch string, files []string) bool
}

func anyFileEnds(files []string, suffix string) bool {
	return slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, suffix) })
}

var corpusPresubmits = []corpusPresubmit{
	{"unit", "always_run: true\n    branches: ['^master$']", func(b string, _ []string) bool { return b == "master" }},
	{"lint", "always_run: true", func(string, []string) bool { return true }},
	{"release-check", "always_run: true\n    branches: ['^release-']", func(b string, _ []string) bool { return strings.HasPrefix(b, "release-") }},
	{"docs", `run_if_changed: '\.md$'`, func(_ string, f []string) bool { return anyFileEnds(f, ".md") }},
	{"go-test", `run_if_changed: '\.go$'`, func(_ string, f []string) bool { return anyFileEnds(f, ".go") }},
	{"e2e", "always_run: false", func(string, []string) bool { return false }}, // /test e2e only
}

var corpusPostsubmits = []corpusPostsubmit{
	{"publish", "branches: ['^master$']", func(b string, _ []string) bool { return b == "master" }},
	{"release-publish", "branches: ['^release-']", func(b string, _ []string) bool { return strings.HasPrefix(b, "release-") }},
	{"docs-site", `run_if_changed: '\.md$'`, func(_ string, f []string) bool { return anyFileEnds(f, ".md") }},
	{"go-build", `run_if_changed: '\.go$'`, func(_ string, f []string) bool { return anyFileEnds(f, ".go") }},
}

// corpusConfig configures the jobs above for Codertocat/Hello-World, and jobs for two other
// repositories of the corpus whose examples are events bosun does not act on (merge_group,
// workflow_run, repository, team...): configured or not, those create nothing.
func corpusConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prowjob_namespace: %s\npod_namespace: %s\npresubmits:\n  %s/%s:\n", corpusNamespace, corpusNamespace, corpusOrg, corpusRepo)
	for _, j := range corpusPresubmits {
		fmt.Fprintf(&b, "  - name: %s\n    %s\n    pipeline_run_spec: {pipelineRef: {name: %s}}\n", j.name, j.yaml, j.name)
	}
	b.WriteString("  octo-org/octo-repo:\n  - name: octo-unit\n    always_run: true\n    pipeline_run_spec: {pipelineRef: {name: unit}}\n")
	b.WriteString("  Octocoders/Hello-World:\n  - name: octocoders-unit\n    always_run: true\n    pipeline_run_spec: {pipelineRef: {name: unit}}\n")
	fmt.Fprintf(&b, "postsubmits:\n  %s/%s:\n", corpusOrg, corpusRepo)
	for _, j := range corpusPostsubmits {
		fmt.Fprintf(&b, "  - name: %s\n    %s\n    pipeline_run_spec: {pipelineRef: {name: %s}}\n", j.name, j.yaml, j.name)
	}
	b.WriteString("  octo-org/octo-repo:\n  - name: octo-deploy\n    pipeline_run_spec: {pipelineRef: {name: deploy}}\n")
	return b.String()
}

// Every plugin for the corpus' repositories, so that every handler meets every payload.
const corpusPlugins = `plugins:
  Codertocat: [trigger, lgtm, approve, hold, label, assign, lifecycle, help]
  octo-org: [trigger, lgtm, approve, hold, label, assign, lifecycle, help]
  Octocoders: [trigger]
`

// corpusTrusted are the author associations the trigger trusts without asking GitHub
// (Prow's default, only_org_members false). The emulator knows no members or collaborators,
// so nobody else is trusted.
var corpusTrusted = []string{"OWNER", "MEMBER", "COLLABORATOR"}

// corpusExample is one delivery: an example of the corpus as it is, or (derived set) one
// changed in a stated way to reach what the corpus lacks.
type corpusExample struct {
	id    string // "<index file> <event>#<index in its event's examples>", "derived:..." for changed ones
	event string // the X-GitHub-Event value: the corpus' event name
	body  []byte
}

// corpusJob is what the test compares of a ProwJob.
type corpusJob struct {
	Type      prowjobsv1.ProwJobType
	Job       string
	Repo      string // org/repo
	Pull      int    // 0 for postsubmits
	SHA       string // the pull request's head, or the pushed commit
	EventGUID string // the delivery that created it
}

func (j corpusJob) String() string {
	return fmt.Sprintf("%s %s %s#%d@%s (delivery %s)", j.Type, j.Job, j.Repo, j.Pull, j.SHA, j.EventGUID)
}

// The world the corpus' examples assume on GitHub, which the emulator is seeded with: the
// pull request and the issue the examples are about exist.
type corpusWorld struct {
	pr      *gogithub.PullRequest // Codertocat/Hello-World#2 as the "opened" example has it
	prFiles []string
}

// expectedCorpusJobs is the test's rule for what one delivery creates, from the example's
// content alone (each example is replayed on a namespace with no ProwJobs, so nothing
// earlier can be superseded or deduplicated):
//
//   - pull_request: for Codertocat/Hello-World (trigger enabled), an opened, reopened,
//     synchronize or ready_for_review event of an open, non-draft pull request whose author is
//     trusted (corpusTrusted) runs every presubmit that runs by itself for the base branch
//     and the pull request's files, at the payload's head SHA. A labeled event runs the same
//     jobs only when the label is ok-to-test and the sender is trusted (no such example: the
//     corpus labels "bug"). Every other action runs nothing.
//   - issue_comment: a created comment on an open pull request (the issue has a pull_request
//     link) by a trusted commenter runs the presubmits named by "/test <name>" lines, and
//     for "/test all" the ones that run by themselves, outside ``` fences and "> " quotes, on
//     the emulator's pull request head. The corpus' comments are all on issue #1, a plain
//     issue, and ask for nothing: the derived examples put one on pull request #2.
//   - push: a push to a branch (refs/heads/...), not a deletion, of Codertocat/Hello-World runs
//     the postsubmits whose branch and pushed files (added, modified, removed) say so, at
//     the payload's "after" SHA. Tag pushes run nothing.
//   - any other event, or any other repository, runs nothing (octo-org/octo-repo and
//     Octocoders/Hello-World have jobs, but their examples are not pull_request, comment or
//     push events).
func expectedCorpusJobs(t *testing.T, ex corpusExample, delivery string, w corpusWorld) []corpusJob {
	t.Helper()
	var p struct {
		Action     string `json:"action"`
		Repository *struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		PullRequest *struct {
			Number            int    `json:"number"`
			State             string `json:"state"`
			Draft             bool   `json:"draft"`
			AuthorAssociation string `json:"author_association"`
			Head              struct{ SHA string }
			Base              struct{ Ref string }
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			State       string          `json:"state"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		Comment *struct {
			Body              string `json:"body"`
			AuthorAssociation string `json:"author_association"`
		} `json:"comment"`
		Ref     string `json:"ref"`
		After   string `json:"after"`
		Deleted bool   `json:"deleted"`
		Commits []struct {
			Added, Modified, Removed []string
		} `json:"commits"`
	}
	if err := json.Unmarshal(ex.body, &p); err != nil {
		t.Fatalf("%s: %v", ex.id, err)
	}
	repo := corpusOrg + "/" + corpusRepo
	if p.Repository == nil || p.Repository.FullName != repo {
		return nil
	}
	presubmits := func(pull int, sha string, pick func(corpusPresubmit) bool) []corpusJob {
		var out []corpusJob
		for _, j := range corpusPresubmits {
			if pick(j) {
				out = append(out, corpusJob{prowjobsv1.PresubmitJob, j.name, repo, pull, sha, delivery})
			}
		}
		return out
	}
	switch ex.event {
	case "pull_request":
		pr := p.PullRequest
		if pr == nil {
			return nil
		}
		runs := false
		switch p.Action {
		case "opened", "reopened", "synchronize", "ready_for_review":
			runs = slices.Contains(corpusTrusted, pr.AuthorAssociation)
		case "labeled":
			// Only ok-to-test added by a trusted sender runs jobs. A sender carries no
			// association and the emulator knows no members or collaborators: no sender is
			// trusted, whatever the label.
		}
		if !runs || pr.State != "open" || pr.Draft {
			return nil
		}
		return presubmits(pr.Number, pr.Head.SHA, func(j corpusPresubmit) bool { return j.auto(pr.Base.Ref, w.prFiles) })
	case "issue_comment":
		if p.Issue == nil || p.Comment == nil || p.Action != "created" || len(p.Issue.PullRequest) == 0 || string(p.Issue.PullRequest) == "null" ||
			p.Issue.State != "open" || !slices.Contains(corpusTrusted, p.Comment.AuthorAssociation) || p.Issue.Number != w.pr.GetNumber() {
			return nil
		}
		named, all := corpusTestCommands(p.Comment.Body)
		base := w.pr.GetBase().GetRef()
		return presubmits(p.Issue.Number, w.pr.GetHead().GetSHA(), func(j corpusPresubmit) bool {
			return slices.Contains(named, j.name) || (all && j.auto(base, w.prFiles))
		})
	case "push":
		branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
		if !ok || p.Deleted {
			return nil
		}
		var files []string
		for _, c := range p.Commits {
			files = append(append(append(files, c.Added...), c.Modified...), c.Removed...)
		}
		var out []corpusJob
		for _, j := range corpusPostsubmits {
			if j.runs(branch, files) {
				out = append(out, corpusJob{prowjobsv1.PostsubmitJob, j.name, repo, 0, p.After, delivery})
			}
		}
		return out
	}
	return nil
}

// corpusTestCommands reads "/test <name>..." and "/test all" lines of a comment the simple way the
// test's own comments need: lines inside ``` fences and lines quoted with ">" do not count.
func corpusTestCommands(body string) (named []string, all bool) {
	fenced := false
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r ")
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
		case fenced || strings.HasPrefix(line, ">"):
		case strings.HasPrefix(line, "/test "):
			for _, name := range strings.Fields(line)[1:] {
				if name == "all" {
					all = true
				} else {
					named = append(named, name)
				}
			}
		}
	}
	return named, all
}

// corpusAnswer is the answer the hook must give an example: 200 for every one of them.
// GitHub sent these payloads (they are its documentation's examples), so none is malformed
// for its event type and none may be refused with a 4xx; none may get a 5xx, which would
// tell GitHub bosun is broken. The message says what the hook did: the event types bosun
// acts on are handled (every plugin's handler ran, and the jobs exist), ping is answered
// pong, every other type is ignored without parsing.
func corpusAnswer(event string) (int, string) {
	switch event {
	case "pull_request", "issue_comment", "push":
		return http.StatusOK, "event handled"
	case "ping":
		return http.StatusOK, "pong"
	}
	return http.StatusOK, "event " + event + " ignored"
}

func TestWebhookCorpus(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)

	dir, err := fetchCorpus(ctx)
	if errors.Is(err, errNoNPM) && !framework.ClusterRequired() {
		t.Skipf("cannot fetch the webhook corpus: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var examples []corpusExample
	var counts []any // per index file: its name, its examples
	for _, index := range corpusIndexes {
		read := readCorpus(t, corpusIndexPath(dir, index.dir), index.dir, index.examples)
		examples = append(examples, read...)
		counts = append(counts, index.dir, len(read))
	}
	corpusCount := len(examples)
	world := seedCorpusWorld(t, env, examples)
	examples = append(examples, derivedExamples(t, examples)...)

	if err := env.Cluster.CreateNamespace(ctx, corpusNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{ConfigYAML: corpusConfig(), PluginsYAML: corpusPlugins, Secret: corpusSecret})

	client := githubClient()
	prowJobs := env.ProwJobs.ProwV1().ProwJobs(corpusNamespace)
	var answered [6]int // by the first digit of the status code
	var jobsSeen, jobsWanted, unexpected, missing int
	for _, ex := range examples {
		delivery := uuid.NewString()
		resp, err := webhook.Send(ctx, client, bosun.HookURL, ex.event, delivery, ex.body, []byte(corpusSecret))
		if err != nil {
			t.Fatalf("%s: %v", ex.id, err)
		}
		var answer struct{ Message string }
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = json.Unmarshal(raw, &answer)
		if c := resp.StatusCode / 100; c >= 1 && c <= 5 {
			answered[c]++
		}
		if code, msg := corpusAnswer(ex.event); resp.StatusCode != code || answer.Message != msg {
			t.Errorf("%s (delivery %s): answered %d %q, want %d %q", ex.id, delivery, resp.StatusCode, raw, code, msg)
		}

		// A 200 says the event's jobs exist: list them right away.
		want := expectedCorpusJobs(t, ex, delivery, world)
		list, err := prowJobs.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []corpusJob
		for _, pj := range list.Items {
			got = append(got, corpusJobOf(&pj))
		}
		extra, lacking := diffCorpusJobs(got, want)
		for _, j := range extra {
			t.Errorf("%s: unexpected ProwJob %s", ex.id, j)
		}
		for _, j := range lacking {
			t.Errorf("%s: missing ProwJob %s", ex.id, j)
		}
		jobsSeen, jobsWanted, unexpected, missing = jobsSeen+len(got), jobsWanted+len(want), unexpected+len(extra), missing+len(lacking)
		if len(list.Items) > 0 {
			waitForCorpusRuns(ctx, t, env, list.Items)
			resetCorpusNamespace(ctx, t, env)
		}
	}
	figures := []any{"examples", corpusCount, "derived", len(examples) - corpusCount,
		"answered_2xx", answered[2], "answered_4xx", answered[4], "answered_5xx", answered[5],
		"jobs", jobsSeen, "expected_jobs", jobsWanted, "unexpected", unexpected, "missing", missing,
		"corpus", corpusPackage + "@" + corpusVersion}
	figures = append(figures, counts...)
	reportFault(t, "webhook-corpus", append(figures, "seconds", time.Since(start).Seconds())...)
	if answered[5] != 0 {
		t.Errorf("%d deliveries were answered 5xx", answered[5])
	}
	if jobsWanted == 0 {
		t.Errorf("the rule expects no job for the whole corpus: the test checks nothing")
	}
}

func corpusJobOf(pj *prowjobsv1.ProwJob) corpusJob {
	j := corpusJob{Type: pj.Spec.Type, Job: pj.Spec.Job, EventGUID: pj.Labels[prowjobsv1.EventGUIDLabel]}
	if r := pj.Spec.Refs; r != nil {
		j.Repo = r.Org + "/" + r.Repo
		j.SHA = r.BaseSHA
		if len(r.Pulls) > 0 {
			j.Pull, j.SHA = r.Pulls[0].Number, r.Pulls[0].SHA
		}
	}
	return j
}

// diffCorpusJobs compares two multisets of jobs.
func diffCorpusJobs(got, want []corpusJob) (extra, lacking []corpusJob) {
	left := map[corpusJob]int{}
	for _, j := range want {
		left[j]++
	}
	for _, j := range got {
		if left[j] > 0 {
			left[j]--
		} else {
			extra = append(extra, j)
		}
	}
	for _, j := range want {
		if left[j] > 0 {
			left[j]--
			lacking = append(lacking, j)
		}
	}
	return extra, lacking
}

// waitForCorpusRuns waits until the controller gave every job its PipelineRun and marked it
// pending, so that nothing is still being done for them when they are deleted.
func waitForCorpusRuns(ctx context.Context, t *testing.T, env *framework.Env, pjs []prowjobsv1.ProwJob) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := framework.Poll(ctx, 20*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, pj := range pjs {
			cur, err := env.ProwJobs.ProwV1().ProwJobs(corpusNamespace).Get(ctx, pj.Name, metav1.GetOptions{})
			if err != nil || cur.Status.State != prowjobsv1.PendingState {
				return false, nil
			}
			if _, err := env.Tekton.TektonV1().PipelineRuns(corpusNamespace).Get(ctx, pj.Name, metav1.GetOptions{}); err != nil {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the controller never started the runs of %d jobs: %v", len(pjs), err)
	}
}

// resetCorpusNamespace deletes every ProwJob and PipelineRun, so that the next example meets the
// state the rule assumes: no job of any earlier example.
func resetCorpusNamespace(ctx context.Context, t *testing.T, env *framework.Env) {
	t.Helper()
	prowJobs := env.ProwJobs.ProwV1().ProwJobs(corpusNamespace)
	runs := env.Tekton.TektonV1().PipelineRuns(corpusNamespace)
	if err := prowJobs.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := runs.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := framework.Poll(ctx, 20*time.Millisecond, func(ctx context.Context) (bool, error) {
		pjs, err := prowJobs.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		prs, err := runs.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return len(pjs.Items) == 0 && len(prs.Items) == 0, nil
	})
	if err != nil {
		t.Fatalf("ProwJobs and PipelineRuns never all went: %v", err)
	}
}

// seedCorpusWorld puts into the emulator what exists on GitHub when GitHub sends the
// examples: pull request #2 (as the first "opened" example has it) with the file it
// changes, and issue #1 that the comments are on.
func seedCorpusWorld(t *testing.T, env *framework.Env, examples []corpusExample) corpusWorld {
	t.Helper()
	var w corpusWorld
	var issue *gogithub.Issue
	for _, ex := range examples {
		switch ex.event {
		case "pull_request":
			var e gogithub.PullRequestEvent
			if err := json.Unmarshal(ex.body, &e); err != nil {
				t.Fatalf("%s: %v", ex.id, err)
			}
			if w.pr == nil && e.GetAction() == "opened" && e.GetPullRequest().GetNumber() == corpusPR {
				w.pr = e.GetPullRequest()
			}
		case "issue_comment":
			var e gogithub.IssueCommentEvent
			if err := json.Unmarshal(ex.body, &e); err != nil {
				t.Fatalf("%s: %v", ex.id, err)
			}
			if issue == nil {
				issue = e.GetIssue()
			}
		}
	}
	if w.pr == nil || issue == nil {
		t.Fatalf("the corpus has no opened pull request #%d or no comment: not the corpus this test knows", corpusPR)
	}
	w.prFiles = []string{corpusPRFile}
	env.GitHub.AddPullRequest(corpusOrg, corpusRepo, w.pr)
	env.GitHub.SetPullRequestFiles(corpusOrg, corpusRepo, corpusPR, w.prFiles...)
	env.GitHub.AddIssue(corpusOrg, corpusRepo, issue)
	return w
}

// derivedExamples reach what the corpus has no example of: a /test command on a pull
// request. Each is the corpus' first issue_comment "created" example with the issue made
// pull request #2 (number and pull_request link, as GitHub sends comments on pull requests)
// and the comment's body (and, for one, author) replaced.
func derivedExamples(t *testing.T, examples []corpusExample) []corpusExample {
	t.Helper()
	i := slices.IndexFunc(examples, func(ex corpusExample) bool {
		return ex.event == "issue_comment" && bytes.Contains(ex.body, []byte(`"action":"created"`))
	})
	if i < 0 {
		t.Fatal("the corpus has no issue_comment created example")
	}
	variants := []struct {
		name, body, login, association string
	}{
		{"owner asks /test e2e", "Looks right.\n/test e2e", "", ""},
		{"owner quotes /test e2e in a code block", "Run this:\n```\n/test e2e\n```\n> /test lint", "", ""},
		{"a contributor the emulator does not trust asks /test all", "/test all", "drive-by-contributor", "CONTRIBUTOR"},
	}
	var out []corpusExample
	for _, v := range variants {
		var ev map[string]any
		dec := json.NewDecoder(bytes.NewReader(examples[i].body))
		dec.UseNumber() // ids stay as the corpus writes them
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		issue := ev["issue"].(map[string]any)
		issue["number"] = corpusPR
		issue["pull_request"] = map[string]any{
			"url":      fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", corpusOrg, corpusRepo, corpusPR),
			"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", corpusOrg, corpusRepo, corpusPR),
		}
		comment := ev["comment"].(map[string]any)
		comment["body"] = v.body
		if v.login != "" {
			comment["user"].(map[string]any)["login"] = v.login
			comment["author_association"] = v.association
		}
		body, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusExample{id: "derived:" + examples[i].id + " " + v.name, event: "issue_comment", body: body})
	}
	return out
}

// readCorpus reads every example of an index, a JSON array of event definitions each with
// its name and examples, and checks it holds as many as the pinned version has. The
// examples are delivered as the corpus has them, compacted as GitHub sends JSON.
func readCorpus(t *testing.T, path, index string, want int) []corpusExample {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var defs []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(data, &defs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []corpusExample
	for _, d := range defs {
		for i, raw := range d.Examples {
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				t.Fatalf("%s %s#%d: %v", path, d.Name, i, err)
			}
			out = append(out, corpusExample{id: fmt.Sprintf("%s %s#%d", index, d.Name, i), event: d.Name, body: compact.Bytes()})
		}
	}
	if len(out) != want {
		t.Fatalf("%s holds %d examples; %s@%s has %d", path, len(out), corpusPackage, corpusVersion, want)
	}
	return out
}

// errNoNPM means npm is not installed, so the corpus cannot be fetched.
var errNoNPM = errors.New("npm is not installed")

// fetchCorpus returns the directory the pinned corpus is unpacked in: a cache beside the
// control plane's binaries, ${BOSUN_BIN_DIR:-~/.cache/bosun/bin}/../webhooks-examples-<version>,
// filled on first use by `npm pack` (the tarball's integrity checked against the pin) and
// reused afterwards.
func fetchCorpus(ctx context.Context) (string, error) {
	dir := filepath.Join(filepath.Dir(localcluster.DefaultBinDir()), "webhooks-examples-"+corpusVersion)
	if _, err := os.Stat(corpusIndexPath(dir, corpusIndexes[0].dir)); err == nil {
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("%w (%v): .ci/run installs it", errNoNPM, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".webhooks-examples-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", corpusPackage+"@"+corpusVersion)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %w\n%s", corpusPackage, corpusVersion, err, out)
	}
	tarballs, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tarballs) != 1 {
		return "", fmt.Errorf("npm pack left %v in %s, want one tarball (output %s)", tarballs, tmp, out)
	}
	tarball, err := os.ReadFile(tarballs[0])
	if err != nil {
		return "", err
	}
	sum := sha512.Sum512(tarball)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != corpusIntegrity {
		return "", fmt.Errorf("%s@%s has integrity %s, pinned %s", corpusPackage, corpusVersion, got, corpusIntegrity)
	}
	unpacked := filepath.Join(tmp, "unpacked")
	if err := untarCorpus(tarball, unpacked); err != nil {
		return "", fmt.Errorf("unpack %s: %w", tarballs[0], err)
	}
	if err := os.Rename(unpacked, dir); err != nil {
		// Another run filled the cache meanwhile: use its copy.
		if _, statErr := os.Stat(corpusIndexPath(dir, corpusIndexes[0].dir)); statErr == nil {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}

// untarCorpus writes the regular files of a gzipped tarball under dir, refusing paths that would
// leave it.
func untarCorpus(tgz []byte, dir string) error {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("tarball entry %q leaves the directory", h.Name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, io.LimitReader(tr, 64<<20))
		if closeErr := f.Close(); err == nil {
			err = closeErr
		}
		if err != nil {
			return err
		}
	}
}
