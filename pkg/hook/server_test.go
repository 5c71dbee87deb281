package hook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/hook"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
	// The trigger plugin registers itself in plugins.Default.
	_ "github.com/bosun-ci/bosun/pkg/plugins/trigger"
	"github.com/bosun-ci/bosun/pkg/trigger"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/webhook"
)

var secret = []byte("It's a Secret to Everybody")

const jobConfig = `
prowjob_namespace: prow
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: unit}}
  - name: e2e
    pipeline_run_spec: {pipelineRef: {name: e2e}}
postsubmits:
  acme/widgets:
  - name: publish
    pipeline_run_spec: {pipelineRef: {name: publish}}
`

// recordingCreator is an in-memory ProwJobCreator that records the jobs it creates.
type recordingCreator struct {
	mu      sync.Mutex
	created []*prowjobsv1.ProwJob
}

func (c *recordingCreator) Create(_ context.Context, pj *prowjobsv1.ProwJob, _ metav1.CreateOptions) (*prowjobsv1.ProwJob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, pj.DeepCopy())
	return pj, nil
}

// The hook's tests create jobs only; the rest of plugins.ProwJobClient finds nothing.
func (c *recordingCreator) Get(_ context.Context, name string, _ metav1.GetOptions) (*prowjobsv1.ProwJob, error) {
	return nil, apierrors.NewNotFound(prowjobsv1.Resource("prowjobs"), name)
}

func (c *recordingCreator) List(context.Context, metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	return &prowjobsv1.ProwJobList{}, nil
}

func (c *recordingCreator) UpdateStatus(_ context.Context, pj *prowjobsv1.ProwJob, _ metav1.UpdateOptions) (*prowjobsv1.ProwJob, error) {
	return nil, apierrors.NewNotFound(prowjobsv1.Resource("prowjobs"), pj.Name)
}

// jobs returns "<job> <name>" for each created job, sorted.
func (c *recordingCreator) jobs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, pj := range c.created {
		out = append(out, pj.Spec.Job+" "+pj.Name)
	}
	slices.Sort(out)
	return out
}

// callLog records the handler calls of stub plugins as "<plugin> <event> <delivery>".
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(plugin, event, guid string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, plugin+" "+event+" "+guid)
}

func (l *callLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.calls)
	slices.Sort(out)
	return out
}

// recordingPlugin has a handler for every event that logs the call and returns handle's
// result (nil when handle is nil).
func recordingPlugin(name string, log *callLog, handle func(event string) error) plugins.Plugin {
	run := func(event, guid string) error {
		log.add(name, event, guid)
		if handle == nil {
			return nil
		}
		return handle(event)
	}
	return plugins.Plugin{
		Name: name,
		PullRequest: func(_ context.Context, a plugins.Agent, _ *gogithub.PullRequestEvent) error {
			return run("pull_request", a.EventGUID)
		},
		IssueComment: func(_ context.Context, a plugins.Agent, _ *gogithub.IssueCommentEvent) error {
			return run("issue_comment", a.EventGUID)
		},
		Push: func(_ context.Context, a plugins.Agent, _ *gogithub.PushEvent) error {
			return run("push", a.EventGUID)
		},
	}
}

// testServer is a hook.Server behind httptest with its collaborators.
type testServer struct {
	url     string
	gh      *fakegithub.Server
	creator *recordingCreator
}

// newTestServer serves hook.NewServer with the plugins in reg enabled as pluginsYAML says,
// jobConfig, a recording creator and the GitHub emulator. opts may change the options.
func newTestServer(t *testing.T, reg *plugins.Registry, pluginsYAML string, opts ...func(*hook.Options)) *testServer {
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
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(pluginsYAML), reg)
	if err != nil {
		t.Fatalf("ParseConfiguration() error:\n%v", err)
	}
	creator := &recordingCreator{}
	o := hook.Options{
		Secret:       func() []byte { return secret },
		Registry:     reg,
		Config:       func() *config.Config { return cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		GitHub:       client,
		ProwJobs:     creator,
		Logger:       zaptest.NewLogger(t).Sugar(),
	}
	for _, f := range opts {
		f(&o)
	}
	srv := httptest.NewServer(hook.NewServer(o))
	t.Cleanup(srv.Close)
	return &testServer{url: srv.URL, gh: gh, creator: creator}
}

// registry returns a local registry holding ps.
func registry(t *testing.T, ps ...plugins.Plugin) *plugins.Registry {
	t.Helper()
	reg := &plugins.Registry{}
	for _, p := range ps {
		reg.Register(p)
	}
	return reg
}

// triggerPlugin returns the trigger plugin as it registered itself, to put in a local
// registry.
func triggerPlugin(t *testing.T) plugins.Plugin {
	t.Helper()
	p, ok := plugins.Default.Get(trigger.PluginName)
	if !ok {
		t.Fatalf("the trigger plugin is not registered")
	}
	return p
}

// answer is what the hook replied.
type answer struct {
	Code    int
	Message string
}

// send delivers body as eventType with deliveryID, signed with key, and returns the answer.
func send(t *testing.T, url, eventType, deliveryID string, body, key []byte) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := webhook.Send(ctx, nil, url, eventType, deliveryID, body, key)
	if err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, resp)
}

// do sends req and returns the answer.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, resp)
}

func readAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Errorf("answer %q is not a JSON message: %v", raw, err)
	}
	return answer{Code: resp.StatusCode, Message: body.Message}
}

// fixture returns a payload from test/testdata/webhooks.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := webhook.Fixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	delivery1 = "2d6d6a5e-1f4b-4c1e-9b2a-0f6e7d8c9b01"
	delivery2 = "2d6d6a5e-1f4b-4c1e-9b2a-0f6e7d8c9b02"
	delivery3 = "2d6d6a5e-1f4b-4c1e-9b2a-0f6e7d8c9b03"
)

func TestServeHTTPRejects(t *testing.T) {
	body := fixture(t, "push.json")
	tests := []struct {
		name     string
		request  func(t *testing.T, url string) *http.Request
		wantCode int
	}{{
		name: "missing signature",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1})
		},
		wantCode: http.StatusUnauthorized,
	}, {
		name: "signature with another secret",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": webhook.Sign([]byte("not the secret"), body),
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		name: "signature of another body",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": webhook.Sign(secret, append(slices.Clone(body), ' ')),
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		name: "malformed signature",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": "sha256=not-hex",
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		// go-github's ValidateSignature picks the hash from the prefix, so these were taken.
		name: "SHA-1 HMAC in the SHA-256 header",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": "sha1=" + hmacHex(sha1.New, secret, body),
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		name: "SHA-512 HMAC in the SHA-256 header",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": "sha512=" + hmacHex(sha512.New, secret, body),
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		name: "SHA-256 HMAC without the prefix",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": strings.TrimPrefix(webhook.Sign(secret, body), "sha256="),
			})
		},
		wantCode: http.StatusForbidden,
	}, {
		name: "missing event header",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": webhook.Sign(secret, body),
			})
		},
		wantCode: http.StatusBadRequest,
	}, {
		name: "missing delivery header",
		request: func(t *testing.T, url string) *http.Request {
			return newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-Hub-Signature-256": webhook.Sign(secret, body),
			})
		},
		wantCode: http.StatusBadRequest,
	}, {
		name: "GET",
		request: func(t *testing.T, url string) *http.Request {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			return req
		},
		wantCode: http.StatusMethodNotAllowed,
	}, {
		name: "PUT with a valid delivery",
		request: func(t *testing.T, url string) *http.Request {
			req := newDelivery(t, url, body, map[string]string{
				"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1,
				"X-Hub-Signature-256": webhook.Sign(secret, body),
			})
			req.Method = http.MethodPut
			return req
		},
		wantCode: http.StatusMethodNotAllowed,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &callLog{}
			srv := newTestServer(t, registry(t, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [recorder]\n")
			got := do(t, tc.request(t, srv.url))
			if got.Code != tc.wantCode {
				t.Errorf("status = %d %q, want %d", got.Code, got.Message, tc.wantCode)
			}
			if calls := log.get(); len(calls) != 0 {
				t.Errorf("handlers ran for a rejected delivery: %v", calls)
			}
		})
	}
}

// hmacHex is the hex HMAC of body under key with hash h.
func hmacHex(h func() hash.Hash, key, body []byte) string {
	mac := hmac.New(h, key)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// countingBody is a request body that counts the bytes read from it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func TestServeHTTPRefusesBeforeReadingTheBody(t *testing.T) {
	// A request that can be refused from its headers costs no memory for its body: the
	// attack was many concurrent unsigned 24 MB POSTs.
	body := fixture(t, "push.json")
	signed := webhook.Sign(secret, body)
	tests := []struct {
		name          string
		headers       map[string]string
		contentLength int64 // 0: the body's length
		wantCode      int
	}{
		{name: "no signature", headers: map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1}, wantCode: http.StatusUnauthorized},
		{name: "SHA-1 signature", headers: map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": "sha1=" + hmacHex(sha1.New, secret, body)}, wantCode: http.StatusForbidden},
		{name: "not hex", headers: map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": "sha256=" + strings.Repeat("z", 64)}, wantCode: http.StatusForbidden},
		{name: "no event header", headers: map[string]string{"X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": signed}, wantCode: http.StatusBadRequest},
		{name: "declared length over the limit", headers: map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": signed}, contentLength: hook.DefaultMaxBodyBytes + 1, wantCode: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := hook.NewServer(hook.Options{
				Secret:       func() []byte { return secret },
				Registry:     &plugins.Registry{},
				Config:       func() *config.Config { return &config.Config{} },
				PluginConfig: func() *plugins.Configuration { return &plugins.Configuration{} },
			})
			b := &countingBody{r: bytes.NewReader(body)}
			req := httptest.NewRequest(http.MethodPost, "/hook", b)
			req.ContentLength = int64(len(body))
			if tc.contentLength != 0 {
				req.ContentLength = tc.contentLength
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Errorf("status = %d %q, want %d", rec.Code, rec.Body.String(), tc.wantCode)
			}
			if n := b.read.Load(); n != 0 {
				t.Errorf("%d bytes of the body were read before the request was refused", n)
			}
		})
	}
}

func TestServeHTTPBodyBudget(t *testing.T) {
	// The bytes of bodies held at once are bounded: a delivery that does not fit waits a
	// little, then is told to come back, and one that fits once room is free is handled.
	const budget = 64 << 10
	log := &callLog{}
	srv := newTestServer(t, registry(t, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [recorder]\n",
		func(o *hook.Options) {
			o.MaxBodyBytes = budget
			o.MaxBodyBytesInFlight = budget
			o.BodyWait = 100 * time.Millisecond
		})

	// A slow delivery declares the whole budget and sends its body bit by bit.
	pr, pw := io.Pipe()
	slow, err := http.NewRequest(http.MethodPost, srv.url, pr)
	if err != nil {
		t.Fatal(err)
	}
	slow.ContentLength = budget
	slow.Header.Set("X-GitHub-Event", "push")
	slow.Header.Set("X-GitHub-Delivery", delivery1)
	slow.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	slowDone := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(slow)
		if err != nil {
			slowDone <- answer{Message: err.Error()}
			return
		}
		slowDone <- readAnswer(t, resp)
	}()
	// The hook reads the body only once it has reserved room for it: when the first byte
	// is taken, the budget is full.
	if _, err := pw.Write([]byte("{")); err != nil {
		t.Fatalf("write the slow body: %v", err)
	}

	body := fixture(t, "push.json")
	resp, err := http.DefaultClient.Do(newDelivery(t, srv.url, body, map[string]string{
		"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery2, "X-Hub-Signature-256": webhook.Sign(secret, body),
	}))
	if err != nil {
		t.Fatal(err)
	}
	retryAfter := resp.Header.Get("Retry-After")
	if got := readAnswer(t, resp); got.Code != http.StatusServiceUnavailable || retryAfter == "" {
		t.Errorf("while the budget is full: status = %d %q, Retry-After %q; want 503 with a Retry-After", got.Code, got.Message, retryAfter)
	}

	// The slow body ends; its wrong signature is refused and its room given back.
	if _, err := pw.Write(bytes.Repeat([]byte(" "), budget-1)); err != nil {
		t.Fatalf("write the slow body: %v", err)
	}
	_ = pw.Close()
	if a := <-slowDone; a.Code != http.StatusForbidden {
		t.Errorf("slow delivery: status = %d %q, want 403", a.Code, a.Message)
	}
	if got := send(t, srv.url, "push", delivery2, body, secret); got.Code != http.StatusOK {
		t.Errorf("after the budget freed: status = %d %q, want 200", got.Code, got.Message)
	}
	if calls := log.get(); len(calls) != 1 {
		t.Errorf("handler runs = %v, want one for the accepted delivery", calls)
	}
}

// newDelivery builds a POST of body to url with exactly the given headers.
func newDelivery(t *testing.T, url string, body []byte, headers map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

func TestServeHTTPBodyLimit(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		chunked  bool // sent without Content-Length
		wantCode int
	}{
		{name: "at the limit", size: 512, wantCode: http.StatusBadRequest}, // read, then not valid JSON
		{name: "one byte over", size: 513, wantCode: http.StatusRequestEntityTooLarge},
		{name: "far over", size: 64 << 10, wantCode: http.StatusRequestEntityTooLarge},
		{name: "one byte over, length not declared", size: 513, chunked: true, wantCode: http.StatusRequestEntityTooLarge},
		{name: "at the limit, length not declared", size: 512, chunked: true, wantCode: http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &callLog{}
			srv := newTestServer(t, registry(t, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [recorder]\n",
				func(o *hook.Options) { o.MaxBodyBytes = 512 })
			body := bytes.Repeat([]byte("x"), tc.size)
			var got answer
			if tc.chunked {
				req := newDelivery(t, srv.url, nil, map[string]string{
					"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery1, "X-Hub-Signature-256": webhook.Sign(secret, body),
				})
				req.Body = io.NopCloser(bytes.NewReader(body))
				req.ContentLength = -1
				got = do(t, req)
			} else {
				got = send(t, srv.url, "push", delivery1, body, secret)
			}
			if got.Code != tc.wantCode {
				t.Errorf("status = %d %q, want %d", got.Code, got.Message, tc.wantCode)
			}
			if calls := log.get(); len(calls) != 0 {
				t.Errorf("handlers ran: %v", calls)
			}
		})
	}
}

func TestServeHTTPEvents(t *testing.T) {
	tests := []struct {
		name        string
		eventType   string
		body        []byte
		plugins     string
		wantCode    int
		wantMessage string
		wantCalls   []string
	}{{
		name:        "ping: pong, no handler",
		eventType:   "ping",
		body:        fixture(t, "ping.json"),
		plugins:     "plugins:\n  acme: [recorder]\n",
		wantCode:    http.StatusOK,
		wantMessage: "pong",
	}, {
		name:        "unknown event type: ignored",
		eventType:   "issues",
		body:        []byte(`{"action":"opened","issue":{"number":1},"repository":{"name":"widgets","owner":{"login":"acme"}}}`),
		plugins:     "plugins:\n  acme: [recorder]\n",
		wantCode:    http.StatusOK,
		wantMessage: "event issues ignored",
	}, {
		name:      "pull_request",
		eventType: "pull_request",
		body:      fixture(t, "pull_request_opened.json"),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusOK,
		wantCalls: []string{"recorder pull_request " + delivery1},
	}, {
		name:      "issue_comment",
		eventType: "issue_comment",
		body:      fixture(t, "issue_comment_test_all.json"),
		plugins:   "plugins:\n  acme/widgets: [recorder]\n",
		wantCode:  http.StatusOK,
		wantCalls: []string{"recorder issue_comment " + delivery1},
	}, {
		name:      "push",
		eventType: "push",
		body:      fixture(t, "push.json"),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusOK,
		wantCalls: []string{"recorder push " + delivery1},
	}, {
		name:      "every enabled plugin runs, disabled ones do not",
		eventType: "push",
		body:      fixture(t, "push.json"),
		plugins:   "plugins:\n  acme: [recorder]\n  acme/widgets: [other]\n  acme/gadgets: [disabled]\n  elsewhere: [disabled]\n",
		wantCode:  http.StatusOK,
		wantCalls: []string{"other push " + delivery1, "recorder push " + delivery1},
	}, {
		name:      "plugin enabled nowhere for the repository: not called",
		eventType: "pull_request",
		body:      fixture(t, "pull_request_opened.json"),
		plugins:   "plugins:\n  acme/gadgets: [recorder]\n",
		wantCode:  http.StatusOK,
	}, {
		name:      "malformed JSON for a handled event: 400, no handler",
		eventType: "pull_request",
		body:      []byte(`{"action":"opened","pull_request":`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "JSON of the wrong shape: 400, no handler",
		eventType: "issue_comment",
		body:      []byte(`{"action":"created","issue":"not an object"}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "pull_request without a pull request: 400",
		eventType: "pull_request",
		body:      []byte(`{"action":"opened","repository":{"name":"widgets","owner":{"login":"acme"}}}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "issue_comment without a comment: 400",
		eventType: "issue_comment",
		body:      []byte(`{"action":"created","issue":{"number":42},"repository":{"name":"widgets","owner":{"login":"acme"}}}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "pull_request without a repository: 400",
		eventType: "pull_request",
		body:      []byte(`{"action":"opened","pull_request":{"number":42}}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "push without a repository: 400",
		eventType: "push",
		body:      []byte(`{"ref":"refs/heads/main"}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusBadRequest,
	}, {
		name:      "push naming its owner only in owner.name",
		eventType: "push",
		body:      []byte(`{"ref":"refs/heads/main","repository":{"name":"widgets","owner":{"name":"acme"}}}`),
		plugins:   "plugins:\n  acme: [recorder]\n",
		wantCode:  http.StatusOK,
		wantCalls: []string{"recorder push " + delivery1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &callLog{}
			reg := registry(t,
				recordingPlugin("recorder", log, nil),
				recordingPlugin("other", log, nil),
				recordingPlugin("disabled", log, nil),
			)
			srv := newTestServer(t, reg, tc.plugins)
			got := send(t, srv.url, tc.eventType, delivery1, tc.body, secret)
			if got.Code != tc.wantCode {
				t.Errorf("status = %d %q, want %d", got.Code, got.Message, tc.wantCode)
			}
			if tc.wantMessage != "" && got.Message != tc.wantMessage {
				t.Errorf("message = %q, want %q", got.Message, tc.wantMessage)
			}
			if diff := cmp.Diff(tc.wantCalls, log.get()); diff != "" {
				t.Errorf("handler calls (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestServeHTTPDuplicateDelivery(t *testing.T) {
	log := &callLog{}
	srv := newTestServer(t, registry(t, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [recorder]\n")
	body := fixture(t, "push.json")

	for i, want := range []answer{
		{Code: http.StatusOK, Message: "event handled"},
		{Code: http.StatusOK, Message: "duplicate delivery ignored"},
		{Code: http.StatusOK, Message: "duplicate delivery ignored"},
	} {
		if got := send(t, srv.url, "push", delivery1, body, secret); got != want {
			t.Errorf("delivery %d of %s: answer = %+v, want %+v", i+1, delivery1, got, want)
		}
	}
	// The same payload under a new delivery id is a new event.
	if got := send(t, srv.url, "push", delivery2, body, secret); got.Code != http.StatusOK {
		t.Errorf("delivery %s: status = %d %q, want 200", delivery2, got.Code, got.Message)
	}
	want := []string{"recorder push " + delivery1, "recorder push " + delivery2}
	if diff := cmp.Diff(want, log.get()); diff != "" {
		t.Errorf("handler calls (-want, +got):\n%s", diff)
	}
}

func TestServeHTTPHandlerError(t *testing.T) {
	// The handler fails the first time and succeeds after: a redelivery of a failed event
	// must run it again, and only a handled one is remembered.
	log := &callLog{}
	var mu sync.Mutex
	failures := 1
	flaky := recordingPlugin("flaky", log, func(string) error {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return fmt.Errorf("apiserver unavailable")
		}
		return nil
	})
	srv := newTestServer(t, registry(t, flaky, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [flaky, recorder]\n")
	body := fixture(t, "push.json")

	first := send(t, srv.url, "push", delivery1, body, secret)
	if first.Code != http.StatusServiceUnavailable {
		t.Errorf("first delivery: status = %d %q, want 503", first.Code, first.Message)
	}
	if !strings.Contains(first.Message, "flaky") || !strings.Contains(first.Message, "apiserver unavailable") {
		t.Errorf("first delivery: message %q does not name the plugin and its error", first.Message)
	}
	if second := send(t, srv.url, "push", delivery1, body, secret); second != (answer{Code: http.StatusOK, Message: "event handled"}) {
		t.Errorf("redelivery: answer = %+v, want 200 event handled", second)
	}
	if third := send(t, srv.url, "push", delivery1, body, secret); third != (answer{Code: http.StatusOK, Message: "duplicate delivery ignored"}) {
		t.Errorf("second redelivery: answer = %+v, want 200 duplicate delivery ignored", third)
	}
	want := []string{
		"flaky push " + delivery1, "flaky push " + delivery1,
		"recorder push " + delivery1, "recorder push " + delivery1,
	}
	if diff := cmp.Diff(want, log.get()); diff != "" {
		t.Errorf("handler calls (-want, +got):\n%s", diff)
	}
}

func TestServeHTTPHandlerPanic(t *testing.T) {
	log := &callLog{}
	panicking := plugins.Plugin{
		Name: "panicking",
		PullRequest: func(context.Context, plugins.Agent, *gogithub.PullRequestEvent) error {
			var m map[string]int
			m["boom"]++ // assignment to entry in nil map
			return nil
		},
	}
	srv := newTestServer(t, registry(t, panicking, recordingPlugin("recorder", log, nil)), "plugins:\n  acme: [panicking, recorder]\n")

	got := send(t, srv.url, "pull_request", delivery1, fixture(t, "pull_request_opened.json"), secret)
	if got.Code != http.StatusServiceUnavailable {
		t.Errorf("delivery with a panicking plugin: status = %d %q, want 503", got.Code, got.Message)
	}
	if !strings.Contains(got.Message, "panicking") || !strings.Contains(got.Message, "panic") {
		t.Errorf("message %q does not say which plugin panicked", got.Message)
	}
	// The server goes on serving, and the other plugin ran.
	if got := send(t, srv.url, "push", delivery2, fixture(t, "push.json"), secret); got.Code != http.StatusOK {
		t.Errorf("next delivery: status = %d %q, want 200", got.Code, got.Message)
	}
	want := []string{"recorder pull_request " + delivery1, "recorder push " + delivery2}
	if diff := cmp.Diff(want, log.get()); diff != "" {
		t.Errorf("handler calls (-want, +got):\n%s", diff)
	}
}

func TestServeHTTPTrigger(t *testing.T) {
	// The real trigger plugin from a local registry: a PR opened by a member creates its
	// always_run presubmits before the hook answers, named after the delivery, without
	// calling GitHub; a push creates the postsubmits.
	tests := []struct {
		name      string
		eventType string
		fixture   string
		sha       string
		wantJobs  []string
	}{{
		name:      "pull request opened",
		eventType: "pull_request",
		fixture:   "pull_request_opened.json",
		sha:       "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e",
		wantJobs:  []string{"unit"},
	}, {
		name:      "push",
		eventType: "push",
		fixture:   "push.json",
		sha:       "c41d7e0a9f3b2e8d6c5a4b3f2e1d0c9b8a7f6e5d",
		wantJobs:  []string{"publish"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, registry(t, triggerPlugin(t)), "plugins:\n  acme: [trigger]\n")
			got := send(t, srv.url, tc.eventType, delivery3, fixture(t, tc.fixture), secret)
			if got != (answer{Code: http.StatusOK, Message: "event handled"}) {
				t.Errorf("answer = %+v, want 200 event handled", got)
			}
			// A pull request's automatic runs are named after it (trigger.AutomaticNameKey),
			// a push's after the delivery.
			key := delivery3
			if tc.eventType == "pull_request" {
				key = trigger.AutomaticNameKey("acme", "widgets", 42)
			}
			var want []string
			for _, job := range tc.wantJobs {
				want = append(want, job+" "+jobs.Name(key, job, tc.sha))
			}
			if diff := cmp.Diff(want, srv.creator.jobs()); diff != "" {
				t.Errorf("created jobs (-want, +got):\n%s", diff)
			}
			if calls := srv.gh.Calls(); len(calls) != 0 {
				t.Errorf("GitHub calls = %+v, want none", calls)
			}
		})
	}
}

func TestNewServerDefaultsToTheDefaultRegistry(t *testing.T) {
	// With no Registry option the server uses plugins.Default, where trigger registered.
	srv := newTestServer(t, registry(t, triggerPlugin(t)), "plugins:\n  acme: [trigger]\n",
		func(o *hook.Options) { o.Registry = nil })
	got := send(t, srv.url, "push", delivery1, fixture(t, "push.json"), secret)
	if got.Code != http.StatusOK {
		t.Fatalf("status = %d %q, want 200", got.Code, got.Message)
	}
	if jobs := srv.creator.jobs(); len(jobs) != 1 {
		t.Errorf("created %v, want the publish postsubmit", jobs)
	}
}
