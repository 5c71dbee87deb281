package hook

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

type eventKind int

const (
	kindPing eventKind = iota
	kindPullRequest
	kindIssueComment
	kindPush
)

// event is a parsed delivery bosun acts on.
type event struct {
	kind      eventKind
	org, repo string
	payload   any
}

// parse turns a payload into an event; it returns nil, nil for event types bosun does not
// handle, and an error for a payload that is not what its type says.
func parse(eventType string, body []byte) (*event, error) {
	var kind eventKind
	switch eventType {
	case "ping":
		kind = kindPing
	case "pull_request":
		kind = kindPullRequest
	case "issue_comment":
		kind = kindIssueComment
	case "push":
		kind = kindPush
	default:
		return nil, nil
	}
	payload, err := gogithub.ParseWebHook(eventType, body)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %s payload: %w", eventType, err)
	}
	ev := &event{kind: kind, payload: payload}
	var repo *gogithub.Repository
	switch p := payload.(type) {
	case *gogithub.PingEvent:
		return ev, nil
	case *gogithub.PullRequestEvent:
		if p.PullRequest == nil {
			return nil, errors.New("pull_request payload has no pull_request")
		}
		repo = p.Repo
	case *gogithub.IssueCommentEvent:
		if p.Issue == nil || p.Comment == nil {
			return nil, errors.New("issue_comment payload has no issue or comment")
		}
		repo = p.Repo
	case *gogithub.PushEvent:
		if p.Repo == nil {
			return nil, errors.New("push payload has no repository")
		}
		ev.org, ev.repo = p.Repo.GetOwner().GetLogin(), p.Repo.GetName()
		if ev.org == "" {
			ev.org = p.Repo.GetOwner().GetName()
		}
		if ev.org == "" || ev.repo == "" {
			return nil, errors.New("push payload names no repository owner or name")
		}
		return ev, nil
	}
	if repo == nil || repo.GetOwner().GetLogin() == "" || repo.GetName() == "" {
		return nil, fmt.Errorf("%s payload names no repository", eventType)
	}
	ev.org, ev.repo = repo.GetOwner().GetLogin(), repo.GetName()
	return ev, nil
}

// dispatch runs every enabled plugin's handler for the event concurrently and waits for all
// of them. A panicking plugin is contained and reported as an error.
func (s *Server) dispatch(ctx context.Context, log *zap.SugaredLogger, guid string, ev *event) error {
	cfg := s.opts.Config()
	pluginCfg := s.opts.PluginConfig()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range pluginCfg.EnabledFor(ev.org, ev.repo) {
		p, ok := s.opts.Registry.Get(name)
		if !ok {
			continue
		}
		handle := handlerFor(p, ev)
		if handle == nil {
			continue
		}
		agent := plugins.Agent{
			GitHub:       s.opts.GitHub,
			ProwJobs:     s.opts.ProwJobs,
			Config:       cfg,
			PluginConfig: pluginCfg,
			Logger:       log.With("plugin", name),
			EventGUID:    guid,
			Registry:     s.opts.Registry,
			Trigger:      s.opts.Trigger,
			ConfigMaps:   s.opts.ConfigMaps,
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runContained(func() error { return handle(ctx, agent) })
			s.opts.Metrics.pluginHandled(name, err)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("plugin %s: %w", name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func handlerFor(p plugins.Plugin, ev *event) func(context.Context, plugins.Agent) error {
	switch e := ev.payload.(type) {
	case *gogithub.PullRequestEvent:
		if p.PullRequest != nil {
			return func(ctx context.Context, a plugins.Agent) error { return p.PullRequest(ctx, a, e) }
		}
	case *gogithub.IssueCommentEvent:
		if p.IssueComment != nil {
			return func(ctx context.Context, a plugins.Agent) error { return p.IssueComment(ctx, a, e) }
		}
	case *gogithub.PushEvent:
		if p.Push != nil {
			return func(ctx context.Context, a plugins.Agent) error { return p.Push(ctx, a, e) }
		}
	}
	return nil
}

// runContained turns a panic into an error so one buggy plugin cannot take the server down.
func runContained(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}
