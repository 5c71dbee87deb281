package pipeline

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	pkgreconciler "knative.dev/pkg/reconciler"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	prowjobreconciler "github.com/bosun-ci/bosun/pkg/client/injection/reconciler/prowjobs/v1/prowjob"
)

// statusWriter writes the status the Reconciler computed, guarded by the resource version the
// computation started from. Others write ProwJob status too (the hook aborts jobs, the
// reporter records reports): on a conflict the job is reconciled again from its fresh state
// rather than overwritten, which the generated reconciler's retry would do, turning an
// aborted job back into a running one.
type statusWriter struct {
	reconciler    *Reconciler
	prowJobClient prowjobclientset.Interface
}

var _ prowjobreconciler.Interface = (*statusWriter)(nil)

func (w *statusWriter) ReconcileKind(ctx context.Context, pj *prowjobsv1.ProwJob) pkgreconciler.Event {
	before := pj.Status.DeepCopy()
	event := w.reconciler.ReconcileKind(ctx, pj)
	if equality.Semantic.DeepEqual(*before, pj.Status) {
		return event
	}
	if _, err := w.prowJobClient.ProwV1().ProwJobs(pj.Namespace).UpdateStatus(ctx, pj, metav1.UpdateOptions{}); err != nil {
		return errors.Join(event, fmt.Errorf("update status of %s/%s: %w", pj.Namespace, pj.Name, err))
	}
	return event
}
