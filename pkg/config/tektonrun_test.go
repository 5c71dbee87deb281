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
	"strings"
	"testing"
)

// runSpecJob is a presubmit whose pipeline_run_spec (at line 5) holds the given lines,
// indented under it, from line 6 on.
func runSpecJob(lines ...string) string {
	return "\npresubmits:\n  acme/widgets:\n  - name: unit\n    pipeline_run_spec:\n" + indent(lines) + "\n"
}

func TestV1beta1RunSpecFields(t *testing.T) {
	const at = "config.yaml:7: presubmits.acme/widgets[0].pipeline_run_spec."
	tests := []struct {
		name string
		yaml string
		want string
	}{{
		name: "serviceAccountName",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  serviceAccountName: builder"),
		want: at + "serviceAccountName: a Tekton v1beta1 field: in v1 it is taskRunTemplate.serviceAccountName",
	}, {
		name: "podTemplate",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  podTemplate: {nodeSelector: {disk: ssd}}"),
		want: at + "podTemplate: a Tekton v1beta1 field: in v1 it is taskRunTemplate.podTemplate",
	}, {
		name: "serviceAccountNames",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  serviceAccountNames: [{taskName: build, serviceAccountName: builder}]"),
		want: at + "serviceAccountNames: a Tekton v1beta1 field: in v1 each task's service account is taskRunSpecs[].serviceAccountName (with taskRunSpecs[].pipelineTaskName)",
	}, {
		name: "timeout",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  timeout: 1h"),
		want: at + "timeout: a Tekton v1beta1 field: in v1 it is timeouts.pipeline",
	}, {
		name: "resources",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  resources: [{name: source, resourceRef: {name: git}}]"),
		want: at + "resources: PipelineResources were removed from Tekton and v1 has no such field: use workspaces and Tasks instead (a PROW_IMPLICIT_GIT_REF task clones the job's code)",
	}, {
		name: "trigger",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  trigger: {type: manual}"),
		want: at + "trigger: removed from Tekton (v1alpha1's PipelineTrigger) and v1 has no such field: delete it",
	}, {
		name: "taskRunSpecs taskServiceAccountName",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  taskRunSpecs:", "  - pipelineTaskName: build", "    taskServiceAccountName: builder"),
		want: "config.yaml:9: presubmits.acme/widgets[0].pipeline_run_spec.taskRunSpecs[0].taskServiceAccountName: a Tekton v1beta1 field: in v1 it is taskRunSpecs[].serviceAccountName",
	}, {
		name: "taskRunSpecs taskPodTemplate",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  taskRunSpecs:", "  - pipelineTaskName: build", "    taskPodTemplate: {nodeSelector: {disk: ssd}}"),
		want: "config.yaml:9: presubmits.acme/widgets[0].pipeline_run_spec.taskRunSpecs[0].taskPodTemplate: a Tekton v1beta1 field: in v1 it is taskRunSpecs[].podTemplate",
	}, {
		name: "under tekton_pipeline_run_spec.v1beta1",
		yaml: "\nperiodics:\n- name: nightly\n  interval: 24h\n  tekton_pipeline_run_spec:\n    v1beta1:\n      pipelineRef: {name: p}\n      serviceAccountName: builder\n",
		want: "config.yaml:8: periodics[0].tekton_pipeline_run_spec.v1beta1.serviceAccountName: a Tekton v1beta1 field: in v1 it is taskRunTemplate.serviceAccountName",
	}, {
		name: "other unknown keys keep the generic message",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  serviceAcountName: builder"),
		want: `config.yaml:7: unknown field "presubmits.acme/widgets[0].pipeline_run_spec.serviceAcountName"`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("config.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("LoadBytes() succeeded, want %q", tc.want)
			}
			if got := err.Error(); !strings.Contains(got, tc.want) {
				t.Errorf("LoadBytes() error:\n%s\nwant it to contain:\n%s", got, tc.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("LoadBytes() returned %d errors, want 1:\n%v", n, err)
			}
		})
	}
}

func TestTektonValidation(t *testing.T) {
	const job = `presubmit "unit" (acme/widgets): pipeline_run_spec.`
	tests := []struct {
		name string
		yaml string
		// want are the errors, each whole, in order; none means the config is valid.
		want []string
	}{{
		name: "task without taskRef or taskSpec",
		yaml: runSpecJob(
			"  pipelineSpec:",
			"    tasks:",
			"    - name: build",
		),
		want: []string{"config.yaml:8: " + job + "pipelineSpec.tasks[0].taskRef, pipeline_run_spec.pipelineSpec.tasks[0].taskSpec: expected exactly one, got neither"},
	}, {
		name: "duplicate task name",
		yaml: runSpecJob(
			"  pipelineSpec:",
			"    tasks:",
			"    - name: build",
			"      taskRef: {name: go-build}",
			"    - name: build",
			"      taskRef: {name: go-test}",
		),
		want: []string{
			"config.yaml:7: " + job + "pipelineSpec.tasks: invalid value: task build is already present in Graph, can't add it again: duplicate pipeline task",
			"config.yaml:10: " + job + "pipelineSpec.tasks[1].name: expected exactly one, got both",
		},
	}, {
		name: "runAfter an unknown task",
		yaml: runSpecJob(
			"  pipelineSpec:",
			"    tasks:",
			"    - name: test",
			"      runAfter: [biuld]",
			"      taskRef: {name: go-test}",
		),
		want: []string{"config.yaml:7: " + job + "pipelineSpec.tasks: invalid value: couldn't add link between test and biuld: task test depends on biuld but biuld wasn't present in Pipeline"},
	}, {
		name: "Prow placeholders and the params bosun injects are not flagged",
		yaml: runSpecJob(
			"  pipelineSpec:",
			"    tasks:",
			"    - name: clone",
			"      taskRef: {name: PROW_IMPLICIT_GIT_REF}",
			"    - name: test",
			"      runAfter: [clone]",
			"      params: [{name: sha, value: $(params.PULL_PULL_SHA)}]",
			"      taskSpec:",
			"        params: [{name: sha}]",
			"        steps:",
			"        - name: test",
			"          image: golang",
			`          script: echo "PR $(params.PULL_NUMBER) of $(params.REPO_OWNER)/$(params.REPO_NAME) at $(params.sha)"`,
		),
	}, {
		name: "a pipeline may declare the params bosun injects, and the run may pass its own",
		yaml: runSpecJob(
			"  params: [{name: GOFLAGS, value: -race}]",
			"  pipelineSpec:",
			"    params: [{name: PULL_NUMBER, type: string}, {name: GOFLAGS, type: string}]",
			"    tasks:",
			"    - name: unit",
			"      taskSpec:",
			"        steps:",
			`        - {name: test, image: golang, script: "echo $(params.PULL_NUMBER) $(params.GOFLAGS)"}`,
		),
	}, {
		name: "extra refs placeholder of a periodic",
		yaml: `
periodics:
- name: nightly
  interval: 24h
  extra_refs: [{org: acme, repo: widgets, base_ref: main}]
  pipeline_run_spec:
    pipelineSpec:
      tasks:
      - name: clone
        taskRef: {name: PROW_EXTRA_GIT_REF_0}
      - name: report
        runAfter: [clone]
        taskSpec:
          steps: [{name: s, image: busybox, script: echo $(params.JOB_NAME) $(params.BUILD_ID)}]
`,
	}, {
		name: "a periodic has no refs to clone",
		yaml: `
periodics:
- name: nightly
  interval: 24h
  pipeline_run_spec:
    pipelineSpec:
      tasks:
      - name: clone
        taskRef: {name: PROW_IMPLICIT_GIT_REF}
`,
		want: []string{`config.yaml:5: periodic "nightly": pipeline_run_spec: pipeline task "clone": PROW_IMPLICIT_GIT_REF: the job has no refs to clone`},
	}, {
		name: "a postsubmit has no pull request params",
		yaml: `
postsubmits:
  acme/widgets:
  - name: publish
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: t
          taskSpec:
            steps: [{name: s, image: busybox, script: echo $(params.PULL_NUMBER)}]
`,
		want: []string{`config.yaml:6: postsubmit "publish" (acme/widgets): pipeline_run_spec.steps[0].script: non-existent variable in "echo $(params.PULL_NUMBER)"`},
	}, {
		name: "timeouts",
		yaml: runSpecJob("  pipelineRef: {name: p}", "  timeouts: {pipeline: 1h, tasks: 2h}"),
		want: []string{"config.yaml:7: " + job + "timeouts.tasks: invalid value: 2h0m0s should be <= pipeline duration"},
	}, {
		name: "errors under tekton_pipeline_run_spec.v1beta1",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    tekton_pipeline_run_spec:
      v1beta1:
        pipelineSpec:
          tasks:
          - name: build
`,
		want: []string{`config.yaml:9: presubmit "unit" (acme/widgets): tekton_pipeline_run_spec.v1beta1.pipelineSpec.tasks[0].taskRef, ` +
			`tekton_pipeline_run_spec.v1beta1.pipelineSpec.tasks[0].taskSpec: expected exactly one, got neither`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("config.yaml", []byte(tc.yaml))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("LoadBytes() errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
