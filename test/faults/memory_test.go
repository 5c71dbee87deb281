package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bosun-ci/bosun/test/framework"
)

const (
	memoryNamespace = "faults-memory"
	memorySecret    = "memory-secret"
	// memoryConcurrency requests of memoryBodyBytes each are sent at once, per wave: just
	// under the hook's 25 MB limit, so only the budget stands between them and its memory.
	memoryConcurrency = 80
	memoryBodyBytes   = 24 << 20
	// memoryPeakLimit bounds the hook's peak resident set (VmHWM) through both waves. The
	// 64 MiB budget holds two such bodies at once; before it, this attack took the hook to
	// 2.13 GB.
	memoryPeakLimit = 256 << 20
	// memoryRequestTimeout bounds one attacking request.
	memoryRequestTimeout = 60 * time.Second
)

// TestHookMemoryAttack runs the hook binary alone (the apiserver is there for the one valid
// delivery; no controller) and attacks it with two waves of memoryConcurrency concurrent
// POSTs of 24 MiB each, streamed from a reader so that the client holds none of it:
//
//  1. without X-Hub-Signature-256: each must be refused with 401 before its body is read
//     (the wave may not grow the hook's peak resident set by as much as one body);
//  2. with a well-formed but wrong "sha256=<64 hex>": these are read, but only as many at
//     once as the body budget (64 MiB) holds, and answered 403; the rest wait a second for
//     room and are answered 503 with Retry-After.
//
// No other answer is accepted (no 5xx but 503), the hook must still run, its peak resident
// set (VmHWM, from /proc) must stay under 256 MiB, and a valid delivery sent after the
// waves must be handled (200, its ProwJob created).
func TestHookMemoryAttack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)
	if err := env.Cluster.CreateNamespace(ctx, memoryNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{
		ConfigYAML: jobConfig(memoryNamespace, "resync:\n  interval: 0s\n"), PluginsYAML: pluginConfig,
		Secret: memorySecret, NoController: true,
	})
	pid := bosun.HookPID(0)
	memory := func(when string) framework.Memory {
		t.Helper()
		m, err := framework.ProcessMemory(pid)
		if err != nil {
			t.Fatalf("the hook's memory %s: %v", when, err)
		}
		t.Logf("hook %s: VmRSS %.1f MiB, VmHWM %.1f MiB", when, framework.MiB(m.RSS), framework.MiB(m.Peak))
		return m
	}
	before := memory("before the attack")

	unsigned := attackHook(ctx, bosun.HookURL, "unsigned", "")
	afterUnsigned := memory("after the unsigned wave")
	wrong := attackHook(ctx, bosun.HookURL, "wrong-signature", "sha256="+strings.Repeat("0f", 32))
	afterWrong := memory("after the wrong-signature wave")
	for _, w := range []attackWave{unsigned, wrong} {
		t.Logf("%s wave: answers %v, transport errors %d (first: %v), in %s", w.name, w.codes, w.transportErrors, w.firstError, w.took.Round(time.Millisecond))
	}

	// A real delivery after the attack is handled as ever.
	pr := pullRequest(1, sha(1))
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		t.Fatal(err)
	}
	env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
	body, err := framework.PullRequestPayload("opened", pr)
	if err != nil {
		t.Fatal(err)
	}
	validCode, validErr := deliver(ctx, githubClient(), bosun.HookURL, "pull_request", "memory-valid", body, []byte(memorySecret))
	jobs := listProwJobs(ctx, t, env, memoryNamespace)
	after := memory("after the valid delivery")
	if err := bosun.Exited(); err != nil {
		t.Errorf("the hook did not survive the attack: %v", err)
	}

	reportFault(t, "hook-memory-attack",
		"events", 2*memoryConcurrency+1, "body_mib", framework.MiB(memoryBodyBytes),
		"unsigned_401", unsigned.codes[http.StatusUnauthorized], "wrong_sig_403", wrong.codes[http.StatusForbidden],
		"busy_503", wrong.codes[http.StatusServiceUnavailable]+unsigned.codes[http.StatusServiceUnavailable],
		"other_answers", unsigned.other()+wrong.other(), "transport_errors", unsigned.transportErrors+wrong.transportErrors,
		"valid", validCode, "jobs", len(jobs),
		"rss_before_mib", framework.MiB(before.RSS), "rss_after_unsigned_mib", framework.MiB(afterUnsigned.RSS),
		"rss_after_wrong_mib", framework.MiB(afterWrong.RSS), "rss_after_mib", framework.MiB(after.RSS),
		"peak_rss_mib", framework.MiB(after.Peak), "unsigned_s", unsigned.took.Seconds(), "wrong_sig_s", wrong.took.Seconds())

	if after.Peak >= memoryPeakLimit {
		t.Errorf("the hook's peak resident set was %.1f MiB, want under %.0f MiB", framework.MiB(after.Peak), framework.MiB(memoryPeakLimit))
	}
	// Refused from its headers, an unsigned request costs no body: the wave may not grow the
	// hook's peak by as much as one body.
	if grown := afterUnsigned.Peak - before.Peak; grown >= memoryBodyBytes {
		t.Errorf("the unsigned wave grew the hook's peak resident set by %.1f MiB: their bodies were read", framework.MiB(grown))
	}
	if n := unsigned.codes[http.StatusUnauthorized]; n != memoryConcurrency {
		t.Errorf("%d of %d unsigned requests were answered 401 (answers %v, transport errors %d: %v)", n, memoryConcurrency, unsigned.codes, unsigned.transportErrors, unsigned.firstError)
	}
	if n := wrong.codes[http.StatusForbidden] + wrong.codes[http.StatusServiceUnavailable]; n != memoryConcurrency {
		t.Errorf("%d of %d wrongly signed requests were answered 403 or 503 (answers %v, transport errors %d: %v)", n, memoryConcurrency, wrong.codes, wrong.transportErrors, wrong.firstError)
	}
	if wrong.codes[http.StatusForbidden] == 0 {
		t.Errorf("no wrongly signed request was read and refused 403: the budget let none in (answers %v)", wrong.codes)
	}
	if wrong.busyWithoutRetryAfter != 0 {
		t.Errorf("%d answers 503 had no Retry-After", wrong.busyWithoutRetryAfter)
	}
	if validCode != http.StatusOK {
		t.Errorf("the valid delivery after the attack answered %d (%v), want 200", validCode, validErr)
	}
	if len(jobs) != len(automaticJobs) {
		t.Errorf("the valid delivery made %d ProwJobs, want %d", len(jobs), len(automaticJobs))
	}
}

// attackWave is what one wave of requests got.
type attackWave struct {
	name                  string
	codes                 map[int]int
	busyWithoutRetryAfter int
	transportErrors       int
	firstError            error
	took                  time.Duration
}

// other counts answers other than 401, 403 and 503.
func (w attackWave) other() int {
	n := 0
	for code, count := range w.codes {
		if code != http.StatusUnauthorized && code != http.StatusForbidden && code != http.StatusServiceUnavailable {
			n += count
		}
	}
	return n
}

// attackHook sends memoryConcurrency POSTs of memoryBodyBytes to url at once, each with
// signature in X-Hub-Signature-256 unless it is empty, and waits for every answer.
func attackHook(ctx context.Context, url, name, signature string) attackWave {
	w := attackWave{name: name, codes: map[int]int{}}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range memoryConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, retryAfter, err := postLarge(ctx, url, fmt.Sprintf("%s-%02d", name, i), signature)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				w.transportErrors++
				if w.firstError == nil {
					w.firstError = err
				}
				return
			}
			w.codes[code]++
			if code == http.StatusServiceUnavailable && retryAfter == "" {
				w.busyWithoutRetryAfter++
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	w.took = time.Since(began)
	return w
}

// postLarge POSTs a memoryBodyBytes pull_request "payload" on a connection of its own,
// streamed, with its length declared, and reads the answer while it is still writing, as
// a sender that cares about answers does: a server that refuses early answers and then
// resets the connection, and an HTTP client that only reads once it has written
// everything (Go's does) would see the reset instead. It returns the answer's status and
// Retry-After.
func postLarge(ctx context.Context, url, guid, signature string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &filler{left: memoryBodyBytes})
	if err != nil {
		return 0, "", fmt.Errorf("build request %s: %w", guid, err)
	}
	req.ContentLength = memoryBodyBytes
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", guid)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", req.URL.Host)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", guid, err)
	}
	if err := conn.SetDeadline(time.Now().Add(memoryRequestTimeout)); err != nil {
		conn.Close()
		return 0, "", err
	}
	written := make(chan error, 1)
	go func() { written <- req.Write(conn) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	conn.Close() // ends the write, if it is still going
	writeErr := <-written
	if err != nil {
		return 0, "", fmt.Errorf("%s: read the answer: %w (writing: %v)", guid, err, writeErr)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// filler reads as left bytes of JSON-looking filler, produced as they are read.
type filler struct{ left int64 }

func (f *filler) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > f.left {
		n = f.left
	}
	for i := range p[:n] {
		p[i] = ' '
	}
	f.left -= n
	return int(n), nil
}
