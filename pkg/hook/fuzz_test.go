package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/hook"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/webhook"
)

// succeedingPlugin has a handler for every event that does nothing and succeeds. It keeps no
// record, so that a long fuzzing run does not grow.
func succeedingPlugin(name string) plugins.Plugin {
	return plugins.Plugin{
		Name:         name,
		PullRequest:  func(context.Context, plugins.Agent, *gogithub.PullRequestEvent) error { return nil },
		IssueComment: func(context.Context, plugins.Agent, *gogithub.IssueCommentEvent) error { return nil },
		Push:         func(context.Context, plugins.Agent, *gogithub.PushEvent) error { return nil },
	}
}

// FuzzServeHTTP sends arbitrary signed payloads under arbitrary event types. With handlers
// that always succeed, the server must never panic and never answer 5xx: whatever GitHub (or
// anyone holding the secret) sends is either handled, ignored or refused with a 4xx.
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []struct{ fixture, eventType string }{
		{"pull_request_opened.json", "pull_request"},
		{"issue_comment_test_all.json", "issue_comment"},
		{"push.json", "push"},
		{"ping.json", "ping"},
		{"push.json", "pull_request"},
		{"pull_request_opened.json", "issues"},
	} {
		body, err := webhook.Fixture(seed.fixture)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, seed.eventType)
	}

	cfg, err := config.LoadBytes("config.yaml", []byte(jobConfig))
	if err != nil {
		f.Fatal(err)
	}
	reg := &plugins.Registry{}
	reg.Register(succeedingPlugin("ok"))
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte("plugins:\n  acme: [ok]\n  acme/widgets: [ok]\n"), reg)
	if err != nil {
		f.Fatal(err)
	}
	srv := hook.NewServer(hook.Options{
		Secret:       func() []byte { return secret },
		Registry:     reg,
		Config:       func() *config.Config { return cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		ProwJobs:     &recordingCreator{},
		Logger:       zap.NewNop().Sugar(),
		MaxBodyBytes: 1 << 20,
	})
	var deliveries atomic.Int64

	f.Fuzz(func(t *testing.T, body []byte, eventType string) {
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", eventType)
		req.Header.Set("X-GitHub-Delivery", "fuzz-"+strconv.FormatInt(deliveries.Add(1), 10))
		req.Header.Set("X-Hub-Signature-256", webhook.Sign(secret, body))
		rec := httptest.NewRecorder()

		srv.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Errorf("status = %d %s for a %q delivery whose handlers all succeed", rec.Code, rec.Body, eventType)
		}
		if rec.Code < 200 {
			t.Errorf("status = %d, not a final answer", rec.Code)
		}
		var answer struct {
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Message == nil {
			t.Errorf("answer %q is not a JSON message (error %v)", rec.Body, err)
		}
	})
}
