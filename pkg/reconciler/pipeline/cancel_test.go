package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

func abortedStatus() prowjobsv1.ProwJobStatus {
	s := pendingStatus()
	s.State = prowjobsv1.AbortedState
	s.Description = "Aborted by trigger plugin."
	s.CompletionTime = &metav1.Time{Time: clockNow}
	return s
}

func TestReconcileKindCancelsAbortedJobsRun(t *testing.T) {
	patchRun := "patch pipelineruns " + runNS + "/" + jobName
	tests := []struct {
		name         string
		run          *pipelinev1.PipelineRun // nil: the job never got a run
		cancelStatus pipelinev1.PipelineRunSpecStatus
		wantActions  []string
		wantPatch    string
	}{
		{
			name:        "running run is cancelled, finally tasks still run",
			run:         makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning)),
			wantActions: []string{patchRun},
			wantPatch:   `{"spec":{"status":"CancelledRunFinally"}}`,
		},
		{
			name:         "configured cancel status",
			run:          makeRun(t),
			cancelStatus: pipelinev1.PipelineRunSpecStatusStoppedRunFinally,
			wantActions:  []string{patchRun},
			wantPatch:    `{"spec":{"status":"StoppedRunFinally"}}`,
		},
		{
			name: "run already told to stop: no second patch",
			run: func() *pipelinev1.PipelineRun {
				pr := makeRun(t)
				pr.Spec.Status = pipelinev1.PipelineRunSpecStatusCancelled
				return pr
			}(),
		},
		{
			name: "run already finished: left alone",
			run:  makeRun(t, withCondition(corev1.ConditionTrue, "Succeeded", msgSucceeded), withCompletionTime(runCompleted)),
		},
		{
			name: "run of another job: left alone",
			run:  makeRun(t, withLabel(prowjobsv1.ProwJobIDLabel, "someone-else")),
		},
		{
			name: "aborted before its run was created: nothing to stop",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var runs []*pipelinev1.PipelineRun
			if tc.run != nil {
				runs = []*pipelinev1.PipelineRun{tc.run}
			}
			r := newReconciler(t, runs, runs)
			r.cancelStatus = tc.cancelStatus
			pj := makeJob(t, withStatus(abortedStatus()))
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			if err := r.ReconcileKind(ctx, pj); err != nil {
				t.Fatalf("ReconcileKind() = %v", err)
			}
			if diff := cmp.Diff(abortedStatus(), pj.Status); diff != "" {
				t.Errorf("an aborted job's status changed (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantActions, describeActions(t, r.tekton.Actions())); diff != "" {
				t.Errorf("Tekton calls (-want, +got):\n%s", diff)
			}
			for _, a := range r.tekton.Actions() {
				if p, ok := a.(clienttesting.PatchAction); ok && string(p.GetPatch()) != tc.wantPatch {
					t.Errorf("patch = %s, want %s", p.GetPatch(), tc.wantPatch)
				}
			}
		})
	}
}
