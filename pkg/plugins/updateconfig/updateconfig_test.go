package updateconfig

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gogithub "github.com/google/go-github/v93/github"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/plugintest"
)

const (
	mergeSHA  = "9f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	namespace = "bosun"
)

const pluginsYAML = `
plugins:
  acme/widgets: [config-updater]
config_updater:
  maps:
    config/jobs/**/*.yaml:
      name: job-config
    plugins.yaml:
      name: plugins
      clusters:
        default: ["", ci]
    zipped/*.yaml:
      name: zipped
      gzip: true
`

func newEnv(t *testing.T) *plugintest.Env {
	t.Helper()
	p, ok := plugins.Default.Get(PluginName)
	if !ok {
		t.Fatalf("plugin %q is not registered", PluginName)
	}
	env := plugintest.NewEnv(t, pluginsYAML, plugintest.Registry(t, p))
	env.Agent.Config = &config.Config{ProwJobNamespace: namespace}
	return env
}

// merged is the fixtures' pull request #42, merged into main at mergeSHA, changing files.
func merged(t *testing.T, files int, mutate func(*gogithub.PullRequestEvent)) *gogithub.PullRequestEvent {
	t.Helper()
	return plugintest.PullRequestEvent(t, func(e *gogithub.PullRequestEvent) {
		e.Action = gogithub.Ptr("closed")
		e.PullRequest.State = gogithub.Ptr("closed")
		e.PullRequest.Merged = gogithub.Ptr(true)
		e.PullRequest.MergeCommitSHA = gogithub.Ptr(mergeSHA)
		e.PullRequest.ChangedFiles = gogithub.Ptr(files)
		if mutate != nil {
			mutate(e)
		}
	})
}

// cm is a ConfigMap of the fake apiserver, as the plugin writes it.
type cm struct {
	Namespace, Name string
	Data            map[string]string
	BinaryData      map[string]string
}

func configMaps(t *testing.T, env *plugintest.Env) []cm {
	t.Helper()
	list, err := env.Kube.CoreV1().ConfigMaps("").List(plugintest.Context(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []cm
	for _, c := range list.Items {
		got := cm{Namespace: c.Namespace, Name: c.Name, Data: c.Data}
		for k, v := range c.BinaryData {
			if got.BinaryData == nil {
				got.BinaryData = map[string]string{}
			}
			got.BinaryData[k] = gunzipped(t, v)
		}
		out = append(out, got)
	}
	return out
}

// gunzipped is b uncompressed, or b itself if it is not gzipped.
func gunzipped(t *testing.T, b []byte) string {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return string(b)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("corrupt gzip: %v", err)
	}
	return "gz:" + string(out)
}

func seedConfigMap(t *testing.T, env *plugintest.Env, ns, name string, data map[string]string) {
	t.Helper()
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
	if _, err := env.Kube.CoreV1().ConfigMaps(ns).Create(plugintest.Context(t), c, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	env.Kube.ClearActions()
}

func TestHandlePullRequest(t *testing.T) {
	const created, ci = "ConfigMap `plugins` in namespace `bosun` (created): added `plugins.yaml`.", "ConfigMap `plugins` in namespace `ci` (created): added `plugins.yaml`."
	tests := []struct {
		name    string
		changes []fakegithub.FileChange
		// files are at the merge commit.
		files map[string]string
		// existing are ConfigMaps before the event.
		existing    []cm
		event       *gogithub.PullRequestEvent
		want        []cm
		wantReplies []string
	}{{
		name:    "added and modified files go in their ConfigMaps, created in the ProwJob namespace and another",
		changes: []fakegithub.FileChange{{Filename: "config/jobs/a.yaml", Status: "added"}, {Filename: "plugins.yaml"}, {Filename: "README.md"}},
		files:   map[string]string{"config/jobs/a.yaml": "presubmits: {}\n", "plugins.yaml": "plugins: {}\n", "README.md": "hi"},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{"a.yaml": "presubmits: {}\n", VersionKey: mergeSHA}},
			{Namespace: namespace, Name: "plugins", Data: map[string]string{"plugins.yaml": "plugins: {}\n", VersionKey: mergeSHA}},
			{Namespace: "ci", Name: "plugins", Data: map[string]string{"plugins.yaml": "plugins: {}\n", VersionKey: mergeSHA}},
		},
		wantReplies: []string{"@alice:\n\n" +
			"- ConfigMap `job-config` in namespace `bosun` (created): added `a.yaml`.\n" +
			"- " + created + "\n" +
			"- " + ci},
	}, {
		name:     "existing keys are updated, others kept",
		changes:  []fakegithub.FileChange{{Filename: "config/jobs/deep/dir/a.yaml"}},
		files:    map[string]string{"config/jobs/deep/dir/a.yaml": "new"},
		existing: []cm{{Namespace: namespace, Name: "job-config", Data: map[string]string{"a.yaml": "old", "b.yaml": "b"}}},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{"a.yaml": "new", "b.yaml": "b", VersionKey: mergeSHA}},
		},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun`: updated `a.yaml`."},
	}, {
		name:     "a removed file deletes its key",
		changes:  []fakegithub.FileChange{{Filename: "config/jobs/b.yaml", Status: "removed"}},
		existing: []cm{{Namespace: namespace, Name: "job-config", Data: map[string]string{"a.yaml": "a", "b.yaml": "b"}}},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{"a.yaml": "a", VersionKey: mergeSHA}},
		},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun`: removed `b.yaml`."},
	}, {
		name: "a rename deletes the old key and sets the new one, across maps",
		changes: []fakegithub.FileChange{
			{Filename: "config/jobs/new.yaml", Status: "renamed", PreviousFilename: "config/jobs/old.yaml"},
			{Filename: "elsewhere/c.yaml", Status: "renamed", PreviousFilename: "config/jobs/c.yaml"},
			{Filename: "zipped/d.yaml", Status: "renamed", PreviousFilename: "config/jobs/d.yaml"},
		},
		files:    map[string]string{"config/jobs/new.yaml": "n", "zipped/d.yaml": "d"},
		existing: []cm{{Namespace: namespace, Name: "job-config", Data: map[string]string{"old.yaml": "n", "c.yaml": "c", "d.yaml": "d", "e.yaml": "e"}}},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{"new.yaml": "n", "e.yaml": "e", VersionKey: mergeSHA}},
			{Namespace: namespace, Name: "zipped", Data: map[string]string{VersionKey: mergeSHA}, BinaryData: map[string]string{"d.yaml": "gz:d"}},
		},
		wantReplies: []string{"@alice:\n\n" +
			"- ConfigMap `job-config` in namespace `bosun`: added `new.yaml`; removed `c.yaml`, `d.yaml`, `old.yaml`.\n" +
			"- ConfigMap `zipped` in namespace `bosun` (created): added `d.yaml`."},
	}, {
		name:     "a file that is not UTF-8 goes in binaryData",
		changes:  []fakegithub.FileChange{{Filename: "config/jobs/bin.yaml"}},
		files:    map[string]string{"config/jobs/bin.yaml": "\xff\xfe"},
		existing: []cm{{Namespace: namespace, Name: "job-config", Data: map[string]string{"bin.yaml": "text"}}},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{VersionKey: mergeSHA}, BinaryData: map[string]string{"bin.yaml": "\xff\xfe"}},
		},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun`: updated `bin.yaml`."},
	}, {
		name:     "a ConfigMap that would pass 1 MiB is not written",
		changes:  []fakegithub.FileChange{{Filename: "config/jobs/big.yaml"}, {Filename: "plugins.yaml"}},
		files:    map[string]string{"config/jobs/big.yaml": strings.Repeat("x", 600_000), "plugins.yaml": "p"},
		existing: []cm{{Namespace: namespace, Name: "job-config", Data: map[string]string{"other.yaml": strings.Repeat("y", 500_000)}}},
		want: []cm{
			{Namespace: namespace, Name: "job-config", Data: map[string]string{"other.yaml": strings.Repeat("y", 500_000)}},
			{Namespace: namespace, Name: "plugins", Data: map[string]string{"plugins.yaml": "p", VersionKey: mergeSHA}},
			{Namespace: "ci", Name: "plugins", Data: map[string]string{"plugins.yaml": "p", VersionKey: mergeSHA}},
		},
		wantReplies: []string{"@alice:\n\n" +
			"- ConfigMap `job-config` in namespace `bosun` was not updated: it would hold 1,100,065 bytes, more than the 1,048,576 a ConfigMap may hold.\n" +
			"- ConfigMap `plugins` in namespace `bosun` (created): added `plugins.yaml`.\n" +
			"- " + ci},
	}, {
		name:    "a key that is not a valid ConfigMap key is refused",
		changes: []fakegithub.FileChange{{Filename: "config/jobs/a b.yaml"}},
		files:   map[string]string{"config/jobs/a b.yaml": "x"},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun` was not updated: `a b.yaml` (from `config/jobs/a b.yaml`) is not a valid ConfigMap key: " +
			"a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')."},
	}, {
		name:        "removing from a ConfigMap that does not exist creates nothing",
		changes:     []fakegithub.FileChange{{Filename: "config/jobs/a.yaml", Status: "removed"}},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun` does not exist, so there was nothing to remove."},
	}, {
		name:        "a file missing at the merge commit leaves its ConfigMap alone",
		changes:     []fakegithub.FileChange{{Filename: "config/jobs/a.yaml"}},
		wantReplies: []string{"@alice: ConfigMap `job-config` in namespace `bosun` was not updated: `config/jobs/a.yaml` is not in the repository at " + mergeSHA + "."},
	}, {
		name:    "GitHub listing fewer files than the pull request changes updates nothing",
		changes: []fakegithub.FileChange{{Filename: "config/jobs/a.yaml"}},
		files:   map[string]string{"config/jobs/a.yaml": "a"},
		event:   merged(t, 3001, nil),
		wantReplies: []string{"@alice: this pull request changes 3,001 files and GitHub lists only 1 of them, so no ConfigMap was updated: " +
			"update them by hand, or with a pull request changing fewer files."},
	}, {
		name:        "no mapped file: nothing said",
		changes:     []fakegithub.FileChange{{Filename: "README.md"}, {Filename: "config/jobs/a.json"}},
		files:       map[string]string{"README.md": "r"},
		wantReplies: nil,
	}, {
		name:    "closed without merging",
		changes: []fakegithub.FileChange{{Filename: "plugins.yaml"}},
		files:   map[string]string{"plugins.yaml": "p"},
		event:   merged(t, 1, func(e *gogithub.PullRequestEvent) { e.PullRequest.Merged = gogithub.Ptr(false) }),
	}, {
		name:    "merged into another branch than the default",
		changes: []fakegithub.FileChange{{Filename: "plugins.yaml"}},
		files:   map[string]string{"plugins.yaml": "p"},
		event:   merged(t, 1, func(e *gogithub.PullRequestEvent) { e.PullRequest.Base.Ref = gogithub.Ptr("release-1.0") }),
	}, {
		name:    "another action",
		changes: []fakegithub.FileChange{{Filename: "plugins.yaml"}},
		files:   map[string]string{"plugins.yaml": "p"},
		event:   merged(t, 1, func(e *gogithub.PullRequestEvent) { e.Action = gogithub.Ptr("edited") }),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			env.GitHub.SetPullRequestFileChanges(plugintest.Org, plugintest.Repo, plugintest.Number, tc.changes...)
			for name, content := range tc.files {
				env.GitHub.SetFile(plugintest.Org, plugintest.Repo, mergeSHA, name, []byte(content))
			}
			for _, c := range tc.existing {
				seedConfigMap(t, env, c.Namespace, c.Name, c.Data)
			}
			e := tc.event
			if e == nil {
				e = merged(t, len(tc.changes), nil)
			}
			if err := handlePullRequest(plugintest.Context(t), env.Agent, e); err != nil {
				t.Fatalf("handlePullRequest() error = %v", err)
			}
			want := tc.want
			if want == nil {
				want = tc.existing
			}
			sortCMs := cmpopts.SortSlices(func(a, b cm) bool { return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name })
			if diff := cmp.Diff(want, configMaps(t, env), sortCMs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ConfigMaps (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReplies, env.Replies(plugintest.Number)); diff != "" {
				t.Errorf("replies (-want, +got):\n%s", diff)
			}
		})
	}
}

// TestRedeliveryWritesNothing handles the same merge twice: the second time every
// ConfigMap is already as asked, so nothing is written and the reply says so.
func TestRedeliveryWritesNothing(t *testing.T) {
	env := newEnv(t)
	env.GitHub.SetPullRequestFileChanges(plugintest.Org, plugintest.Repo, plugintest.Number, fakegithub.FileChange{Filename: "config/jobs/a.yaml"})
	env.GitHub.SetFile(plugintest.Org, plugintest.Repo, mergeSHA, "config/jobs/a.yaml", []byte("a"))
	e := merged(t, 1, nil)
	if err := handlePullRequest(plugintest.Context(t), env.Agent, e); err != nil {
		t.Fatal(err)
	}
	env.Kube.ClearActions()
	if err := handlePullRequest(plugintest.Context(t), env.Agent, e); err != nil {
		t.Fatal(err)
	}
	for _, a := range env.Kube.Actions() {
		if a.GetVerb() != "get" {
			t.Errorf("the redelivery made a %s of %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	want := []string{
		"@alice: ConfigMap `job-config` in namespace `bosun` (created): added `a.yaml`.",
		"@alice: ConfigMap `job-config` in namespace `bosun` was already up to date.",
	}
	if diff := cmp.Diff(want, env.Replies(plugintest.Number)); diff != "" {
		t.Errorf("replies (-want, +got):\n%s", diff)
	}
}

// TestBackendFailures checks that a failure of GitHub or the apiserver is returned, for
// the hook to answer 503, and that nothing is said on the pull request then.
func TestBackendFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(env *plugintest.Env)
	}{{
		// Statuses the client does not retry, to keep the test fast.
		name: "the file list fails",
		setup: func(env *plugintest.Env) {
			env.GitHub.InjectFailures("GET", "/repos/acme/widgets/pulls/42/files", 404, 1)
		},
	}, {
		name: "a file cannot be read",
		setup: func(env *plugintest.Env) {
			env.GitHub.InjectFailures("GET", "/repos/acme/widgets/contents/", 409, 1)
		},
	}, {
		name: "the apiserver refuses the write",
		setup: func(env *plugintest.Env) {
			env.Kube.PrependReactor("create", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, errors.New("etcdserver: request timed out")
			})
		},
	}, {
		name: "the apiserver fails the read",
		setup: func(env *plugintest.Env) {
			env.Kube.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, errors.New("connection refused")
			})
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			env.GitHub.SetPullRequestFileChanges(plugintest.Org, plugintest.Repo, plugintest.Number, fakegithub.FileChange{Filename: "config/jobs/a.yaml"})
			env.GitHub.SetFile(plugintest.Org, plugintest.Repo, mergeSHA, "config/jobs/a.yaml", []byte("a"))
			tc.setup(env)
			if err := handlePullRequest(plugintest.Context(t), env.Agent, merged(t, 1, nil)); err == nil {
				t.Fatal("handlePullRequest() succeeded, want the backend's error")
			}
			if replies := env.Replies(plugintest.Number); len(replies) > 0 {
				t.Errorf("replied %q after a failure", replies)
			}
		})
	}
}

func TestTooManyFiles(t *testing.T) {
	env := newEnv(t)
	var changes []fakegithub.FileChange
	for i := range MaxFilesRead + 1 {
		changes = append(changes, fakegithub.FileChange{Filename: "config/jobs/" + strings.Repeat("a", i+1) + ".yaml"})
	}
	env.GitHub.SetPullRequestFileChanges(plugintest.Org, plugintest.Repo, plugintest.Number, changes...)
	env.GitHub.Reset()
	if err := handlePullRequest(plugintest.Context(t), env.Agent, merged(t, len(changes), nil)); err != nil {
		t.Fatal(err)
	}
	want := []string{"@alice: this pull request changes 101 files that go in ConfigMaps, more than the 100 config-updater reads for one pull request, " +
		"so no ConfigMap was updated: update them by hand, or with pull requests changing fewer files."}
	if diff := cmp.Diff(want, env.Replies(plugintest.Number)); diff != "" {
		t.Errorf("replies (-want, +got):\n%s", diff)
	}
	for _, c := range env.Calls() {
		if strings.Contains(c, "/contents/") {
			t.Fatalf("read a file: %s", c)
		}
	}
	if len(env.Kube.Actions()) > 0 {
		t.Errorf("touched the apiserver: %v", env.Kube.Actions())
	}
}
