package jobs_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

const periodicYAML = `
prowjob_namespace: prow
pod_namespace: test-pods
periodics:
- name: ci-widgets-nightly
  cron: "0 3 * * *"
  labels:
    app.kubernetes.io/part-of: widgets
  annotations:
    testgrid-dashboards: acme-periodics
  extra_refs:
  - org: acme
    repo: widgets
    base_ref: main
    path_alias: example.com/widgets
  - org: acme
    repo: test-infra
    base_ref: master
  pipeline_run_spec:
    pipelineRef: {name: nightly}
- name: ci-widgets-soak
  interval: 6h
  namespace: soak
  max_concurrency: 1
  pipeline_run_spec:
    pipelineRef: {name: soak}
`

func periodicNamed(t *testing.T, c *config.Config, name string) config.Periodic {
	t.Helper()
	for _, p := range c.AllPeriodics() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no periodic %q", name)
	return config.Periodic{}
}

func TestNewPeriodic(t *testing.T) {
	c, err := config.LoadBytes("config.yaml", []byte(periodicYAML))
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 3, 3, 3, 0, 0, 0, time.UTC)
	started := tick.Add(40 * time.Second)
	tests := []struct {
		name string
		job  string
		tick time.Time
		opts jobs.Options
		want func(buildID string) *prowjobsv1.ProwJob
	}{{
		name: "cron job with extra_refs, labels and annotations",
		job:  "ci-widgets-nightly",
		tick: tick,
		// EventGUID and Retest mean nothing for periodics and are dropped.
		opts: jobs.Options{Now: started, EventGUID: guid, Retest: true, ExtraLabels: map[string]string{"team": "widgets"}},
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.PeriodicName("ci-widgets-nightly", tick),
					Namespace: "prow",
					Labels: map[string]string{
						"app.kubernetes.io/part-of": "widgets",
						"team":                      "widgets",
						"created-by-prow":           "true",
						"prow.k8s.io/type":          "periodic",
						"prow.k8s.io/job":           "ci-widgets-nightly",
						"prow.k8s.io/build-id":      buildID,
					},
					Annotations: map[string]string{
						"testgrid-dashboards":    "acme-periodics",
						"prow.k8s.io/job":        "ci-widgets-nightly",
						"bosun.dev/scheduled-at": "2026-03-03T03:00:00Z",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:      prowjobsv1.PeriodicJob,
					Agent:     prowjobsv1.TektonAgent,
					Cluster:   "default",
					Namespace: "test-pods",
					Job:       "ci-widgets-nightly",
					ExtraRefs: []prowjobsv1.Refs{
						{Org: "acme", Repo: "widgets", BaseRef: "main", PathAlias: "example.com/widgets"},
						{Org: "acme", Repo: "test-infra", BaseRef: "master"},
					},
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "nightly"}},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(started),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}, {
		name: "interval job in its own namespace; no start time means the tick",
		job:  "ci-widgets-soak",
		tick: tick.Add(1500 * time.Millisecond),
		want: func(buildID string) *prowjobsv1.ProwJob {
			return &prowjobsv1.ProwJob{
				TypeMeta: metav1.TypeMeta{APIVersion: "prow.k8s.io/v1", Kind: "ProwJob"},
				ObjectMeta: metav1.ObjectMeta{
					Name:      jobs.PeriodicName("ci-widgets-soak", tick.Add(1500*time.Millisecond)),
					Namespace: "prow",
					Labels: map[string]string{
						"created-by-prow":      "true",
						"prow.k8s.io/type":     "periodic",
						"prow.k8s.io/job":      "ci-widgets-soak",
						"prow.k8s.io/build-id": buildID,
					},
					Annotations: map[string]string{
						"prow.k8s.io/job":        "ci-widgets-soak",
						"bosun.dev/scheduled-at": "2026-03-03T03:00:01.5Z",
					},
				},
				Spec: prowjobsv1.ProwJobSpec{
					Type:            prowjobsv1.PeriodicJob,
					Agent:           prowjobsv1.TektonAgent,
					Cluster:         "default",
					Namespace:       "soak",
					Job:             "ci-widgets-soak",
					MaxConcurrency:  1,
					PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "soak"}},
				},
				Status: prowjobsv1.ProwJobStatus{
					StartTime:   metav1.NewTime(tick.Add(1500 * time.Millisecond)),
					State:       prowjobsv1.TriggeredState,
					Description: "Job triggered.",
					BuildID:     buildID,
				},
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job := periodicNamed(t, c, tc.job)
			got := jobs.NewPeriodic(c, job, tc.tick, tc.opts)
			buildID := checkBuildID(t, got)
			if diff := cmp.Diff(tc.want(buildID), got); diff != "" {
				t.Errorf("NewPeriodic (-want, +got):\n%s", diff)
			}
			checkLabelsValid(t, got)
			if !jobs.ScheduledAt(got).Equal(tc.tick) {
				t.Errorf("ScheduledAt = %s, want %s", jobs.ScheduledAt(got), tc.tick)
			}
			// The job owns its extra_refs: changing them leaves the config alone.
			if len(got.Spec.ExtraRefs) > 0 {
				got.Spec.ExtraRefs[0].Org = "changed"
				if periodicNamed(t, c, tc.job).ExtraRefs[0].Org != "acme" {
					t.Error("the job shares extra_refs with the config")
				}
			}
		})
	}
}

func TestPeriodicName(t *testing.T) {
	tick := time.Date(2026, 3, 3, 3, 0, 0, 0, time.UTC)
	name := jobs.PeriodicName("ci-widgets-nightly", tick)
	if u, err := uuid.Parse(name); err != nil || u.Version() != 5 {
		t.Errorf("PeriodicName = %q, not a UUID: %v", name, err)
	}
	for _, tc := range []struct {
		name string
		job  string
		tick time.Time
		same bool
	}{
		{name: "same job and tick", job: "ci-widgets-nightly", tick: tick, same: true},
		{name: "same instant in another zone", job: "ci-widgets-nightly", tick: tick.In(time.FixedZone("CET", 3600)), same: true},
		{name: "next tick", job: "ci-widgets-nightly", tick: tick.Add(24 * time.Hour)},
		{name: "one second later", job: "ci-widgets-nightly", tick: tick.Add(time.Second)},
		{name: "other job", job: "ci-widgets-soak", tick: tick},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jobs.PeriodicName(tc.job, tc.tick); (got == name) != tc.same {
				t.Errorf("PeriodicName(%q, %s) = %s; same as %s: %t, want %t", tc.job, tc.tick, got, name, got == name, tc.same)
			}
		})
	}
}

func TestScheduledAt(t *testing.T) {
	created := time.Date(2026, 3, 3, 3, 0, 7, 0, time.UTC)
	started := created.Add(2 * time.Second)
	tests := []struct {
		name string
		pj   prowjobsv1.ProwJob
		want time.Time
	}{{
		name: "annotation",
		pj: prowjobsv1.ProwJob{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created),
			Annotations: map[string]string{jobs.ScheduledAtAnnotation: "2026-03-03T03:00:00Z"}},
			Status: prowjobsv1.ProwJobStatus{StartTime: metav1.NewTime(started)}},
		want: time.Date(2026, 3, 3, 3, 0, 0, 0, time.UTC),
	}, {
		name: "a Prow job: start time",
		pj: prowjobsv1.ProwJob{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)},
			Status: prowjobsv1.ProwJobStatus{StartTime: metav1.NewTime(started)}},
		want: started,
	}, {
		name: "bad annotation, no status yet: creation time",
		pj: prowjobsv1.ProwJob{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created),
			Annotations: map[string]string{jobs.ScheduledAtAnnotation: "yesterday"}}},
		want: created,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := jobs.ScheduledAt(&tc.pj); !got.Equal(tc.want) {
				t.Errorf("ScheduledAt = %s, want %s", got, tc.want)
			}
		})
	}
}
