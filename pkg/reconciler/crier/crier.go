package crier

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/logging"
	pkgreconciler "knative.dev/pkg/reconciler"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	prowjobreconciler "github.com/bosun-ci/bosun/pkg/client/injection/reconciler/prowjobs/v1/prowjob"
	"github.com/bosun-ci/bosun/pkg/github"
)

// ReporterName is the key under which the last reported state is kept in
// status.prev_report_states; it is the name Prow's GitHub reporter uses, so a job is not
// reported twice when Prow's crier and bosun's look at the same jobs.
const ReporterName = "github-reporter"

// Reconciler posts a commit status for each ProwJob state change.
type Reconciler struct {
	github        github.StatusCreator
	prowJobClient prowjobclientset.Interface
	// inFlight holds the last state reported for jobs that are still running, by UID. Only
	// final states are written to the job (prev_report_states): that saves an apiserver
	// write per job, and all a restart costs is re-posting the same pending status for the
	// jobs running at the time.
	inFlight sync.Map
}

var _ prowjobreconciler.Interface = (*Reconciler)(nil)

// ReconcileKind reports the job's current state if it has not been reported yet.
func (r *Reconciler) ReconcileKind(ctx context.Context, pj *prowjobsv1.ProwJob) pkgreconciler.Event {
	if !needsReport(pj) {
		if pj.Complete() {
			r.inFlight.Delete(pj.UID)
		}
		return nil
	}
	state := pj.Status.State
	previous := r.lastReported(pj)
	if previous == state {
		return nil
	}
	// triggered and pending look the same on GitHub: skip the call, which saves a GitHub
	// request per job out of a 5,000/h budget.
	if previous == "" || GitHubState(previous) != GitHubState(state) {
		refs := pj.Spec.Refs
		s := github.Status{
			State:       GitHubState(state),
			Context:     pj.Spec.Context,
			Description: pj.Status.Description,
			TargetURL:   pj.Status.URL,
		}
		if err := r.github.CreateStatus(ctx, refs.Org, refs.Repo, refs.HeadSHA(), s); err != nil {
			return fmt.Errorf("report %s: %w", state, err)
		}
		logging.FromContext(ctx).Infow("Reported status", "state", s.State, "context", s.Context, "sha", refs.HeadSHA())
	}
	if !state.IsTerminal() {
		r.inFlight.Store(pj.UID, state)
		return nil
	}
	if err := r.recordReported(ctx, pj, state); err != nil {
		return err
	}
	r.inFlight.Delete(pj.UID)
	return nil
}

// lastReported is the state last reported for the job: the recorded final one, else the
// one remembered for a running job.
func (r *Reconciler) lastReported(pj *prowjobsv1.ProwJob) prowjobsv1.ProwJobState {
	if s := pj.Status.PrevReportStates[ReporterName]; s != "" {
		return s
	}
	if s, ok := r.inFlight.Load(pj.UID); ok {
		return s.(prowjobsv1.ProwJobState)
	}
	return ""
}

// recordReported stores the reported state with a merge patch that touches only this
// reporter's key, so it cannot overwrite a state change written meanwhile.
func (r *Reconciler) recordReported(ctx context.Context, pj *prowjobsv1.ProwJob, state prowjobsv1.ProwJobState) error {
	patch, err := json.Marshal(map[string]any{
		"status": map[string]any{
			"prev_report_states": map[string]prowjobsv1.ProwJobState{ReporterName: state},
		},
	})
	if err != nil {
		return fmt.Errorf("encode report patch: %w", err)
	}
	_, err = r.prowJobClient.ProwV1().ProwJobs(pj.Namespace).Patch(ctx, pj.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("record reported state %s: %w", state, err)
	}
	return nil
}

// needsReport says whether a job's current state may still have to be reported to GitHub:
// it is reportable and its recorded final report, if any, is not this state.
func needsReport(pj *prowjobsv1.ProwJob) bool {
	if !pj.Spec.Report || pj.Spec.Context == "" || pj.Status.State == "" {
		return false
	}
	if pj.Spec.Type != prowjobsv1.PresubmitJob && pj.Spec.Type != prowjobsv1.PostsubmitJob {
		return false
	}
	if pj.Spec.Refs == nil || pj.Spec.Refs.HeadSHA() == "" {
		return false
	}
	return pj.Status.PrevReportStates[ReporterName] != pj.Status.State
}

// GitHubState maps a ProwJob state onto a commit status state.
func GitHubState(s prowjobsv1.ProwJobState) string {
	switch s {
	case prowjobsv1.SuccessState:
		return github.StatusSuccess
	case prowjobsv1.ErrorState:
		return github.StatusError
	case prowjobsv1.FailureState, prowjobsv1.AbortedState:
		return github.StatusFailure
	}
	return github.StatusPending
}
