package fakegithub

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// waitForInterval is how often WaitFor re-checks its condition. Requests take well under a
// millisecond here, so this mostly bounds how long a test idles after the fact.
const waitForInterval = 5 * time.Millisecond

// Call is one request the emulator answered.
type Call struct {
	Method string
	// Path is the unescaped request path, e.g. "/repos/acme/widgets/statuses/<sha>".
	Path string
	// RawQuery is the query string without "?", e.g. "page=2&per_page=100".
	RawQuery string
	// Authorization is the request's Authorization header as sent, e.g. "token ghs_..." from
	// a GitHub App installation or "Bearer <jwt>" on its token request; empty when none.
	Authorization string
	// Status is the code answered: 304 for a revalidated GET, and whatever an injected
	// failure or an exhausted rate limit answered.
	Status int
	// Injected is true when an InjectFailures rule answered instead of the endpoint.
	Injected bool
	Time     time.Time
}

// callNote lets the middleware under record mark the call it is answering.
type callNote struct {
	injected bool
}

type callNoteKey struct{}

// noteInjected marks r's call as answered by fault injection.
func noteInjected(r *http.Request) {
	if n, ok := r.Context().Value(callNoteKey{}).(*callNote); ok {
		n.injected = true
	}
}

// record logs every request after it is answered.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		note := &callNote{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callNoteKey{}, note)))
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls = append(s.calls, Call{
			Method:        r.Method,
			Path:          r.URL.Path,
			RawQuery:      r.URL.RawQuery,
			Authorization: r.Header.Get("Authorization"),
			Status:        sw.status,
			Injected:      note.injected,
			Time:          time.Now(),
		})
	})
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Calls returns a copy of the calls recorded since New or the last Reset, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount returns how many calls were recorded since New or the last Reset.
func (s *Server) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Reset forgets the recorded calls, so a test can count the calls of one step. Seeded and
// created objects (pull requests, statuses, comments, labels) stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// WaitFor polls cond until it returns true or ctx is done, for code under test that calls
// GitHub asynchronously (a reconciler, a webhook handler goroutine). cond may call any Server
// method.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	ticker := time.NewTicker(waitForInterval)
	defer ticker.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met after %d calls to the GitHub emulator: %w", s.CallCount(), ctx.Err())
		case <-ticker.C:
		}
	}
}
