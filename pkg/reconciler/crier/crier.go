package crier

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/controller"
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
	// write per job.
	inFlight sync.Map
	// ledgers record, across restarts and replicas, which running jobs' pending status was
	// posted, many jobs to a write (ledger.go); nil keeps that in memory only, and then a
	// restart posts pending again for every running job.
	ledgers *ledgers
	// retries spaces out the attempts of failed reports (backoff.go).
	retries backoff
	// now is the clock rate limit resets are compared with; nil means time.Now.
	now func() time.Time
	// wake enqueues a job now (the work queue's EnqueueKey); nil leaves waiting reports to
	// their delays.
	wake func(types.NamespacedName)
	// jobs is the ProwJob informer's indexer, with statusIndex: a run that a newer run of
	// the same commit status superseded is not reported (newest.go). Nil reports every run.
	jobs cache.Indexer
}

var _ prowjobreconciler.Interface = (*Reconciler)(nil)

// ReconcileKind reports the job's current state if it has not been reported yet.
func (r *Reconciler) ReconcileKind(ctx context.Context, pj *prowjobsv1.ProwJob) pkgreconciler.Event {
	if !needsReport(pj) {
		if pj.Complete() {
			r.forget(pj)
		}
		return nil
	}
	state := pj.Status.State
	newer, err := supersededBy(r.jobs, pj)
	if err != nil {
		return err
	}
	if newer != nil {
		logging.FromContext(ctx).Debugw("Not reporting a run a newer one superseded", "state", state, "newer", newer.Name)
		r.forget(pj)
		return nil
	}
	previous, err := r.lastReported(ctx, pj)
	if err != nil {
		return err
	}
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
			return r.retryLater(ctx, pj, state, err)
		}
		if waiting := r.retries.succeeded(pj.UID); len(waiting) > 0 && r.wake != nil {
			logging.FromContext(ctx).Infow("GitHub took a status again: retrying the reports waiting out a backoff", "jobs", len(waiting))
			for _, key := range waiting {
				r.wake(key)
			}
		}
		logging.FromContext(ctx).Infow("Reported status", "state", s.State, "context", s.Context, "sha", refs.HeadSHA())
	}
	if !state.IsTerminal() {
		r.inFlight.Store(pj.UID, state)
		if r.ledgers != nil {
			r.ledgers.get(pj.Namespace).add(ctx, pj.UID)
		}
		return nil
	}
	if err := r.recordReported(ctx, pj, state); err != nil {
		return err
	}
	r.forget(pj)
	return nil
}

// forget drops what is remembered of a job whose final report is recorded on it.
func (r *Reconciler) forget(pj *prowjobsv1.ProwJob) {
	r.inFlight.Delete(pj.UID)
	r.retries.forget(pj.UID)
	if r.ledgers != nil {
		r.ledgers.get(pj.Namespace).remove(pj.UID)
	}
}

// retryLater is what a failed report returns: a requeue of the job when GitHub says it may
// be sent again (a rate limit's reset), else after the job's next backoff delay. A requeue
// with a delay is not counted as a failure by the work queue, whose own backoff is not used.
func (r *Reconciler) retryLater(ctx context.Context, pj *prowjobsv1.ProwJob, state prowjobsv1.ProwJobState, err error) error {
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	delay := r.retries.next(pj.UID, types.NamespacedName{Namespace: pj.Namespace, Name: pj.Name})
	if at, ok := github.RetryAt(err, now()); ok {
		// A second past the reset, so that the retry does not race it.
		delay = max(at.Sub(now()), 0) + time.Second
	}
	logging.FromContext(ctx).Warnw("Report failed; retrying later", "state", state, "retry-in", delay.String(), "error", err)
	return fmt.Errorf("report %s: %w: %w", state, err, controller.NewRequeueAfter(delay))
}

// lastReported is the state last reported for the job: the recorded final one, else the
// one remembered for a running job, by this process or, in the ledger, by any reporter
// (then pending stands for both non-final states, which GitHub shows alike).
func (r *Reconciler) lastReported(ctx context.Context, pj *prowjobsv1.ProwJob) (prowjobsv1.ProwJobState, error) {
	if s := pj.Status.PrevReportStates[ReporterName]; s != "" {
		return s, nil
	}
	if s, ok := r.inFlight.Load(pj.UID); ok {
		return s.(prowjobsv1.ProwJobState), nil
	}
	if r.ledgers == nil {
		return "", nil
	}
	reported, err := r.ledgers.get(pj.Namespace).reported(ctx, pj.UID)
	if err != nil || !reported {
		return "", err
	}
	r.inFlight.Store(pj.UID, prowjobsv1.PendingState)
	return prowjobsv1.PendingState, nil
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
