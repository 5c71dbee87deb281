package config

import (
	"strings"
	"testing"
)

// spec is a valid pipeline_run_spec line for jobs in these tests.
const spec = "pipeline_run_spec: {pipelineRef: {name: p}}"

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want are substrings that must all appear in the error; none means no error.
		want []string
	}{{
		name: "valid",
		yaml: presubmitConfig("always_run: true", "branches: [main]", "labels: {team: ci}"),
	}, {
		name: "YAML anchors and aliases",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    pipeline_run_spec: &spec {pipelineRef: {name: p}}
  - name: lint
    pipeline_run_spec: *spec
`,
	}, {
		name: "unknown top-level field",
		yaml: "pod_namespace: test-pods\nplonk: {}\n",
		want: []string{`config.yaml:2: unknown field "plonk" (did you mean "plank"?)`},
	}, {
		name: "unknown job field",
		yaml: presubmitConfig("decorated: true"),
		want: []string{`config.yaml:8: unknown field "presubmits.acme/widgets[0].decorated" (did you mean "decorate"?)`},
	}, {
		name: "unknown field inside pipeline_run_spec",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    pipeline_run_spec:
      pipelineRef: {name: p}
      serviceAccountName: old-v1beta1-field
`,
		want: []string{`config.yaml:7: presubmits.acme/widgets[0].pipeline_run_spec.serviceAccountName: a Tekton v1beta1 field: in v1 it is taskRunTemplate.serviceAccountName`},
	}, {
		name: "field names are case-sensitive",
		yaml: presubmitConfig("Always_Run: true"),
		want: []string{`unknown field "presubmits.acme/widgets[0].Always_Run"`},
	}, {
		name: "duplicate key",
		yaml: presubmitConfig("always_run: true", "always_run: false"),
		want: []string{`config.yaml: `, `"always_run" already set in map`},
	}, {
		name: "wrong type",
		yaml: presubmitConfig("always_run: [yes]"),
		want: []string{"config.yaml:8: presubmits.acme/widgets[0].always_run: ", "cannot unmarshal array"},
	}, {
		name: "second YAML document",
		yaml: presubmitConfig() + "---\npod_namespace: x\n",
		want: []string{"config.yaml:9: a config file holds one YAML document"},
	}, {
		name: "missing name",
		yaml: "presubmits:\n  acme/widgets:\n  - " + spec + "\n",
		want: []string{`config.yaml:3: presubmit with no name (acme/widgets): name: required`},
	}, {
		name: "bad name",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit tests\n    " + spec + "\n",
		want: []string{`presubmit "unit tests" (acme/widgets): name: must match ^[A-Za-z0-9-._]+$`},
	}, {
		name: "duplicate name on the same branches",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    ` + spec + `
  - name: unit
    ` + spec + `
`,
		want: []string{`config.yaml:6: presubmit "unit" (acme/widgets): name: duplicate of the presubmit defined at config.yaml:4`},
	}, {
		name: "same name on disjoint branches is allowed, as in Prow",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    branches: [main]
    ` + spec + `
  - name: unit
    branches: [release-1.0]
    ` + spec + `
`,
	}, {
		name: "same name in different repos is allowed",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    ` + spec + `
  acme/gadgets:
  - name: unit
    ` + spec + `
`,
	}, {
		name: "same context",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    ` + spec + `
  - name: unit2
    context: unit
    ` + spec + `
`,
		want: []string{`config.yaml:7: presubmit "unit2" (acme/widgets): context: "unit" is also reported by presubmit "unit" at config.yaml:4`},
	}, {
		name: "duplicate postsubmit",
		yaml: `
postsubmits:
  acme/widgets:
  - name: deploy
    ` + spec + `
  - name: deploy
    ` + spec + `
`,
		want: []string{`config.yaml:6: postsubmit "deploy" (acme/widgets): name: duplicate of the postsubmit defined at config.yaml:4`},
	}, {
		name: "duplicate periodic",
		yaml: `
periodics:
- name: nightly
  interval: 24h
  ` + spec + `
- name: nightly
  cron: "@daily"
  ` + spec + `
`,
		want: []string{`config.yaml:6: periodic "nightly": name: duplicate of the periodic defined at config.yaml:3`},
	}, {
		name: "bad run_if_changed",
		yaml: presubmitConfig("run_if_changed: '(['"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): run_if_changed: error parsing regexp: `},
	}, {
		name: "bad skip_if_only_changed",
		yaml: presubmitConfig("skip_if_only_changed: '*.md'"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): skip_if_only_changed: error parsing regexp: missing argument to repetition operator`},
	}, {
		name: "bad branch regex names the entry",
		yaml: presubmitConfig("branches: [main, '(']"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): branches[1]: error parsing regexp: missing closing )`},
	}, {
		name: "bad skip_branches regex",
		yaml: presubmitConfig("skip_branches: ['[']"),
		want: []string{`skip_branches[0]: error parsing regexp`},
	}, {
		name: "bad trigger",
		yaml: presubmitConfig("trigger: '(?m)^/unit('", "rerun_command: /unit"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): trigger: error parsing regexp`},
	}, {
		name: "rerun_command not matching trigger",
		yaml: presubmitConfig("trigger: (?m)^/unit$", "rerun_command: /test unit"),
		want: []string{`config.yaml:9: presubmit "unit" (acme/widgets): rerun_command: "/test unit" does not match trigger "(?m)^/unit$"`},
	}, {
		name: "trigger without rerun_command",
		yaml: presubmitConfig("trigger: (?m)^/unit$"),
		want: []string{`rerun_command: required when trigger is set`},
	}, {
		name: "rerun_command without trigger",
		yaml: presubmitConfig("rerun_command: /test unit"),
		want: []string{`trigger: required when rerun_command is set`},
	}, {
		name: "run_if_changed with always_run",
		yaml: presubmitConfig("always_run: true", "run_if_changed: ^docs/"),
		want: []string{`config.yaml:9: presubmit "unit" (acme/widgets): run_if_changed: always_run and run_if_changed are mutually exclusive`},
	}, {
		name: "skip_if_only_changed with always_run",
		yaml: presubmitConfig("always_run: true", "skip_if_only_changed: ^docs/"),
		want: []string{`skip_if_only_changed: always_run and skip_if_only_changed are mutually exclusive`},
	}, {
		name: "run_if_changed with skip_if_only_changed",
		yaml: presubmitConfig("run_if_changed: ^pkg/", "skip_if_only_changed: ^docs/"),
		want: []string{`skip_if_only_changed: run_if_changed and skip_if_only_changed are mutually exclusive`},
	}, {
		name: "postsubmit always_run with run_if_changed",
		yaml: `
postsubmits:
  acme/widgets:
  - name: deploy
    always_run: true
    run_if_changed: ^deploy/
    ` + spec + `
`,
		want: []string{`config.yaml:6: postsubmit "deploy" (acme/widgets): run_if_changed: always_run and run_if_changed are mutually exclusive`},
	}, {
		name: "postsubmit always_run false with run_if_changed is fine",
		yaml: `
postsubmits:
  acme/widgets:
  - name: deploy
    always_run: false
    run_if_changed: ^deploy/
    ` + spec + `
`,
	}, {
		name: "no run spec",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    agent: tekton-pipeline\n",
		want: []string{`config.yaml:3: presubmit "unit" (acme/widgets): pipeline_run_spec: a tekton-pipeline job needs pipeline_run_spec or tekton_pipeline_run_spec`},
	}, {
		name: "both run specs",
		yaml: presubmitConfig("tekton_pipeline_run_spec: {v1beta1: {pipelineRef: {name: p}}}"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): tekton_pipeline_run_spec: pipeline_run_spec and tekton_pipeline_run_spec are mutually exclusive`},
	}, {
		name: "tekton_pipeline_run_spec without v1beta1",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    tekton_pipeline_run_spec: {}\n",
		want: []string{`config.yaml:4: presubmit "unit" (acme/widgets): tekton_pipeline_run_spec.v1beta1: required`},
	}, {
		name: "missing pipelineRef and pipelineSpec",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    pipeline_run_spec:\n      params: [{name: a, value: b}]\n",
		want: []string{`config.yaml:4: presubmit "unit" (acme/widgets): pipeline_run_spec: needs pipelineRef or pipelineSpec`},
	}, {
		name: "missing pipelineRef and pipelineSpec under v1beta1",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    tekton_pipeline_run_spec: {v1beta1: {}}\n",
		want: []string{`tekton_pipeline_run_spec.v1beta1: needs pipelineRef or pipelineSpec`},
	}, {
		name: "both pipelineRef and pipelineSpec",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    pipeline_run_spec:\n      pipelineRef: {name: p}\n      pipelineSpec: {tasks: []}\n",
		want: []string{`pipeline_run_spec: pipelineRef and pipelineSpec are mutually exclusive`},
	}, {
		name: "pipelineRef naming nothing",
		yaml: "presubmits:\n  acme/widgets:\n  - name: unit\n    pipeline_run_spec: {pipelineRef: {}}\n",
		want: []string{`pipeline_run_spec.pipelineRef: needs name or resolver`},
	}, {
		name: "agent nobody knows",
		yaml: presubmitConfig("agent: tekton"),
		want: []string{`config.yaml:8: presubmits.acme/widgets[0].agent: "tekton" is not an agent Prow knows (kubernetes, jenkins, tekton-pipeline) (did you mean "tekton-pipeline"?)`},
	}, {
		name: "negative max_concurrency",
		yaml: presubmitConfig("max_concurrency: -1"),
		want: []string{`max_concurrency: -1 is negative`},
	}, {
		name: "bad namespace",
		yaml: presubmitConfig("namespace: Test_Pods"),
		want: []string{`config.yaml:8: presubmit "unit" (acme/widgets): namespace: "Test_Pods" is not a valid namespace`},
	}, {
		name: "bad pod_namespace is reported once",
		yaml: "pod_namespace: Test_Pods\n" + presubmitConfig(),
		want: []string{`config.yaml:1: pod_namespace: "Test_Pods" is not a valid namespace`},
	}, {
		name: "reserved label",
		yaml: presubmitConfig("labels: {created-by-prow: 'true'}"),
		want: []string{`labels.created-by-prow: reserved: bosun sets this label`},
	}, {
		name: "bad label value",
		yaml: presubmitConfig("labels: {team: 'a b'}"),
		want: []string{`labels.team: invalid value "a b"`},
	}, {
		name: "bad annotation key",
		yaml: presubmitConfig("annotations: {'a b': x}"),
		want: []string{`annotations.a b: invalid key`},
	}, {
		name: "extra ref without repo",
		yaml: presubmitConfig("extra_refs: [{org: acme}]"),
		want: []string{`extra_refs[0]: org and repo are required`},
	}, {
		name: "bad repo key",
		yaml: "presubmits:\n  widgets:\n  - name: unit\n    " + spec + "\n",
		want: []string{`config.yaml:3: presubmits: key "widgets": want "org/repo"`},
	}, {
		name: "bad cron",
		yaml: "periodics:\n- name: nightly\n  cron: '0 25 * * *'\n  " + spec + "\n",
		want: []string{`config.yaml:3: periodic "nightly": cron: cron expression "0 25 * * *": hour field: 25 is out of range [0, 23]`},
	}, {
		name: "cron with too few fields",
		yaml: "periodics:\n- name: nightly\n  cron: '0 3 * *'\n  " + spec + "\n",
		want: []string{`cron: cron expression "0 3 * *" has 4 fields, want 5`},
	}, {
		name: "bad interval",
		yaml: "periodics:\n- name: nightly\n  interval: 1 day\n  " + spec + "\n",
		want: []string{`config.yaml:3: periodic "nightly": interval: time: `},
	}, {
		name: "negative interval",
		yaml: "periodics:\n- name: nightly\n  interval: -1h\n  " + spec + "\n",
		want: []string{`interval: "-1h" must be positive`},
	}, {
		name: "neither cron nor interval",
		yaml: "periodics:\n- name: nightly\n  " + spec + "\n",
		want: []string{`config.yaml:2: periodic "nightly": cron: a periodic needs cron or interval`},
	}, {
		name: "both cron and interval",
		yaml: "periodics:\n- name: nightly\n  cron: '@daily'\n  interval: 24h\n  " + spec + "\n",
		want: []string{`config.yaml:4: periodic "nightly": interval: cron and interval are mutually exclusive`},
	}, {
		// Settings bosun once accepted but never used are unknown like any other key.
		name: "status_url_template is not a setting",
		yaml: "pod_namespace: test-pods\nstatus_url_template: 'https://ci/{{.Spec.Job}}'\n",
		want: []string{`config.yaml:2: unknown field "status_url_template"`},
	}, {
		name: "tekton section with a key it does not have",
		yaml: "pod_namespace: test-pods\ntekton: {default_timeout: 2h, pipeline_timeout: 1h}\n",
		want: []string{`config.yaml:2: unknown field "tekton.pipeline_timeout"`},
	}, {
		name: "all errors are reported, not just the first",
		yaml: `
presubmits:
  acme/widgets:
  - name: unit
    agent: tekton-pipelines
    ` + spec + `
periodics:
- name: nightly
  cron: nope
  ` + spec + `
`,
		want: []string{`agent: "tekton-pipelines" is not an agent Prow knows`, `periodic "nightly": cron: `},
	}, {
		name: "unknown field and validation errors together",
		yaml: presubmitConfig("namespace: Test_Pods", "bogus: 1"),
		want: []string{`unknown field "presubmits.acme/widgets[0].bogus"`, `namespace: "Test_Pods" is not a valid namespace`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("config.yaml", []byte(tc.yaml))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("LoadBytes() error:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadBytes() succeeded, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadBytes() error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}
