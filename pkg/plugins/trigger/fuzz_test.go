package trigger

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/plugintest"
	"github.com/bosun-ci/bosun/test/webhook"
)

// The fuzz targets' world. acme/widgets has presubmits of every kind the trigger tells
// apart; acme/other has one that must never run for an acme/widgets event. In the emulator
// carol is a member of acme and dave a collaborator of acme/widgets; the trigger also trusts
// the dependabot app. Pull request #42 (the fixtures') changes a file under docs/.
const fuzzJobConfig = `
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
  - name: docs
    run_if_changed: '^docs/'
    pipeline_run_spec: {pipelineRef: {name: docs}}
  - name: e2e
    pipeline_run_spec: {pipelineRef: {name: e2e}}
  - name: bench
    optional: true
    trigger: '(?m)^/bench\s*$'
    rerun_command: /bench
    pipeline_run_spec: {pipelineRef: {name: bench}}
  acme/other:
  - name: other-unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
`

const fuzzPluginConfig = `plugins:
  acme: [trigger]
triggers:
- repos: [acme/widgets]
  trusted_apps: [dependabot]
`

const (
	fuzzMember       = "carol"
	fuzzCollaborator = "dave"
	fuzzApp          = "dependabot[bot]"
	fuzzNumber       = 42
)

// fuzzFiles are the files pull request #42 changes, in the emulator.
var fuzzFiles = []string{"docs/index.md", "main.go"}

// fuzzJob is the targets' own statement of one acme/widgets presubmit, written without
// bosun's code: the branches it may run on, and whether it runs by itself for #42 (always_run,
// or run_if_changed matching fuzzFiles).
type fuzzJob struct {
	name     string
	onBranch func(string) bool
	auto     bool
}

func everyBranch(string) bool { return true }

var fuzzJobs = []fuzzJob{
	{"unit", func(b string) bool { return b == "main" }, true},
	{"lint", everyBranch, true},
	{"release-check", func(b string) bool { return strings.HasPrefix(b, "release-") }, true},
	{"docs", everyBranch, true},
	{"e2e", everyBranch, false},
	{"bench", everyBranch, false},
}

// fuzzTrusted is who the trigger must trust: Prow's trusted associations, the emulator's
// member and collaborator (GitHub logins are case-insensitive) and the trusted app.
func fuzzTrusted(login, association string) bool {
	switch association {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return strings.EqualFold(login, fuzzMember) || strings.EqualFold(login, fuzzCollaborator) || login == fuzzApp
}

// gitHubLogin reports whether login is one GitHub can send: 1 to 39 letters, digits and
// single hyphens, not starting or ending with a hyphen, or an app's slug with "[bot]".
// Deliveries are signed by GitHub, so the targets send only such logins. (bosun's GitHub
// client puts logins into the trust checks' URL paths unescaped, so a "login" such as
// "carol#x" or "carol?x" would be checked as carol, a member, and trusted; GitHub never sends
// one.)
func gitHubLogin(login string) bool {
	name := strings.TrimSuffix(login, "[bot]")
	if name == "" || len(name) > 39 || name[0] == '-' || name[len(name)-1] == '-' || strings.Contains(name, "--") {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// fuzzLabels are the labels a pull request can carry in the targets: labelBits picks them.
var fuzzLabels = []string{labelOkToTest, labelNeedsOkToTest, "lgtm", "OK-To-Test", "kind/bug"}

func pickLabels(bits uint8) []*gogithub.Label {
	var out []*gogithub.Label
	for i, name := range fuzzLabels {
		if bits&(1<<i) != 0 {
			out = append(out, &gogithub.Label{Name: name})
		}
	}
	return out
}

func labelNames(labels []*gogithub.Label) []string {
	var out []string
	for _, l := range labels {
		out = append(out, l.GetName())
	}
	return out
}

func hasOkToTest(labels []*gogithub.Label) bool {
	return slices.ContainsFunc(labels, func(l *gogithub.Label) bool { return strings.EqualFold(l.GetName(), labelOkToTest) })
}

// fuzzEnv is one fuzzing process' emulator, client and configs, shared by its inputs: each
// input re-seeds what it depends on (pull request #42 with its labels) before it runs.
type fuzzEnv struct {
	gh    *fakegithub.Server
	agent plugins.Agent
	// The fixtures pull_request_opened.json and issue_comment_test_all.json, parsed once;
	// inputs change shallow copies of the parts they set and never write to these.
	prEvent *gogithub.PullRequestEvent
	icEvent *gogithub.IssueCommentEvent
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	f.Helper()
	gh := fakegithub.New()
	f.Cleanup(gh.Close)
	gh.AddOrgMember("acme", fuzzMember)
	gh.AddCollaborator("acme", "widgets", fuzzCollaborator)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL(), Retry: github.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		f.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(fuzzJobConfig))
	if err != nil {
		f.Fatal(err)
	}
	reg := &plugins.Registry{}
	reg.Register(plugins.Plugin{Name: PluginName})
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(fuzzPluginConfig), reg)
	if err != nil {
		f.Fatal(err)
	}
	e := &fuzzEnv{gh: gh, agent: plugins.Agent{
		GitHub: client, Config: cfg, PluginConfig: pluginCfg, Logger: zap.NewNop().Sugar(), EventGUID: deliveryID,
	}}
	for name, into := range map[string]any{"pull_request_opened.json": &e.prEvent, "issue_comment_test_all.json": &e.icEvent} {
		data, err := webhook.Fixture(name)
		if err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(data, into); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
	}
	return e
}

// pullRequest is the fixture's pull request #42 with the given fields, author and
// association; its other parts are shared with the fixture.
func (e *fuzzEnv) pullRequest(state string, draft bool, baseRef string, labels []*gogithub.Label, login, association string) *gogithub.PullRequest {
	pr := *e.prEvent.PullRequest
	base, user := *pr.Base, *pr.User
	base.Ref, user.Login = gogithub.Ptr(baseRef), gogithub.Ptr(login)
	pr.Base, pr.User = &base, &user
	pr.State, pr.Draft, pr.Labels, pr.AuthorAssociation = gogithub.Ptr(state), gogithub.Ptr(draft), labels, gogithub.Ptr(association)
	return &pr
}

// seed puts pull request #42 as given, with its files, into the emulator, replacing what an
// earlier input left there (its labels included), and forgets the recorded calls.
func (e *fuzzEnv) seed(pr *gogithub.PullRequest) {
	e.gh.AddPullRequest("acme", "widgets", pr)
	e.gh.SetPullRequestFiles("acme", "widgets", fuzzNumber, fuzzFiles...)
	e.gh.Reset()
}

// run handles one event with a fresh plugin (empty caches) and a fresh recording creator,
// and returns what was created.
func (e *fuzzEnv) run(handle func(context.Context, *plugin, plugins.Agent) error) ([]*prowjobsv1.ProwJob, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	creator := &recordingCreator{}
	a := e.agent
	a.ProwJobs = creator
	err := handle(ctx, newPlugin(), a)
	creator.mu.Lock()
	defer creator.mu.Unlock()
	return creator.created, err
}

func sortedNames(pjs []*prowjobsv1.ProwJob) []string {
	var out []string
	for _, pj := range pjs {
		out = append(out, pj.Name)
	}
	slices.Sort(out)
	return out
}

func jobSet(pjs []*prowjobsv1.ProwJob) []string {
	var out []string
	for _, pj := range pjs {
		out = append(out, pj.Spec.Job)
	}
	slices.Sort(out)
	return out
}

// checkPresubmits checks what any trigger event may create for #42: presubmits of
// acme/widgets only, each configured for the base branch (and, if auto, one that runs by
// itself), at most once, for #42's head against baseRef.
func checkPresubmits(t *testing.T, pjs []*prowjobsv1.ProwJob, baseRef, headSHA string, autoOnly bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, pj := range pjs {
		i := slices.IndexFunc(fuzzJobs, func(j fuzzJob) bool { return j.name == pj.Spec.Job })
		switch {
		case i < 0:
			t.Errorf("created job %q, not an acme/widgets presubmit", pj.Spec.Job)
			continue
		case !fuzzJobs[i].onBranch(baseRef):
			t.Errorf("created %s for base %q, a branch it is not configured for", pj.Spec.Job, baseRef)
		case autoOnly && !fuzzJobs[i].auto:
			t.Errorf("created %s, which runs only when asked for", pj.Spec.Job)
		case seen[pj.Spec.Job]:
			t.Errorf("created %s twice", pj.Spec.Job)
		}
		seen[pj.Spec.Job] = true
		r := pj.Spec.Refs
		if pj.Spec.Type != prowjobsv1.PresubmitJob || r == nil || r.Org != "acme" || r.Repo != "widgets" || r.BaseRef != baseRef ||
			len(r.Pulls) != 1 || r.Pulls[0].Number != fuzzNumber || r.Pulls[0].SHA != headSHA {
			t.Errorf("created %s %s with refs %+v, want a presubmit of acme/widgets#%d at %s against %q", pj.Spec.Type, pj.Spec.Job, r, fuzzNumber, headSHA, baseRef)
		}
	}
}

// FuzzPullRequestEvent feeds pull_request events, the fixture's with fuzzed action, author,
// association, labels, draft, state, base branch, sender and added label, through the real
// handler against the emulator. Whatever the input: no panic; only acme/widgets presubmits
// that run by themselves on the base branch, at the head, once each; nothing for a closed
// pull request or a draft; nothing for an untrusted author without an ok-to-test label, nor
// for an ok-to-test label added by an untrusted sender; the same names for the same input;
// and exactly the automatic jobs for an open, ready, trusted (or vouched-for) pull request.
func FuzzPullRequestEvent(f *testing.F) {
	env := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, action, login, association string, labelBits uint8, draft bool, state, baseRef, sender, added string) {
		if !gitHubLogin(login) || !gitHubLogin(sender) {
			return
		}
		labels := pickLabels(labelBits)
		event := func() *gogithub.PullRequestEvent {
			ev := *env.prEvent
			ev.Action = gogithub.Ptr(action)
			ev.PullRequest = env.pullRequest(state, draft, baseRef, slices.Clone(labels), login, association)
			ev.Sender = &gogithub.User{Login: gogithub.Ptr(sender)}
			if added != "" {
				ev.Label = &gogithub.Label{Name: added}
			}
			return &ev
		}
		handle := func(ctx context.Context, p *plugin, a plugins.Agent) error {
			return p.handlePullRequest(ctx, a, event())
		}
		onGitHub := env.pullRequest("open", false, baseRef, nil, login, association)
		env.seed(onGitHub)
		created, err := env.run(handle)
		headSHA := env.prEvent.GetPullRequest().GetHead().GetSHA()
		checkPresubmits(t, created, baseRef, headSHA, true)

		vouched := hasOkToTest(labels) || strings.EqualFold(added, labelOkToTest)
		runs := map[string]bool{actionOpened: true, actionReopened: true, actionSynchronize: true, actionReadyForReview: true, actionLabeled: true}
		switch {
		case len(created) == 0:
		case !runs[action]:
			t.Errorf("action %q created %v", action, jobSet(created))
		case draft || state == "closed":
			t.Errorf("a pull request in state %q, draft %t, created %v", state, draft, jobSet(created))
		case !fuzzTrusted(login, association) && !vouched:
			t.Errorf("untrusted author %q (%s) without ok-to-test created %v", login, association, jobSet(created))
		case action == actionLabeled && !fuzzTrusted(sender, ""):
			t.Errorf("label %q added by untrusted %q created %v", added, sender, jobSet(created))
		}
		if action != actionLabeled && runs[action] && state == "open" && !draft && (fuzzTrusted(login, association) || hasOkToTest(labels)) {
			var want []string
			for _, j := range fuzzJobs {
				if j.auto && j.onBranch(baseRef) {
					want = append(want, j.name)
				}
			}
			slices.Sort(want)
			if got := jobSet(created); err != nil || !slices.Equal(got, want) {
				t.Errorf("%s by %q (%s), labels %v, base %q: created %v (error %v), want %v", action, login, association, labelNames(labels), baseRef, got, err, want)
			}
		}

		if len(created) > 0 {
			env.seed(onGitHub)
			again, _ := env.run(handle)
			if a, b := sortedNames(created), sortedNames(again); !slices.Equal(a, b) {
				t.Errorf("the same event created %v, then %v", a, b)
			}
		}
	})
}

// FuzzIssueCommentEvent feeds issue_comment events, the fixture's with fuzzed body, action,
// commenter, association and issue state, on pull request #42 as the emulator holds it with
// fuzzed state, draft, base branch and labels, through the real handler. Whatever the input:
// no panic; only acme/widgets presubmits configured for the base branch, at the head, once
// each; nothing unless a comment is created on an open pull request; nothing for an untrusted
// commenter; nothing when the body is fenced as code or quoted; the same names for the same
// input; and a trusted "/test e2e" line before the body runs e2e.
func FuzzIssueCommentEvent(f *testing.F) {
	env := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body, action, login, association, issueState string, onPR bool, labelBits uint8, prState string, prDraft bool, baseRef string) {
		// The pull request reaches the handler as JSON from the emulator, as from GitHub, so
		// its base branch is text: JSON has no way to carry other bytes.
		if !gitHubLogin(login) || !utf8.ValidString(baseRef) {
			return
		}
		author := env.prEvent.GetPullRequest()
		pr := env.pullRequest(prState, prDraft, baseRef, pickLabels(labelBits), author.GetUser().GetLogin(), author.GetAuthorAssociation())
		handler := func(body string) func(context.Context, *plugin, plugins.Agent) error {
			return func(ctx context.Context, p *plugin, a plugins.Agent) error {
				ev := *env.icEvent
				issue, comment := *ev.Issue, *ev.Comment
				ev.Issue, ev.Comment = &issue, &comment
				ev.Action = gogithub.Ptr(action)
				issue.State = gogithub.Ptr(issueState)
				if !onPR {
					issue.PullRequestLinks = nil
				}
				comment.Body = gogithub.Ptr(body)
				comment.User = &gogithub.User{Login: gogithub.Ptr(login)}
				comment.AuthorAssociation = gogithub.Ptr(association)
				return p.handleIssueComment(ctx, a, &ev)
			}
		}
		runBody := func(body string) ([]*prowjobsv1.ProwJob, error) {
			env.seed(pr)
			return env.run(handler(body))
		}
		created, _ := runBody(body)
		checkPresubmits(t, created, baseRef, pr.GetHead().GetSHA(), false)
		acts := action == "created" && onPR && issueState == "open" && prState == "open"
		switch {
		case len(created) == 0:
		case !acts:
			t.Errorf("comment %q on an issue (pull request %t) in state %q, pull request state %q, created %v", action, onPR, issueState, prState, jobSet(created))
		case !fuzzTrusted(login, association):
			t.Errorf("untrusted commenter %q (%s) created %v", login, association, jobSet(created))
		}

		if len(created) > 0 {
			if again, _ := runBody(body); !slices.Equal(sortedNames(created), sortedNames(again)) {
				t.Errorf("the same comment created %v, then %v", sortedNames(created), sortedNames(again))
			}
		}
		// Where a command could run jobs (elsewhere the checks above hold for any body): not
		// when the body is code or quoted, always when a command line comes first.
		if acts && fuzzTrusted(login, association) {
			for name, hidden := range map[string]string{"fenced": plugintest.Fence(body), "quoted": plugintest.Quote(body)} {
				if got, _ := runBody(hidden); len(got) > 0 {
					t.Errorf("the comment %s created %v", name, jobSet(got))
				}
			}
			got, err := runBody("/test e2e\n" + body)
			if err != nil || !slices.Contains(jobSet(got), "e2e") {
				t.Errorf("/test e2e by trusted %q (%s) before the body created %v (error %v)", login, association, jobSet(got), err)
			}
		}
	})
}

// FuzzParseCommands feeds arbitrary comments to the trigger's command parser. Whatever the
// text: no panic; the same result twice; named jobs are configured jobs, once each, in config
// order; /cancel job names are words of the comment; nothing is seen in a fenced or quoted
// comment; a command on the first line is seen whatever follows it.
func FuzzParseCommands(f *testing.F) {
	cfg, err := config.LoadBytes("config.yaml", []byte(fuzzJobConfig))
	if err != nil {
		f.Fatal(err)
	}
	presubmits := cfg.PresubmitsFor("acme", "widgets")
	f.Fuzz(func(t *testing.T, body string) {
		c := parseCommands(body, presubmits)
		if again := parseCommands(body, presubmits); !sameCommands(c, again) {
			t.Errorf("parsed %+v, then %+v", c, again)
		}
		if len(c.named) > len(presubmits) {
			t.Errorf("%d jobs named, %d configured", len(c.named), len(presubmits))
		}
		last := -1
		for _, job := range c.named {
			i := slices.IndexFunc(presubmits, func(p config.Presubmit) bool { return p.Name == job.Name })
			if i <= last {
				t.Errorf("named jobs %v are not configured jobs in config order, once each", namesOf(c.named))
			}
			last = i
		}
		words := strings.Fields(body)
		if len(c.cancelJobs) > len(words) {
			t.Errorf("%d jobs to cancel from %d words", len(c.cancelJobs), len(words))
		}
		for _, name := range c.cancelJobs {
			if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || !strings.Contains(body, name) {
				t.Errorf("job to cancel %q is not a word of the comment", name)
			}
		}
		if len(c.cancelJobs) > 0 && !c.cancel {
			t.Errorf("jobs to cancel %v without /cancel", c.cancelJobs)
		}
		for name, hidden := range map[string]string{"fenced": plugintest.Fence(body), "quoted": plugintest.Quote(body)} {
			if h := parseCommands(hidden, presubmits); h.any() || len(h.cancelJobs) > 0 {
				t.Errorf("the comment %s holds commands: %+v (named %v)", name, h, namesOf(h.named))
			}
		}
		if !parseCommands("/retest\n"+body, presubmits).retest {
			t.Errorf("/retest on the first line not seen")
		}
		if !slices.Contains(namesOf(parseCommands("/test e2e\n"+body, presubmits).named), "e2e") {
			t.Errorf("/test e2e on the first line not seen")
		}
		if c := parseCommands("/cancel\n"+body, presubmits); !c.cancel || len(c.cancelJobs) != 0 {
			t.Errorf("a bare /cancel on the first line gave cancel %t of %v, want every job", c.cancel, c.cancelJobs)
		}
	})
}

func namesOf(jobs []config.Presubmit) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Name)
	}
	return out
}

func sameCommands(a, b commands) bool {
	return a.okToTest == b.okToTest && a.testAll == b.testAll && a.retest == b.retest && a.retestRequired == b.retestRequired &&
		a.testHelp == b.testHelp && a.cancel == b.cancel && slices.Equal(a.cancelJobs, b.cancelJobs) && slices.Equal(namesOf(a.named), namesOf(b.named))
}
