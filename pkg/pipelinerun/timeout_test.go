package pipelinerun_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

func TestMakePipelineRunDefaultTimeout(t *testing.T) {
	d := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	tests := []struct {
		name     string
		timeouts *pipelinev1.TimeoutFields
		def      time.Duration
		want     *pipelinev1.TimeoutFields
	}{{
		name: "no timeouts: the default",
		def:  2 * time.Hour,
		want: &pipelinev1.TimeoutFields{Pipeline: d(2 * time.Hour)},
	}, {
		name:     "the job's pipeline timeout wins",
		timeouts: &pipelinev1.TimeoutFields{Pipeline: d(30 * time.Minute)},
		def:      2 * time.Hour,
		want:     &pipelinev1.TimeoutFields{Pipeline: d(30 * time.Minute)},
	}, {
		name:     "the job's explicit no timeout wins",
		timeouts: &pipelinev1.TimeoutFields{Pipeline: d(0)},
		def:      2 * time.Hour,
		want:     &pipelinev1.TimeoutFields{Pipeline: d(0)},
	}, {
		name:     "tasks and finally within the default",
		timeouts: &pipelinev1.TimeoutFields{Tasks: d(time.Hour), Finally: d(10 * time.Minute)},
		def:      2 * time.Hour,
		want:     &pipelinev1.TimeoutFields{Pipeline: d(2 * time.Hour), Tasks: d(time.Hour), Finally: d(10 * time.Minute)},
	}, {
		name:     "tasks and finally beyond the default: their sum",
		timeouts: &pipelinev1.TimeoutFields{Tasks: d(3 * time.Hour), Finally: d(30 * time.Minute)},
		def:      2 * time.Hour,
		want:     &pipelinev1.TimeoutFields{Pipeline: d(3*time.Hour + 30*time.Minute), Tasks: d(3 * time.Hour), Finally: d(30 * time.Minute)},
	}, {
		name:     "tasks without a timeout: none for the pipeline either",
		timeouts: &pipelinev1.TimeoutFields{Tasks: d(0)},
		def:      2 * time.Hour,
		want:     &pipelinev1.TimeoutFields{Pipeline: d(0), Tasks: d(0)},
	}, {
		name:     "no default configured: left to Tekton",
		timeouts: &pipelinev1.TimeoutFields{Tasks: d(time.Hour)},
		want:     &pipelinev1.TimeoutFields{Tasks: d(time.Hour)},
	}, {
		name: "no default and no timeouts",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pj := makeProwJob(t, prowjobsv1.PostsubmitJob, func(pj *prowjobsv1.ProwJob) {
				pj.Spec.PipelineRunSpec.Timeouts = tc.timeouts.DeepCopy()
			})
			before := pj.DeepCopy()
			pr := mustMakePipelineRunWith(t, pj, pipelinerun.Options{DefaultTimeout: tc.def})
			if diff := cmp.Diff(tc.want, pr.Spec.Timeouts); diff != "" {
				t.Errorf("timeouts (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, pj); diff != "" {
				t.Errorf("MakePipelineRun modified its ProwJob (-want, +got):\n%s", diff)
			}
			// Whatever bosun defaults, Tekton accepts.
			if tc.def > 0 {
				ctx := context.Background()
				if err := pr.Spec.Validate(ctx); err != nil {
					t.Errorf("Tekton rejects the run's spec: %v", err)
				}
			}
		})
	}
}
