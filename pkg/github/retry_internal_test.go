package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// answer is one scripted reply: a status with headers and body, or a transport error.
type answer struct {
	status int
	header map[string]string
	body   string
	err    error
}

// scripted is a RoundTripper that replies from a script, repeating the last reply when the
// script runs out, and records the body each request carried.
type scripted struct {
	mu      sync.Mutex
	script  []answer
	bodies  []string
	onRound func()
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(b)
	}
	s.bodies = append(s.bodies, body)
	if s.onRound != nil {
		s.onRound()
	}
	a := s.script[min(len(s.bodies)-1, len(s.script)-1)]
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{}
	for k, v := range a.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: req}, nil
}

func (s *scripted) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// fakeClock is the retrier's clock in these tests: sleeping records the wait and returns.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func newTestRetry(next http.RoundTripper, opts RetryOptions, clock *fakeClock) *retryTransport {
	t := newRetryTransport(next, opts)
	t.now = func() time.Time { return clock.now }
	t.sleep = func(_ context.Context, d time.Duration) error {
		clock.sleeps = append(clock.sleeps, d)
		return nil
	}
	t.jitter = func(time.Duration) time.Duration { return 0 }
	return t
}

func TestRetryPolicy(t *testing.T) {
	const secondaryBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ok := answer{status: http.StatusOK, body: "{}"}
	s := time.Second
	tests := []struct {
		name       string
		method     string
		opts       RetryOptions
		script     []answer
		wantTries  int
		wantStatus int
		wantErr    bool
		wantSleeps []time.Duration
	}{{
		name: "GET 503 twice then 200", method: http.MethodGet,
		script:    []answer{{status: 503}, {status: 503}, ok},
		wantTries: 3, wantStatus: 200, wantSleeps: []time.Duration{s, 2 * s},
	}, {
		name: "GET 500 stops at the default 4 attempts", method: http.MethodGet,
		script:    []answer{{status: 500}},
		wantTries: 4, wantStatus: 500, wantSleeps: []time.Duration{s, 2 * s, 4 * s},
	}, {
		name: "MaxAttempts 2", method: http.MethodGet, opts: RetryOptions{MaxAttempts: 2},
		script:    []answer{{status: 502}},
		wantTries: 2, wantStatus: 502, wantSleeps: []time.Duration{s},
	}, {
		name: "MaxAttempts 1 disables retries", method: http.MethodGet, opts: RetryOptions{MaxAttempts: 1},
		script:    []answer{{status: 502}, ok},
		wantTries: 1, wantStatus: 502,
	}, {
		name: "backoff is capped by MaxDelay", method: http.MethodGet, opts: RetryOptions{MaxAttempts: 5, BaseDelay: 2 * s, MaxDelay: 5 * s},
		script:    []answer{{status: 500}},
		wantTries: 5, wantStatus: 500, wantSleeps: []time.Duration{2 * s, 4 * s, 5 * s, 5 * s},
	}, {
		name: "PUT and DELETE are idempotent", method: http.MethodDelete,
		script:    []answer{{status: 500}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "POST 500 is not retried", method: http.MethodPost,
		script:    []answer{{status: 500}, ok},
		wantTries: 1, wantStatus: 500,
	}, {
		name: "POST 501 is not retried", method: http.MethodPost,
		script:    []answer{{status: 501}, ok},
		wantTries: 1, wantStatus: 501,
	}, {
		name: "POST 502 is retried", method: http.MethodPost,
		script:    []answer{{status: 502}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "POST 503 is retried", method: http.MethodPost,
		script:    []answer{{status: 503}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "POST 504 is retried", method: http.MethodPost,
		script:    []answer{{status: 504}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "PATCH 500 is not retried", method: http.MethodPatch,
		script:    []answer{{status: 500}, ok},
		wantTries: 1, wantStatus: 500,
	}, {
		name: "POST on a secondary rate limit is retried", method: http.MethodPost,
		script:    []answer{{status: 403, header: map[string]string{"Retry-After": "0"}, body: secondaryBody}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{0},
	}, {
		name: "Retry-After in seconds is waited out", method: http.MethodGet,
		script:    []answer{{status: 403, header: map[string]string{"Retry-After": "7"}}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{7 * s},
	}, {
		name: "Retry-After as a date is waited out", method: http.MethodGet,
		script:    []answer{{status: 429, header: map[string]string{"Retry-After": epoch.Add(5 * s).Format(http.TimeFormat)}}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{5 * s},
	}, {
		name: "Retry-After on a 503 is honoured", method: http.MethodGet,
		script:    []answer{{status: 503, header: map[string]string{"Retry-After": "2"}}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{2 * s},
	}, {
		name: "Retry-After past MaxRetryAfter is handed back", method: http.MethodGet, opts: RetryOptions{MaxRetryAfter: 10 * s},
		script:    []answer{{status: 403, header: map[string]string{"Retry-After": "11"}}, ok},
		wantTries: 1, wantStatus: 403,
	}, {
		name: "huge Retry-After is handed back", method: http.MethodGet,
		script:    []answer{{status: 429, header: map[string]string{"Retry-After": "99999999999999999"}}, ok},
		wantTries: 1, wantStatus: 429,
	}, {
		name: "secondary rate limit by message is backed off", method: http.MethodGet,
		script:    []answer{{status: 403, body: secondaryBody}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "429 without Retry-After is backed off", method: http.MethodGet,
		script:    []answer{{status: 429}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "primary rate limit returns at once", method: http.MethodGet,
		script: []answer{{status: 403, header: map[string]string{
			"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1772370000", "Retry-After": "1",
		}, body: `{"message":"API rate limit exceeded for user ID 1."}`}, ok},
		wantTries: 1, wantStatus: 403,
	}, {
		name: "plain 403 is a permission error", method: http.MethodGet,
		script:    []answer{{status: 403, body: `{"message":"Resource not accessible by integration"}`}, ok},
		wantTries: 1, wantStatus: 403,
	}, {
		name: "404 is an answer", method: http.MethodGet,
		script:    []answer{{status: 404}, ok},
		wantTries: 1, wantStatus: 404,
	}, {
		name: "GET transport error is retried", method: http.MethodGet,
		script:    []answer{{err: errors.New("connection reset by peer")}, ok},
		wantTries: 2, wantStatus: 200, wantSleeps: []time.Duration{s},
	}, {
		name: "POST transport error is not retried", method: http.MethodPost,
		script:    []answer{{err: errors.New("connection reset by peer")}, ok},
		wantTries: 1, wantErr: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &scripted{script: tc.script}
			clock := &fakeClock{now: epoch}
			rt := newTestRetry(next, tc.opts, clock)
			req, err := http.NewRequest(tc.method, "https://api.github.com/repos/acme/widgets/issues/1/comments", strings.NewReader(`{"body":"hi"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if tc.wantErr {
				if err == nil {
					t.Errorf("RoundTrip() = %d, want an error", resp.StatusCode)
				}
			} else if err != nil {
				t.Fatalf("RoundTrip() error = %v", err)
			} else if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if got := next.attempts(); got != tc.wantTries {
				t.Errorf("sent %d times, want %d", got, tc.wantTries)
			}
			if !reflect.DeepEqual(clock.sleeps, tc.wantSleeps) {
				t.Errorf("slept %v, want %v", clock.sleeps, tc.wantSleeps)
			}
			for i, b := range next.bodies {
				if b != `{"body":"hi"}` {
					t.Errorf("attempt %d sent body %q, want the original", i+1, b)
				}
			}
		})
	}
}

// TestRetryKeepsTheAnswerReadable checks that a response the retrier looked into (to find a
// secondary rate limit) reaches the caller whole.
func TestRetryKeepsTheAnswerReadable(t *testing.T) {
	body := `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest"}`
	next := &scripted{script: []answer{{status: 403, body: body}}}
	rt := newTestRetry(next, RetryOptions{}, &fakeClock{})
	req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/acme/widgets", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != body {
		t.Errorf("body = %q, %v; want %q", got, err, body)
	}
}

func TestRetryBackoffJitter(t *testing.T) {
	rt := newRetryTransport(nil, RetryOptions{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	tests := []struct {
		attempt int
		full    time.Duration
	}{
		{attempt: 1, full: 100 * time.Millisecond},
		{attempt: 2, full: 200 * time.Millisecond},
		{attempt: 3, full: 400 * time.Millisecond},
		{attempt: 4, full: 800 * time.Millisecond},
		{attempt: 5, full: time.Second},
		{attempt: 60, full: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.full.String(), func(t *testing.T) {
			for range 100 {
				if got := rt.backoff(tc.attempt); got < tc.full/2 || got > tc.full {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.attempt, got, tc.full/2, tc.full)
				}
			}
		})
	}
}

func TestRetryStops(t *testing.T) {
	t.Run("context cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The real sleep: an hour's backoff must end when the context does.
		next := &scripted{script: []answer{{status: 503}}, onRound: cancel}
		rt := newRetryTransport(next, RetryOptions{BaseDelay: time.Hour, MaxDelay: time.Hour})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.com/repos/acme/widgets", nil)
		resp, err := rt.RoundTrip(req)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RoundTrip() = %v, %v; want context.Canceled", resp, err)
		}
		if n := next.attempts(); n != 1 {
			t.Errorf("sent %d times, want 1", n)
		}
	})

	t.Run("wait past the deadline hands back the answer", func(t *testing.T) {
		clock := &fakeClock{now: time.Now()}
		ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(10*time.Second))
		defer cancel()
		next := &scripted{script: []answer{{status: 503, header: map[string]string{"Retry-After": "30"}}, {status: 200}}}
		rt := newTestRetry(next, RetryOptions{}, clock)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.com/repos/acme/widgets", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("RoundTrip() = %v, %v; want the 503", resp, err)
		}
		if n := next.attempts(); n != 1 || len(clock.sleeps) != 0 {
			t.Errorf("sent %d times and slept %v, want once and no sleep", n, clock.sleeps)
		}
	})

	t.Run("body that cannot be replayed is sent once", func(t *testing.T) {
		next := &scripted{script: []answer{{status: 503}, {status: 200}}}
		rt := newTestRetry(next, RetryOptions{}, &fakeClock{})
		req, _ := http.NewRequest(http.MethodPut, "https://api.github.com/repos/acme/widgets/contents/x", io.NopCloser(strings.NewReader("data")))
		req.GetBody = nil
		resp, err := rt.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("RoundTrip() = %v, %v; want the 503", resp, err)
		}
		if n := next.attempts(); n != 1 {
			t.Errorf("sent %d times, want 1", n)
		}
	})
}

func TestRetryOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    RetryOptions
		wantErr bool
	}{
		{name: "zero means defaults", opts: RetryOptions{}},
		{name: "tiny delays", opts: RetryOptions{MaxAttempts: 3, BaseDelay: time.Nanosecond, MaxDelay: time.Nanosecond}},
		{name: "negative attempts", opts: RetryOptions{MaxAttempts: -1}, wantErr: true},
		{name: "negative delay", opts: RetryOptions{BaseDelay: -time.Second}, wantErr: true},
		{name: "negative Retry-After cap", opts: RetryOptions{MaxRetryAfter: -time.Second}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.opts.validate(); (err != nil) != tc.wantErr {
				t.Errorf("validate() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
