package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v93/github"
)

// Retry defaults. Four attempts with a 1s base wait about 0.5-1s, 1-2s and 2-4s between them:
// long enough for a GitHub front end to fail over, short enough for a reconciler's deadline.
const (
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = time.Second
	DefaultMaxDelay      = 30 * time.Second
	DefaultMaxRetryAfter = time.Minute
)

// drainLimit is how much of a response body the retrier reads before discarding it, so the
// connection can be reused; error bodies are far smaller.
const drainLimit = 64 << 10

// RetryOptions configure how failed requests are retried. The zero value means the defaults.
//
// What is retried:
//   - GET, HEAD, OPTIONS, PUT and DELETE (idempotent: repeating them is harmless) on any 5xx
//     and on a transport error such as a reset connection;
//   - POST and PATCH only on 502, 503 and 504: answers from GitHub's front end that mean the
//     request did not complete. A 500 comes from the application itself, which may have
//     written something before failing, so repeating a comment POST could post it twice.
//     (A 502/504 after a slow backend finished is possible but rare; bosun's writes are
//     statuses and labels, where a repeat is harmless, and comments, where a rare duplicate
//     beats a lost report.)
//   - every method on a secondary rate limit: a 403 or 429 with Retry-After, a 429, or a 403
//     whose message says "secondary rate limit". GitHub rejected the request unprocessed.
//
// Never retried: a primary rate limit (403/429 with X-RateLimit-Remaining: 0). Its reset can
// be an hour away, so the answer goes straight back and go-github turns it into a
// *github.RateLimitError carrying the reset time (see RateLimitReset); go-github then refuses
// further calls locally until the reset, without spending requests.
//
// The context's deadline, and the HTTP client's Timeout, bound a call with all its retries:
// a wait that would end past the deadline is not started, and the last answer is returned.
type RetryOptions struct {
	// MaxAttempts is the most times one request is sent, the first included; 1 disables
	// retries. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay is the wait before the first retry without Retry-After; it doubles for each
	// further retry, up to MaxDelay, and a random part of up to half of it is taken off so
	// clients that failed together do not retry together. Zero means DefaultBaseDelay.
	BaseDelay time.Duration
	// MaxDelay caps the exponential wait. Zero means DefaultMaxDelay.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out. A longer one is not
	// retried early, which GitHub may punish: the answer goes back to the caller, whose work
	// queue can requeue the item. Zero means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
}

func (o RetryOptions) validate() error {
	if o.MaxAttempts < 0 || o.BaseDelay < 0 || o.MaxDelay < 0 || o.MaxRetryAfter < 0 {
		return fmt.Errorf("retry options must not be negative: %+v", o)
	}
	return nil
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseDelay == 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return o
}

// retryTransport resends failed requests as RetryOptions describes.
type retryTransport struct {
	next http.RoundTripper
	opts RetryOptions
	// now and sleep are the clock; tests replace them to observe waits without taking them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a random duration in [0, d]; tests make it deterministic.
	jitter func(d time.Duration) time.Duration
}

func newRetryTransport(next http.RoundTripper, opts RetryOptions) *retryTransport {
	return &retryTransport{
		next:   next,
		opts:   opts.withDefaults(),
		now:    time.Now,
		sleep:  sleepContext,
		jitter: func(d time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(d) + 1)) },
	}
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A body that cannot be produced again can be sent only once.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 1; ; attempt++ {
		try, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(try)
		if attempt >= t.opts.MaxAttempts || !replayable {
			return resp, err
		}
		wait, retry := t.delay(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		// Waiting past the caller's deadline only to be cancelled wastes the answer in hand.
		if deadline, ok := ctx.Deadline(); ok && t.now().Add(wait).After(deadline) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
			resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("gave up retrying %s %s after %d attempts: %w", req.Method, req.URL.Redacted(), attempt, err)
		}
	}
}

// rewind returns the request to send for attempt: req itself first, then a copy with a fresh
// body, since the transport consumed and closed the previous one.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("failed to rewind the body of %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	try := req.Clone(req.Context())
	try.Body = body
	return try, nil
}

// delay says whether the outcome of attempt deserves another try, and after how long.
func (t *retryTransport) delay(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		if req.Context().Err() != nil || !idempotent(req.Method) {
			return 0, false
		}
		return t.backoff(attempt), true
	}
	switch code := resp.StatusCode; {
	case code >= 500:
		if !idempotent(req.Method) && code != http.StatusBadGateway && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
			return 0, false
		}
		if wait, ok := t.retryAfter(resp); ok {
			return wait, wait <= t.opts.MaxRetryAfter
		}
		return t.backoff(attempt), true
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		if resp.Header.Get(gogithub.HeaderRateRemaining) == "0" {
			return 0, false // primary rate limit: see RetryOptions
		}
		if wait, ok := t.retryAfter(resp); ok {
			return wait, wait <= t.opts.MaxRetryAfter
		}
		if code == http.StatusTooManyRequests || secondaryRateLimited(resp) {
			return t.backoff(attempt), true
		}
		return 0, false // a real permission error
	default:
		return 0, false
	}
}

// idempotent reports whether repeating a request with method has the effect of sending it once.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// backoff is the wait before retry number attempt: BaseDelay doubled per attempt, capped at
// MaxDelay, less a random part of up to half of it.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.opts.BaseDelay
	for i := 1; i < attempt && d < t.opts.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, t.opts.MaxDelay)
	return d - t.jitter(d/2)
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func (t *retryTransport) retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, true
		}
		if secs > int64(t.opts.MaxRetryAfter/time.Second) {
			return t.opts.MaxRetryAfter + time.Second, true // over the cap; avoids overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(t.now()), 0), true
	}
	return 0, false
}

// secondaryRateLimited reports whether a 403's body is GitHub's secondary rate limit message.
// It reads the body and puts back what it read, so the caller still sees all of it.
func secondaryRateLimited(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, drainLimit))
	resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(data), resp.Body), Closer: resp.Body}
	if err != nil {
		return false
	}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(data, &body) != nil {
		return false
	}
	return strings.Contains(strings.ToLower(body.Message), "secondary rate limit") ||
		strings.HasSuffix(body.DocumentationURL, "secondary-rate-limits")
}

// readCloser joins a Reader to the Closer of the body it was built over.
type readCloser struct {
	io.Reader
	io.Closer
}

// RateLimitReset returns when the primary rate limit that failed err resets, so a caller can
// requeue its work for then rather than retry into the same wall.
func RateLimitReset(err error) (time.Time, bool) {
	var rl *gogithub.RateLimitError
	if errors.As(err, &rl) {
		return rl.Rate.Reset.Time, true
	}
	return time.Time{}, false
}

// RetryAt returns when a request that failed with err may be sent again, if GitHub said:
// the reset of a primary rate limit, or now plus the Retry-After of a secondary one that
// was longer than the client waits out by itself.
func RetryAt(err error, now time.Time) (time.Time, bool) {
	if reset, ok := RateLimitReset(err); ok {
		return reset, true
	}
	var abuse *gogithub.AbuseRateLimitError
	if errors.As(err, &abuse) && abuse.RetryAfter != nil {
		return now.Add(*abuse.RetryAfter), true
	}
	return time.Time{}, false
}
