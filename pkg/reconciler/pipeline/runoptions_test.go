package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// withInlineClone gives the job an inline pipeline whose one task is the clone placeholder
// ref (PROW_IMPLICIT_GIT_REF or PROW_EXTRA_GIT_REF_<n>).
func withInlineClone(ref string) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		pj.Spec.PipelineRunSpec = &pipelinev1.PipelineRunSpec{PipelineSpec: &pipelinev1.PipelineSpec{
			Tasks: []pipelinev1.PipelineTask{{Name: "checkout", TaskRef: &pipelinev1.TaskRef{Name: ref}}},
		}}
	}
}

func TestReconcileKindRunOptions(t *testing.T) {
	r := newReconciler(t, nil, nil)
	r.runOptions = pipelinerun.Options{CloneTask: "acme-clone", DefaultTimeout: 2 * time.Hour}
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	pj := makeJob(t, withInlineClone(pipelinerun.ImplicitGitRef))

	if err := r.ReconcileKind(ctx, pj); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}
	obj, err := r.tekton.Tracker().Get(pipelineRunsResource, runNS, jobName)
	if err != nil {
		t.Fatalf("The run was not created: %v", err)
	}
	pr := obj.(*pipelinev1.PipelineRun)
	if diff := cmp.Diff(&pipelinev1.TimeoutFields{Pipeline: &metav1.Duration{Duration: 2 * time.Hour}}, pr.Spec.Timeouts); diff != "" {
		t.Errorf("run timeouts (-want, +got):\n%s", diff)
	}
	wantRef := &pipelinev1.TaskRef{Name: "acme-clone", Kind: pipelinev1.NamespacedTaskKind}
	if diff := cmp.Diff(wantRef, pr.Spec.PipelineSpec.Tasks[0].TaskRef); diff != "" {
		t.Errorf("clone task ref (-want, +got):\n%s", diff)
	}
}

func TestReconcileKindCloneError(t *testing.T) {
	r := newReconciler(t, nil, nil)
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	pj := makeJob(t, withInlineClone("PROW_EXTRA_GIT_REF_0"))

	if err := r.ReconcileKind(ctx, pj); err != nil {
		t.Fatalf("ReconcileKind() = %v, want nil: retrying cannot fix the job", err)
	}
	want := triggeredStatus()
	want.State = prowjobsv1.ErrorState
	want.Description = fmt.Sprintf("start pipeline: pipeline task %q: PROW_EXTRA_GIT_REF_0: the job has 0 extra_refs", "checkout")
	now := metav1.NewTime(clockNow)
	want.PendingTime, want.CompletionTime = &now, &now
	if diff := cmp.Diff(want, pj.Status); diff != "" {
		t.Errorf("Status (-want, +got):\n%s", diff)
	}
	if got := r.tekton.Actions(); len(got) != 0 {
		t.Errorf("Tekton client actions = %v, want none", describeActions(t, got))
	}
}
