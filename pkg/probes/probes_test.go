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

package probes_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/bosun-ci/bosun/pkg/probes"
)

// get GETs url and returns the status code and the body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestReadyz(t *testing.T) {
	errDown := errors.New("connection refused")
	var apiDown, configMissing atomic.Bool
	p := probes.New()
	p.AddReadyCheck("config", func(context.Context) error {
		if configMissing.Load() {
			return errors.New("not loaded\nyet")
		}
		return nil
	})
	p.AddReadyCheck("api", func(context.Context) error {
		if apiDown.Load() {
			return fmt.Errorf("cannot list: %w", errDown)
		}
		return nil
	})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	tests := []struct {
		name                 string
		apiDown, noConfig    bool
		wantCode             int
		wantBody             string
		wantReadyErrIsErrAPI bool
	}{{
		name:     "all checks pass",
		wantCode: http.StatusOK,
		wantBody: "ok\n",
	}, {
		name:                 "one check fails with its reason",
		apiDown:              true,
		wantCode:             http.StatusServiceUnavailable,
		wantBody:             "not ready: api: cannot list: connection refused\n",
		wantReadyErrIsErrAPI: true,
	}, {
		name:                 "every failing check is named, on one line",
		apiDown:              true,
		noConfig:             true,
		wantCode:             http.StatusServiceUnavailable,
		wantBody:             "not ready: config: not loaded yet; api: cannot list: connection refused\n",
		wantReadyErrIsErrAPI: true,
	}, {
		name:     "ready again once the checks pass",
		wantCode: http.StatusOK,
		wantBody: "ok\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apiDown.Store(tc.apiDown)
			configMissing.Store(tc.noConfig)
			code, body := get(t, srv.URL+probes.ReadyzPath)
			if code != tc.wantCode || body != tc.wantBody {
				t.Errorf("GET /readyz = %d %q, want %d %q", code, body, tc.wantCode, tc.wantBody)
			}
			if code, body := get(t, srv.URL+probes.HealthzPath); code != http.StatusOK || body != "ok\n" {
				t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\" whatever the readiness", code, body)
			}
			if err := p.Ready(context.Background()); errors.Is(err, errDown) != tc.wantReadyErrIsErrAPI {
				t.Errorf("errors.Is(Ready() = %v, errDown) = %t, want %t", err, !tc.wantReadyErrIsErrAPI, tc.wantReadyErrIsErrAPI)
			}
		})
	}
}

func TestReadyWithoutChecks(t *testing.T) {
	if err := probes.New().Ready(context.Background()); err != nil {
		t.Errorf("Ready() with no checks = %v, want nil", err)
	}
}

func TestReadyCheckDeadline(t *testing.T) {
	p := probes.New()
	p.AddReadyCheck("slow", func(ctx context.Context) error {
		deadline, ok := ctx.Deadline()
		if !ok || time.Until(deadline) > probes.DefaultCheckTimeout {
			return fmt.Errorf("deadline %v (set %t), want within %v", deadline, ok, probes.DefaultCheckTimeout)
		}
		return nil
	})
	if err := p.Ready(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestAddReadyCheckPanics(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name string
		add  func(p *probes.Prober)
	}{{
		name: "empty name",
		add:  func(p *probes.Prober) { p.AddReadyCheck("", ok) },
	}, {
		name: "nil check",
		add:  func(p *probes.Prober) { p.AddReadyCheck("config", nil) },
	}, {
		name: "same name twice",
		add: func(p *probes.Prober) {
			p.AddReadyCheck("config", ok)
			p.AddReadyCheck("config", ok)
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("AddReadyCheck did not panic")
				}
			}()
			tc.add(probes.New())
		})
	}
}

func TestCached(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1e9, 0))
	var calls int
	var fail bool
	check := probes.Cached(5*time.Second, clk, func(context.Context) error {
		calls++
		if fail {
			return errors.New("down")
		}
		return nil
	})
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		fail      bool
		wantErr   bool
		wantCalls int
	}{
		{name: "first probe runs the check", wantCalls: 1},
		{name: "within the TTL the result is reused", advance: 4 * time.Second, fail: true, wantCalls: 1},
		{name: "after the TTL the check runs again", advance: time.Second, fail: true, wantErr: true, wantCalls: 2},
		{name: "a failure is reused too", advance: time.Second, wantErr: true, wantCalls: 2},
		{name: "and ends with the TTL", advance: 4 * time.Second, wantCalls: 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.SetTime(clk.Now().Add(s.advance))
			fail = s.fail
			if err := check(ctx); (err != nil) != s.wantErr {
				t.Errorf("check() = %v, want error %t", err, s.wantErr)
			}
			if calls != s.wantCalls {
				t.Errorf("the check ran %d times, want %d", calls, s.wantCalls)
			}
		})
	}
}

func TestCachedWaiterHonoursItsDeadline(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	check := probes.Cached(time.Minute, clocktesting.NewFakePassiveClock(time.Unix(1e9, 0)), func(context.Context) error {
		close(started)
		<-release
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- check(context.Background()) }()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := check(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("check() while another runs = %v, want its own deadline exceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the first check() = %v, want nil", err)
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	p := probes.New()
	p.AddReadyCheck("api", func(context.Context) error { return errors.New("down") })
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, addr) }()

	var code int
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get("http://" + addr + probes.ReadyzPath)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe server never answered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code != http.StatusServiceUnavailable || body != "not ready: api: down\n" {
		t.Errorf("GET /readyz = %d %q, want 503 \"not ready: api: down\\n\"", code, body)
	}

	// A second server on the same address fails at once, with the address in its error.
	if err := probes.New().Serve(context.Background(), addr); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Serve on a taken address = %v, want an error naming %s", err, addr)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after its context ended = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
