package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/hook"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/test/fakegithub"
	"github.com/bosun-ci/bosun/test/framework"
	"github.com/bosun-ci/bosun/test/webhook"
)

// configRepoEnv is a repository whose merges config-updater turns into ConfigMaps of its
// namespace, through a hook that has a ConfigMaps client of the real apiserver.
type configRepoEnv struct {
	t         *testing.T
	namespace string
	org, repo string
	kube      kubernetes.Interface
	hook      *httptest.Server
	secret    []byte
}

func newConfigRepoEnv(t *testing.T) *configRepoEnv {
	t.Helper()
	n := namespaceSeq.Add(1)
	r := &configRepoEnv{t: t, namespace: fmt.Sprintf("it-%d", n), org: "acme", repo: fmt.Sprintf("infra-%d", n), secret: []byte("integration-secret")}
	ctx := context.Background()
	if err := env.Cluster.CreateNamespace(ctx, r.namespace); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("config.yaml", []byte("prowjob_namespace: "+r.namespace+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	pluginCfg, err := plugins.ParseConfiguration("plugins.yaml", []byte(fmt.Sprintf(`
plugins:
  %s/%s: [config-updater]
config_updater:
  maps:
    config/jobs/**/*.yaml:
      name: job-config
    plugins.yaml:
      name: plugins
`, r.org, r.repo)), plugins.Default)
	if err != nil {
		t.Fatal(err)
	}
	r.kube, err = kubernetes.NewForConfig(env.Cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	gh, err := github.NewClient(github.Options{BaseURL: env.GitHub.URL()})
	if err != nil {
		t.Fatal(err)
	}
	srv := hook.NewServer(hook.Options{
		Secret:       func() []byte { return r.secret },
		Config:       func() *config.Config { return cfg },
		PluginConfig: func() *plugins.Configuration { return pluginCfg },
		GitHub:       gh,
		ProwJobs:     prowJobClient(t).ProwV1().ProwJobs(r.namespace),
		ConfigMaps:   func(ns string) plugins.ConfigMapClient { return r.kube.CoreV1().ConfigMaps(ns) },
		Logger:       zaptest.NewLogger(t).Sugar(),
	})
	r.hook = httptest.NewServer(srv)
	t.Cleanup(r.hook.Close)
	return r
}

// merge seeds pull request number as merged at mergeSHA with changes and the files at that
// commit, sends its "closed" webhook and requires a 200.
func (r *configRepoEnv) merge(number int, mergeSHA string, files map[string]string, changes ...fakegithub.FileChange) {
	r.t.Helper()
	pr := framework.PullRequest{
		Org: r.org, Repo: r.repo, Number: number, Author: "alice", Association: "MEMBER",
		HeadSHA: sha(number), BaseRef: "main", BaseSHA: sha(number + 1000),
	}
	obj, err := framework.PullRequestObject(pr)
	if err != nil {
		r.t.Fatal(err)
	}
	env.GitHub.AddPullRequest(r.org, r.repo, obj)
	env.GitHub.SetPullRequestFileChanges(r.org, r.repo, number, changes...)
	for name, content := range files {
		env.GitHub.SetFile(r.org, r.repo, mergeSHA, name, []byte(content))
	}

	payload, err := framework.PullRequestPayload("closed", pr)
	if err != nil {
		r.t.Fatal(err)
	}
	var ev gogithub.PullRequestEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		r.t.Fatal(err)
	}
	ev.PullRequest.State = gogithub.Ptr("closed")
	ev.PullRequest.Merged = gogithub.Ptr(true)
	ev.PullRequest.MergeCommitSHA = gogithub.Ptr(mergeSHA)
	ev.PullRequest.ChangedFiles = gogithub.Ptr(len(changes))
	ev.PullRequest.Base.Repo.DefaultBranch = gogithub.Ptr("main")
	if payload, err = json.Marshal(&ev); err != nil {
		r.t.Fatal(err)
	}
	resp, err := webhook.Send(context.Background(), http.DefaultClient, r.hook.URL, "pull_request", fmt.Sprintf("%s-merged-%d", r.repo, number), payload, r.secret)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("pull_request closed answered %d", resp.StatusCode)
	}
}

// data returns the data of ConfigMap name in the namespace, or nil if there is none.
func (r *configRepoEnv) data(name string) map[string]string {
	r.t.Helper()
	cm, err := r.kube.CoreV1().ConfigMaps(r.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		r.t.Fatalf("get ConfigMap %s: %v", name, err)
	}
	return cm.Data
}

func (r *configRepoEnv) replies(number int) []string {
	var out []string
	for _, c := range env.GitHub.Comments(r.org, r.repo, number) {
		out = append(out, c.GetBody())
	}
	return out
}

func TestUpdateConfigWritesMergedFilesIntoConfigMaps(t *testing.T) {
	r := newConfigRepoEnv(t)
	merge := sha(9001)
	r.merge(7, merge, map[string]string{
		"config/jobs/a.yaml": "presubmits:\n  acme/infra: []\n",
		"plugins.yaml":       "plugins:\n  acme: [trigger]\n",
	},
		fakegithub.FileChange{Filename: "README.md"},
		fakegithub.FileChange{Filename: "config/jobs/a.yaml", Status: "added"},
		fakegithub.FileChange{Filename: "plugins.yaml", Status: "modified"},
	)

	if diff := cmp.Diff(map[string]string{"a.yaml": "presubmits:\n  acme/infra: []\n", "VERSION": merge}, r.data("job-config")); diff != "" {
		t.Errorf("job-config (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"plugins.yaml": "plugins:\n  acme: [trigger]\n", "VERSION": merge}, r.data("plugins")); diff != "" {
		t.Errorf("plugins (-want, +got):\n%s", diff)
	}
	want := []string{fmt.Sprintf("@alice:\n\n"+
		"- ConfigMap `job-config` in namespace `%[1]s` (created): added `a.yaml`.\n"+
		"- ConfigMap `plugins` in namespace `%[1]s` (created): added `plugins.yaml`.", r.namespace)}
	if diff := cmp.Diff(want, r.replies(7)); diff != "" {
		t.Errorf("replies (-want, +got):\n%s", diff)
	}
}

func TestUpdateConfigRemovesTheKeysOfRemovedFiles(t *testing.T) {
	r := newConfigRepoEnv(t)
	existing := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "job-config", Namespace: r.namespace},
		Data:       map[string]string{"a.yaml": "a", "b.yaml": "b", "VERSION": sha(1)},
	}
	if _, err := r.kube.CoreV1().ConfigMaps(r.namespace).Create(context.Background(), existing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	merge := sha(9002)
	r.merge(8, merge, nil, fakegithub.FileChange{Filename: "config/jobs/b.yaml", Status: "removed"})

	if diff := cmp.Diff(map[string]string{"a.yaml": "a", "VERSION": merge}, r.data("job-config")); diff != "" {
		t.Errorf("job-config (-want, +got):\n%s", diff)
	}
	want := []string{fmt.Sprintf("@alice: ConfigMap `job-config` in namespace `%s`: removed `b.yaml`.", r.namespace)}
	if diff := cmp.Diff(want, r.replies(8)); diff != "" {
		t.Errorf("replies (-want, +got):\n%s", diff)
	}
}
