// Package plugintest runs a ChatOps plugin's handlers against the GitHub emulator through
// bosun's real client, with events built from the webhook fixtures, so a plugin test checks
// what GitHub ends up holding (labels, comments, assignees, state) and the exact replies.
package plugintest

import (
	"context"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap/zaptest"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/webhook"
)

// The fixtures' story: in acme/widgets, alice (MEMBER) opened pull request #42 against main,
// and bob (COLLABORATOR) comments on it.
const (
	Org       = "acme"
	Repo      = "widgets"
	Number    = 42
	Author    = "alice"
	Commenter = "bob"
	BaseRef   = "main"
)

// Env is the emulator, bosun's client in front of it and the Agent a handler gets.
type Env struct {
	GitHub *fakegithub.Server
	Client *github.Client
	Agent  plugins.Agent
	// Kube is the fake apiserver behind Agent.ConfigMaps.
	Kube *kubefake.Clientset
}

// NewEnv starts an emulator, seeds the fixtures' pull request #42 and builds an Agent with
// the plugins.yaml content parsed against reg. The emulator stops when the test ends.
func NewEnv(t *testing.T, pluginsYAML string, reg *plugins.Registry) *Env {
	t.Helper()
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	client, err := github.NewClient(github.Options{BaseURL: gh.URL()})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(pluginsYAML), reg)
	if err != nil {
		t.Fatalf("ParseConfiguration() error:\n%v", err)
	}
	gh.AddPullRequest(Org, Repo, PullRequestEvent(t, nil).GetPullRequest())
	kube := kubefake.NewClientset()
	return &Env{
		GitHub: gh,
		Client: client,
		Kube:   kube,
		Agent: plugins.Agent{
			GitHub:       client,
			PluginConfig: pluginCfg,
			Logger:       zaptest.NewLogger(t).Sugar(),
			EventGUID:    "72d3162e-cc78-11e3-81ab-4c9367dc0958",
			Registry:     reg,
			ConfigMaps: func(namespace string) plugins.ConfigMapClient {
				return kube.CoreV1().ConfigMaps(namespace)
			},
		},
	}
}

// Registry returns a registry holding only the given plugins, so tests leave
// plugins.Default alone.
func Registry(t *testing.T, ps ...plugins.Plugin) *plugins.Registry {
	t.Helper()
	reg := &plugins.Registry{}
	for _, p := range ps {
		reg.Register(p)
	}
	return reg
}

// Replies returns the bodies of the comments on issue or pull request number, oldest first.
func (e *Env) Replies(number int) []string {
	var out []string
	for _, c := range e.GitHub.Comments(Org, Repo, number) {
		out = append(out, c.GetBody())
	}
	return out
}

// Calls returns the GitHub calls made so far as "METHOD path".
func (e *Env) Calls() []string {
	var out []string
	for _, c := range e.GitHub.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

// Context returns a context that ends with the test.
func Context(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

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

// CommentOption changes a comment event.
type CommentOption func(*gogithub.IssueCommentEvent)

// CommentEvent is bob's comment on pull request #42 (issue_comment_test_all.json) with the
// given body, changed by opts.
func CommentEvent(t *testing.T, body string, opts ...CommentOption) *gogithub.IssueCommentEvent {
	t.Helper()
	e := parseFixture(t, "issue_comment", "issue_comment_test_all.json").(*gogithub.IssueCommentEvent)
	e.Comment.Body = gogithub.Ptr(body)
	for _, o := range opts {
		o(e)
	}
	return e
}

// By makes login, with the given author_association, the commenter.
func By(login, association string) CommentOption {
	return func(e *gogithub.IssueCommentEvent) {
		e.Comment.User.Login = gogithub.Ptr(login)
		e.Comment.AuthorAssociation = gogithub.Ptr(association)
	}
}

// Action sets the event's action, e.g. "edited" or "deleted".
func Action(action string) CommentOption {
	return func(e *gogithub.IssueCommentEvent) { e.Action = gogithub.Ptr(action) }
}

// Closed makes the commented issue or pull request closed.
func Closed() CommentOption {
	return func(e *gogithub.IssueCommentEvent) { e.Issue.State = gogithub.Ptr("closed") }
}

// Merged makes the commented pull request closed and merged.
func Merged() CommentOption {
	return func(e *gogithub.IssueCommentEvent) {
		e.Issue.State = gogithub.Ptr("closed")
		e.Issue.PullRequestLinks.MergedAt = &gogithub.Timestamp{Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	}
}

// OnIssue makes the comment one on plain issue number, opened by the fixtures' author.
func OnIssue(number int) CommentOption {
	return func(e *gogithub.IssueCommentEvent) {
		e.Issue.Number = gogithub.Ptr(number)
		e.Issue.PullRequestLinks = nil
	}
}

// Assignees sets who the payload says is assigned.
func Assignees(logins ...string) CommentOption {
	return func(e *gogithub.IssueCommentEvent) {
		e.Issue.Assignees = nil
		for _, l := range logins {
			e.Issue.Assignees = append(e.Issue.Assignees, &gogithub.User{Login: gogithub.Ptr(l)})
		}
	}
}

// PullRequestEvent is pull_request_opened.json changed by mutate.
func PullRequestEvent(t *testing.T, mutate func(*gogithub.PullRequestEvent)) *gogithub.PullRequestEvent {
	t.Helper()
	e := parseFixture(t, "pull_request", "pull_request_opened.json").(*gogithub.PullRequestEvent)
	if mutate != nil {
		mutate(e)
	}
	return e
}

// AddLabels puts labels on issue or pull request number through the emulator's REST API, then
// forgets the calls, so a test counts only what the handler does.
func (e *Env) AddLabels(t *testing.T, number int, labels ...string) {
	t.Helper()
	for _, l := range labels {
		if err := e.Client.AddLabel(Context(t), Org, Repo, number, l); err != nil {
			t.Fatal(err)
		}
	}
	e.GitHub.Reset()
}

// Fence wraps body in a backtick fence longer than any run of backticks in it, so that no
// line of body can close it: all of body is code, which commands in it must not count as.
func Fence(body string) string {
	longest, run := 0, 0
	for _, c := range body {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + "\n" + body + "\n" + f
}

// Quote prefixes every line of body with "> ": a quote, which commands in it must not count
// as either.
func Quote(body string) string {
	return "> " + strings.ReplaceAll(body, "\n", "\n> ")
}
