/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package probes serves a process' Kubernetes probes on a port of their own, apart from the
// traffic it serves:
//
//   - /healthz answers 200 as long as the process serves HTTP (the liveness probe);
//   - /readyz answers 200 only when every readiness check registered by name passes, and
//     503 with a one-line reason naming the failing checks otherwise (the readiness probe).
//
// The hook and the controller both use it:
//
//	p := probes.New()
//	p.AddReadyCheck("config", configLoaded)
//	p.AddReadyCheck("prowjobs", probes.Cached(5*time.Second, clock.RealClock{}, listOneProwJob))
//	err := p.Serve(ctx, ":8081") // until ctx is done
//
// A check that calls another service should be wrapped in Cached, so that probes, however
// frequent, cost that service at most one request per TTL.
package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// The probe endpoints.
const (
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
)

// DefaultCheckTimeout bounds the checks of one /readyz request together. Probes should
// allow at least this long (a Pod's readinessProbe.timeoutSeconds).
const DefaultCheckTimeout = 2 * time.Second

// shutdownTimeout bounds the wait for probes in flight when Serve's context is done.
const shutdownTimeout = 5 * time.Second

// Check returns why something is not ready, or nil when it is. It must honour ctx, which
// carries the /readyz request's deadline.
type Check func(ctx context.Context) error

// Prober holds the readiness checks and serves the probe endpoints. Its methods are safe
// for concurrent use; checks are usually added at startup, before Serve.
type Prober struct {
	mu     sync.RWMutex
	checks []namedCheck
}

type namedCheck struct {
	name  string
	check Check
}

// New returns a Prober with no readiness checks: ready until some are added.
func New() *Prober { return &Prober{} }

// AddReadyCheck adds a readiness check; /readyz reports its error as "name: error". Checks
// run in the order they were added. It panics on an empty or repeated name or a nil check,
// which are wiring mistakes.
func (p *Prober) AddReadyCheck(name string, check Check) {
	if name == "" || check == nil {
		panic("probes: a ready check needs a name and a function")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.checks {
		if c.name == name {
			panic(fmt.Sprintf("probes: ready check %q added twice", name))
		}
	}
	p.checks = append(p.checks, namedCheck{name: name, check: check})
}

// Ready runs every readiness check, within DefaultCheckTimeout, and returns nil when all of
// them pass. Otherwise its error names each failing check with its reason, on one line;
// errors.Is and errors.As see the checks' errors.
func (p *Prober) Ready(ctx context.Context) error {
	p.mu.RLock()
	checks := append([]namedCheck(nil), p.checks...)
	p.mu.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, DefaultCheckTimeout)
	defer cancel()
	var failed notReady
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			failed = append(failed, checkError{name: c.name, err: err})
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return failed
}

// Handler serves HealthzPath and ReadyzPath, for a process that mounts them on a mux of its
// own; Serve serves it on an address of its own.
func (p *Prober) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(HealthzPath, func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc(ReadyzPath, func(w http.ResponseWriter, r *http.Request) {
		if err := p.Ready(r.Context()); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		writeText(w, http.StatusOK, "ok")
	})
	return mux
}

// Serve serves Handler on addr until ctx is done, then shuts the server down, letting the
// probes in flight finish. It returns nil after that shutdown, and an error if addr cannot
// be listened on or the server fails.
func (p *Prober) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("failed to listen for probes: %w", err)
	}
	srv := &http.Server{
		Handler:           p.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      DefaultCheckTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("probe server on %s stopped: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("failed to shut the probe server on %s down: %w", addr, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("probe server on %s stopped: %w", addr, err)
	}
	return nil
}

// Cached returns check with its result, success or failure, reused for ttl: however often
// it is probed, check runs at most once per ttl. Callers that come while check runs wait
// for its result (or for their own deadline).
func Cached(ttl time.Duration, clk clock.PassiveClock, check Check) Check {
	c := &cached{ttl: ttl, clock: clk, check: check, sem: make(chan struct{}, 1)}
	return c.run
}

type cached struct {
	ttl   time.Duration
	clock clock.PassiveClock
	check Check
	// sem is held by the caller that runs check; the fields below are guarded by it.
	sem     chan struct{}
	checked bool
	at      time.Time
	err     error
}

func (c *cached) run(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.checked && c.clock.Since(c.at) < c.ttl {
		return c.err
	}
	c.err = c.check(ctx)
	c.checked, c.at = true, c.clock.Now()
	return c.err
}

// checkError is one failing check.
type checkError struct {
	name string
	err  error
}

func (e checkError) Error() string { return e.name + ": " + e.err.Error() }
func (e checkError) Unwrap() error { return e.err }

// notReady is every failing check, in the order they ran.
type notReady []checkError

func (e notReady) Error() string {
	reasons := make([]string, len(e))
	for i, c := range e {
		reasons[i] = c.Error()
	}
	return strings.Join(reasons, "; ")
}

func (e notReady) Unwrap() []error {
	errs := make([]error, len(e))
	for i, c := range e {
		errs[i] = c
	}
	return errs
}

// writeText answers code with msg on one line (a check's error may hold newlines, as
// errors.Join's do), so that the reason reads whole in the kubelet's probe event.
func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, strings.Join(strings.Fields(msg), " "))
}
