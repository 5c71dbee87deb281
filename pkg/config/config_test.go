package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/pod"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// writeFiles creates files (path relative to dir -> content) and returns dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// presubmitFile returns a job file with one presubmit per name for acme/widgets.
func presubmitFile(names ...string) string {
	s := "presubmits:\n  acme/widgets:\n"
	for _, n := range names {
		s += "  - name: " + n + "\n    " + spec + "\n"
	}
	return s
}

// names returns the names of jobs, in order.
func names[J interface{ jobName() string }](jobs []J) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.jobName())
	}
	return out
}

// jobName lets names take any kind of job.
func (j JobBase) jobName() string { return j.Name }

func TestLoadJobConfigDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.yaml":              "pod_namespace: ci\n" + presubmitFile("inline"),
		"jobs/a.yaml":              presubmitFile("a"),
		"jobs/nested/deeper/b.yml": presubmitFile("b"),
		"jobs/periodics.yaml":      "periodics:\n- name: nightly\n  interval: 24h\n  " + spec + "\n",
		"jobs/README.md":           "not a job file",
		"jobs/empty.yaml":          "# nothing here yet\n",
		"jobs/.github/ci.yaml":     "on: push\n",
		"jobs/..2026_01_01/a.yaml": presubmitFile("a"),
	})
	c, err := Load(filepath.Join(dir, "config.yaml"), filepath.Join(dir, "jobs"))
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	if diff := cmp.Diff([]string{"inline", "a", "b"}, names(c.PresubmitsFor("acme", "widgets"))); diff != "" {
		t.Errorf("presubmits (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nightly"}, names(c.AllPeriodics())); diff != "" {
		t.Errorf("periodics (-want, +got):\n%s", diff)
	}
	b := c.PresubmitsFor("acme", "widgets")[2]
	if want := filepath.Join(dir, "jobs/nested/deeper/b.yml"); b.SourcePath() != want {
		t.Errorf("SourcePath() = %q, want %q", b.SourcePath(), want)
	}
	if *b.Namespace != "ci" {
		t.Errorf("namespace of a job from a job file = %q, want the main config's pod_namespace %q", *b.Namespace, "ci")
	}
}

// TestLoadConfigMapMount checks the layout Kubernetes gives a mounted ConfigMap: each key a
// symbolic link to ..data/<key>, ..data a link to a timestamped directory. Each job must
// be read once.
func TestLoadConfigMapMount(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.yaml":                    "",
		"jobs/..2026_01_01_00_00/a.yaml": presubmitFile("a"),
	})
	jobs := filepath.Join(dir, "jobs")
	if err := os.Symlink("..2026_01_01_00_00", filepath.Join(jobs, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/a.yaml", filepath.Join(jobs, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Join(dir, "config.yaml"), jobs)
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	if diff := cmp.Diff([]string{"a"}, names(c.PresubmitsFor("acme", "widgets"))); diff != "" {
		t.Errorf("presubmits (-want, +got):\n%s", diff)
	}
}

func TestLoadJobConfigFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config.yaml": "",
		"jobs.yaml":   presubmitFile("a", "b"),
	})
	c, err := Load(filepath.Join(dir, "config.yaml"), filepath.Join(dir, "jobs.yaml"))
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names(c.PresubmitsFor("acme", "widgets"))); diff != "" {
		t.Errorf("presubmits (-want, +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// jobs is the job config path relative to the temp dir; "" means none.
		jobs string
		// want are substrings of the error, with "DIR" standing for the temp dir.
		want []string
	}{{
		name: "duplicate name across files names both",
		files: map[string]string{
			"config.yaml":   "",
			"jobs/a.yaml":   presubmitFile("unit"),
			"jobs/b/c.yaml": presubmitFile("lint", "unit"),
		},
		jobs: "jobs",
		want: []string{`DIR/jobs/b/c.yaml:5: presubmit "unit" (acme/widgets): name: duplicate of the presubmit defined at DIR/jobs/a.yaml:3`},
	}, {
		name: "duplicate between the main config and a job file",
		files: map[string]string{
			"config.yaml": presubmitFile("unit"),
			"jobs.yaml":   presubmitFile("unit"),
		},
		jobs: "jobs.yaml",
		want: []string{`DIR/jobs.yaml:3: presubmit "unit" (acme/widgets): name: duplicate of the presubmit defined at DIR/config.yaml:3`},
	}, {
		name: "duplicate periodic across files",
		files: map[string]string{
			"config.yaml": "",
			"jobs/a.yaml": "periodics:\n- name: nightly\n  interval: 1h\n  " + spec + "\n",
			"jobs/b.yaml": "periodics:\n- name: other\n  interval: 1h\n  " + spec + "\n- name: nightly\n  interval: 1h\n  " + spec + "\n",
		},
		jobs: "jobs",
		want: []string{`DIR/jobs/b.yaml:5: periodic "nightly": name: duplicate of the periodic defined at DIR/jobs/a.yaml:2`},
	}, {
		name: "unknown field in a job file",
		files: map[string]string{
			"config.yaml": "",
			"jobs/a.yaml": presubmitFile("unit") + "pod_namespace: x\n",
		},
		jobs: "jobs",
		want: []string{`DIR/jobs/a.yaml:5: unknown field "pod_namespace"`},
	}, {
		name: "errors from every file",
		files: map[string]string{
			"config.yaml": "bogus: 1\n",
			"jobs/a.yaml": "presubmits: [",
			"jobs/b.yaml": "presubmits:\n  acme/widgets:\n  - name: unit\n    agent: tekton-pipeline\n    namespace: Bad\n    " + spec + "\n",
		},
		jobs: "jobs",
		want: []string{
			`DIR/config.yaml:1: unknown field "bogus"`,
			`DIR/jobs/a.yaml: yaml: line 1: did not find expected node content`,
			`DIR/jobs/b.yaml:5: presubmit "unit" (acme/widgets): namespace: "Bad" is not a valid namespace`,
		},
	}, {
		name:  "missing config file",
		files: map[string]string{},
		want:  []string{"read config: open DIR/config.yaml: no such file or directory"},
	}, {
		name:  "missing job config path",
		files: map[string]string{"config.yaml": ""},
		jobs:  "nope",
		want:  []string{"find job config: stat DIR/nope: no such file or directory"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			jobs := ""
			if tc.jobs != "" {
				jobs = filepath.Join(dir, tc.jobs)
			}
			_, err := Load(filepath.Join(dir, "config.yaml"), jobs)
			if err == nil {
				t.Fatalf("Load() succeeded, want an error")
			}
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "DIR", dir)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestLoadProwTektonConfig loads a job tree written as for Prow's tekton-pipeline agent,
// which must load unchanged.
func TestLoadProwTektonConfig(t *testing.T) {
	c, err := Load("testdata/prow/config.yaml", "testdata/prow/jobs")
	if err != nil {
		t.Fatalf("Load() error:\n%v", err)
	}
	pre, post, per := c.JobCounts()
	if pre != 4 || post != 2 || per != 2 {
		t.Errorf("JobCounts() = %d, %d, %d; want 4, 2, 2", pre, post, per)
	}
	if c.ProwJobNamespace != "prow" || c.PodNamespace != "test-pods" {
		t.Errorf("settings not loaded: prowjob_namespace %q, pod_namespace %q", c.ProwJobNamespace, c.PodNamespace)
	}

	widgets := c.PresubmitsFor("acme", "widgets")
	if diff := cmp.Diff([]string{"pull-widgets-unit", "pull-widgets-e2e", "pull-widgets-lint"}, names(widgets)); diff != "" {
		t.Fatalf("acme/widgets presubmits (-want, +got):\n%s", diff)
	}
	unit := widgets[0]
	wantUnit := &pipelinev1.PipelineRunSpec{
		PipelineRef: &pipelinev1.PipelineRef{Name: "go-unit"},
		Params: pipelinev1.Params{
			{Name: "go-version", Value: *pipelinev1.NewStructuredValues("1.22")},
			{Name: "packages", Value: *pipelinev1.NewStructuredValues("./...")},
		},
		Workspaces: []pipelinev1.WorkspaceBinding{{
			Name: "source",
			VolumeClaimTemplate: &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceStorage: resource.MustParse("1Gi"),
				}},
			}},
		}, {
			Name:     "cache",
			EmptyDir: &corev1.EmptyDirVolumeSource{},
		}},
		Timeouts: &pipelinev1.TimeoutFields{
			Pipeline: &metav1.Duration{Duration: time.Hour},
			Tasks:    &metav1.Duration{Duration: 50 * time.Minute},
		},
		TaskRunTemplate: pipelinev1.PipelineTaskRunTemplate{
			ServiceAccountName: "prow-tekton",
			PodTemplate:        &pod.PodTemplate{NodeSelector: map[string]string{"kubernetes.io/arch": "amd64"}},
		},
	}
	if diff := cmp.Diff(wantUnit, unit.RunSpec()); diff != "" {
		t.Errorf("pull-widgets-unit RunSpec() (-want, +got):\n%s", diff)
	}
	if !mustShouldRun(t, unit, "release-1.30", nil) || unit.CouldRun("feature") || unit.MaxConcurrency != 10 {
		t.Errorf("pull-widgets-unit branches or max_concurrency wrong: %+v", unit.Brancher)
	}
	if unit.Annotations["testgrid-tab-name"] != "unit" || unit.Labels["app.kubernetes.io/part-of"] != "widgets" {
		t.Errorf("pull-widgets-unit labels/annotations not loaded: %v %v", unit.Labels, unit.Annotations)
	}

	e2e := widgets[1]
	if !e2e.TriggerMatches("/test e2e") || !e2e.TriggerMatches("/test pull-widgets-e2e") || e2e.TriggerMatches("/test unit") {
		t.Errorf("pull-widgets-e2e custom trigger %q not honoured", e2e.Trigger)
	}
	if e2e.Context != "ci/e2e" || !e2e.Optional || *e2e.Namespace != "e2e-pods" || mustShouldRun(t, e2e, "main", nil) {
		t.Errorf("pull-widgets-e2e fields wrong: %+v", e2e)
	}
	if rs := e2e.RunSpec(); rs == nil || rs.PipelineRef == nil || rs.PipelineRef.Resolver != "git" || len(rs.PipelineRef.Params) != 3 {
		t.Errorf("pull-widgets-e2e resolver ref not loaded: %+v", rs)
	} else if got := rs.Params[0].Value.ArrayVal; !slices.Equal(got, []string{"1.29", "1.30"}) {
		t.Errorf("pull-widgets-e2e array param = %v", got)
	}

	lint := widgets[2]
	if rs := lint.RunSpec(); rs == nil || rs.PipelineSpec == nil || len(rs.PipelineSpec.Tasks) != 2 ||
		rs.PipelineSpec.Tasks[0].TaskRef.Name != "PROW_IMPLICIT_GIT_REF" ||
		!strings.Contains(rs.PipelineSpec.Tasks[1].TaskSpec.Steps[0].Script, "golangci-lint run") {
		t.Errorf("pull-widgets-lint inline pipelineSpec not loaded: %+v", rs)
	}
	if lint.CouldRun("gh-pages") || lint.RerunAuthConfig == nil || !slices.Equal(lint.RerunAuthConfig.GitHubUsers, []string{"octocat"}) {
		t.Errorf("pull-widgets-lint skip_branches or rerun_auth_config wrong")
	}

	postsubmits := c.PostsubmitsFor("acme", "widgets")
	if diff := cmp.Diff([]string{"post-widgets-push-images", "post-widgets-docs"}, names(postsubmits)); diff != "" {
		t.Fatalf("acme/widgets postsubmits (-want, +got):\n%s", diff)
	}
	if push := postsubmits[0]; !push.CouldRun("main") || push.CouldRun("dev") ||
		push.ReporterConfig == nil || push.ReporterConfig.Slack.Channel != "widgets-ci" ||
		!slices.Equal(push.ReporterConfig.Slack.JobStatesToReport, []prowjobsv1.ProwJobState{prowjobsv1.FailureState, prowjobsv1.ErrorState}) {
		t.Errorf("post-widgets-push-images wrong: %+v", push)
	}
	if docs := postsubmits[1]; !docs.SkipReport || docs.RunIfChanged != "^docs/" {
		t.Errorf("post-widgets-docs wrong: %+v", docs)
	}

	periodics := c.AllPeriodics()
	if diff := cmp.Diff([]string{"ci-gadgets-nightly", "ci-gadgets-soak"}, names(periodics)); diff != "" {
		t.Fatalf("periodics (-want, +got):\n%s", diff)
	}
	wantRefs := []prowjobsv1.Refs{{Org: "acme", Repo: "gadgets", BaseRef: "main", PathAlias: "acme.example.com/gadgets"}}
	if diff := cmp.Diff(wantRefs, periodics[0].ExtraRefs); diff != "" || periodics[0].Cron != "0 3 * * 1-5" {
		t.Errorf("ci-gadgets-nightly extra_refs (-want, +got):\n%s", diff)
	}
	if soak := periodics[1]; soak.IntervalDuration() != 6*time.Hour || !soak.Hidden || soak.RunSpec().Timeouts.Pipeline.Duration != 5*time.Hour {
		t.Errorf("ci-gadgets-soak wrong: %+v", soak)
	}
}
