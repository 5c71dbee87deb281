package faults

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bosun-ci/bosun/test/framework"
)

const (
	githubNamespace = "faults-github"
	githubSecret    = "github-secret"
	// githubPulls pull requests, unit and lint each, go through each window.
	githubPulls = 40
	// outageWindow is the 5xx window; rateLimitWindow the primary and secondary ones.
	outageWindow    = 30 * time.Second
	rateLimitWindow = 15 * time.Second
	// recoveryBound is what each window's statuses may take after it ends: the reporter
	// retries at most 30 s apart (plus the client's own retries), and waits for a rate
	// limit's reset. Before, 30 s of 5xx left statuses 117 s late.
	recoveryBound = 45 * time.Second
)

// TestGitHubOutage reports through three windows in which GitHub refuses status posts, timed
// by the emulator's clock: 30 s of 500 (results posted during it), 15 s of the primary rate
// limit (403, X-RateLimit-Remaining: 0, reset at the window's end; new jobs' pending posted
// during it) and 15 s of a secondary rate limit (429 with a Retry-After counting down).
// Every status arrives, each window's within recoveryBound of its end; the FAULT line gives
// the seconds from each window's end to its last status and how many posts GitHub refused.
func TestGitHubOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := startControlPlane(ctx, t)
	if err := env.Cluster.CreateNamespace(ctx, githubNamespace); err != nil {
		t.Fatal(err)
	}
	bosun := startBosun(ctx, t, env, framework.BinaryOptions{
		ConfigYAML: jobConfig(githubNamespace, "resync:\n  interval: 0s\n"), PluginsYAML: pluginConfig, Secret: githubSecret,
	})
	const statuses = "/repos/acme/widgets/statuses/"

	// 1. 500 for 30 s while the first pull requests' results are posted: the client does
	// not retry a POST that failed inside GitHub, so the reporter's own backoff is what counts.
	if err := openPulls(ctx, env, bosun.HookURL, githubSecret, "gh-5xx", 1, githubPulls); err != nil {
		t.Fatal(err)
	}
	if err := pollStatuses(ctx, env, githubPulls, func(c statusCounts) bool { return c.pendingContexts == 2*githubPulls }); err != nil {
		t.Fatalf("pending statuses before the outage: %v", err)
	}
	env.GitHub.FailFor(http.MethodPost, statuses, http.StatusInternalServerError, outageWindow)
	outageEnds := time.Now().Add(outageWindow)
	if err := finishRuns(ctx, env, githubNamespace); err != nil {
		t.Fatal(err)
	}
	outageRecovery := waitWindow(ctx, t, env, "5xx", outageEnds, githubPulls, func(c statusCounts) bool {
		return c.finalContexts == 2*githubPulls && c.wrongLatest == 0
	})

	// 2. The primary rate limit spent, while the next pull requests' jobs start.
	env.GitHub.ExhaustRateLimitFor(rateLimitWindow)
	limitEnds := time.Now().Add(rateLimitWindow)
	if err := openPulls(ctx, env, bosun.HookURL, githubSecret, "gh-primary", githubPulls+1, 2*githubPulls); err != nil {
		t.Fatal(err)
	}
	primaryRecovery := waitWindow(ctx, t, env, "primary rate limit", limitEnds, 2*githubPulls, func(c statusCounts) bool {
		return c.pendingContexts == 4*githubPulls
	})

	// 3. A secondary rate limit while their results are posted.
	env.GitHub.FailFor(http.MethodPost, statuses, http.StatusTooManyRequests, rateLimitWindow)
	secondaryEnds := time.Now().Add(rateLimitWindow)
	if err := finishRuns(ctx, env, githubNamespace); err != nil {
		t.Fatal(err)
	}
	secondaryRecovery := waitWindow(ctx, t, env, "secondary rate limit", secondaryEnds, 2*githubPulls, func(c statusCounts) bool {
		return c.finalContexts == 4*githubPulls && c.wrongLatest == 0
	})

	refused, posts := 0, 0
	for _, call := range env.GitHub.Calls() {
		if call.Method == http.MethodPost && strings.HasPrefix(call.Path, statuses) {
			posts++
			if call.Injected {
				refused++
			}
		}
	}
	c := countStatuses(env, 2*githubPulls)
	if err := bosun.Exited(); err != nil {
		t.Errorf("a binary exited: %v", err)
	}
	reportFault(t, "github-outage", "jobs", 4*githubPulls, "status_posts", posts, "refused", refused,
		"final_contexts", c.finalContexts, "wrong_latest", c.wrongLatest,
		"outage_s", outageWindow.Seconds(), "recovery_5xx_s", outageRecovery.Seconds(),
		"recovery_primary_s", primaryRecovery.Seconds(), "recovery_secondary_s", secondaryRecovery.Seconds())
	for name, r := range map[string]time.Duration{"5xx": outageRecovery, "primary rate limit": primaryRecovery, "secondary rate limit": secondaryRecovery} {
		if r > recoveryBound {
			t.Errorf("after the %s window the statuses took %s, more than %s", name, r.Round(100*time.Millisecond), recoveryBound)
		}
	}
}

// waitWindow waits (bounded) until done holds for the statuses of pull requests 1..n, and
// returns how long after the window's end that was (0 if within it).
func waitWindow(ctx context.Context, t *testing.T, env *framework.Env, name string, ends time.Time, n int, done func(statusCounts) bool) time.Duration {
	t.Helper()
	ctx, cancel := context.WithDeadline(ctx, ends.Add(2*recoveryBound))
	defer cancel()
	if err := pollStatuses(ctx, env, n, done); err != nil {
		t.Errorf("after the %s window: %v", name, err)
		return 2 * recoveryBound
	}
	return max(time.Since(ends), 0)
}
