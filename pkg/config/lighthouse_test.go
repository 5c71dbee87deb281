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
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// triggers is a .lighthouse/jenkins-x/triggers.yaml with the given presubmits and
// postsubmits lines (each indented under its list).
func triggers(presubmits, postsubmits string) string {
	s := "apiVersion: config.lighthouse.jenkins-x.io/v1alpha1\nkind: TriggerConfig\nspec:\n"
	if presubmits != "" {
		s += "  presubmits:\n" + presubmits
	}
	if postsubmits != "" {
		s += "  postsubmits:\n" + postsubmits
	}
	return s
}

// pipelineRun is a source PipelineRun of apiVersion with one inline task running step.
func pipelineRun(apiVersion, step string) string {
	return "apiVersion: " + apiVersion + `
kind: PipelineRun
metadata:
  name: pr
spec:
  pipelineSpec:
    tasks:
    - name: build
      taskSpec:
        steps:
` + step + `
  serviceAccountName: tekton-bot
`
}

const goodStep = "        - name: test\n          image: golang\n          script: go test ./..."

func TestLoadInRepoLighthouse(t *testing.T) {
	const lh = ".lighthouse/jenkins-x/"
	tests := []struct {
		name              string
		files             map[string]string
		wantPre, wantPost []string
		wantWarn, wantErr []string
		checkJobs         func(t *testing.T, j *InRepoJobs)
	}{{
		name: "source files, v1beta1 and v1",
		files: map[string]string{
			lh + "triggers.yaml": triggers("  - name: pr\n    context: pr\n    always_run: true\n    source: pullrequest.yaml\n    require_run: true\n",
				"  - name: release\n    source: ../shared/release.yaml\n    branches: [^main$]\n"),
			lh + "pullrequest.yaml":           pipelineRun("tekton.dev/v1beta1", goodStep),
			".lighthouse/shared/release.yaml": strings.Replace(pipelineRun("tekton.dev/v1", goodStep), "  serviceAccountName: tekton-bot\n", "  taskRunTemplate: {serviceAccountName: tekton-bot}\n", 1),
		},
		wantPre:  []string{"pr"},
		wantPost: []string{"release"},
		wantWarn: []string{lh + "triggers.yaml:9: require_run: not used by bosun (Lighthouse's, ignored)"},
		checkJobs: func(t *testing.T, j *InRepoJobs) {
			for _, spec := range []*struct{ name, sa string }{{j.Presubmits[0].Name, j.Presubmits[0].PipelineRunSpec.TaskRunTemplate.ServiceAccountName}, {j.Postsubmits[0].Name, j.Postsubmits[0].PipelineRunSpec.TaskRunTemplate.ServiceAccountName}} {
				if spec.sa != "tekton-bot" {
					t.Errorf("%s: taskRunTemplate.serviceAccountName = %q, want tekton-bot (converted from v1beta1's serviceAccountName)", spec.name, spec.sa)
				}
			}
			p := j.Presubmits[0]
			if p.Agent != "tekton-pipeline" || !p.AlwaysRun || p.RerunCommand != "/test pr" {
				t.Errorf("presubmit pr: agent %q, always_run %t, rerun %q", p.Agent, p.AlwaysRun, p.RerunCommand)
			}
			if got := p.PipelineRunSpec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].Image; got != "golang" {
				t.Errorf("step image = %q, want golang", got)
			}
		},
	}, {
		name: "inline pipeline_run_spec, ignore_changes, other agents",
		files: map[string]string{lh + "triggers.yaml": triggers(
			"  - name: lint\n    "+spec+"\n    ignore_changes: ^docs/\n  - name: jx\n    agent: jenkins-x\n  - name: jenkins\n    agent: jenkins\n", ""),
			".lighthouse/.hidden/triggers.yaml": "not: [read",
			".lighthouse/notes.md":              "not read",
		},
		wantPre:  []string{"lint"},
		wantWarn: []string{"left to Prow: 1 jenkins job(s): jenkins", "left to Lighthouse: 1 jenkins-x job(s): jx"},
		checkJobs: func(t *testing.T, j *InRepoJobs) {
			p := j.Presubmits[0]
			if p.SkipIfOnlyChanged != "^docs/" || !p.MatchesChanges([]string{"main.go"}) || p.MatchesChanges([]string{"docs/a.md"}) {
				t.Errorf("ignore_changes not read as skip_if_only_changed: %+v", p.RegexpChangeMatcher)
			}
		},
	}, {
		name:  "periodics and deployments ignored",
		files: map[string]string{".lighthouse/triggers.yaml": triggers("", "") + "  periodics:\n  - name: nightly\n  deployments: []\n"},
		wantWarn: []string{
			".lighthouse/triggers.yaml:6: spec.deployments: not run by bosun: in-repo config defines presubmits and postsubmits only",
			".lighthouse/triggers.yaml:4: spec.periodics: not run by bosun: in-repo config defines presubmits and postsubmits only",
		},
	}, {
		name:    "misspelled key",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    alway_run: true\n    "+spec+"\n", "") + "  postsubmit: []\n"},
		wantErr: []string{lh + `triggers.yaml:6: unknown field "spec.presubmits[0].alway_run" (did you mean "always_run"?)`, lh + `triggers.yaml:8: unknown field "spec.postsubmit" (did you mean "postsubmits"?)`},
	}, {
		name:    "bad type",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    max_concurrency: one\n    "+spec+"\n", "")},
		wantErr: []string{lh + `triggers.yaml:6: spec.presubmits[0].max_concurrency: json: cannot unmarshal string into Go value of type int`},
	}, {
		name: "bad type and misspelled key in a source file",
		files: map[string]string{
			lh + "triggers.yaml":    triggers("  - name: pr\n    source: pullrequest.yaml\n", ""),
			lh + "pullrequest.yaml": pipelineRun("tekton.dev/v1beta1", "        - name: test\n          image: golang\n          args: go test\n          stpes: 1"),
		},
		wantErr: []string{lh + `pullrequest.yaml:13: spec.pipelineSpec.tasks[0].taskSpec.steps[0].args: json: cannot unmarshal string into Go value of type []string`},
	}, {
		name: "uses: step",
		files: map[string]string{
			lh + "triggers.yaml":    triggers("  - name: pr\n    source: pullrequest.yaml\n", ""),
			lh + "pullrequest.yaml": pipelineRun("tekton.dev/v1beta1", "        - image: uses:jenkins-x/jx3-pipeline-catalog/tasks/git-clone/git-clone-pr.yaml@versionStream\n"+goodStep),
		},
		wantErr: []string{lh + `pullrequest.yaml:11: presubmit "pr" (acme/widgets): spec.pipelineSpec.tasks[0].taskSpec.steps[0].image: task "build" step 0 "": ` +
			`image "uses:jenkins-x/jx3-pipeline-catalog/tasks/git-clone/git-clone-pr.yaml@versionStream": uses: is Lighthouse's remote step syntax; bosun does not resolve it yet — inline the step`},
	}, {
		name:    "source file missing",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    source: pullrequest.yaml\n", "")},
		wantErr: []string{lh + `triggers.yaml:6: presubmit "pr" (acme/widgets): source: "pullrequest.yaml": .lighthouse/jenkins-x/pullrequest.yaml does not exist`},
	}, {
		name:    "source outside .lighthouse",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    source: ../../ci/pr.yaml\n", "")},
		wantErr: []string{lh + `triggers.yaml:6: presubmit "pr" (acme/widgets): source: "../../ci/pr.yaml" is ci/pr.yaml, outside .lighthouse/`},
	}, {
		name:    "source URL",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    source: https://example.com/pr.yaml\n", "")},
		wantErr: []string{lh + `triggers.yaml:6: presubmit "pr" (acme/widgets): source: "https://example.com/pr.yaml": bosun reads a job's source from the repository only, not from a URL`},
	}, {
		name: "source is a Task",
		files: map[string]string{
			lh + "triggers.yaml": triggers("  - name: pr\n    source: task.yaml\n", ""),
			lh + "task.yaml":     "apiVersion: tekton.dev/v1\nkind: Task\nspec: {steps: [{image: x}]}\n",
		},
		wantErr: []string{lh + `task.yaml:2: kind: "Task": bosun takes a Tekton PipelineRun as a job's source`},
	}, {
		name: "Tekton validation of a source, at the source's line",
		files: map[string]string{
			lh + "triggers.yaml":    triggers("  - name: pr\n    source: pullrequest.yaml\n", ""),
			lh + "pullrequest.yaml": pipelineRun("tekton.dev/v1", "        - name: test\n          script: go test ./..."),
		},
		wantErr: []string{lh + `pullrequest.yaml:11: presubmit "pr" (acme/widgets): pipeline_run_spec.pipelineSpec.tasks[0].taskSpec.steps[0].Image: missing field(s)`},
	}, {
		name:    "disallowed cluster",
		files:   map[string]string{lh + "triggers.yaml": triggers("  - name: pr\n    cluster: gpu\n    "+spec+"\n", "")},
		wantErr: []string{lh + `triggers.yaml:6: presubmit "pr" (acme/widgets): cluster: "gpu" is not allowed for in-repo jobs of acme/widgets`},
	}, {
		name:    "wrong kind",
		files:   map[string]string{lh + "triggers.yaml": "kind: Pipeline\nspec: {}\n"},
		wantErr: []string{lh + `triggers.yaml:1: kind: "Pipeline": a triggers.yaml is a TriggerConfig`},
	}, {
		name: "duplicate across Prow and Lighthouse",
		files: map[string]string{
			".prow.yaml":         "presubmits:\n" + inRepoJob("unit"),
			lh + "triggers.yaml": triggers("  - name: unit\n    "+spec+"\n", ""),
		},
		wantErr: []string{lh + `triggers.yaml:5: presubmit "unit" (acme/widgets): name: duplicate of the presubmit defined at .prow.yaml:2`},
	}, {
		name: "too big",
		files: map[string]string{
			lh + "triggers.yaml":    triggers("  - name: pr\n    source: pullrequest.yaml\n", ""),
			lh + "pullrequest.yaml": pipelineRun("tekton.dev/v1", goodStep) + strings.Repeat("#", MaxInRepoFileBytes),
		},
		wantErr: []string{lh + "pullrequest.yaml: 1048833 bytes, over the 1048576 bosun reads from an in-repo config file"},
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

// TestLoadInRepoRealLighthouse loads real .lighthouse/ directories (testdata/inrepo/README.md).
func TestLoadInRepoRealLighthouse(t *testing.T) {
	c := mustLoadCentral(t, inRepoCentral)
	t.Run("krestomatio/container_builder", func(t *testing.T) {
		j, err := c.LoadInRepo("krestomatio", "container_builder", os.DirFS("testdata/inrepo/krestomatio-container_builder"))
		unknown := `unknown field "spec.workspaces[0].volumeClaimTemplate.spec.persistentVolumeReclaimPolicy": not a field Tekton reads; ignored, as Lighthouse does`
		checkInRepo(t, j, err, []string{"pr"}, []string{"release"}, []string{
			".lighthouse/jenkins-x/release.yaml:12: " + unknown,
			".lighthouse/jenkins-x/pullrequest.yaml:12: " + unknown,
		}, nil)
		if err != nil {
			return
		}
		pr, release := j.Presubmits[0], j.Postsubmits[0]
		var tasks []string
		for _, task := range pr.PipelineRunSpec.PipelineSpec.Tasks {
			tasks = append(tasks, task.Name)
		}
		if diff := cmp.Diff([]string{"git-clone-pr", "multiarch-builder-config", "pullrequest"}, tasks); diff != "" {
			t.Errorf("pr's tasks (-want, +got):\n%s", diff)
		}
		if pr.MaxConcurrency != 1 || !pr.AlwaysRun || pr.Context != "pr" || !pr.TriggerMatches("/test pr") {
			t.Errorf("pr: max_concurrency %d, always_run %t, context %q, trigger %q", pr.MaxConcurrency, pr.AlwaysRun, pr.Context, pr.Trigger)
		}
		if !release.CouldRun("main") || !release.CouldRun("master") || release.CouldRun("dev") {
			t.Errorf("release branches: %v", release.Branches)
		}
		if got := release.PipelineRunSpec.TaskRunTemplate.PodTemplate.NodeSelector["kubernetes.io/arch"]; got != "amd64" {
			t.Errorf("release's taskRunTemplate.podTemplate.nodeSelector = %q, want amd64 (from v1beta1's podTemplate)", got)
		}
		if release.PipelineRunSpec.Timeouts == nil || release.PipelineRunSpec.Timeouts.Pipeline.Duration.String() != "240h0m0s" {
			t.Errorf("release's timeouts = %+v, want pipeline 240h (from v1beta1's timeout)", release.PipelineRunSpec.Timeouts)
		}
	})
	t.Run("jenkins-x/lighthouse", func(t *testing.T) {
		_, err := c.LoadInRepo("jenkins-x", "lighthouse", os.DirFS("testdata/inrepo/jenkins-x-lighthouse"))
		checkInRepo(t, nil, err, nil, nil, nil, []string{
			`.lighthouse/jenkins-x/pullrequest.yaml:14: presubmit "pr" (jenkins-x/lighthouse): spec.pipelineSpec.tasks[0].taskSpec.stepTemplate.image: task "from-build-pack" stepTemplate: ` +
				`image "uses:jenkins-x/jx3-pipeline-catalog/tasks/go-plugin/pullrequest.yaml@versionStream": uses: is Lighthouse's remote step syntax; bosun does not resolve it yet — inline the step`,
			`.lighthouse/jenkins-x/pullrequest.yaml:19: presubmit "pr" (jenkins-x/lighthouse): spec.pipelineSpec.tasks[0].taskSpec.steps[0].image: task "from-build-pack" step 0 "": `,
			`.lighthouse/jenkins-x/release.yaml:14: postsubmit "release" (jenkins-x/lighthouse): spec.pipelineSpec.tasks[0].taskSpec.stepTemplate.image: task "chart" stepTemplate: `,
		})
	})
}
