package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	sigsyaml "sigs.k8s.io/yaml"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// mustParseRunSpec parses an inline YAML PipelineRunSpec, strictly.
func mustParseRunSpec(t *testing.T, y string) *pipelinev1.PipelineRunSpec {
	t.Helper()
	var spec pipelinev1.PipelineRunSpec
	if err := sigsyaml.UnmarshalStrict([]byte(y), &spec); err != nil {
		t.Fatalf("Parsing the PipelineRunSpec: %v\n%s", err, y)
	}
	return &spec
}

func TestFindScriptInjections(t *testing.T) {
	step := func(task, name, field, uses, param string) ScriptInjection {
		return ScriptInjection{Task: task, Container: "step", Name: name, Field: field, Uses: uses, Param: param}
	}
	tests := []struct {
		name string
		spec string
		want []ScriptInjection
	}{{
		name: "title in a step's script",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo "building $(params.PULL_TITLE)"
`,
		want: []ScriptInjection{step("build", "compile", "script", "PULL_TITLE", "PULL_TITLE")},
	}, {
		name: `params["NAME"] syntax`,
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo $(params["PULL_TITLE"])
`,
		want: []ScriptInjection{step("build", "compile", "script", "PULL_TITLE", "PULL_TITLE")},
	}, {
		name: `params['NAME'] syntax`,
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: checkout
        image: alpine/git
        script: git checkout $(params['PULL_HEAD_REF'])
`,
		want: []ScriptInjection{step("build", "checkout", "script", "PULL_HEAD_REF", "PULL_HEAD_REF")},
	}, {
		name: "JOB_SPEC in args of a shell command",
		spec: `
pipelineSpec:
  tasks:
  - name: report
    taskSpec:
      steps:
      - name: post
        image: alpine
        command: [sh, -c]
        args: ["echo '$(params.JOB_SPEC)' | jq .refs"]
`,
		want: []ScriptInjection{step("report", "post", "args", "JOB_SPEC", "JOB_SPEC")},
	}, {
		name: "title passed through a pipeline task param",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    params:
    - name: title
      value: "PR: $(params.PULL_TITLE)"
    taskSpec:
      params:
      - name: title
      steps:
      - name: compile
        image: golang
        script: echo "$(params.title)"
`,
		want: []ScriptInjection{step("build", "compile", "script", "title", "PULL_TITLE")},
	}, {
		name: "finally task",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskRef: {name: go-build}
  finally:
  - name: notify
    taskSpec:
      steps:
      - name: slack
        image: curl
        script: curl -d "$(params.PULL_TITLE) done" https://hooks.example.com
`,
		want: []ScriptInjection{{Task: "notify", Finally: true, Container: "step", Name: "slack", Field: "script", Uses: "PULL_TITLE", Param: "PULL_TITLE"}},
	}, {
		name: "step template and sidecar, and an unnamed step",
		spec: `
pipelineSpec:
  tasks:
  - name: e2e
    taskSpec:
      stepTemplate:
        command: [sh, -c, "echo $(params.PULL_HEAD_REF)"]
      sidecars:
      - name: server
        image: alpine
        script: ./serve --banner "$(params.PULL_TITLE)"
      steps:
      - image: alpine
        command: [sh, -c]
        args: ["echo $(params.PULL_TITLE)"]
`,
		want: []ScriptInjection{
			{Task: "e2e", Container: "stepTemplate", Field: "command", Uses: "PULL_HEAD_REF", Param: "PULL_HEAD_REF"},
			step("e2e", "unnamed-0", "args", "PULL_TITLE", "PULL_TITLE"),
			{Task: "e2e", Container: "sidecar", Name: "server", Field: "script", Uses: "PULL_TITLE", Param: "PULL_TITLE"},
		},
	}, {
		name: "pipeline param whose default names the title",
		spec: `
pipelineSpec:
  params:
  - name: banner
    default: "Building $(params.headline)"
  - name: headline
    default: "$(params.PULL_TITLE)"
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo "$(params.banner)"
`,
		want: []ScriptInjection{step("build", "compile", "script", "banner", "PULL_TITLE")},
	}, {
		name: "pipeline param the run sets is not its default",
		spec: `
params:
- name: banner
  value: fixed
pipelineSpec:
  params:
  - name: banner
    default: "$(params.PULL_TITLE)"
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo "$(params.banner)"
`,
	}, {
		name: "title only in an env var, read quoted: safe",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    params:
    - name: title
      value: $(params.PULL_TITLE)
    when:
    - input: $(params.PULL_TITLE)
      operator: notin
      values: ["WIP"]
    taskSpec:
      steps:
      - name: compile
        image: golang
        env:
        - name: PULL_TITLE
          value: $(params.PULL_TITLE)
        - name: TITLE
          value: $(params.title)
        script: echo "building $PULL_TITLE $TITLE"
`,
	}, {
		name: "a pipeline task param of the same name hides the title",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    params:
    - name: PULL_TITLE
      value: "no title here"
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo "$(params.PULL_TITLE)"
`,
	}, {
		name: "params the author does not choose",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: git checkout $(params.PULL_PULL_SHA) && echo $(params.PULL_NUMBER) $(params.JOB_NAME)
`,
	}, {
		name: "pipelineRef cannot be checked",
		spec: `
pipelineRef: {name: go-unit}
params:
- name: title
  value: $(params.PULL_TITLE)
`,
	}, {
		name: "taskRef cannot be checked",
		spec: `
pipelineSpec:
  tasks:
  - name: build
    taskRef: {name: go-build}
    params:
    - name: title
      value: $(params.PULL_TITLE)
`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FindScriptInjections(mustParseRunSpec(t, tc.spec), AuthorParams(prowjobsv1.PresubmitJob))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FindScriptInjections() (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestAuthorParams(t *testing.T) {
	spec := `
pipelineSpec:
  tasks:
  - name: build
    taskSpec:
      steps:
      - name: compile
        image: golang
        script: echo '$(params.JOB_SPEC)' "$(params.PULL_TITLE)"
`
	tests := []struct {
		typ  prowjobsv1.ProwJobType
		want []string // the params of the findings
	}{
		{prowjobsv1.PresubmitJob, []string{"JOB_SPEC", "PULL_TITLE"}},
		{prowjobsv1.BatchJob, []string{"JOB_SPEC"}},
		{prowjobsv1.PostsubmitJob, nil},
		{prowjobsv1.PeriodicJob, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.typ), func(t *testing.T) {
			var got []string
			for _, f := range FindScriptInjections(mustParseRunSpec(t, spec), AuthorParams(tc.typ)) {
				got = append(got, f.Param)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Flagged params of a %s (-want, +got):\n%s", tc.typ, diff)
			}
		})
	}
}

func TestScriptInjectionString(t *testing.T) {
	tests := []struct {
		name string
		in   ScriptInjection
		want string
	}{{
		name: "direct use in a script",
		in:   ScriptInjection{Task: "build", Container: "step", Name: "compile", Field: "script", Uses: "PULL_TITLE", Param: "PULL_TITLE"},
		want: `task build step compile: script uses $(params.PULL_TITLE), which the pull request's author controls; ` +
			`pass it as an env var (env: [{name: PULL_TITLE, value: $(params.PULL_TITLE)}]) and use "$PULL_TITLE" (quoted) in the script`,
	}, {
		name: "through a task param, in args of a finally task",
		in:   ScriptInjection{Task: "notify", Finally: true, Container: "step", Name: "post", Field: "args", Uses: "pr-title", Param: "PULL_TITLE"},
		want: `finally task notify step post: args uses $(params.pr-title), which holds $(params.PULL_TITLE), which the pull request's author controls; ` +
			`pass it as an env var (env: [{name: PR_TITLE, value: $(params.pr-title)}]) and use "$PR_TITLE" (quoted) in a script instead of in args`,
	}, {
		name: "step template",
		in:   ScriptInjection{Task: "e2e", Container: "stepTemplate", Field: "command", Uses: "PULL_HEAD_REF", Param: "PULL_HEAD_REF"},
		want: `task e2e stepTemplate: command uses $(params.PULL_HEAD_REF), which the pull request's author controls; ` +
			`pass it as an env var (env: [{name: PULL_HEAD_REF, value: $(params.PULL_HEAD_REF)}]) and use "$PULL_HEAD_REF" (quoted) in a script instead of in command`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestConfigWarnings(t *testing.T) {
	const job = `
  - name: unit
    pipeline_run_spec:
      pipelineSpec:
        tasks:
        - name: build
          taskSpec:
            steps:
            - name: compile
              image: golang
              script: echo "$(params.PULL_TITLE)"
`
	tests := []struct {
		name string
		yaml string
		want []string
	}{{
		name: "presubmit names file, line of its run spec, job and finding",
		yaml: "presubmits:\n  acme/widgets:" + job,
		want: []string{`config.yaml:4: presubmit "unit" (acme/widgets): pipeline_run_spec: task build step compile: script uses $(params.PULL_TITLE), ` +
			`which the pull request's author controls; pass it as an env var (env: [{name: PULL_TITLE, value: $(params.PULL_TITLE)}]) and use "$PULL_TITLE" (quoted) in the script`},
	}, {
		// A postsubmit's run has no PULL_TITLE param (Tekton would reject the run unless the
		// pipeline declares it), and no pull request whose author could set it.
		name: "postsubmit gets no pull request title",
		yaml: "postsubmits:\n  acme/widgets:" + strings.Replace(job, "        tasks:", "        params: [{name: PULL_TITLE, default: none}]\n        tasks:", 1),
	}, {
		name: "safe presubmit",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    pipeline_run_spec: {pipelineRef: {name: go-unit}}\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadBytes("config.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatalf("LoadBytes() = %v", err)
			}
			if diff := cmp.Diff(tc.want, c.Warnings()); diff != "" {
				t.Errorf("Warnings() (-want, +got):\n%s", diff)
			}
		})
	}
}
