package pipeline

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/controller"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// noopReconciler lets a controller.Impl be built only to watch its queue.
type noopReconciler struct{}

func (noopReconciler) Reconcile(context.Context, string) error { return nil }

// sentinel is enqueued after the object under test: the queue is FIFO, so the first key
// out tells whether the object was enqueued without waiting for anything.
var sentinel = types.NamespacedName{Namespace: "sentinel", Name: "sentinel"}

func TestEnqueueProwJobOf(t *testing.T) {
	jobKey := types.NamespacedName{Namespace: prowNS, Name: jobName}
	tests := []struct {
		name string
		obj  interface{}
		want types.NamespacedName // sentinel: nothing enqueued
	}{{
		name: "run maps to its job by id label and namespace annotation",
		obj:  makeRun(t),
		want: jobKey,
	}, {
		name: "run in the job's own namespace",
		obj: makeRun(t, func(pr *pipelinev1.PipelineRun) {
			pr.Namespace = prowNS
		}),
		want: jobKey,
	}, {
		name: "run named differently from its job maps by the label, not its name",
		obj: makeRun(t, func(pr *pipelinev1.PipelineRun) {
			pr.Name = "renamed"
		}),
		want: jobKey,
	}, {
		name: "tombstone of a deleted run",
		obj:  cache.DeletedFinalStateUnknown{Key: runNS + "/" + jobName, Obj: makeRun(t)},
		want: jobKey,
	}, {
		name: "run without the id label is ignored",
		obj:  makeRun(t, withoutLabel(prowjobsv1.ProwJobIDLabel)),
		want: sentinel,
	}, {
		name: "run without the namespace annotation is ignored",
		obj: makeRun(t, func(pr *pipelinev1.PipelineRun) {
			pr.Annotations = nil
		}),
		want: sentinel,
	}, {
		name: "tombstone of a run without the id label is ignored",
		obj:  cache.DeletedFinalStateUnknown{Key: runNS + "/" + jobName, Obj: makeRun(t, withoutLabel(prowjobsv1.ProwJobIDLabel))},
		want: sentinel,
	}, {
		name: "not an object is ignored",
		obj:  "test-pods/" + jobName,
		want: sentinel,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			impl := controller.NewContext(t.Context(), noopReconciler{}, controller.ControllerOptions{
				WorkQueueName: "test",
				Logger:        zaptest.NewLogger(t).Sugar(),
			})
			queue := impl.WorkQueue()
			t.Cleanup(queue.ShutDown)

			enqueueProwJobOf(impl)(tc.obj)
			impl.EnqueueKey(sentinel)

			item, shutdown := queue.Get()
			if shutdown {
				t.Fatal("Queue shut down before yielding a key")
			}
			queue.Done(item)
			if diff := cmp.Diff(tc.want, item); diff != "" {
				t.Errorf("First key enqueued (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestIsActiveTektonJob(t *testing.T) {
	tests := []struct {
		name string
		obj  interface{}
		want bool
	}{{
		name: "new tekton job",
		obj:  makeJob(t),
		want: true,
	}, {
		name: "pending tekton job",
		obj:  makeJob(t, withStatus(pendingStatus())),
		want: true,
	}, {
		name: "completed tekton job",
		obj: makeJob(t, withStatus(func() prowjobsv1.ProwJobStatus {
			s := pendingStatus()
			s.State = prowjobsv1.SuccessState
			s.CompletionTime = runCompleted.DeepCopy()
			return s
		}())),
		want: false,
	}, {
		name: "kubernetes job",
		obj:  makeJob(t, withAgent(prowjobsv1.KubernetesAgent)),
		want: false,
	}, {
		name: "not a ProwJob",
		obj:  makeRun(t),
		want: false,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isActiveTektonJob(tc.obj); got != tc.want {
				t.Errorf("isActiveTektonJob() = %t, want %t", got, tc.want)
			}
		})
	}
}
