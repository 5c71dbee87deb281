package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// mustLoad loads a main config given as YAML and fails the test on any error.
func mustLoad(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := LoadBytes("config.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	return c
}

// presubmitConfig returns a config with one presubmit for acme/widgets; fields are extra
// YAML lines for the job, indented by the caller's four spaces.
func presubmitConfig(fields ...string) string {
	return `
presubmits:
  acme/widgets:
  - name: unit
    pipeline_run_spec:
      pipelineRef:
        name: unit-tests
` + indent(fields)
}

// indent puts each line under a job in presubmitConfig and friends.
func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// onlyPresubmit returns the single presubmit of acme/widgets.
func onlyPresubmit(t *testing.T, c *Config) Presubmit {
	t.Helper()
	jobs := c.PresubmitsFor("acme", "widgets")
	if len(jobs) != 1 {
		t.Fatalf("PresubmitsFor(acme, widgets) has %d jobs, want 1", len(jobs))
	}
	return jobs[0]
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name          string
		yaml          string
		wantContext   string
		wantTrigger   string
		wantRerun     string
		wantNamespace string
		wantAgent     prowjobsv1.ProwJobAgent
	}{{
		name:          "all defaulted",
		yaml:          presubmitConfig(),
		wantContext:   "unit",
		wantTrigger:   `(?m)^/test( | .* )unit,?($|\s.*)`,
		wantRerun:     "/test unit",
		wantNamespace: "test-pods",
		wantAgent:     prowjobsv1.TektonAgent,
	}, {
		name:          "pod_namespace is the job default",
		yaml:          "pod_namespace: ci\n" + presubmitConfig(),
		wantContext:   "unit",
		wantTrigger:   `(?m)^/test( | .* )unit,?($|\s.*)`,
		wantRerun:     "/test unit",
		wantNamespace: "ci",
		wantAgent:     prowjobsv1.TektonAgent,
	}, {
		name:          "empty namespace means the default, as in Prow",
		yaml:          presubmitConfig(`namespace: ""`),
		wantContext:   "unit",
		wantTrigger:   `(?m)^/test( | .* )unit,?($|\s.*)`,
		wantRerun:     "/test unit",
		wantNamespace: "test-pods",
		wantAgent:     prowjobsv1.TektonAgent,
	}, {
		name: "explicit values are kept",
		yaml: presubmitConfig(
			"context: ci/unit",
			"trigger: (?m)^/unit$",
			"rerun_command: /unit",
			"namespace: unit-pods",
			"agent: tekton-pipeline",
		),
		wantContext:   "ci/unit",
		wantTrigger:   `(?m)^/unit$`,
		wantRerun:     "/unit",
		wantNamespace: "unit-pods",
		wantAgent:     prowjobsv1.TektonAgent,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onlyPresubmit(t, mustLoad(t, tc.yaml))
			got := []string{p.Context, p.Trigger, p.RerunCommand, *p.Namespace, string(p.Agent)}
			want := []string{tc.wantContext, tc.wantTrigger, tc.wantRerun, tc.wantNamespace, string(tc.wantAgent)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[context trigger rerun_command namespace agent] (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := mustLoad(t, `
postsubmits:
  acme/widgets:
  - name: deploy
    pipeline_run_spec: {pipelineRef: {name: deploy}}
periodics:
- name: nightly
  interval: 24h
  pipeline_run_spec: {pipelineRef: {name: nightly}}
`)
	if c.ProwJobNamespace != DefaultProwJobNamespace || c.PodNamespace != DefaultPodNamespace {
		t.Errorf("namespaces = %q, %q; want %q, %q", c.ProwJobNamespace, c.PodNamespace, DefaultProwJobNamespace, DefaultPodNamespace)
	}
	post := c.PostsubmitsFor("acme", "widgets")
	if len(post) != 1 || post[0].Context != "deploy" || *post[0].Namespace != "test-pods" || post[0].Agent != prowjobsv1.TektonAgent || post[0].Cluster != DefaultCluster {
		t.Errorf("postsubmit not defaulted: %+v", post)
	}
	per := c.AllPeriodics()
	if len(per) != 1 || per[0].IntervalDuration().Hours() != 24 || *per[0].Namespace != "test-pods" {
		t.Errorf("periodic not defaulted or interval not parsed: %+v", per)
	}
}

func TestDefaultTriggerQuotesName(t *testing.T) {
	c := mustLoad(t, `
presubmits:
  acme/widgets:
  - name: unit.v2
    pipeline_run_spec: {pipelineRef: {name: unit}}
`)
	p := c.PresubmitsFor("acme", "widgets")[0]
	for body, want := range map[string]bool{"/test unit.v2": true, "/test unitxv2": false} {
		if got := p.TriggerMatches(body); got != want {
			t.Errorf("TriggerMatches(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestTriggerMatches(t *testing.T) {
	p := onlyPresubmit(t, mustLoad(t, presubmitConfig()))
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"plain", "/test unit", true},
		{"two spaces", "/test  unit", true},
		{"among other jobs", "/test foo unit", true},
		{"before other jobs", "/test unit foo", true},
		{"trailing comma", "/test unit,", true},
		{"trailing newline", "/test unit\n", true},
		{"CRLF line ending", "thanks!\r\n/test unit\r\nbye", true},
		{"on a later line", "looks flaky\n/test unit", true},
		{"longer name", "/test unitx", false},
		{"prefix of the name", "/test uni", false},
		{"not at line start", "please /test unit", false},
		{"other job", "/test lint", false},
		{"retest", "/retest", false},
		{"in a code block", "```\n/test unit\n```", false},
		{"in a tilde code block", "~~~\n/test unit\n~~~", false},
		{"in an unclosed code block", "```sh\n/test unit", false},
		{"after a code block", "```\nlog\n```\n/test unit", true},
		{"quoted", "> /test unit\nno thanks", false},
		{"quoted, indented", "  > /test unit", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.TriggerMatches(tc.body); got != tc.want {
				t.Errorf("TriggerMatches(%q) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

func TestPresubmitBranches(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		branch string
		want   bool
	}{
		{"no lists runs everywhere", nil, "anything", true},
		{"listed branch", []string{"branches: [main, dev]"}, "dev", true},
		{"unlisted branch", []string{"branches: [main, dev]"}, "release-1.0", false},
		// Prow matches unanchored: "main" also matches "maintenance".
		{"unanchored like Prow", []string{"branches: [main]"}, "maintenance", true},
		{"anchored entry", []string{"branches: [^main$]"}, "maintenance", false},
		{"regex entry", []string{`branches: ['^release-\d+\.\d+$']`}, "release-1.30", true},
		{"skipped branch", []string{"skip_branches: [^gh-pages$]"}, "gh-pages", false},
		{"not skipped", []string{"skip_branches: [^gh-pages$]"}, "main", true},
		{"skip wins over branches", []string{"branches: ['^release-.*']", "skip_branches: [^release-old$]"}, "release-old", false},
		{"branches with skip, other branch", []string{"branches: ['^release-.*']", "skip_branches: [^release-old$]"}, "release-new", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onlyPresubmit(t, mustLoad(t, presubmitConfig(tc.fields...)))
			if got := p.CouldRun(tc.branch); got != tc.want {
				t.Errorf("CouldRun(%q) = %v, want %v", tc.branch, got, tc.want)
			}
		})
	}
}

func TestPresubmitShouldRun(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		branch string
		files  []string
		want   bool
	}{
		{"always_run", []string{"always_run: true"}, "main", nil, true},
		{"always_run on a skipped branch", []string{"always_run: true", "skip_branches: [^main$]"}, "main", nil, false},
		{"on demand only", nil, "main", []string{"a.go"}, false},
		{"run_if_changed matching", []string{"run_if_changed: ^docs/"}, "main", []string{"main.go", "docs/a.md"}, true},
		{"run_if_changed not matching", []string{"run_if_changed: ^docs/"}, "main", []string{"main.go"}, false},
		{"run_if_changed on a skipped branch", []string{"run_if_changed: ^docs/", "branches: [^release$]"}, "main", []string{"docs/a.md"}, false},
		{"skip_if_only_changed, only docs", []string{"skip_if_only_changed: ^docs/"}, "main", []string{"docs/a.md", "docs/b.md"}, false},
		{"skip_if_only_changed, code too", []string{"skip_if_only_changed: ^docs/"}, "main", []string{"docs/a.md", "main.go"}, true},
		{"skip_if_only_changed, no files", []string{"skip_if_only_changed: ^docs/"}, "main", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onlyPresubmit(t, mustLoad(t, presubmitConfig(tc.fields...)))
			if got := mustShouldRun(t, p, tc.branch, tc.files); got != tc.want {
				t.Errorf("ShouldRun(%q, %v) = %v, want %v", tc.branch, tc.files, got, tc.want)
			}
		})
	}
}

func TestPresubmitShouldRunFetchesFilesOnlyWhenNeeded(t *testing.T) {
	calls := 0
	changes := func() ([]string, error) { calls++; return nil, errors.New("no files for you") }
	always := onlyPresubmit(t, mustLoad(t, presubmitConfig("always_run: true")))
	if ok, err := always.ShouldRun("main", changes); !ok || err != nil || calls != 0 {
		t.Errorf("always_run: ShouldRun = %v, %v after %d file fetches, want true, nil, 0", ok, err, calls)
	}
	matcher := onlyPresubmit(t, mustLoad(t, presubmitConfig("run_if_changed: ^docs/")))
	if _, err := matcher.ShouldRun("main", changes); err == nil || calls != 1 {
		t.Errorf("run_if_changed: err = %v after %d fetches, want the fetch error after 1", err, calls)
	}
}

// mustShouldRun evaluates ShouldRun with a fixed set of changed files.
func mustShouldRun(t *testing.T, p Presubmit, branch string, files []string) bool {
	t.Helper()
	ok, err := p.ShouldRun(branch, func() ([]string, error) { return files, nil })
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestPostsubmitCouldRun(t *testing.T) {
	c := mustLoad(t, `
postsubmits:
  acme/widgets:
  - name: deploy
    branches: [^main$]
    pipeline_run_spec: {pipelineRef: {name: deploy}}
`)
	p := c.PostsubmitsFor("acme", "widgets")[0]
	for ref, want := range map[string]bool{"main": true, "dev": false} {
		if got := p.CouldRun(ref); got != want {
			t.Errorf("CouldRun(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestBrancherIntersects(t *testing.T) {
	tests := []struct {
		name string
		a, b []string // job fields
		want bool
	}{
		{"both everywhere", nil, nil, true},
		{"one everywhere", []string{"branches: [main]"}, nil, true},
		{"same branch", []string{"branches: [main]"}, []string{"branches: [dev, main]"}, true},
		{"disjoint branches", []string{"branches: [main]"}, []string{"branches: [release-1.0]"}, false},
		{"branch skipped by the other", []string{"branches: [main]"}, []string{"skip_branches: [main]"}, false},
		{"branch not skipped by the other", []string{"branches: [main]"}, []string{"skip_branches: [dev]"}, true},
		{"skip lists only", []string{"skip_branches: [main]"}, []string{"skip_branches: [dev]"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := onlyPresubmit(t, mustLoad(t, presubmitConfig(tc.a...)))
			b := onlyPresubmit(t, mustLoad(t, presubmitConfig(tc.b...)))
			if got := a.Brancher.Intersects(b.Brancher); got != tc.want {
				t.Errorf("a.Intersects(b) = %v, want %v", got, tc.want)
			}
			if got := b.Brancher.Intersects(a.Brancher); got != tc.want {
				t.Errorf("b.Intersects(a) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRunSpec(t *testing.T) {
	ref := &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "unit-tests"}}
	tests := []struct {
		name string
		yaml string
	}{
		{"pipeline_run_spec", presubmitConfig()},
		{"tekton_pipeline_run_spec", `
presubmits:
  acme/widgets:
  - name: unit
    tekton_pipeline_run_spec:
      v1beta1:
        pipelineRef:
          name: unit-tests
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := onlyPresubmit(t, mustLoad(t, tc.yaml))
			if diff := cmp.Diff(ref, p.RunSpec()); diff != "" {
				t.Errorf("RunSpec() (-want, +got):\n%s", diff)
			}
		})
	}
	if got := (JobBase{}).RunSpec(); got != nil {
		t.Errorf("RunSpec() of an empty job = %v, want nil", got)
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	c := mustLoad(t, presubmitConfig())
	jobs := c.PresubmitsFor("acme", "widgets")
	jobs[0].Name = "changed"
	if got := c.PresubmitsFor("acme", "widgets")[0].Name; got != "unit" {
		t.Errorf("changing a returned job changed the config: name = %q", got)
	}
	if got := c.PresubmitsFor("acme", "nope"); len(got) != 0 {
		t.Errorf("PresubmitsFor(unknown repo) = %v, want none", got)
	}
}

func TestPostsubmitShouldRunOnPush(t *testing.T) {
	cfg, err := LoadBytes("config.yaml", []byte(`
postsubmits:
  acme/widgets:
  - name: default
    branches: [main]
    pipeline_run_spec: {pipelineRef: {name: p}}
  - name: explicit-true
    always_run: true
    pipeline_run_spec: {pipelineRef: {name: p}}
  - name: explicit-false
    always_run: false
    pipeline_run_spec: {pipelineRef: {name: p}}
  - name: docs
    run_if_changed: '^docs/'
    pipeline_run_spec: {pipelineRef: {name: p}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		branch string
		files  []string
		want   map[string]bool
	}{
		{"main", []string{"main.go"}, map[string]bool{"default": true, "explicit-true": true, "explicit-false": false, "docs": false}},
		{"main", []string{"docs/x.md"}, map[string]bool{"default": true, "explicit-true": true, "explicit-false": false, "docs": true}},
		{"feature", []string{"docs/x.md"}, map[string]bool{"default": false, "explicit-true": true, "explicit-false": false, "docs": true}},
	}
	for _, tc := range tests {
		for _, job := range cfg.PostsubmitsFor("acme", "widgets") {
			t.Run(fmt.Sprintf("%s/%v/%s", tc.branch, tc.files, job.Name), func(t *testing.T) {
				got, err := job.ShouldRunOnPush(tc.branch, func() ([]string, error) { return tc.files, nil })
				if err != nil || got != tc.want[job.Name] {
					t.Errorf("ShouldRunOnPush(%q, %v) = %v, %v, want %v", tc.branch, tc.files, got, err, tc.want[job.Name])
				}
			})
		}
	}
}
