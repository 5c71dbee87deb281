package fakegithub

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rateLimitWindow is how long a primary rate limit budget lasts, as on GitHub.
const rateLimitWindow = time.Hour

// Documentation URLs GitHub puts in rate limit errors. go-github recognises a secondary rate
// limit by the suffix "secondary-rate-limits" of the URL.
const (
	primaryRateLimitDocs   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	secondaryRateLimitDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// secondaryRateLimitMessage is the message of GitHub's secondary rate limit 403.
const secondaryRateLimitMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."

// edgeState is what sits in front of the REST handlers on GitHub: injected faults, primary
// rate limits and GitHub App credentials. It has its own lock so the middleware never waits
// for a handler holding s.mu.
type edgeState struct {
	mu            sync.Mutex
	faults        []*fault
	rateLimit     int                    // requests per window and credential; 0 means unlimited
	budgets       map[string]*rateBudget // by Authorization header
	apps          map[int64]*app         // by installation id
	tokens        map[string]issuedToken // by token
	tokenSeq      int
	tokenLifetime time.Duration
}

// fault answers the next remaining requests that match with status, or, when until is set,
// every request that matches before until.
type fault struct {
	method     string
	pathPrefix string
	status     int
	remaining  int
	until      time.Time
	// primary makes a 403 the primary rate limit's, with X-RateLimit-Reset at until.
	primary bool
}

type rateBudget struct {
	used  int
	reset time.Time
}

// InjectFailures makes the emulator answer the next count requests with method (empty means
// any) whose path starts with pathPrefix with status and a GitHub-shaped error body, without
// reaching the endpoint: nothing is changed and no rate limit is spent. 403 and 429 are
// GitHub's secondary rate limit, with "Retry-After: 0"; other codes carry their status text.
// Rules apply in the order they were added; injected answers are recorded like real ones,
// with Call.Injected set.
func (s *Server) InjectFailures(method, pathPrefix string, status int, count int) {
	if status < 400 || status > 599 || count < 1 {
		panic("fakegithub: InjectFailures needs an error status and a positive count")
	}
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.faults = append(s.edge.faults, &fault{method: method, pathPrefix: pathPrefix, status: status, remaining: count})
}

// FailFor makes the emulator answer every request with method (empty means any) whose path
// starts with pathPrefix with status for d from now, by the emulator's clock: an outage
// (5xx) or a window of rate limiting. A 403 or 429 is a secondary rate limit whose
// Retry-After counts down to the window's end. Rules apply in the order they were added,
// with InjectFailures' rules; nothing behind an injected answer is changed or spent.
func (s *Server) FailFor(method, pathPrefix string, status int, d time.Duration) {
	if status < 400 || status > 599 || d <= 0 {
		panic("fakegithub: FailFor needs an error status and a positive duration")
	}
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.faults = append(s.edge.faults, &fault{method: method, pathPrefix: pathPrefix, status: status, until: s.now().Add(d)})
}

// ExhaustRateLimitFor answers every request with GitHub's primary rate limit error (403,
// X-RateLimit-Remaining: 0, X-RateLimit-Reset at the end of the window) for d from now.
func (s *Server) ExhaustRateLimitFor(d time.Duration) {
	if d <= 0 {
		panic("fakegithub: ExhaustRateLimitFor needs a positive duration")
	}
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.faults = append(s.edge.faults, &fault{status: http.StatusForbidden, until: s.now().Add(d), primary: true})
}

// takeFault returns the first fault matching r at now and uses one of its answers.
func (e *edgeState) takeFault(r *http.Request, now time.Time) (fault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := 0; i < len(e.faults); i++ {
		f := e.faults[i]
		if !f.until.IsZero() && !now.Before(f.until) {
			e.faults = append(e.faults[:i], e.faults[i+1:]...)
			i--
			continue
		}
		if (f.method != "" && f.method != r.Method) || !strings.HasPrefix(r.URL.Path, f.pathPrefix) {
			continue
		}
		if f.until.IsZero() {
			f.remaining--
			if f.remaining == 0 {
				e.faults = append(e.faults[:i], e.faults[i+1:]...)
			}
		}
		return *f, true
	}
	return fault{}, false
}

// injectFaults answers requests an InjectFailures, FailFor or ExhaustRateLimitFor rule
// matches.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		f, ok := s.edge.takeFault(r, now)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		noteInjected(r)
		switch {
		case f.primary:
			h := w.Header()
			h.Set("X-RateLimit-Limit", "5000")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Used", "5000")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(f.until.Unix(), 10))
			h.Set("X-RateLimit-Resource", "core")
			writeError(w, http.StatusForbidden, "API rate limit exceeded for "+who(r.Header.Get("Authorization"))+".", primaryRateLimitDocs)
		case f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests:
			retryAfter := 0
			if !f.until.IsZero() {
				retryAfter = int((f.until.Sub(now) + time.Second - 1) / time.Second)
			}
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			writeError(w, f.status, secondaryRateLimitMessage, secondaryRateLimitDocs)
		default:
			writeError(w, f.status, http.StatusText(f.status), docsURL)
		}
	})
}

// SetRateLimit gives every credential (each distinct Authorization header, none included) a
// primary rate limit of limit requests per hour, starting now, and makes every answer carry
// GitHub's X-RateLimit-* headers. Past the limit the emulator answers 403 "API rate limit
// exceeded" with X-RateLimit-Remaining: 0, revalidations included. A 304 costs nothing, as on
// GitHub. Zero turns the limit and the headers off, which is how New starts.
func (s *Server) SetRateLimit(limit int) {
	if limit < 0 {
		panic("fakegithub: SetRateLimit needs a limit of zero or more")
	}
	s.edge.mu.Lock()
	defer s.edge.mu.Unlock()
	s.edge.rateLimit = limit
	s.edge.budgets = map[string]*rateBudget{}
}

// rateHeaders sets GitHub's rate limit headers for b.
func rateHeaders(h http.Header, limit int, b rateBudget) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-b.used, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// meterRateLimit spends one request of the caller's budget on each request and gives it back
// when the answer is a 304.
func (s *Server) meterRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		credential := r.Header.Get("Authorization")
		now := s.now()
		s.edge.mu.Lock()
		limit := s.edge.rateLimit
		if limit == 0 {
			s.edge.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		b := s.edge.budgets[credential]
		if b == nil || !now.Before(b.reset) {
			b = &rateBudget{reset: now.Add(rateLimitWindow)}
			s.edge.budgets[credential] = b
		}
		exhausted := b.used >= limit
		if !exhausted {
			b.used++
		}
		snapshot := *b
		s.edge.mu.Unlock()

		if exhausted {
			rateHeaders(w.Header(), limit, snapshot)
			writeError(w, http.StatusForbidden, "API rate limit exceeded for "+who(credential)+".", primaryRateLimitDocs)
			return
		}
		next.ServeHTTP(&headerHook{ResponseWriter: w, before: func(status int) {
			if status == http.StatusNotModified {
				s.edge.mu.Lock()
				b.used--
				snapshot = *b
				s.edge.mu.Unlock()
			}
			rateHeaders(w.Header(), limit, snapshot)
		}}, r)
	})
}

// who names a credential the way GitHub's rate limit message does, without echoing a secret.
func who(credential string) string {
	if credential == "" {
		return "this IP address"
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(credential))
	return "user ID " + strconv.FormatUint(uint64(h.Sum32()), 10)
}

// headerHook calls before with the status just before the headers go out, so a middleware can
// set headers that depend on the handler's answer without buffering it.
type headerHook struct {
	http.ResponseWriter
	before func(status int)
	done   bool
}

func (w *headerHook) WriteHeader(status int) {
	if !w.done {
		w.done = true
		w.before(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *headerHook) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// SetClock replaces the emulator's clock (the real one by default), for tests of the
// time-based rules: fault windows, rate limit resets and token lifetimes. Call it before
// the first request; now must be safe for concurrent use.
func (s *Server) SetClock(now func() time.Time) { s.now = now }
