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

package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// inRepoCentral is a central config that enables in-repo config for acme.
const inRepoCentral = `pod_namespace: ci
in_repo_config:
  enabled:
    "*": false
    acme: true
    acme/legacy: false
  allowed_clusters:
    acme: [build-eu]
    acme/widgets: [build-us, default]
`

func mustLoadCentral(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := LoadBytes("config.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	return c
}

// mapFS builds an in-repo file system from path -> content.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func TestInRepoConfigEnabled(t *testing.T) {
	c := mustLoadCentral(t, inRepoCentral)
	for _, tc := range []struct {
		org, repo string
		want      bool
	}{
		{"acme", "widgets", true},
		{"acme", "legacy", false},
		{"other", "x", false},
	} {
		t.Run(tc.org+"/"+tc.repo, func(t *testing.T) {
			if got := c.InRepoConfigEnabled(tc.org, tc.repo); got != tc.want {
				t.Errorf("InRepoConfigEnabled() = %t, want %t", got, tc.want)
			}
		})
	}
	if mustLoadCentral(t, "pod_namespace: ci\n").InRepoConfigEnabled("acme", "widgets") {
		t.Error("InRepoConfigEnabled() without in_repo_config = true, want false")
	}
}

func TestInRepoAllowedClusters(t *testing.T) {
	tests := []struct {
		name, config, org, repo string
		want                    []string
	}{
		{name: "merged", config: inRepoCentral, org: "acme", repo: "widgets", want: []string{"default", "build-eu", "build-us"}},
		{name: "org only", config: inRepoCentral, org: "acme", repo: "gadgets", want: []string{"default", "build-eu"}},
		{name: "default", config: "pod_namespace: ci\n", org: "x", repo: "y", want: []string{"default"}},
		{name: "star emptied", config: "in_repo_config:\n  allowed_clusters:\n    \"*\": []\n    x/y: [a]\n", org: "x", repo: "y", want: []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustLoadCentral(t, tc.config).InRepoAllowedClusters(tc.org, tc.repo)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("InRepoAllowedClusters() (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestInRepoConfigUnknownKey(t *testing.T) {
	_, err := LoadBytes("config.yaml", []byte("in_repo_config:\n  enabeld:\n    '*': true\n"))
	want := `config.yaml:2: unknown field "in_repo_config.enabeld" (did you mean "enabled"?)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LoadBytes() error = %v, want it to contain %q", err, want)
	}
}

func TestInRepoPath(t *testing.T) {
	for p, want := range map[string]bool{
		".prow.yaml":                          true,
		".prow/jobs.yaml":                     true,
		".prow/sub/dir/jobs.yml":              true,
		".lighthouse/jenkins-x/triggers.yaml": true,
		".lighthouse/jenkins-x/pr.yaml":       true,
		".prow":                               false,
		"prow.yaml":                           false,
		".prowx/a.yaml":                       false,
		"src/.prow.yaml":                      false,
		".prow/../secret":                     false,
		"":                                    false,
	} {
		t.Run(p, func(t *testing.T) {
			if got := InRepoPath(p); got != want {
				t.Errorf("InRepoPath(%q) = %t, want %t", p, got, want)
			}
		})
	}
}

// inRepoJob is a tekton-pipeline job of a .prow.yaml list with extra lines.
func inRepoJob(name string, lines ...string) string {
	s := "  - name: " + name + "\n    " + spec + "\n"
	for _, l := range lines {
		s += "    " + l + "\n"
	}
	return s
}

func TestLoadInRepoProw(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantPre   []string
		wantPost  []string
		wantWarn  []string
		wantErr   []string
		checkJobs func(t *testing.T, j *InRepoJobs)
	}{{
		name:  "no files",
		files: map[string]string{"README.md": "hi"},
	}, {
		name: ".prow.yaml",
		files: map[string]string{".prow.yaml": "presubmits:\n" + inRepoJob("unit", "always_run: true", "decorate: true") +
			"postsubmits:\n" + inRepoJob("publish", "branches: [^main$]") +
			"presets:\n- labels: {preset-x: \"true\"}\n" + "prow_ignored: {x: 1}\n"},
		wantPre:  []string{"unit"},
		wantPost: []string{"publish"},
		wantWarn: []string{
			".prow.yaml: not used by bosun (Prow's, ignored): presets",
			".prow.yaml:5: decorate: not used by bosun (Prow's, ignored); set on 1 tekton-pipeline job(s): unit",
		},
		checkJobs: func(t *testing.T, j *InRepoJobs) {
			p := j.Presubmits[0]
			if p.Context != "unit" || p.RerunCommand != "/test unit" || !p.TriggerMatches("/test unit") || p.Cluster != "default" || *p.Namespace != "ci" {
				t.Errorf("presubmit not defaulted like a central one: context %q, rerun %q, cluster %q, namespace %q", p.Context, p.RerunCommand, p.Cluster, *p.Namespace)
			}
			if p.SourcePath() != ".prow.yaml" {
				t.Errorf("SourcePath() = %q, want .prow.yaml", p.SourcePath())
			}
			if !j.Postsubmits[0].CouldRun("main") || j.Postsubmits[0].CouldRun("dev") {
				t.Error("postsubmit branches not compiled")
			}
		},
	}, {
		name: ".prow directory, recursively, and .prow.yaml ignored",
		files: map[string]string{
			".prow.yaml":         "presubmits:\n" + inRepoJob("ignored"),
			".prow/a.yaml":       "presubmits:\n" + inRepoJob("a"),
			".prow/sub/b.yml":    "presubmits:\n" + inRepoJob("b"),
			".prow/notes.txt":    "not yaml",
			".prow/empty.yaml":   "",
			".prow/sub/c/d.yaml": "postsubmits:\n" + inRepoJob("d"),
		},
		wantPre:  []string{"a", "b"},
		wantPost: []string{"d"},
		wantWarn: []string{".prow.yaml: not read: the repository has a .prow directory, which Prow and bosun read instead"},
	}, {
		name: "jobs for other agents left to Prow",
		files: map[string]string{".prow.yaml": "presubmits:\n  - name: k8s\n    spec: {containers: [{image: x}]}\n" + inRepoJob("tekton") +
			"  - name: j\n    agent: jenkins\n"},
		wantPre:  []string{"tekton"},
		wantWarn: []string{"left to Prow: 1 kubernetes job(s): k8s; 1 jenkins job(s): j"},
	}, {
		name:    "misspelled key",
		files:   map[string]string{".prow.yaml": "presubmits:\n" + inRepoJob("unit", "alwys_run: true") + "postsubmit: []\n"},
		wantErr: []string{`.prow.yaml:4: unknown field "presubmits[0].alwys_run" (did you mean "always_run"?)`, `.prow.yaml:5: unknown field "postsubmit" (did you mean "postsubmits"?)`},
	}, {
		name:    "bad type",
		files:   map[string]string{".prow.yaml": "presubmits:\n" + inRepoJob("unit", "always_run: sometimes", "max_concurrency: lots")},
		wantErr: []string{`.prow.yaml:4: presubmits[0].always_run: json: cannot unmarshal string into Go value of type bool`, `.prow.yaml:5: presubmits[0].max_concurrency: json: cannot unmarshal string into Go value of type int`},
	}, {
		name:    "not a mapping",
		files:   map[string]string{".prow.yaml": "- name: unit\n"},
		wantErr: []string{`.prow.yaml:1: want a mapping of presubmits and postsubmits, got a list`},
	}, {
		name:    "central syntax",
		files:   map[string]string{".prow.yaml": "presubmits:\n  acme/widgets:\n" + inRepoJob("unit")},
		wantErr: []string{`.prow.yaml:1: presubmits: an in-repo file lists its jobs (presubmits: [- name: ...]); the repository is implicit (acme/widgets), not a key as in central config (found acme/widgets)`},
	}, {
		name:    "disallowed cluster",
		files:   map[string]string{".prow.yaml": "presubmits:\n" + inRepoJob("unit", "cluster: build-eu") + inRepoJob("e2e", "cluster: gpu")},
		wantErr: []string{`.prow.yaml:7: presubmit "e2e" (acme/widgets): cluster: "gpu" is not allowed for in-repo jobs of acme/widgets (in_repo_config.allowed_clusters gives "default", "build-eu", "build-us")`},
	}, {
		name: "validated like central jobs",
		files: map[string]string{".prow.yaml": "presubmits:\n" + inRepoJob("unit") + inRepoJob("unit") +
			"  - name: bad\n    pipeline_run_spec:\n      pipelineSpec:\n        tasks:\n        - name: t\n          runAfter: [nope]\n          taskRef: {name: x}\n"},
		wantErr: []string{
			`.prow.yaml:4: presubmit "unit" (acme/widgets): name: duplicate of the presubmit defined at .prow.yaml:2`,
			`.prow.yaml:9: presubmit "bad" (acme/widgets): pipeline_run_spec.pipelineSpec.tasks: invalid value: couldn't add link between t and nope`,
		},
	}, {
		name:    "too big",
		files:   map[string]string{".prow.yaml": "presubmits: []\n" + strings.Repeat("# padding\n", MaxInRepoFileBytes/10+1)},
		wantErr: []string{fmt.Sprintf(".prow.yaml: %d bytes, over the 1048576 bosun reads from an in-repo config file", 15+10*(MaxInRepoFileBytes/10+1))},
	}, {
		name:    "too many jobs",
		files:   map[string]string{".prow.yaml": "presubmits:\n" + manyJobs(MaxInRepoJobs+1)},
		wantErr: []string{"acme/widgets: 201 in-repo jobs, over the 200 bosun reads from one repository"},
	}, {
		name:    "two documents",
		files:   map[string]string{".prow.yaml": "presubmits: []\n---\npostsubmits: []\n"},
		wantErr: []string{".prow.yaml:3: an in-repo config file holds one YAML document; found another here"},
	}}
	c := mustLoadCentral(t, inRepoCentral)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := c.LoadInRepo("acme", "widgets", mapFS(tc.files))
			checkInRepo(t, j, err, tc.wantPre, tc.wantPost, tc.wantWarn, tc.wantErr)
			if err == nil && tc.checkJobs != nil {
				tc.checkJobs(t, j)
			}
		})
	}
}

// manyJobs returns n tekton-pipeline presubmits for a .prow.yaml list.
func manyJobs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(inRepoJob(fmt.Sprintf("job-%d", i)))
	}
	return b.String()
}

// checkInRepo checks what LoadInRepo returned: with wantErr, that the error holds each of
// them; else the jobs' names and that each wanted warning is there.
func checkInRepo(t *testing.T, j *InRepoJobs, err error, wantPre, wantPost, wantWarn, wantErr []string) {
	t.Helper()
	if len(wantErr) > 0 {
		if err == nil {
			t.Fatal("LoadInRepo() succeeded, want errors")
		}
		for _, want := range wantErr {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not contain %q:\n%v", want, err)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("LoadInRepo() error:\n%v", err)
	}
	if diff := cmp.Diff(wantPre, names(j.Presubmits)); diff != "" {
		t.Errorf("presubmits (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPost, names(j.Postsubmits)); diff != "" {
		t.Errorf("postsubmits (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWarn, warningStrings(j.Warnings)); diff != "" {
		t.Errorf("warnings (-want, +got):\n%s", diff)
	}
}

func TestLoadInRepoNil(t *testing.T) {
	j, err := mustLoadCentral(t, inRepoCentral).LoadInRepo("acme", "widgets", nil)
	if err != nil || len(j.Presubmits)+len(j.Postsubmits)+len(j.Warnings) != 0 {
		t.Errorf("LoadInRepo(nil) = %+v, %v; want nothing", j, err)
	}
}

// TestLoadInRepoRealProwYAML loads a real .prow.yaml (testdata/inrepo/README.md): its
// kubernetes job is left to Prow.
func TestLoadInRepoRealProwYAML(t *testing.T) {
	c := mustLoadCentral(t, inRepoCentral)
	j, err := c.LoadInRepo("kcp-dev", "logicalcluster", os.DirFS("testdata/inrepo/kcp-dev-logicalcluster"))
	checkInRepo(t, j, err, nil, nil, []string{"left to Prow: 1 kubernetes job(s): pull-logicalcluster-lint"}, nil)
}

func TestMergeInRepo(t *testing.T) {
	c := mustLoadCentral(t, inRepoCentral+"presubmits:\n  acme/widgets:\n"+
		"  - name: unit\n    "+spec+"\n  - name: lint\n    "+spec+"\npostsubmits:\n  acme/widgets:\n  - name: publish\n    "+spec+"\n")
	own, err := c.LoadInRepo("acme", "widgets", mapFS(map[string]string{
		".prow.yaml": "presubmits:\n" + inRepoJob("unit") + inRepoJob("e2e") + "postsubmits:\n" + inRepoJob("publish") + inRepoJob("docs"),
	}))
	if err != nil {
		t.Fatalf("LoadInRepo() error:\n%v", err)
	}
	pre, preWarnings := MergePresubmits(c.PresubmitsFor("acme", "widgets"), own.Presubmits)
	post, postWarnings := MergePostsubmits(c.PostsubmitsFor("acme", "widgets"), own.Postsubmits)
	if diff := cmp.Diff([]string{"unit", "lint", "e2e"}, names(pre)); diff != "" {
		t.Errorf("merged presubmits (-want, +got):\n%s", diff)
	}
	if pre[0].SourcePath() != "config.yaml" {
		t.Errorf("presubmit unit comes from %q, want the central config.yaml", pre[0].SourcePath())
	}
	if diff := cmp.Diff([]string{"publish", "docs"}, names(post)); diff != "" {
		t.Errorf("merged postsubmits (-want, +got):\n%s", diff)
	}
	want := []string{
		`.prow.yaml:2: presubmit "unit": not run: the central config defines a presubmit of that name (config.yaml:12), which runs instead`,
		`.prow.yaml:7: postsubmit "publish": not run: the central config defines a postsubmit of that name (config.yaml:18), which runs instead`,
	}
	if diff := cmp.Diff(want, warningStrings(append(preWarnings, postWarnings...))); diff != "" {
		t.Errorf("merge warnings (-want, +got):\n%s", diff)
	}
	for _, w := range append(preWarnings, postWarnings...) {
		if w.Kind != InRepoShadowed {
			t.Errorf("warning kind %q, want %q", w.Kind, InRepoShadowed)
		}
	}
}

// TestRealLighthouseInRepoConfig: the in_repo_config of a real Lighthouse config.yaml is read.
func TestRealLighthouseInRepoConfig(t *testing.T) {
	c, err := Load("testdata/real/lighthouse-jx3/config.yaml", "")
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	if !c.InRepoConfigEnabled("Morgan-Jenkins-X", "jx3-eks-vault") || c.InRepoConfigEnabled("Morgan-Jenkins-X", "other") {
		t.Errorf("in_repo_config.enabled not read: %+v", c.InRepoConfig)
	}
}
