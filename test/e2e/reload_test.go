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

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

const reloadNamespace = "reload"

// reloadConfig is a config.yaml with one always_run presubmit of acme/widgets per name, and
// extra appended.
func reloadConfig(extra string, jobs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "prowjob_namespace: %s\npod_namespace: %s\npresubmits:\n  acme/widgets:\n", reloadNamespace, reloadNamespace)
	for _, j := range jobs {
		fmt.Fprintf(&b, "  - name: %s\n    always_run: true\n    pipeline_run_spec:\n      pipelineRef: {name: %s}\n", j, j)
	}
	return b.String() + extra
}

// TestBinariesReloadTheConfig edits config.yaml under the running hook and controller, the way
// a ConfigMap update does (a new file renamed over the old): a valid edit reaches the next
// webhook, and an invalid one is refused, logged and counted while the last good config
// keeps serving.
func TestBinariesReloadTheConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	workDir := t.TempDir()
	env, bosun := startBosun(ctx, t, false, reloadNamespace, framework.BinaryOptions{WorkDir: workDir, ConfigYAML: reloadConfig("", "unit"), PluginsYAML: pluginConfig, Secret: secret})
	// StartBinaries writes the config the hook and the controller both read here.
	configPath := filepath.Join(workDir, "config.yaml")
	writeConfig := func(content string) {
		t.Helper()
		tmp := filepath.Join(workDir, ".config.yaml.new")
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, configPath); err != nil {
			t.Fatal(err)
		}
	}
	reloads := func(result string) float64 {
		t.Helper()
		v, err := scrape(ctx, bosun.HookMetricsURLs[0], `bosun_config_reloads_total{result="`+result+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitForReloads := func(result string, n float64) {
		t.Helper()
		err := framework.Poll(ctx, 50*time.Millisecond, func(context.Context) (bool, error) { return reloads(result) == n, nil })
		if err != nil {
			t.Fatalf("the hook never counted %v %s reloads: %v", n, result, err)
		}
	}
	// openPR sends a new pull request's opened webhook and returns the jobs it got, once
	// the ProwJobs of want jobs exist.
	openPR := func(number, want int) []string {
		t.Helper()
		pr := framework.PullRequest{Org: "acme", Repo: "widgets", Number: number, Author: "alice", Association: "MEMBER",
			HeadSHA: strings.Repeat(strconv.Itoa(number), 40), BaseRef: "main", BaseSHA: strings.Repeat("b", 40)}
		obj, err := framework.PullRequestObject(pr)
		if err != nil {
			t.Fatal(err)
		}
		env.GitHub.AddPullRequest(pr.Org, pr.Repo, obj)
		opened, err := framework.PullRequestPayload("opened", pr)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := webhook.Send(ctx, http.DefaultClient, bosun.HookURL, "pull_request", fmt.Sprintf("reload-%d", number), opened, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("pull_request answered %d", resp.StatusCode)
		}
		var jobs []string
		err = framework.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
			list, err := env.ProwJobs.ProwV1().ProwJobs(reloadNamespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.PullLabel + "=" + strconv.Itoa(number)})
			if err != nil || len(list.Items) < want {
				return false, err
			}
			jobs = nil
			for _, pj := range list.Items {
				jobs = append(jobs, pj.Spec.Job)
			}
			sort.Strings(jobs)
			return true, nil
		})
		if err != nil {
			t.Fatalf("PR #%d never got %d ProwJobs: %v", number, want, err)
		}
		return jobs
	}

	if diff := cmp.Diff([]string{"unit"}, openPR(1, 1)); diff != "" {
		t.Errorf("jobs of PR #1 (-want, +got):\n%s", diff)
	}

	// A job added on disk is run for the next pull request, without a restart.
	writeConfig(reloadConfig("", "unit", "lint"))
	waitForReloads("success", 1)
	if diff := cmp.Diff([]string{"lint", "unit"}, openPR(2, 2)); diff != "" {
		t.Errorf("jobs of PR #2, after the job was added (-want, +got):\n%s", diff)
	}
	// The controller follows the same file.
	waitForLog(ctx, t, bosun, "controller.log", "Config reloaded")

	// A config that does not validate is refused: the hook goes on with the last good one,
	// says so in its log and its metrics, and stays ready.
	writeConfig(reloadConfig("tekton:\n  cancel_status: Never\n", "unit", "lint", "e2e"))
	waitForReloads("error", 1)
	waitForLog(ctx, t, bosun, "hook.log", "Config reload failed: keeping the last good config")
	waitForLog(ctx, t, bosun, "controller.log", "Config reload failed: keeping the last good config")
	if got := reloads("success"); got != 1 {
		t.Errorf("successful reloads after the refused one = %v, want 1", got)
	}
	if diff := cmp.Diff([]string{"lint", "unit"}, openPR(3, 2)); diff != "" {
		t.Errorf("jobs of PR #3, after the refused config (-want, +got):\n%s", diff)
	}
	resp, err := http.Get(bosun.HookReadyzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz after the refused config answered %d, want 200: the last good config serves", resp.StatusCode)
	}
	// The third job of the refused config must not have slipped in late.
	list, err := env.ProwJobs.ProwV1().ProwJobs(reloadNamespace).List(ctx, metav1.ListOptions{LabelSelector: prowjobsv1.JobLabel + "=e2e"})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("ProwJobs of the refused config's e2e job = %d (err %v), want 0", len(list.Items), err)
	}
}

// waitForLog waits until the log named name (hook.log, controller.log) holds want.
func waitForLog(ctx context.Context, t *testing.T, b *framework.Binaries, name, want string) {
	t.Helper()
	var path string
	for _, p := range b.Logs() {
		if filepath.Base(p) == name {
			path = p
		}
	}
	if path == "" {
		t.Fatalf("no %s among %v", name, b.Logs())
	}
	err := framework.Poll(ctx, 50*time.Millisecond, func(context.Context) (bool, error) {
		data, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(data), want), nil
	})
	if err != nil {
		t.Fatalf("%s never logged %q: %v", name, want, err)
	}
}

// scrape returns the value of the sample named series (name and labels, as the text format
// writes them) in the Prometheus text served at url; a series not exported yet is 0.
func scrape(ctx context.Context, url, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if value, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(value, 64)
		}
	}
	return 0, sc.Err()
}
