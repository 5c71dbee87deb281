package pipeline

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
)

func TestStatusWriter(t *testing.T) {
	conflict := apierrors.NewConflict(prowjobsv1.Resource("prowjobs"), jobName, errors.New("the object has been modified"))
	tests := []struct {
		name        string
		job         *prowjobsv1.ProwJob
		runs        []*pipelinev1.PipelineRun
		updateErr   error
		wantUpdates int
		wantErr     bool
		wantStored  prowjobsv1.ProwJobState
	}{
		{
			name:        "a changed status is written once",
			job:         makeJob(t),
			wantUpdates: 1,
			wantStored:  prowjobsv1.PendingState,
		},
		{
			name: "an unchanged status is not written",
			job:  makeJob(t, withStatus(pendingStatus())),
			runs: []*pipelinev1.PipelineRun{makeRun(t)},
		},
		{
			// The hook aborted the job since our copy was read: the write must fail and the
			// job be reconciled again, never overwrite the abort.
			name:        "a conflict is returned for a retry, not overwritten",
			job:         makeJob(t),
			updateErr:   conflict,
			wantUpdates: 1,
			wantErr:     true,
			wantStored:  prowjobsv1.AbortedState,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored := tc.job.DeepCopy()
			if tc.updateErr != nil {
				stored.Status = abortedStatus()
			}
			client := prowjobfake.NewSimpleClientset(stored)
			if tc.updateErr != nil {
				client.PrependReactor("update", "prowjobs", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, tc.updateErr
				})
			}
			w := &statusWriter{reconciler: newReconciler(t, tc.runs, tc.runs).Reconciler, prowJobClient: client}
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			err := w.ReconcileKind(ctx, tc.job)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ReconcileKind() = %v, want error %v", err, tc.wantErr)
			}
			updates := 0
			for _, a := range client.Actions() {
				if a.GetVerb() == "update" {
					updates++
					if a.GetSubresource() != "status" {
						t.Errorf("update of %q, want the status subresource", a.GetSubresource())
					}
				}
			}
			if updates != tc.wantUpdates {
				t.Errorf("%d status updates, want %d", updates, tc.wantUpdates)
			}
			got, err := client.ProwV1().ProwJobs(prowNS).Get(ctx, jobName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantStored, got.Status.State); tc.wantStored != "" && diff != "" {
				t.Errorf("stored state (-want, +got):\n%s", diff)
			}
		})
	}
}
