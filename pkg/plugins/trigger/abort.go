package trigger

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/retry"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// descriptionSuperseded is the description of presubmits aborted because a newer commit, a
// newer run of the same job, or the pull request's closing made them pointless; the core
// runs such a job again when its head comes back.
const descriptionSuperseded = trigger.DescriptionSuperseded

// runningPresubmits lists the presubmits of a pull request that have not finished.
func runningPresubmits(ctx context.Context, a plugins.Agent, org, repo string, number int) ([]prowjobsv1.ProwJob, error) {
	selector := labels.SelectorFromSet(labels.Set{
		prowjobsv1.CreatedByProwLabel: "true",
		prowjobsv1.TypeLabel:          string(prowjobsv1.PresubmitJob),
		prowjobsv1.OrgLabel:           prowjobsv1.LabelValue(org),
		prowjobsv1.RepoLabel:          prowjobsv1.LabelValue(repo),
		prowjobsv1.PullLabel:          strconv.Itoa(number),
	})
	list, err := a.ProwJobs.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, fmt.Errorf("list the jobs of %s/%s#%d: %w", org, repo, number, err)
	}
	var running []prowjobsv1.ProwJob
	for _, pj := range list.Items {
		if !pj.Complete() && !pj.Status.State.IsTerminal() && pj.Spec.Refs != nil && pj.Spec.Refs.Org == org && pj.Spec.Refs.Repo == repo {
			running = append(running, pj)
		}
	}
	return running, nil
}

// abortRunning aborts the running presubmits of a pull request that abort selects. The job
// ends aborted at once; the pipeline controller then cancels its PipelineRun.
func abortRunning(ctx context.Context, a plugins.Agent, org, repo string, number int, abort func(*prowjobsv1.ProwJob) bool, reason string) error {
	running, err := runningPresubmits(ctx, a, org, repo, number)
	if err != nil {
		return err
	}
	return abortJobs(ctx, a, running, abort, reason)
}

// abortJobs aborts the jobs of running that abort selects.
func abortJobs(ctx context.Context, a plugins.Agent, running []prowjobsv1.ProwJob, abort func(*prowjobsv1.ProwJob) bool, reason string) error {
	var errs []error
	for i := range running {
		if abort(&running[i]) {
			if err := abortJob(ctx, a, &running[i], reason); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// supersedeOlder aborts, for each job name in names, every running presubmit of the pull
// request but the newest (prowjobsv1.CreatedBefore). It runs after this event's jobs exist,
// and the listing is read from the apiserver after that, so of two events racing to run the
// same job the one listing last sees both jobs. Each handler aborts only what is older than
// the newest job it sees, so the newest job of all is never aborted: however many /test
// comments, redeliveries or hook replicas race, exactly one run of each job survives, and
// every replica agrees which.
func supersedeOlder(ctx context.Context, a plugins.Agent, org, repo string, number int, names map[string]bool) error {
	running, err := runningPresubmits(ctx, a, org, repo, number)
	if err != nil {
		return err
	}
	newest := map[string]*prowjobsv1.ProwJob{}
	for i := range running {
		pj := &running[i]
		if !names[pj.Spec.Job] {
			continue
		}
		if cur, ok := newest[pj.Spec.Job]; !ok || prowjobsv1.CreatedBefore(cur, pj) {
			newest[pj.Spec.Job] = pj
		}
	}
	var errs []error
	for i := range running {
		pj := &running[i]
		if keep, ok := newest[pj.Spec.Job]; ok && keep.Name != pj.Name {
			if err := abortJob(ctx, a, pj, descriptionSuperseded); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// abortJob marks one job aborted. The controller may be writing the same status (pending,
// or a result), so a conflict is retried on the fresh object, and a job that finished
// meanwhile is left as it ended.
func abortJob(ctx context.Context, a plugins.Agent, pj *prowjobsv1.ProwJob, reason string) error {
	current := pj.DeepCopy()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if current.Complete() {
			return nil
		}
		current.InitializeStatus()
		current.Status.MarkAborted(reason, metav1.Now())
		_, err := a.ProwJobs.UpdateStatus(ctx, current, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, getErr := a.ProwJobs.Get(ctx, pj.Name, metav1.GetOptions{})
			if getErr != nil {
				return getErr
			}
			current = fresh
		}
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("abort ProwJob %s (%s): %w", pj.Name, pj.Spec.Job, err)
	}
	a.Logger.Infow("Aborted ProwJob", "prowjob", pj.Name, "job", pj.Spec.Job, "reason", reason)
	return nil
}

// pullSHA is the commit a presubmit tests.
func pullSHA(pj *prowjobsv1.ProwJob) string {
	if pj.Spec.Refs == nil {
		return ""
	}
	return pj.Spec.Refs.HeadSHA()
}
