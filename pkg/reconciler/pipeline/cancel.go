package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// DefaultCancelStatus is what an aborted job's run is told: stop the running tasks but let
// finally tasks clean up, as Prow's tekton agent does.
const DefaultCancelStatus = pipelinev1.PipelineRunSpecStatusCancelledRunFinally

// cancelRun stops the run of an aborted job, once: a run that is done or already told to
// stop is left alone, and a job aborted before its run was created has nothing to stop.
//
// The run is looked for in the job's build cluster. A job whose cluster or namespace is not
// one bosun runs jobs in never had a run.
func (r *Reconciler) cancelRun(ctx context.Context, pj *prowjobsv1.ProwJob) error {
	cluster, runs, err := r.runsOf(pj)
	if isPermanent(err) {
		return nil
	}
	if err != nil {
		return err
	}
	pr, err := runs.Lister.Get(pj.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get PipelineRun %s/%s: %w", pj.Spec.Namespace, pj.Name, err)
	}
	if pr.Labels[prowjobsv1.ProwJobIDLabel] != pj.Name || pr.IsDone() || isCancelling(pr.Spec.Status) {
		return nil
	}
	status := r.settings().cancelStatus
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"status": status}})
	if err != nil {
		return fmt.Errorf("encode cancel patch: %w", err)
	}
	_, err = runs.Client.Patch(ctx, pr.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cancel PipelineRun %s/%s: %w", pr.Namespace, pr.Name, err)
	}
	logging.FromContext(ctx).Infow("Cancelled PipelineRun", "pipelinerun", pr.Namespace+"/"+pr.Name, "cluster", cluster.Name(), "status", status)
	return nil
}

func isCancelling(s pipelinev1.PipelineRunSpecStatus) bool {
	switch s {
	case pipelinev1.PipelineRunSpecStatusCancelled, pipelinev1.PipelineRunSpecStatusCancelledRunFinally, pipelinev1.PipelineRunSpecStatusStoppedRunFinally:
		return true
	}
	return false
}
