package tekton_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	"github.com/bosun-ci/bosun/pkg/pipelinerun"
	"github.com/bosun-ci/bosun/tekton"
)

// parseGitCloneTask decodes the shipped Task strictly, as the apiserver would.
func parseGitCloneTask(t *testing.T) *pipelinev1.Task {
	t.Helper()
	var task pipelinev1.Task
	if err := yaml.UnmarshalStrict(tekton.GitCloneTask, &task); err != nil {
		t.Fatalf("decode git-clone.yaml: %v", err)
	}
	return &task
}

func TestGitCloneTaskIsValid(t *testing.T) {
	task := parseGitCloneTask(t)
	if task.APIVersion != "tekton.dev/v1" || task.Kind != "Task" {
		t.Errorf("git-clone.yaml is a %s %s, want a tekton.dev/v1 Task", task.APIVersion, task.Kind)
	}
	if task.Name != pipelinerun.DefaultCloneTask {
		t.Errorf("Task name = %q, want %q, the controller's default clone task", task.Name, pipelinerun.DefaultCloneTask)
	}
	ctx := context.Background()
	task.SetDefaults(ctx)
	if err := task.Validate(ctx); err != nil {
		t.Errorf("Task.Validate() = %v", err)
	}
}

func TestGitCloneTaskInterface(t *testing.T) {
	task := parseGitCloneTask(t)
	var params []string
	for _, p := range task.Spec.Params {
		params = append(params, p.Name)
	}
	// The params bosun sets on a rewritten task, and the documented ones.
	for _, want := range []string{pipelinerun.CloneParamURL, pipelinerun.CloneParamRevision, pipelinerun.CloneParamRefs, "depth", "image"} {
		if !slices.Contains(params, want) {
			t.Errorf("Task params %v lack %q", params, want)
		}
	}
	// Only url is required: bosun leaves refs out for a job without pulls.
	for _, p := range task.Spec.Params {
		if p.Name != pipelinerun.CloneParamURL && p.Default == nil {
			t.Errorf("param %q has no default", p.Name)
		}
	}
	if len(task.Spec.Workspaces) != 1 || task.Spec.Workspaces[0].Name != "output" {
		t.Errorf("Task workspaces = %+v, want just output", task.Spec.Workspaces)
	}
	if len(task.Spec.Steps) != 1 || task.Spec.Steps[0].Image != "$(params.image)" {
		t.Fatalf("Task steps = %+v, want one step with image $(params.image)", task.Spec.Steps)
	}
	for _, v := range []string{"$(params.", "$(workspaces.", "$(results.", "$(context."} {
		if strings.Contains(task.Spec.Steps[0].Script, v) {
			t.Errorf("the script substitutes %s...); pass it through env instead", v)
		}
	}
}

// origin is a repository the clone tests fetch from, with a main branch and pull request
// refs as GitHub publishes them.
type origin struct {
	dir string
	// first and base are main's two commits; pulls are refs/pull/<n>/head for n = 1, 2, 3.
	first, base string
	pulls       map[int]string
}

// git runs git in dir with a hermetic, deterministic environment and returns its trimmed
// stdout.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(t)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(string(out))
}

func gitEnv(t *testing.T) []string {
	t.Helper()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=alice", "GIT_AUTHOR_EMAIL=alice@example.com", "GIT_AUTHOR_DATE=2026-03-03T10:00:00Z",
		"GIT_COMMITTER_NAME=alice", "GIT_COMMITTER_EMAIL=alice@example.com", "GIT_COMMITTER_DATE=2026-03-03T10:00:00Z",
	}
}

// commit writes files in dir and commits them, returning the new commit.
func commit(t *testing.T, dir, msg string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "add", name)
	}
	git(t, dir, "commit", "-q", "-m", msg)
	return git(t, dir, "rev-parse", "HEAD")
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{dir: t.TempDir(), pulls: map[int]string{}}
	git(t, o.dir, "init", "-q", "-b", "main")
	o.first = commit(t, o.dir, "first", map[string]string{"a.txt": "one\n"})
	branch := func(name, from string, files map[string]string) string {
		git(t, o.dir, "checkout", "-q", "-b", name, from)
		sha := commit(t, o.dir, name, files)
		git(t, o.dir, "checkout", "-q", "main")
		return sha
	}
	o.pulls[1] = branch("pr1", o.first, map[string]string{"b.txt": "from pull 1\n"})
	o.pulls[2] = branch("pr2", o.first, map[string]string{"c.txt": "from pull 2\n"})
	o.pulls[3] = branch("pr3", o.first, map[string]string{"a.txt": "conflicts with main\n"})
	o.base = commit(t, o.dir, "second", map[string]string{"a.txt": "two\n"})
	for n, sha := range o.pulls {
		git(t, o.dir, "update-ref", "refs/pull/"+strconv.Itoa(n)+"/head", sha)
	}
	return o
}

// cloneRun is what one run of the clone script left.
type cloneRun struct {
	// dest is the checkout; result the commit result the script wrote.
	dest, result string
	// output is the script's stdout and stderr.
	output string
}

// runClone runs the Task's step script as Tekton would, the params substituted into its
// env, with gitconfig (if not empty) as the user's git config.
func runClone(t *testing.T, task *pipelinev1.Task, params map[string]string, gitconfig string) (cloneRun, error) {
	t.Helper()
	step := task.Spec.Steps[0]
	workspace := t.TempDir()
	resultPath := filepath.Join(t.TempDir(), "commit")
	values := map[string]string{}
	for _, p := range task.Spec.Params {
		if p.Default != nil {
			values[p.Name] = p.Default.StringVal
		}
	}
	for k, v := range params {
		values[k] = v
	}
	pairs := []string{"$(workspaces.output.path)", workspace, "$(results.commit.path)", resultPath}
	for k, v := range values {
		pairs = append(pairs, "$(params."+k+")", v)
	}
	subst := strings.NewReplacer(pairs...)
	env := gitEnv(t)
	if gitconfig != "" {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
			t.Fatal(err)
		}
		env = append(env, "HOME="+home)
	}
	for _, e := range step.Env {
		env = append(env, e.Name+"="+subst.Replace(e.Value))
	}
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte(step.Script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	result, _ := os.ReadFile(resultPath)
	return cloneRun{dest: filepath.Join(workspace, values["subdirectory"]), result: string(result), output: string(out)}, err
}

func TestGitCloneScript(t *testing.T) {
	for _, tool := range []string{"git", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	task := parseGitCloneTask(t)
	o := newOrigin(t)
	url := "file://" + o.dir

	tests := []struct {
		name   string
		params map[string]string
		// wantHead is the commit checked out; empty when it is a merge, checked by
		// wantAncestors and wantFiles instead.
		wantHead      string
		wantAncestors []string
		wantFiles     map[string]string
		wantShallow   bool
		wantErr       string
		// gitconfig is the git config of the user running the script.
		gitconfig string
	}{{
		name:        "branch, shallow by default",
		params:      map[string]string{"url": url, "revision": "main"},
		wantHead:    o.base,
		wantFiles:   map[string]string{"a.txt": "two\n"},
		wantShallow: true,
	}, {
		name:      "commit that is not a branch tip",
		params:    map[string]string{"url": url, "revision": o.first, "depth": "0"},
		wantHead:  o.first,
		wantFiles: map[string]string{"a.txt": "one\n"},
	}, {
		name:        "pull request head ref",
		params:      map[string]string{"url": url, "revision": "refs/pull/1/head"},
		wantHead:    o.pulls[1],
		wantFiles:   map[string]string{"a.txt": "one\n", "b.txt": "from pull 1\n"},
		wantShallow: true,
	}, {
		name:        "no revision: the default branch",
		params:      map[string]string{"url": url},
		wantHead:    o.base,
		wantShallow: true,
	}, {
		name:        "into a subdirectory",
		params:      map[string]string{"url": url, "revision": "main", "subdirectory": "src/widgets"},
		wantHead:    o.base,
		wantShallow: true,
	}, {
		name: "refs: pulls merged into the base in order, revision not used",
		params: map[string]string{
			"url":      url,
			"revision": "refs/pull/3/head",
			"refs":     "main:" + o.base + ",1:" + o.pulls[1] + ":refs/pull/1/head,2:" + o.pulls[2],
		},
		wantAncestors: []string{o.base, o.pulls[1], o.pulls[2]},
		wantFiles:     map[string]string{"a.txt": "two\n", "b.txt": "from pull 1\n", "c.txt": "from pull 2\n"},
	}, {
		name:          "refs: base sha behind the branch tip",
		params:        map[string]string{"url": url, "refs": "main:" + o.first + ",1:" + o.pulls[1]},
		wantAncestors: []string{o.first, o.pulls[1]},
		wantFiles:     map[string]string{"a.txt": "one\n", "b.txt": "from pull 1\n"},
	}, {
		name:          "refs: a server that refuses unadvertised commits",
		params:        map[string]string{"url": url, "refs": "main:" + o.first + ",1:" + o.pulls[1] + ":refs/pull/1/head"},
		gitconfig:     "[protocol]\n\tversion = 0\n",
		wantAncestors: []string{o.first, o.pulls[1]},
		wantFiles:     map[string]string{"a.txt": "one\n", "b.txt": "from pull 1\n"},
	}, {
		name:     "refs without pulls: the base",
		params:   map[string]string{"url": url, "refs": "main"},
		wantHead: o.base,
	}, {
		name:    "conflicting pull",
		params:  map[string]string{"url": url, "refs": "main:" + o.base + ",3:" + o.pulls[3]},
		wantErr: "bosun-git-clone: pull request #3 (" + o.pulls[3] + ") does not merge into main",
	}, {
		name:    "unknown revision",
		params:  map[string]string{"url": url, "revision": "no-such-branch"},
		wantErr: "bosun-git-clone: cannot fetch no-such-branch from " + url,
	}, {
		name:    "empty url",
		params:  map[string]string{"url": "", "revision": "main"},
		wantErr: "bosun-git-clone: param url is empty",
	}, {
		name:    "bad depth",
		params:  map[string]string{"url": url, "depth": "deep"},
		wantErr: "bosun-git-clone: param depth must be a whole number, got 'deep'",
	}, {
		name:    "malformed pull in refs",
		params:  map[string]string{"url": url, "refs": "main:" + o.base + ",42"},
		wantErr: "bosun-git-clone: param refs: want number:sha[:ref], got '42'",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, err := runClone(t, task, tc.params, tc.gitconfig)
			dest, out := run.dest, run.output
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("clone succeeded, want error %q; output:\n%s", tc.wantErr, out)
				}
				if !strings.Contains(out, tc.wantErr) {
					t.Errorf("output does not contain %q:\n%s", tc.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("clone: %v\n%s", err, out)
			}
			head := git(t, dest, "rev-parse", "HEAD")
			if run.result != head {
				t.Errorf("commit result = %q, want HEAD %q", run.result, head)
			}
			if tc.wantHead != "" && head != tc.wantHead {
				t.Errorf("HEAD = %s, want %s", head, tc.wantHead)
			}
			for _, a := range tc.wantAncestors {
				git(t, dest, "merge-base", "--is-ancestor", a, "HEAD")
			}
			for name, want := range tc.wantFiles {
				got, err := os.ReadFile(filepath.Join(dest, name))
				if err != nil {
					t.Errorf("read %s: %v", name, err)
					continue
				}
				if diff := cmp.Diff(want, string(got)); diff != "" {
					t.Errorf("%s (-want, +got):\n%s", name, diff)
				}
			}
			if got := git(t, dest, "rev-parse", "--is-shallow-repository") == "true"; got != tc.wantShallow {
				t.Errorf("shallow = %v, want %v", got, tc.wantShallow)
			}
			if got := git(t, dest, "remote", "get-url", "origin"); got != url {
				t.Errorf("origin = %q, want %q", got, url)
			}
		})
	}
}

func TestCheckconfigTaskIsValid(t *testing.T) {
	var task pipelinev1.Task
	if err := yaml.UnmarshalStrict(tekton.CheckconfigTask, &task); err != nil {
		t.Fatalf("decode checkconfig.yaml: %v", err)
	}
	if task.APIVersion != "tekton.dev/v1" || task.Kind != "Task" || task.Name != "bosun-checkconfig" {
		t.Errorf("checkconfig.yaml is a %s %s %q, want the tekton.dev/v1 Task bosun-checkconfig", task.APIVersion, task.Kind, task.Name)
	}
	ctx := context.Background()
	task.SetDefaults(ctx)
	if err := task.Validate(ctx); err != nil {
		t.Errorf("Task.Validate() = %v", err)
	}
	if len(task.Spec.Steps) != 1 || len(task.Spec.Steps[0].Command) == 0 {
		t.Fatalf("steps %+v: want one step with a command (the local node cannot ask a registry for an entrypoint)", task.Spec.Steps)
	}
}
