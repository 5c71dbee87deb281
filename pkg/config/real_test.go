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
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadRealConfigs loads trimmed copies of public Prow configs (testdata/real; each file
// names its source and commit) unchanged: no error, the Prow sections and keys bosun
// ignores named in warnings, and the jobs for other agents left to Prow.
func TestLoadRealConfigs(t *testing.T) {
	tests := []struct {
		name, config, jobs string
		// wantSections are the ignored top-level sections of the main config.
		wantSections []string
		// wantFields are the other UnusedField warnings' keys.
		wantFields []string
		wantBosun  int // bosun's jobs, all kinds
		wantProw   int // jobs left to Prow
	}{{
		name:         "kubernetes/test-infra",
		config:       "testdata/real/kubernetes/config.yaml",
		jobs:         "testdata/real/kubernetes/jobs",
		wantSections: []string{"branch-protection", "deck", "github_reporter", "log_level", "plank", "presets", "slack_reporter_configs", "tide"},
		wantFields:   []string{"sinker.max_pod_age", "sinker.terminated_pod_ttl"},
		wantProw:     8,
	}, {
		name:         "GoogleCloudPlatform/oss-test-infra",
		config:       "testdata/real/oss-test-infra/config.yaml",
		wantSections: []string{"branch-protection", "deck", "gerrit", "log_level", "plank", "presets", "prowjob_default_entries", "pubsub_subscriptions", "tide"},
		wantFields:   []string{"sinker.max_pod_age", "sinker.terminated_pod_ttl"},
	}, {
		name:         "knative/test-infra",
		config:       "testdata/real/knative/config.yaml",
		jobs:         "testdata/real/knative/jobs",
		wantSections: []string{"branch-protection", "deck", "log_level", "plank", "slack_reporter_configs", "tide"},
		wantFields:   []string{"sinker.max_pod_age", "sinker.terminated_pod_ttl"},
		wantProw:     6,
	}, {
		// Lighthouse's config.yaml as jx3 generates it (README.md in the directory).
		name:         "Lighthouse (jx3)",
		config:       "testdata/real/lighthouse-jx3/config.yaml",
		wantSections: []string{"branch-protection", "github", "plank", "push_gateway", "tide"},
	}, {
		name:         "tektoncd/plumbing",
		config:       "testdata/real/tektoncd-plumbing/config.yaml",
		wantSections: []string{"deck", "tide"},
		wantFields:   []string{"sinker.terminated_pod_ttl", "sinker.max_pod_age"}, // in line order
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, warnings, err := LoadWithWarnings(tc.config, tc.jobs)
			if err != nil {
				t.Fatalf("LoadWithWarnings() error:\n%v", err)
			}
			var sections, fields []string
			left := 0
			for _, w := range warnings {
				switch w.Kind {
				case UnusedSections:
					if w.File == tc.config {
						sections = append(sections, w.Keys...)
					}
				case UnusedField:
					fields = append(fields, w.Keys...)
				case LeftToProw:
					left++
					if !strings.HasPrefix(w.Message, fmt.Sprintf("left to Prow: %d kubernetes job(s): ", tc.wantProw)) {
						t.Errorf("left-to-Prow warning = %q, want it to count %d kubernetes jobs", w, tc.wantProw)
					}
				}
			}
			if diff := cmp.Diff(tc.wantSections, sections); diff != "" {
				t.Errorf("ignored sections (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFields, fields); diff != "" {
				t.Errorf("ignored fields (-want, +got):\n%s", diff)
			}
			if want := min(tc.wantProw, 1); left != want {
				t.Errorf("%d left-to-Prow warnings, want %d", left, want)
			}
			pre, post, per := c.JobCounts()
			if got := pre + post + per; got != tc.wantBosun {
				t.Errorf("bosun has %d jobs, want %d", got, tc.wantBosun)
			}
			if got := len(c.LeftToProw()); got != tc.wantProw {
				t.Errorf("LeftToProw() has %d jobs, want %d", got, tc.wantProw)
			}
			if diff := cmp.Diff(warningStrings(warnings), c.Warnings()); diff != "" {
				t.Errorf("Config.Warnings() differs from the load's (-load, +config):\n%s", diff)
			}
		})
	}
}

// TestSideBySide serves one job tree with Prow: a real job file of kubernetes jobs next to
// tekton-pipeline jobs that carry Prow's job keys.
func TestSideBySide(t *testing.T) {
	real, err := os.ReadFile("testdata/real/kubernetes/jobs/conformance-e2e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const tekton = `presubmits:
  kubernetes/kubernetes:
  - name: tekton-unit
    agent: tekton-pipeline
    decorate: true
    labels:
      preset-service-account: "true"
    extra_refs:
    - org: kubernetes
      repo: test-infra
      base_ref: master
    decoration_config:
      timeout: 2h
      utility_images: {clonerefs: x}
    pipeline_run_spec:
      pipelineRef: {name: unit}
  - name: tekton-lint
    decorate: true
    path_alias: k8s.io/kubernetes
    pipeline_run_spec:
      pipelineRef: {name: lint}
periodics:
- name: tekton-nightly
  agent: tekton-pipeline
  interval: 24h
  tags: [nightly]
  pipeline_run_spec:
    pipelineRef: {name: nightly}
- name: jenkins-nightly
  agent: jenkins
  interval: 24h
`
	dir := writeFiles(t, map[string]string{
		"jobs/conformance-e2e.yaml": string(real),
		"jobs/tekton.yaml":          tekton,
	})
	c, warnings, err := LoadWithWarnings("testdata/real/kubernetes/config.yaml", filepath.Join(dir, "jobs"))
	if err != nil {
		t.Fatalf("LoadWithWarnings() error:\n%v", err)
	}
	if diff := cmp.Diff([]string{"tekton-unit", "tekton-lint"}, names(c.PresubmitsFor("kubernetes", "kubernetes"))); diff != "" {
		t.Errorf("bosun's presubmits (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"tekton-nightly"}, names(c.AllPeriodics())); diff != "" {
		t.Errorf("bosun's periodics (-want, +got):\n%s", diff)
	}
	if unit := c.PresubmitsFor("kubernetes", "kubernetes")[0]; len(unit.ExtraRefs) != 1 || unit.DecorationConfig == nil || unit.DecorationConfig.Timeout.Duration.String() != "2h0m0s" {
		t.Errorf("extra_refs and decoration_config not decoded: %+v, %+v", unit.ExtraRefs, unit.DecorationConfig)
	}
	jobs := filepath.Join(dir, "jobs", "tekton.yaml")
	got := warningStrings(warnings)
	for _, want := range []string{
		jobs + ":5: decorate: not used by bosun (Prow's, ignored); set on 2 tekton-pipeline job(s): tekton-unit, tekton-lint",
		jobs + ":19: path_alias: not used by bosun (Prow's, ignored); set on 1 tekton-pipeline job(s): tekton-lint",
		jobs + ":26: tags: not used by bosun (Prow's, ignored); set on 1 tekton-pipeline job(s): tekton-nightly",
		"left to Prow: 4 kubernetes job(s): ci-kubernetes-conformance-image-test, ci-kubernetes-conformance-kind-ga-only, " +
			"pull-kubernetes-conformance-image-test, pull-kubernetes-conformance-kind-ipv6-parallel; 1 jenkins job(s): jenkins-nightly",
		"presets: not applied to tekton-pipeline jobs, which have no pod spec for their env and volumes; 1 job(s) match a preset: tekton-unit",
	} {
		if !contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if n := len(c.LeftToProw()); n != 5 {
		t.Errorf("LeftToProw() has %d jobs, want 5", n)
	}
}

// TestMisspelledKeys: inside what bosun uses, a key nobody defines is an error with its
// line and the known key it is closest to, and every such error is reported.
func TestMisspelledKeys(t *testing.T) {
	const yaml = `sinker:
  max_prowjob_ag: 1h
presubmits:
  acme/widgets:
  - name: unit
    always_rn: true
    pipeline_run_spec:
      pipelineref: {name: p}
  - name: lint
    pipeline_run_specs:
      pipelineRef: {name: p}
periodics:
- name: nightly
  interval: 1h
  agent: tekton-pipeline
  pipeline_run_spec:
    pipelineRef: {name: p}
    taskRunTemplate: {serviceAcountName: ci}
`
	_, err := LoadBytes("config.yaml", []byte(yaml))
	if err == nil {
		t.Fatal("LoadBytes() succeeded, want errors")
	}
	for _, want := range []string{
		`config.yaml:2: unknown field "sinker.max_prowjob_ag" (did you mean "max_prowjob_age"?)`,
		`config.yaml:6: unknown field "presubmits.acme/widgets[0].always_rn" (did you mean "always_run"?)`,
		`config.yaml:8: unknown field "presubmits.acme/widgets[0].pipeline_run_spec.pipelineref" (did you mean "pipelineRef"?)`,
		`config.yaml:10: unknown field "presubmits.acme/widgets[1].pipeline_run_specs" (did you mean "pipeline_run_spec"?)`,
		`config.yaml:18: unknown field "periodics[0].pipeline_run_spec.taskRunTemplate.serviceAcountName" (did you mean "serviceAccountName"?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

// TestEveryUnknownKeyReported: no cap on the number of errors (the strict JSON decoder
// stops collecting unknown fields at 100).
func TestEveryUnknownKeyReported(t *testing.T) {
	var b strings.Builder
	b.WriteString("presubmits:\n  acme/widgets:\n  - name: unit\n    " + spec + "\n")
	for i := range 150 {
		fmt.Fprintf(&b, "    bogus_%03d: 1\n", i)
	}
	for i := range 150 {
		fmt.Fprintf(&b, "top_%03d: 1\n", i)
	}
	_, err := LoadBytes("config.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("LoadBytes() succeeded, want errors")
	}
	msg := err.Error()
	if n := len(regexp.MustCompile(`unknown field "presubmits\.acme/widgets\[0\]\.bogus_\d{3}"`).FindAllString(msg, -1)); n != 150 {
		t.Errorf("%d unknown job keys reported, want 150", n)
	}
	if n := len(regexp.MustCompile(`unknown field "top_\d{3}"`).FindAllString(msg, -1)); n != 150 {
		t.Errorf("%d unknown top-level keys reported, want 150", n)
	}
	if want := `config.yaml:154: unknown field "presubmits.acme/widgets[0].bogus_149"`; !strings.Contains(msg, want) {
		t.Errorf("error does not contain %q", want)
	}
	if want := `config.yaml:305: unknown field "top_150"`; strings.Contains(msg, want) {
		t.Errorf("error contains %q, which is not in the file", want)
	}
}

// TestBadValuesDoNotHideOtherErrors: a bad duration or agent names its file, line and field,
// and the rest of the file is still checked and validated.
func TestBadValuesDoNotHideOtherErrors(t *testing.T) {
	const yaml = `sinker:
  max_prowjob_age: 7d
tekton:
  cancel_status: Canceled
presubmits:
  acme/widgets:
  - name: unit
    agent: tekon-pipeline
    ` + spec + `
  - name: lint
    bogus: 1
    ` + spec + `
periodics:
- name: nightly
  interval: 1x
  ` + spec + `
- name: hourly
  cron: "nope"
  ` + spec + `
`
	_, err := LoadBytes("config.yaml", []byte(yaml))
	if err == nil {
		t.Fatal("LoadBytes() succeeded, want errors")
	}
	for _, want := range []string{
		`config.yaml:2: sinker.max_prowjob_age: time: unknown unit "d" in duration "7d"`,
		`config.yaml:4: tekton.cancel_status: "Canceled" is none of`,
		`config.yaml:8: presubmits.acme/widgets[0].agent: "tekon-pipeline" is not an agent Prow knows (kubernetes, jenkins, tekton-pipeline) (did you mean "tekton-pipeline"?)`,
		`config.yaml:11: unknown field "presubmits.acme/widgets[1].bogus"`,
		`config.yaml:15: periodic "nightly": interval: time: unknown unit "x" in duration "1x"`,
		`config.yaml:18: periodic "hourly": cron: `,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"always_run", "pipeline_run_spec", "pipelineRef", "name", "namespace", "tekton-pipeline"}
	for _, tc := range []struct{ key, want string }{
		{"always_rn", "always_run"},
		{"Always_Run", "always_run"},
		{"pipelineref", "pipelineRef"},
		{"pipeline_run_specs", "pipeline_run_spec"},
		{"nmae", "name"},
		{"tekton", "tekton-pipeline"},
		{"bogus", ""},
		{"x", ""},
	} {
		want := ""
		if tc.want != "" {
			want = fmt.Sprintf(" (did you mean %q?)", tc.want)
		}
		if got := suggest(tc.key, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", tc.key, got, want)
		}
	}
}

func warningStrings(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestProwKeyTable: every section and job key in the table of Prow's keys loads, as a
// warning; prow_ignored is accepted silently.
func TestProwKeyTable(t *testing.T) {
	var main strings.Builder
	for _, k := range sortedKeys(prowTopLevelKeys) {
		fmt.Fprintf(&main, "%s: null\n", k)
	}
	main.WriteString("prow_ignored: {anything: [goes]}\n")
	var job strings.Builder
	job.WriteString("periodics:\n")
	for _, agent := range []string{"", "kubernetes", "jenkins"} {
		fmt.Fprintf(&job, "- name: prow-%s\n  agent: %s\n", agent, agent)
		for _, k := range sortedKeys(prowJobKeys[periodicKind]) {
			fmt.Fprintf(&job, "  %s: null\n", k)
		}
	}
	job.WriteString("presets: []\ndecorate_all_jobs: true\nprow_ignored: 1\n")
	dir := writeFiles(t, map[string]string{"config.yaml": main.String(), "jobs/jobs.yaml": job.String()})
	c, warnings, err := LoadWithWarnings(filepath.Join(dir, "config.yaml"), filepath.Join(dir, "jobs"))
	if err != nil {
		t.Fatalf("LoadWithWarnings() error:\n%v", err)
	}
	want := []string{
		filepath.Join(dir, "config.yaml") + ": not used by bosun (Prow's, ignored): " + strings.Join(sortedKeys(prowTopLevelKeys), ", "),
		filepath.Join(dir, "jobs/jobs.yaml") + ": not used by bosun (Prow's, ignored): decorate_all_jobs, presets",
		"left to Prow: 2 kubernetes job(s): prow-, prow-kubernetes; 1 jenkins job(s): prow-jenkins",
	}
	if diff := cmp.Diff(want, warningStrings(warnings)); diff != "" {
		t.Errorf("warnings (-want, +got):\n%s", diff)
	}
	if n := len(c.AllPeriodics()); n != 0 {
		t.Errorf("bosun has %d periodics, want 0", n)
	}
}
