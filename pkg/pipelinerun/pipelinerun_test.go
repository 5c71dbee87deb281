package pipelinerun_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

const (
	jobName    = "0b7c8e4e-5f0e-5a8a-9d7e-2b1c3d4e5f60"
	jobUID     = types.UID("6a1f7c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
	buildID    = "116165308385280123"
	baseSHA    = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
	headSHA    = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	pushedSHA  = "c41d7e0a9f3b2e8d6c5a4b3f2e1d0c9b8a7f6e5d"
	prowNS     = "prow"
	podNS      = "test-pods"
	presubmit  = "pull-widgets-unit"
	postsubmit = "post-widgets-publish"
	periodic   = "ci-widgets-nightly"
)

// pjOption changes a ProwJob built by makeProwJob.
type pjOption func(*prowjobsv1.ProwJob)

// makeProwJob returns a tekton-pipeline ProwJob of the given type shaped like the ones
// pkg/jobs builds, in the prow namespace with its PipelineRun in test-pods, then applies
// opts.
func makeProwJob(t *testing.T, typ prowjobsv1.ProwJobType, opts ...pjOption) *prowjobsv1.ProwJob {
	t.Helper()
	pj := &prowjobsv1.ProwJob{
		TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      jobName,
			Namespace: prowNS,
			UID:       jobUID,
			Labels: map[string]string{
				prowjobsv1.CreatedByProwLabel: "true",
				prowjobsv1.TypeLabel:          string(typ),
			},
			Annotations: map[string]string{},
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type:      typ,
			Agent:     prowjobsv1.TektonAgent,
			Cluster:   "default",
			Namespace: podNS,
			PipelineRunSpec: &pipelinev1.PipelineRunSpec{
				PipelineRef: &pipelinev1.PipelineRef{Name: "go-unit"},
				Params: pipelinev1.Params{
					stringParam("go-version", "1.22"),
				},
				TaskRunTemplate: pipelinev1.PipelineTaskRunTemplate{ServiceAccountName: "prow-tekton"},
			},
		},
		Status: prowjobsv1.ProwJobStatus{
			StartTime:   metav1.NewTime(time.Date(2026, 3, 3, 10, 15, 2, 0, time.UTC)),
			State:       prowjobsv1.TriggeredState,
			Description: "Job triggered.",
			BuildID:     buildID,
		},
	}
	switch typ {
	case prowjobsv1.PresubmitJob:
		pj.Spec.Job = presubmit
		pj.Spec.Context = presubmit
		pj.Spec.Report = true
		pj.Spec.RerunCommand = "/test " + presubmit
		pj.Spec.Refs = &prowjobsv1.Refs{
			Org:      "acme",
			Repo:     "widgets",
			RepoLink: "https://github.com/acme/widgets",
			BaseRef:  "main",
			BaseSHA:  baseSHA,
			BaseLink: "https://github.com/acme/widgets/commit/" + baseSHA,
			Pulls: []prowjobsv1.Pull{{
				Number:     42,
				Author:     "alice",
				SHA:        headSHA,
				Title:      "fetcher: retry transient widget lookups",
				Ref:        "refs/pull/42/head",
				HeadRef:    "alice/retry-fetch",
				Link:       "https://github.com/acme/widgets/pull/42",
				CommitLink: "https://github.com/acme/widgets/commit/" + headSHA,
				AuthorLink: "https://github.com/alice",
			}},
		}
		pj.Labels[prowjobsv1.JobLabel] = presubmit
		pj.Labels[prowjobsv1.ContextLabel] = presubmit
		pj.Labels[prowjobsv1.OrgLabel] = "acme"
		pj.Labels[prowjobsv1.RepoLabel] = "widgets"
		pj.Labels[prowjobsv1.BaseRefLabel] = "main"
		pj.Labels[prowjobsv1.PullLabel] = "42"
		pj.Labels[prowjobsv1.EventGUIDLabel] = "d3b07384-d9a0-4c9b-8f1e-2a6c1f0e7b55"
		pj.Annotations[prowjobsv1.JobLabel] = presubmit
		pj.Annotations[prowjobsv1.ContextLabel] = presubmit
	case prowjobsv1.PostsubmitJob:
		pj.Spec.Job = postsubmit
		pj.Spec.Context = postsubmit
		pj.Spec.Report = true
		pj.Spec.Refs = &prowjobsv1.Refs{
			Org:      "acme",
			Repo:     "widgets",
			RepoLink: "https://github.com/acme/widgets",
			BaseRef:  "main",
			BaseSHA:  pushedSHA,
		}
		pj.Labels[prowjobsv1.JobLabel] = postsubmit
	case prowjobsv1.PeriodicJob:
		pj.Spec.Job = periodic
		pj.Labels[prowjobsv1.JobLabel] = periodic
	}
	for _, o := range opts {
		o(pj)
	}
	return pj
}

func withSpecNamespace(ns string) pjOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Namespace = ns }
}

func withRunParams(ps ...pipelinev1.Param) pjOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.PipelineRunSpec.Params = ps }
}

func stringParam(name, value string) pipelinev1.Param {
	return pipelinev1.Param{Name: name, Value: pipelinev1.ParamValue{Type: pipelinev1.ParamTypeString, StringVal: value}}
}

// mustMakePipelineRun calls MakePipelineRun with no options and fails the test on error.
func mustMakePipelineRun(t *testing.T, pj *prowjobsv1.ProwJob) *pipelinev1.PipelineRun {
	t.Helper()
	return mustMakePipelineRunWith(t, pj, pipelinerun.Options{})
}

// mustMakePipelineRunWith calls MakePipelineRun and fails the test on error.
func mustMakePipelineRunWith(t *testing.T, pj *prowjobsv1.ProwJob, opts pipelinerun.Options) *pipelinev1.PipelineRun {
	t.Helper()
	pr, err := pipelinerun.MakePipelineRun(pj, opts)
	if err != nil {
		t.Fatalf("MakePipelineRun() error = %v", err)
	}
	return pr
}

// paramValues returns the params as name -> string value, failing on a duplicate name: a
// PipelineRun that sets a param twice is rejected by Tekton.
func paramValues(t *testing.T, ps pipelinev1.Params) map[string]string {
	t.Helper()
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		if _, dup := out[p.Name]; dup {
			t.Errorf("param %s is set more than once", p.Name)
		}
		out[p.Name] = p.Value.StringVal
	}
	return out
}

// paramNames returns the names of ps in order.
func paramNames(ps pipelinev1.Params) []string {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}

func TestMakePipelineRunGolden(t *testing.T) {
	pj := makeProwJob(t, prowjobsv1.PresubmitJob, withRunParams(
		stringParam("go-version", "1.22"),
		stringParam("packages", "./..."),
	))
	pr := mustMakePipelineRun(t, pj)
	got, err := yaml.Marshal(pr)
	if err != nil {
		t.Fatalf("yaml.Marshal(PipelineRun) error = %v", err)
	}
	compareGolden(t, got)
}

// compareGolden compares got with testdata/<test name>.yaml, rewriting the file instead when
// UPDATE=true.
func compareGolden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".yaml")
	if os.Getenv("UPDATE") == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (regenerate with UPDATE=true): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("PipelineRun differs from %s; regenerate with UPDATE=true if intended (-want, +got):\n%s", path, diff)
	}
}

func TestMakePipelineRunMetadata(t *testing.T) {
	tests := []struct {
		name string
		pj   *prowjobsv1.ProwJob
		want metav1.ObjectMeta
	}{{
		name: "run in the job's namespace is owned by the job",
		pj:   makeProwJob(t, prowjobsv1.PresubmitJob, withSpecNamespace(prowNS)),
		want: metav1.ObjectMeta{
			Name:      jobName,
			Namespace: prowNS,
			Labels: map[string]string{
				"created-by-prow":           "true",
				"prow.k8s.io/type":          "presubmit",
				"prow.k8s.io/job":           presubmit,
				"prow.k8s.io/context":       presubmit,
				"prow.k8s.io/refs.org":      "acme",
				"prow.k8s.io/refs.repo":     "widgets",
				"prow.k8s.io/refs.base_ref": "main",
				"prow.k8s.io/refs.pull":     "42",
				"event-GUID":                "d3b07384-d9a0-4c9b-8f1e-2a6c1f0e7b55",
				"prow.k8s.io/id":            jobName,
				"prow.k8s.io/build-id":      buildID,
			},
			Annotations: map[string]string{
				"prow.k8s.io/job":             presubmit,
				"prow.k8s.io/context":         presubmit,
				"bosun.dev/prowjob-namespace": prowNS,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         "prow.k8s.io/v1",
				Kind:               "ProwJob",
				Name:               jobName,
				UID:                jobUID,
				Controller:         ptr(true),
				BlockOwnerDeletion: ptr(true),
			}},
		},
	}, {
		name: "run in another namespace has no owner reference",
		pj:   makeProwJob(t, prowjobsv1.PostsubmitJob),
		want: metav1.ObjectMeta{
			Name:      jobName,
			Namespace: podNS,
			Labels: map[string]string{
				"created-by-prow":      "true",
				"prow.k8s.io/type":     "postsubmit",
				"prow.k8s.io/job":      postsubmit,
				"prow.k8s.io/id":       jobName,
				"prow.k8s.io/build-id": buildID,
			},
			Annotations: map[string]string{
				"bosun.dev/prowjob-namespace": prowNS,
			},
		},
	}, {
		name: "job labels and annotations are copied, ids win over a job's own",
		pj: makeProwJob(t, prowjobsv1.PeriodicJob, func(pj *prowjobsv1.ProwJob) {
			pj.Labels["app.kubernetes.io/part-of"] = "widgets"
			pj.Labels["prow.k8s.io/id"] = "forged"
			pj.Annotations["testgrid-dashboards"] = "acme-widgets"
			pj.Annotations["bosun.dev/prowjob-namespace"] = "forged"
		}),
		want: metav1.ObjectMeta{
			Name:      jobName,
			Namespace: podNS,
			Labels: map[string]string{
				"created-by-prow":           "true",
				"prow.k8s.io/type":          "periodic",
				"prow.k8s.io/job":           periodic,
				"app.kubernetes.io/part-of": "widgets",
				"prow.k8s.io/id":            jobName,
				"prow.k8s.io/build-id":      buildID,
			},
			Annotations: map[string]string{
				"testgrid-dashboards":         "acme-widgets",
				"bosun.dev/prowjob-namespace": prowNS,
			},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := mustMakePipelineRun(t, tc.pj)
			if diff := cmp.Diff(tc.want, pr.ObjectMeta); diff != "" {
				t.Errorf("PipelineRun metadata (-want, +got):\n%s", diff)
			}
			wantType := metav1.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "PipelineRun"}
			if diff := cmp.Diff(wantType, pr.TypeMeta); diff != "" {
				t.Errorf("PipelineRun type (-want, +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestParams(t *testing.T) {
	tests := []struct {
		name      string
		pj        *prowjobsv1.ProwJob
		wantNames []string
		want      map[string]string
	}{{
		name: "presubmit",
		pj:   makeProwJob(t, prowjobsv1.PresubmitJob),
		wantNames: []string{
			"CI", "JOB_NAME", "JOB_TYPE", "PROW_JOB_ID", "BUILD_ID", "JOB_SPEC",
			"REPO_OWNER", "REPO_NAME", "SRC_HOST", "SRC_BASE", "PULL_BASE_REF", "PULL_BASE_SHA", "PULL_REFS",
			"PULL_NUMBER", "PULL_PULL_SHA", "PULL_HEAD_REF", "PULL_TITLE",
		},
		want: map[string]string{
			"CI":            "true",
			"JOB_NAME":      presubmit,
			"JOB_TYPE":      "presubmit",
			"PROW_JOB_ID":   jobName,
			"BUILD_ID":      buildID,
			"REPO_OWNER":    "acme",
			"REPO_NAME":     "widgets",
			"SRC_HOST":      "github.com",
			"SRC_BASE":      "acme/widgets",
			"PULL_BASE_REF": "main",
			"PULL_BASE_SHA": baseSHA,
			"PULL_REFS":     "main:" + baseSHA + ",42:" + headSHA + ":refs/pull/42/head",
			"PULL_NUMBER":   "42",
			"PULL_PULL_SHA": headSHA,
			"PULL_HEAD_REF": "alice/retry-fetch",
			"PULL_TITLE":    "fetcher: retry transient widget lookups",
		},
	}, {
		name: "postsubmit",
		pj:   makeProwJob(t, prowjobsv1.PostsubmitJob),
		wantNames: []string{
			"CI", "JOB_NAME", "JOB_TYPE", "PROW_JOB_ID", "BUILD_ID", "JOB_SPEC",
			"REPO_OWNER", "REPO_NAME", "SRC_HOST", "SRC_BASE", "PULL_BASE_REF", "PULL_BASE_SHA", "PULL_REFS",
		},
		want: map[string]string{
			"CI":            "true",
			"JOB_NAME":      postsubmit,
			"JOB_TYPE":      "postsubmit",
			"PROW_JOB_ID":   jobName,
			"BUILD_ID":      buildID,
			"REPO_OWNER":    "acme",
			"REPO_NAME":     "widgets",
			"SRC_HOST":      "github.com",
			"SRC_BASE":      "acme/widgets",
			"PULL_BASE_REF": "main",
			"PULL_BASE_SHA": pushedSHA,
			"PULL_REFS":     "main:" + pushedSHA,
		},
	}, {
		name:      "periodic",
		pj:        makeProwJob(t, prowjobsv1.PeriodicJob),
		wantNames: []string{"CI", "JOB_NAME", "JOB_TYPE", "PROW_JOB_ID", "BUILD_ID", "JOB_SPEC"},
		want: map[string]string{
			"CI":          "true",
			"JOB_NAME":    periodic,
			"JOB_TYPE":    "periodic",
			"PROW_JOB_ID": jobName,
			"BUILD_ID":    buildID,
		},
	}, {
		name: "GitHub Enterprise repo_link gives SRC_HOST and SRC_BASE",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.RepoLink = "https://ghe.example.com/platform/widgets"
			pj.Spec.Refs.Org = "platform"
		}),
		wantNames: []string{
			"CI", "JOB_NAME", "JOB_TYPE", "PROW_JOB_ID", "BUILD_ID", "JOB_SPEC",
			"REPO_OWNER", "REPO_NAME", "SRC_HOST", "SRC_BASE", "PULL_BASE_REF", "PULL_BASE_SHA", "PULL_REFS",
		},
		want: map[string]string{
			"CI":            "true",
			"JOB_NAME":      postsubmit,
			"JOB_TYPE":      "postsubmit",
			"PROW_JOB_ID":   jobName,
			"BUILD_ID":      buildID,
			"REPO_OWNER":    "platform",
			"REPO_NAME":     "widgets",
			"SRC_HOST":      "ghe.example.com",
			"SRC_BASE":      "platform/widgets",
			"PULL_BASE_REF": "main",
			"PULL_BASE_SHA": pushedSHA,
			"PULL_REFS":     "main:" + pushedSHA,
		},
	}, {
		name: "no repo_link: github.com and org/repo",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.RepoLink = ""
		}),
		wantNames: []string{
			"CI", "JOB_NAME", "JOB_TYPE", "PROW_JOB_ID", "BUILD_ID", "JOB_SPEC",
			"REPO_OWNER", "REPO_NAME", "SRC_HOST", "SRC_BASE", "PULL_BASE_REF", "PULL_BASE_SHA", "PULL_REFS",
		},
		want: map[string]string{
			"CI":            "true",
			"JOB_NAME":      postsubmit,
			"JOB_TYPE":      "postsubmit",
			"PROW_JOB_ID":   jobName,
			"BUILD_ID":      buildID,
			"REPO_OWNER":    "acme",
			"REPO_NAME":     "widgets",
			"SRC_HOST":      "github.com",
			"SRC_BASE":      "acme/widgets",
			"PULL_BASE_REF": "main",
			"PULL_BASE_SHA": pushedSHA,
			"PULL_REFS":     "main:" + pushedSHA,
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := pipelinerun.Params(tc.pj)
			if err != nil {
				t.Fatalf("Params() error = %v", err)
			}
			if diff := cmp.Diff(tc.wantNames, paramNames(ps)); diff != "" {
				t.Errorf("param names, in order (-want, +got):\n%s", diff)
			}
			for _, p := range ps {
				if p.Value.Type != pipelinev1.ParamTypeString {
					t.Errorf("param %s has type %q; Prow's downward API is all strings", p.Name, p.Value.Type)
				}
			}
			got := paramValues(t, ps)
			delete(got, "JOB_SPEC") // checked by TestJobSpec
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("param values (-want, +got):\n%s", diff)
			}
		})
	}
}

// TestAuthorParamsMatchParams keeps the params checkconfig and the controller warn about
// (config.AuthorParams) in step with those Params fills with text the pull request's author
// chose: its title and head branch.
func TestAuthorParamsMatchParams(t *testing.T) {
	const title, headRef = "TITLE-MARK $(id)", "HEAD-MARK-branch"
	for _, typ := range []prowjobsv1.ProwJobType{prowjobsv1.PresubmitJob, prowjobsv1.BatchJob} {
		t.Run(string(typ), func(t *testing.T) {
			pj := makeProwJob(t, prowjobsv1.PresubmitJob, func(pj *prowjobsv1.ProwJob) {
				pj.Spec.Type = typ
				pj.Spec.Refs.Pulls[0].Title = title
				pj.Spec.Refs.Pulls[0].HeadRef = headRef
			})
			ps, err := pipelinerun.Params(pj)
			if err != nil {
				t.Fatalf("Params() error = %v", err)
			}
			var carrying []string
			for _, p := range ps {
				if strings.Contains(p.Value.StringVal, "TITLE-MARK") || strings.Contains(p.Value.StringVal, "HEAD-MARK") {
					carrying = append(carrying, p.Name)
				}
			}
			slices.Sort(carrying)
			want := slices.Sorted(slices.Values(config.AuthorParams(typ)))
			if diff := cmp.Diff(want, carrying); diff != "" {
				t.Errorf("Params carrying the author's text (-config.AuthorParams, +Params):\n%s", diff)
			}
		})
	}
}

func TestMakePipelineRunParams(t *testing.T) {
	tests := []struct {
		name string
		own  pipelinev1.Params
		// wantOwn are the job's own params expected first, in order, before the injected ones.
		wantOwn pipelinev1.Params
	}{{
		name:    "job's own params are kept before the injected ones",
		own:     pipelinev1.Params{stringParam("go-version", "1.22"), stringParam("packages", "./...")},
		wantOwn: pipelinev1.Params{stringParam("go-version", "1.22"), stringParam("packages", "./...")},
	}, {
		name: "a job param with an injected name is replaced",
		own: pipelinev1.Params{
			stringParam("go-version", "1.22"),
			stringParam("PULL_NUMBER", "999"),
			stringParam("JOB_NAME", "someone-elses-job"),
			{Name: "kube-versions", Value: pipelinev1.ParamValue{Type: pipelinev1.ParamTypeArray, ArrayVal: []string{"1.29", "1.30"}}},
		},
		wantOwn: pipelinev1.Params{
			stringParam("go-version", "1.22"),
			{Name: "kube-versions", Value: pipelinev1.ParamValue{Type: pipelinev1.ParamTypeArray, ArrayVal: []string{"1.29", "1.30"}}},
		},
	}, {
		name:    "a job without params gets the injected ones only",
		own:     nil,
		wantOwn: pipelinev1.Params{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pj := makeProwJob(t, prowjobsv1.PresubmitJob, withRunParams(tc.own...))
			before := pj.DeepCopy()
			pr := mustMakePipelineRun(t, pj)

			injected, err := pipelinerun.Params(pj)
			if err != nil {
				t.Fatalf("Params() error = %v", err)
			}
			want := append(slices.Clone(tc.wantOwn), injected...)
			if diff := cmp.Diff(want, pr.Spec.Params); diff != "" {
				t.Errorf("PipelineRun params (-want, +got):\n%s", diff)
			}
			if got := paramValues(t, pr.Spec.Params); got["PULL_NUMBER"] != "42" || got["JOB_NAME"] != presubmit {
				t.Errorf("PULL_NUMBER = %q, JOB_NAME = %q; want the injected 42 and %s", got["PULL_NUMBER"], got["JOB_NAME"], presubmit)
			}
			if diff := cmp.Diff(before, pj); diff != "" {
				t.Errorf("MakePipelineRun modified its ProwJob (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestMakePipelineRunSpec(t *testing.T) {
	spec := pipelinev1.PipelineRunSpec{
		PipelineRef: &pipelinev1.PipelineRef{Name: "e2e"},
		Timeouts:    &pipelinev1.TimeoutFields{Pipeline: &metav1.Duration{Duration: time.Hour}},
		Workspaces:  []pipelinev1.WorkspaceBinding{{Name: "cache"}},
	}
	tests := []struct {
		name string
		set  pjOption
	}{{
		name: "pipeline_run_spec",
		set:  func(pj *prowjobsv1.ProwJob) { pj.Spec.PipelineRunSpec = spec.DeepCopy() },
	}, {
		name: "tekton_pipeline_run_spec.v1beta1",
		set: func(pj *prowjobsv1.ProwJob) {
			pj.Spec.PipelineRunSpec = nil
			pj.Spec.TektonPipelineRunSpec = &prowjobsv1.TektonPipelineRunSpec{V1Beta1: spec.DeepCopy()}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pj := makeProwJob(t, prowjobsv1.PeriodicJob, tc.set)
			pr := mustMakePipelineRun(t, pj)
			injected, err := pipelinerun.Params(pj)
			if err != nil {
				t.Fatalf("Params() error = %v", err)
			}
			want := *spec.DeepCopy()
			want.Params = injected
			if diff := cmp.Diff(want, pr.Spec); diff != "" {
				t.Errorf("PipelineRun spec (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestJobSpec(t *testing.T) {
	tests := []struct {
		name     string
		pj       *prowjobsv1.ProwJob
		wantKeys []string
	}{{
		name:     "presubmit",
		pj:       makeProwJob(t, prowjobsv1.PresubmitJob),
		wantKeys: []string{"buildid", "job", "prowjobid", "refs", "type"},
	}, {
		name:     "periodic has no refs",
		pj:       makeProwJob(t, prowjobsv1.PeriodicJob),
		wantKeys: []string{"buildid", "job", "prowjobid", "type"},
	}, {
		name: "extra_refs and decoration_config when the job has them",
		pj: makeProwJob(t, prowjobsv1.PeriodicJob, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.ExtraRefs = []prowjobsv1.Refs{{Org: "acme", Repo: "infra", BaseRef: "main"}}
			pj.Spec.DecorationConfig = &prowjobsv1.DecorationConfig{Timeout: &metav1.Duration{Duration: 2 * time.Hour}}
		}),
		wantKeys: []string{"buildid", "decoration_config", "extra_refs", "job", "prowjobid", "type"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := pipelinerun.Params(tc.pj)
			if err != nil {
				t.Fatalf("Params() error = %v", err)
			}
			raw := paramValues(t, ps)["JOB_SPEC"]

			var keys map[string]json.RawMessage
			if err := json.Unmarshal([]byte(raw), &keys); err != nil {
				t.Fatalf("JOB_SPEC %q is not a JSON object: %v", raw, err)
			}
			gotKeys := make([]string, 0, len(keys))
			for k := range keys {
				gotKeys = append(gotKeys, k)
			}
			slices.Sort(gotKeys)
			if diff := cmp.Diff(tc.wantKeys, gotKeys); diff != "" {
				t.Errorf("JOB_SPEC keys (-want, +got):\n%s", diff)
			}

			// Decode with Prow's field names and compare with the job itself.
			var got struct {
				Type             prowjobsv1.ProwJobType       `json:"type"`
				Job              string                       `json:"job"`
				BuildID          string                       `json:"buildid"`
				ProwJobID        string                       `json:"prowjobid"`
				Refs             *prowjobsv1.Refs             `json:"refs"`
				ExtraRefs        []prowjobsv1.Refs            `json:"extra_refs"`
				DecorationConfig *prowjobsv1.DecorationConfig `json:"decoration_config"`
			}
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("decode JOB_SPEC: %v", err)
			}
			want := got
			want.Type = tc.pj.Spec.Type
			want.Job = tc.pj.Spec.Job
			want.BuildID = buildID
			want.ProwJobID = jobName
			want.Refs = tc.pj.Spec.Refs
			want.ExtraRefs = tc.pj.Spec.ExtraRefs
			want.DecorationConfig = tc.pj.Spec.DecorationConfig
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("JOB_SPEC (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestPullRefs(t *testing.T) {
	tests := []struct {
		name string
		refs prowjobsv1.Refs
		want string
	}{{
		name: "one pull",
		refs: prowjobsv1.Refs{BaseRef: "main", BaseSHA: "abc", Pulls: []prowjobsv1.Pull{{Number: 42, SHA: "def"}}},
		want: "main:abc,42:def",
	}, {
		name: "pull with a ref",
		refs: prowjobsv1.Refs{BaseRef: "main", BaseSHA: "abc", Pulls: []prowjobsv1.Pull{{Number: 42, SHA: "def", Ref: "refs/pull/42/head"}}},
		want: "main:abc,42:def:refs/pull/42/head",
	}, {
		name: "batch of pulls in order",
		refs: prowjobsv1.Refs{BaseRef: "main", BaseSHA: "abc", Pulls: []prowjobsv1.Pull{{Number: 42, SHA: "def"}, {Number: 7, SHA: "123", Ref: "pr7"}}},
		want: "main:abc,42:def,7:123:pr7",
	}, {
		name: "no pulls",
		refs: prowjobsv1.Refs{BaseRef: "main", BaseSHA: "abc"},
		want: "main:abc",
	}, {
		name: "no base sha",
		refs: prowjobsv1.Refs{BaseRef: "release-1.2"},
		want: "release-1.2",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pipelinerun.PullRefs(&tc.refs); got != tc.want {
				t.Errorf("PullRefs() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMakePipelineRunErrors(t *testing.T) {
	tests := []struct {
		name    string
		pj      *prowjobsv1.ProwJob
		wantErr string
	}{{
		name: "no run spec",
		pj: makeProwJob(t, prowjobsv1.PresubmitJob, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.PipelineRunSpec = nil
		}),
		wantErr: `job "pull-widgets-unit" has no pipeline_run_spec`,
	}, {
		name: "tekton_pipeline_run_spec without v1beta1",
		pj: makeProwJob(t, prowjobsv1.PresubmitJob, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.PipelineRunSpec = nil
			pj.Spec.TektonPipelineRunSpec = &prowjobsv1.TektonPipelineRunSpec{}
		}),
		wantErr: `job "pull-widgets-unit" has no pipeline_run_spec`,
	}, {
		name:    "no namespace",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withSpecNamespace("")),
		wantErr: `job "pull-widgets-unit" has no namespace`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := pipelinerun.MakePipelineRun(tc.pj, pipelinerun.Options{})
			if err == nil {
				t.Fatalf("MakePipelineRun() = %v, want error %q", pr.Name, tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("MakePipelineRun() error = %q, want %q", err, tc.wantErr)
			}
			if pr != nil {
				t.Errorf("MakePipelineRun() returned a PipelineRun along with its error")
			}
		})
	}
}
