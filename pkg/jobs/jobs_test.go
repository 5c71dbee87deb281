package jobs_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

const (
	guid    = "d3b07384-d9a0-4c9b-8f1e-2a6c1f0e7b55"
	baseSHA = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
	headSHA = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	pushSHA = "c41d7e0a9f3b2e8d6c5a4b3f2e1d0c9b8a7f6e5d"

	// longContext is over the 63 characters a label value may hold; cut at 63 it ends in
	// "-", which must go too.
	longContext = "pull-widgets-e2e-on-kind-with-the-full-conformance-suite-and-an-upgrade"
	// longContextLabel is longContext cut to 63 characters with the trailing "-" trimmed.
	longContextLabel = "pull-widgets-e2e-on-kind-with-the-full-conformance-suite-and-an"
)

var now = time.Date(2026, 3, 3, 10, 15, 2, 0, time.UTC)

const configYAML = `
prowjob_namespace: prow
pod_namespace: test-pods
presubmits:
  acme/widgets:
  - name: pull-widgets-unit
    always_run: true
    max_concurrency: 10
    labels:
      app.kubernetes.io/part-of: widgets
    annotations:
      testgrid-dashboards: acme-widgets
    pipeline_run_spec:
      pipelineRef:
        name: go-unit
  - name: pull-widgets-e2e
    optional: true
    skip_report: true
    context: ` + longContext + `
    trigger: (?m)^/test( | .* )(e2e|pull-widgets-e2e),?($|\s.*)
    rerun_command: /test e2e
    namespace: e2e-pods
    tekton_pipeline_run_spec:
      v1beta1:
        pipelineRef:
          name: e2e
  - name: pull-widgets-lint
    context: ci/lint
    pipeline_run_spec:
      pipelineRef:
        name: lint
postsubmits:
  acme/widgets:
  - name: post-widgets-publish
    labels:
      app.kubernetes.io/part-of: widgets
    pipeline_run_spec:
      pipelineRef:
        name: publish
  - name: post-widgets-docs
    context: ci/docs
    skip_report: true
    namespace: docs
    pipeline_run_spec:
      pipelineRef:
        name: docs
`

// mustLoad loads configYAML and fails the test on any error.
func mustLoad(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.LoadBytes("config.yaml", []byte(configYAML))
	if err != nil {
		t.Fatalf("LoadBytes() error:\n%v", err)
	}
	return c
}

// presubmitNamed returns the acme/widgets presubmit called name.
func presubmitNamed(t *testing.T, c *config.Config, name string) config.Presubmit {
	t.Helper()
	for _, j := range c.PresubmitsFor("acme", "widgets") {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("no presubmit %q in acme/widgets", name)
	return config.Presubmit{}
}

// postsubmitNamed returns the acme/widgets postsubmit called name.
func postsubmitNamed(t *testing.T, c *config.Config, name string) config.Postsubmit {
	t.Helper()
	for _, j := range c.PostsubmitsFor("acme", "widgets") {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("no postsubmit %q in acme/widgets", name)
	return config.Postsubmit{}
}

// prRefs is acme/widgets#42 against base.
func prRefs(base string) prowjobsv1.Refs {
	return prowjobsv1.Refs{
		Org:      "acme",
		Repo:     "widgets",
		RepoLink: "https://github.com/acme/widgets",
		BaseRef:  base,
		BaseSHA:  baseSHA,
		Pulls: []prowjobsv1.Pull{{
			Number:  42,
			Author:  "alice",
			SHA:     headSHA,
			Title:   "fetcher: retry transient widget lookups",
			Ref:     "refs/pull/42/head",
			HeadRef: "alice/retry-fetch",
		}},
	}
}

// pushRefs is a push of pushSHA to branch.
func pushRefs(branch string) prowjobsv1.Refs {
	return prowjobsv1.Refs{Org: "acme", Repo: "widgets", RepoLink: "https://github.com/acme/widgets", BaseRef: branch, BaseSHA: pushSHA}
}

// checkBuildID checks that the job's build id is numeric and returns it so that an expected
// job can carry the same (partly random) value.
func checkBuildID(t *testing.T, pj *prowjobsv1.ProwJob) string {
	t.Helper()
	if _, err := strconv.ParseUint(pj.Status.BuildID, 10, 64); err != nil {
		t.Errorf("status.build_id %q is not numeric: %v", pj.Status.BuildID, err)
	}
	return pj.Status.BuildID
}

// checkLabelsValid checks every label the way the API server will when the job is created.
func checkLabelsValid(t *testing.T, pj *prowjobsv1.ProwJob) {
	t.Helper()
	for k, v := range pj.Labels {
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			t.Errorf("label %s=%q would be rejected by the API server: %s", k, v, strings.Join(msgs, "; "))
		}
	}
}

func strPtr(s string) *string { return &s }

func TestNewPresubmit(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name string
		job  string
		refs prowjobsv1.Refs
		opts jobs.Options
		want func(buildID string) *prowjobsv1.ProwJob
	}{{
		name: "always_run job with labels and annotations of its own",
		job:  "pull-widgets-unit",
		refs: prRefs("main"),
		opts: jobs.Options{EventGUID: guid, Now: now},
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.Name(guid, "pull-widgets-unit", headSHA),
					Namespace: "prow",
					Labels: map[string]string{
						"app.kubernetes.io/part-of": "widgets",
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "presubmit",
						"prow.k8s.io/job":           "pull-widgets-unit",
						"prow.k8s.io/context":       "pull-widgets-unit",
						"prow.k8s.io/refs.org":      "acme",
						"prow.k8s.io/refs.repo":     "widgets",
						"prow.k8s.io/refs.base_ref": "main",
						"prow.k8s.io/refs.pull":     "42",
						"event-GUID":                guid,
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"testgrid-dashboards": "acme-widgets",
						"prow.k8s.io/job":     "pull-widgets-unit",
						"prow.k8s.io/context": "pull-widgets-unit",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:           prowjobsv1.PresubmitJob,
					Agent:          prowjobsv1.TektonAgent,
					Cluster:        "default",
					Namespace:      "test-pods",
					Job:            "pull-widgets-unit",
					Refs:           ptr(prRefs("main")),
					Report:         true,
					Context:        "pull-widgets-unit",
					RerunCommand:   "/test pull-widgets-unit",
					MaxConcurrency: 10,
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{
						PipelineRef: &pipelinev1.PipelineRef{Name: "go-unit"},
					},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(now),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}, {
		name: "optional job with its own namespace, skip_report and a long context",
		job:  "pull-widgets-e2e",
		refs: prRefs("main"),
		opts: jobs.Options{EventGUID: guid, Now: now, Retest: true},
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.Name(guid, "pull-widgets-e2e", headSHA),
					Namespace: "prow",
					Labels: map[string]string{
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "presubmit",
						"prow.k8s.io/job":           "pull-widgets-e2e",
						"prow.k8s.io/context":       longContextLabel,
						"prow.k8s.io/refs.org":      "acme",
						"prow.k8s.io/refs.repo":     "widgets",
						"prow.k8s.io/refs.base_ref": "main",
						"prow.k8s.io/refs.pull":     "42",
						"prow.k8s.io/is-optional":   "true",
						"prow.k8s.io/retest":        "true",
						"event-GUID":                guid,
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"prow.k8s.io/job":     "pull-widgets-e2e",
						"prow.k8s.io/context": longContext,
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:         prowjobsv1.PresubmitJob,
					Agent:        prowjobsv1.TektonAgent,
					Cluster:      "default",
					Namespace:    "e2e-pods",
					Job:          "pull-widgets-e2e",
					Refs:         ptr(prRefs("main")),
					Report:       false,
					Context:      longContext,
					RerunCommand: "/test e2e",
					// The job's tekton_pipeline_run_spec lands under the primary key.
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{
						PipelineRef: &pipelinev1.PipelineRef{Name: "e2e"},
					},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(now),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}, {
		name: "context and base branch with a slash: labels the API server accepts",
		job:  "pull-widgets-lint",
		refs: prRefs("release/1.2"),
		opts: jobs.Options{EventGUID: guid, Now: now, ExtraLabels: map[string]string{"bosun.dev/trigger": "comment"}},
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.Name(guid, "pull-widgets-lint", headSHA),
					Namespace: "prow",
					Labels: map[string]string{
						"bosun.dev/trigger":         "comment",
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "presubmit",
						"prow.k8s.io/job":           "pull-widgets-lint",
						"prow.k8s.io/context":       "lint",
						"prow.k8s.io/refs.org":      "acme",
						"prow.k8s.io/refs.repo":     "widgets",
						"prow.k8s.io/refs.base_ref": "1.2",
						"prow.k8s.io/refs.pull":     "42",
						"event-GUID":                guid,
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"prow.k8s.io/job":     "pull-widgets-lint",
						"prow.k8s.io/context": "ci/lint",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:         prowjobsv1.PresubmitJob,
					Agent:        prowjobsv1.TektonAgent,
					Cluster:      "default",
					Namespace:    "test-pods",
					Job:          "pull-widgets-lint",
					Refs:         ptr(prRefs("release/1.2")),
					Report:       true,
					Context:      "ci/lint",
					RerunCommand: "/test pull-widgets-lint",
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{
						PipelineRef: &pipelinev1.PipelineRef{Name: "lint"},
					},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(now),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := jobs.NewPresubmit(c, presubmitNamed(t, c, tc.job), tc.refs, tc.opts)
			want := tc.want(checkBuildID(t, got))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("NewPresubmit() (-want, +got):\n%s", diff)
			}
			checkLabelsValid(t, got)
		})
	}
}

func TestNewPostsubmit(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name string
		job  string
		refs prowjobsv1.Refs
		want func(buildID string) *prowjobsv1.ProwJob
	}{{
		name: "defaults: context is the name, reported, pod_namespace",
		job:  "post-widgets-publish",
		refs: pushRefs("main"),
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.Name(guid, "post-widgets-publish", pushSHA),
					Namespace: "prow",
					Labels: map[string]string{
						"app.kubernetes.io/part-of": "widgets",
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "postsubmit",
						"prow.k8s.io/job":           "post-widgets-publish",
						"prow.k8s.io/context":       "post-widgets-publish",
						"prow.k8s.io/refs.org":      "acme",
						"prow.k8s.io/refs.repo":     "widgets",
						"prow.k8s.io/refs.base_ref": "main",
						"event-GUID":                guid,
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"prow.k8s.io/job":     "post-widgets-publish",
						"prow.k8s.io/context": "post-widgets-publish",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:      prowjobsv1.PostsubmitJob,
					Agent:     prowjobsv1.TektonAgent,
					Cluster:   "default",
					Namespace: "test-pods",
					Job:       "post-widgets-publish",
					Refs:      ptr(pushRefs("main")),
					Report:    true,
					Context:   "post-widgets-publish",
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{
						PipelineRef: &pipelinev1.PipelineRef{Name: "publish"},
					},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(now),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}, {
		name: "own namespace, skip_report, context with a slash",
		job:  "post-widgets-docs",
		refs: pushRefs("main"),
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.Name(guid, "post-widgets-docs", pushSHA),
					Namespace: "prow",
					Labels: map[string]string{
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "postsubmit",
						"prow.k8s.io/job":           "post-widgets-docs",
						"prow.k8s.io/context":       "docs",
						"prow.k8s.io/refs.org":      "acme",
						"prow.k8s.io/refs.repo":     "widgets",
						"prow.k8s.io/refs.base_ref": "main",
						"event-GUID":                guid,
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"prow.k8s.io/job":     "post-widgets-docs",
						"prow.k8s.io/context": "ci/docs",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:      prowjobsv1.PostsubmitJob,
					Agent:     prowjobsv1.TektonAgent,
					Cluster:   "default",
					Namespace: "docs",
					Job:       "post-widgets-docs",
					Refs:      ptr(pushRefs("main")),
					Report:    false,
					Context:   "ci/docs",
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{
						PipelineRef: &pipelinev1.PipelineRef{Name: "docs"},
					},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(now),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := jobs.NewPostsubmit(c, postsubmitNamed(t, c, tc.job), tc.refs, jobs.Options{EventGUID: guid, Now: now})
			want := tc.want(checkBuildID(t, got))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("NewPostsubmit() (-want, +got):\n%s", diff)
			}
			checkLabelsValid(t, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestLabelsForUnusualRefs(t *testing.T) {
	c := mustLoad(t)
	job := presubmitNamed(t, c, "pull-widgets-unit")
	tests := []struct {
		name      string
		refs      func() prowjobsv1.Refs
		wantLabel string
		// wantValue is the label's value; "" means the label must be absent.
		wantValue string
	}{{
		name:      "repository starting with a dot has no repo label",
		refs:      func() prowjobsv1.Refs { r := prRefs("main"); r.Repo = ".github"; return r },
		wantLabel: prowjobsv1.RepoLabel,
	}, {
		name:      "repository with a dot inside keeps its label",
		refs:      func() prowjobsv1.Refs { r := prRefs("main"); r.Repo = "widgets.io"; return r },
		wantLabel: prowjobsv1.RepoLabel,
		wantValue: "widgets.io",
	}, {
		name:      "long nested branch is cut to its last element",
		refs:      func() prowjobsv1.Refs { return prRefs("feature/alice/retry-fetch") },
		wantLabel: prowjobsv1.BaseRefLabel,
		wantValue: "retry-fetch",
	}, {
		name:      "over-long branch is cut to 63 characters",
		refs:      func() prowjobsv1.Refs { return prRefs(strings.Repeat("b", 80)) },
		wantLabel: prowjobsv1.BaseRefLabel,
		wantValue: strings.Repeat("b", 63),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pj := jobs.NewPresubmit(c, job, tc.refs(), jobs.Options{EventGUID: guid, Now: now})
			checkLabelsValid(t, pj)
			got, ok := pj.Labels[tc.wantLabel]
			switch {
			case tc.wantValue == "" && ok:
				t.Errorf("label %s = %q, want no such label", tc.wantLabel, got)
			case tc.wantValue != "" && got != tc.wantValue:
				t.Errorf("label %s = %q, want %q", tc.wantLabel, got, tc.wantValue)
			}
		})
	}
}

func TestNewPresubmitNamespaceFallback(t *testing.T) {
	// A job built outside LoadBytes (whose defaulting fills namespace) still lands in
	// pod_namespace.
	c := mustLoad(t)
	tests := []struct {
		name      string
		namespace *string
		want      string
	}{
		{name: "nil namespace", namespace: nil, want: "test-pods"},
		{name: "empty namespace", namespace: strPtr(""), want: "test-pods"},
		{name: "own namespace", namespace: strPtr("ci"), want: "ci"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job := presubmitNamed(t, c, "pull-widgets-unit")
			job.Namespace = tc.namespace
			pj := jobs.NewPresubmit(c, job, prRefs("main"), jobs.Options{EventGUID: guid, Now: now})
			if pj.Spec.Namespace != tc.want {
				t.Errorf("spec.namespace = %q, want %q", pj.Spec.Namespace, tc.want)
			}
		})
	}
}

func TestNewPresubmitDoesNotShareConfig(t *testing.T) {
	c := mustLoad(t)
	job := presubmitNamed(t, c, "pull-widgets-unit")
	pj := jobs.NewPresubmit(c, job, prRefs("main"), jobs.Options{EventGUID: guid, Now: now})

	pj.Labels["mutated"] = "true"
	pj.Annotations["mutated"] = "true"
	pj.Spec.PipelineRunSpec.PipelineRef.Name = "mutated"

	again := presubmitNamed(t, c, "pull-widgets-unit")
	if _, ok := again.Labels["mutated"]; ok {
		t.Error("changing the ProwJob's labels changed the job config's labels")
	}
	if _, ok := again.Annotations["mutated"]; ok {
		t.Error("changing the ProwJob's annotations changed the job config's annotations")
	}
	if got := again.RunSpec().PipelineRef.Name; got != "go-unit" {
		t.Errorf("changing the ProwJob's spec changed the job config's pipelineRef to %q", got)
	}
}

func TestName(t *testing.T) {
	base := jobs.Name(guid, "pull-widgets-unit", headSHA)
	tests := []struct {
		name      string
		guid      string
		job       string
		sha       string
		wantEqual bool
	}{
		{name: "same inputs give the same name", guid: guid, job: "pull-widgets-unit", sha: headSHA, wantEqual: true},
		{name: "another delivery", guid: "5f2c0b1e-7a3d-4e6f-9b8a-1c2d3e4f5a6b", job: "pull-widgets-unit", sha: headSHA},
		{name: "another job", guid: guid, job: "pull-widgets-lint", sha: headSHA},
		{name: "another commit", guid: guid, job: "pull-widgets-unit", sha: baseSHA},
		// The parts are separated, so moving characters between them changes the name.
		{name: "shifted boundary between delivery and job", guid: guid + "p", job: "ull-widgets-unit", sha: headSHA},
		{name: "shifted boundary between job and commit", guid: guid, job: "pull-widgets-unit3", sha: headSHA[1:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := jobs.Name(tc.guid, tc.job, tc.sha)
			if (got == base) != tc.wantEqual {
				t.Errorf("Name(%q, %q, %q) = %s; equal to Name(%q, %q, %q) = %t, want %t",
					tc.guid, tc.job, tc.sha, got, guid, "pull-widgets-unit", headSHA, got == base, tc.wantEqual)
			}
			u, err := uuid.Parse(got)
			if err != nil {
				t.Fatalf("Name() = %q is not a UUID: %v", got, err)
			}
			if got != u.String() {
				t.Errorf("Name() = %q is not in canonical UUID form %q", got, u.String())
			}
			if u.Version() != 5 || u.Variant() != uuid.RFC4122 {
				t.Errorf("Name() = %q is UUID version %d variant %s, want a name-based version 5 RFC 4122 UUID", got, u.Version(), u.Variant())
			}
			if msgs := validation.IsDNS1123Subdomain(got); len(msgs) > 0 {
				t.Errorf("Name() = %q is not a valid object name: %s", got, strings.Join(msgs, "; "))
			}
		})
	}
}

func TestNewBuildID(t *testing.T) {
	tests := []struct {
		name          string
		first, second time.Time
	}{
		{name: "one millisecond apart", first: now, second: now.Add(time.Millisecond)},
		{name: "one second apart", first: now, second: now.Add(time.Second)},
		{name: "a year apart", first: now, second: now.AddDate(1, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The low bits are random: whatever they are, the later id must be larger.
			for i := 0; i < 50; i++ {
				a, b := jobs.NewBuildID(tc.first), jobs.NewBuildID(tc.second)
				na, errA := strconv.ParseUint(a, 10, 64)
				nb, errB := strconv.ParseUint(b, 10, 64)
				if errA != nil || errB != nil {
					t.Fatalf("NewBuildID() = %q, %q; want decimal numbers (errors %v, %v)", a, b, errA, errB)
				}
				if na >= nb {
					t.Fatalf("NewBuildID(%s) = %s is not below NewBuildID(%s) = %s", tc.first, a, tc.second, b)
				}
			}
		})
	}
}
