package pipeline

import (
	"context"
	"errors"
	"fmt"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"knative.dev/pkg/logging"
	pkgreconciler "knative.dev/pkg/reconciler"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/buildcluster"
	prowjobreconciler "github.com/bosun-ci/bosun/pkg/client/injection/reconciler/prowjobs/v1/prowjob"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// Reconciler creates PipelineRuns for ProwJobs and mirrors their status.
type Reconciler struct {
	// clusters are the build clusters the runs go to (clusters.go).
	clusters buildcluster.Clusters
	clock    clock.PassiveClock
	// cancelStatus is the spec.status an aborted job's run gets, and runOptions shape
	// every PipelineRun (the clone Task and the default timeout): when set, they win over
	// config's tekton settings, which are read at each reconcile (settings.go).
	cancelStatus pipelinev1.PipelineRunSpecStatus
	runOptions   pipelinerun.Options
	// config is the current config; nil means the tekton settings are the fields above.
	config config.Getter
	// repoMax gives the max_concurrency_per_repo of a repository; nil means no repository
	// is capped.
	repoMax repoLimits
	// claims takes concurrency slots for jobs under a limit (concurrency.go).
	claims *claimer
	// checked remembers the jobs whose pipelines were checked for script injection
	// (scriptinjection.go).
	checked checkedJobs
}

var _ prowjobreconciler.Interface = (*Reconciler)(nil)

// ReconcileKind makes sure a running tekton-pipeline ProwJob has its PipelineRun and that
// the job's status reflects the run's. The generated reconciler writes the status.
func (r *Reconciler) ReconcileKind(ctx context.Context, pj *prowjobsv1.ProwJob) pkgreconciler.Event {
	if pj.Spec.Agent != prowjobsv1.TektonAgent {
		return nil
	}
	if pj.Status.State == prowjobsv1.AbortedState {
		return r.cancelRun(ctx, pj)
	}
	if pj.Complete() {
		return nil
	}
	now := metav1.NewTime(r.clock.Now())
	pj.InitializeStatus()

	cluster, runs, err := r.runsOf(pj)
	if err != nil {
		if isPermanent(err) {
			pj.Status.MarkStartFailed(err, now)
			logging.FromContext(ctx).Warnw("Cannot start pipeline", "error", err)
			return nil
		}
		return err
	}
	pr, err := runs.Lister.Get(pj.Name)
	switch {
	case apierrors.IsNotFound(err) && pj.Status.PendingTime != nil:
		// Our informer may simply not have seen the run we created yet: ask the apiserver
		// before deciding the run is gone.
		pr, err = runs.Client.Get(ctx, pj.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			// The run existed once and is gone: nothing will ever finish this job.
			pj.Status.MarkStartFailed(fmt.Errorf("PipelineRun %s/%s disappeared", pj.Spec.Namespace, pj.Name), now)
			return nil
		}
		if err != nil {
			return fmt.Errorf("get PipelineRun %s/%s: %w", pj.Spec.Namespace, pj.Name, err)
		}
	case apierrors.IsNotFound(err):
		if waiting, err := r.takeSlots(ctx, pj); err != nil || waiting {
			return err
		}
		pr, err = r.createPipelineRun(ctx, pj, cluster, runs)
		if err != nil {
			if isPermanent(err) {
				pj.Status.MarkStartFailed(err, now)
				logging.FromContext(ctx).Warnw("Cannot start pipeline", "error", err)
				return nil
			}
			return fmt.Errorf("create PipelineRun %s/%s: %w", pj.Spec.Namespace, pj.Name, err)
		}
	case err != nil:
		return fmt.Errorf("get PipelineRun %s/%s: %w", pj.Spec.Namespace, pj.Name, err)
	}

	if pr.Labels[prowjobsv1.ProwJobIDLabel] != pj.Name {
		pj.Status.MarkStartFailed(fmt.Errorf("PipelineRun %s/%s belongs to another job", pr.Namespace, pr.Name), now)
		return nil
	}
	pj.Status.PropagatePipelineRunStatus(&pr.Status, observedAt(pr, now))
	return nil
}

// takeSlots claims a slot of each concurrency limit pj is subject to, before its run is
// created. It reports waiting when a limit holds pj back: pj then stays triggered, with no
// run and a description saying what it waits for, until a slot frees and the waker brings
// it back. Jobs without limits return at once, with no request made.
func (r *Reconciler) takeSlots(ctx context.Context, pj *prowjobsv1.ProwJob) (waiting bool, err error) {
	limits := limitsFor(pj, r.repoMax)
	if len(limits) == 0 {
		return false, nil
	}
	blocked, err := r.claims.claim(ctx, pj, limits)
	if err != nil {
		return false, fmt.Errorf("claim a concurrency slot for %s/%s: %w", pj.Namespace, pj.Name, err)
	}
	if blocked == nil {
		return false, nil
	}
	markWaiting(&pj.Status, blocked)
	logging.FromContext(ctx).Debugw("Waiting for a concurrency slot", "limit", blocked.key, "max", blocked.max)
	return true, nil
}

// observedAt dates a run's current state from the run itself rather than the clock: its
// completion time once it finished, else its creation. Two reconciles of the same run (the
// ProwJob's own event and the PipelineRun's, racing) then compute the same status, so the
// second finds nothing to write instead of writing a new timestamp.
func observedAt(pr *pipelinev1.PipelineRun, now metav1.Time) metav1.Time {
	switch {
	case pr.Status.CompletionTime != nil:
		return *pr.Status.CompletionTime
	case !pr.CreationTimestamp.IsZero():
		return pr.CreationTimestamp
	}
	return now
}

// createPipelineRun creates the job's run in its build cluster. The run is named after the
// job, so a retry after a lost response, a second worker or a restarted controller finds the
// existing run instead of creating another one.
func (r *Reconciler) createPipelineRun(ctx context.Context, pj *prowjobsv1.ProwJob, cluster buildcluster.Client, runs buildcluster.PipelineRuns) (*pipelinev1.PipelineRun, error) {
	want, err := pipelinerun.MakePipelineRun(pj, r.settings().run)
	if err != nil {
		return nil, permanent{err}
	}
	if !cluster.Local() {
		// The job does not exist in a remote cluster: an owner reference there would point
		// at nothing, and the garbage collector would delete the run at once.
		want.OwnerReferences = nil
	}
	created, err := runs.Client.Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// Our informer has not seen it yet; read it from the apiserver.
		return runs.Client.Get(ctx, want.Name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, err
	}
	logging.FromContext(ctx).Infow("Created PipelineRun", "pipelinerun", want.Namespace+"/"+want.Name, "cluster", cluster.Name())
	r.warnScriptInjections(ctx, pj, &want.Spec)
	return created, nil
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// isPermanent reports whether a create error is the job's fault (bad spec, missing
// namespace, forbidden) rather than a passing outage that a retry can fix.
func isPermanent(err error) bool {
	if _, ok := err.(permanent); ok {
		return true
	}
	var unknown *buildcluster.UnknownClusterError
	var namespace *buildcluster.NamespaceError
	if errors.As(err, &unknown) || errors.As(err, &namespace) {
		return true
	}
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsForbidden(err) ||
		apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsRequestEntityTooLargeError(err)
}
