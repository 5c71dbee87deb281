package trigger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	gogithub "github.com/google/go-github/v93/github"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
)

// CreateOptions say how CreatePresubmits names the jobs it creates.
type CreateOptions struct {
	// Retest labels the jobs as created by /retest.
	Retest bool
	// Automatic names the jobs after the pull request and head (AutomaticNameKey), not
	// after the delivery: the runs a head gets by itself are the same runs whichever event
	// or resync creates them, so a webhook handled twice, a redelivery after a resync, or
	// a resync after a webhook handled halfway never doubles one. A job already there under
	// that name that was aborted as superseded (its head was left, then came back; the pull
	// request went to draft and came back) is run again under a name derived from the
	// superseded run's, which every event and resync derive alike.
	Automatic bool
}

// CreatePresubmits creates the ProwJobs of the selected presubmits for refs, with ev.GUID
// in their event-GUID label, and returns how many it created. A job that already exists
// under its name (the same run created by a webhook, a redelivery, another replica or a
// resync) is not an error and not counted.
func (t *Trigger) CreatePresubmits(ctx context.Context, ev Event, refs prowjobsv1.Refs, selected []config.Presubmit, o CreateOptions) (int, error) {
	if len(selected) == 0 {
		return 0, nil
	}
	opts := jobs.Options{EventGUID: ev.GUID, Now: t.now(), Retest: o.Retest}
	if o.Automatic {
		opts.NameKey = AutomaticNameKey(refs.Org, refs.Repo, refs.Pulls[0].Number)
	}
	pjs := make([]*prowjobsv1.ProwJob, 0, len(selected))
	for _, job := range selected {
		pjs = append(pjs, jobs.NewPresubmit(ev.Config, job, refs, opts))
	}
	return t.createAll(ctx, ev, pjs, o.Automatic)
}

// Postsubmits returns the postsubmits of refs' repository that run for a push of refs'
// base to its branch, with changes the pushed files: central ones and, where in-repo config
// is on, those of the pushed commit's own config (whoever pushed to the branch is trusted
// with it). A pushed commit whose in-repo config does not load runs the central ones and
// gets the failing ConfigStatusContext status.
func (t *Trigger) Postsubmits(ctx context.Context, ev Event, refs prowjobsv1.Refs, changes config.ChangedFiles) ([]config.Postsubmit, error) {
	postsubmits := ev.Config.PostsubmitsFor(refs.Org, refs.Repo)
	if t.inRepoEnabled(ev, refs.Org, refs.Repo) {
		own, err := t.InRepoJobs(ctx, ev, refs.Org, refs.Repo, refs.BaseSHA)
		var bad *InRepoError
		switch {
		case errors.As(err, &bad):
			t.reportConfig(ctx, ev, refs.Org, refs.Repo, refs.BaseSHA, bad)
		case err != nil:
			return nil, err
		default:
			t.reportConfig(ctx, ev, refs.Org, refs.Repo, refs.BaseSHA, nil)
			if own != nil {
				var warnings []config.Warning
				postsubmits, warnings = config.MergePostsubmits(postsubmits, own.Postsubmits)
				for _, w := range warnings {
					ev.Logger.Infow("In-repo config warning", "sha", refs.BaseSHA, "warning", w.String())
				}
			}
		}
	}
	var selected []config.Postsubmit
	for _, job := range postsubmits {
		run, err := job.ShouldRunOnPush(refs.BaseRef, changes)
		if err != nil {
			return nil, fmt.Errorf("decide whether %s runs: %w", job.Name, err)
		}
		if run {
			selected = append(selected, job)
		}
	}
	return selected, nil
}

// CreatePostsubmits creates the ProwJobs of the selected postsubmits for refs and returns
// how many it created (see CreatePresubmits).
func (t *Trigger) CreatePostsubmits(ctx context.Context, ev Event, refs prowjobsv1.Refs, selected []config.Postsubmit) (int, error) {
	pjs := make([]*prowjobsv1.ProwJob, 0, len(selected))
	for _, job := range selected {
		pjs = append(pjs, jobs.NewPostsubmit(ev.Config, job, refs, jobs.Options{EventGUID: ev.GUID, Now: t.now()}))
	}
	return t.createAll(ctx, ev, pjs, false)
}

// createAll creates the jobs in parallel: each create is one apiserver round trip, and an
// event with several jobs should cost one round trip of latency, not several. The count
// returned leaves out jobs that already existed, so that it says what this call added.
func (t *Trigger) createAll(ctx context.Context, ev Event, pjs []*prowjobsv1.ProwJob, automatic bool) (int, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		created int
	)
	for _, pj := range pjs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := t.createOne(ctx, ev, pj, automatic)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("create ProwJob for %s: %w", pj.Spec.Job, err))
			}
			if ok {
				created++
			}
		}()
	}
	wg.Wait()
	return created, errors.Join(errs...)
}

// maxReruns bounds how many superseded runs of one job on one head createOne steps over:
// a head pushed away from and back to that often is not run again.
const maxReruns = 16

// createOne creates pj and reports whether it created it. With automatic, a run found
// under pj's name that was aborted as superseded is stepped over: the next run's name is
// derived from that run's, so every event and resync that runs the head again arrives at
// the same name, as they do for the first run.
func (t *Trigger) createOne(ctx context.Context, ev Event, pj *prowjobsv1.ProwJob, automatic bool) (bool, error) {
	for rerun := 0; ; rerun++ {
		_, err := t.prowJobs.Create(ctx, pj, metav1.CreateOptions{})
		switch {
		case err == nil:
			ev.Logger.Infow("Created ProwJob", "prowjob", pj.Name, "job", pj.Spec.Job, "type", pj.Spec.Type)
			return true, nil
		case !apierrors.IsAlreadyExists(err):
			return false, err
		}
		if !automatic || rerun == maxReruns {
			ev.Logger.Infow("ProwJob already exists", "prowjob", pj.Name, "job", pj.Spec.Job)
			return false, nil
		}
		existing, err := t.prowJobs.Get(ctx, pj.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue // deleted meanwhile: its name is free again
		case err != nil:
			return false, err
		case existing.Status.State != prowjobsv1.AbortedState || existing.Status.Description != DescriptionSuperseded:
			ev.Logger.Infow("ProwJob already exists", "prowjob", pj.Name, "job", pj.Spec.Job)
			return false, nil
		}
		again := pj.DeepCopy()
		again.Name = jobs.Name(pj.Name, pj.Spec.Job, pj.Spec.Refs.HeadSHA())
		ev.Logger.Infow("Running the job again: its earlier run of this head was superseded", "prowjob", again.Name, "superseded", pj.Name, "job", pj.Spec.Job)
		pj = again
	}
}

// AutomaticNameKey keys the names of the automatic runs of org/repo#number's heads:
// "auto_<org>_<repo>_<number>". It names the pull request, not just the head commit,
// because two pull requests can share a head (one branch proposed to two base branches) and
// their jobs must not share names. GitHub org names have no "_" and the number has none, so
// the key is unambiguous.
func AutomaticNameKey(org, repo string, number int) string {
	return "auto_" + org + "_" + repo + "_" + strconv.Itoa(number)
}

// PullRequestRefs describes the code a presubmit for pr runs against.
func PullRequestRefs(pr *gogithub.PullRequest) prowjobsv1.Refs {
	base, head := pr.GetBase(), pr.GetHead()
	return prowjobsv1.Refs{
		Org:      base.GetRepo().GetOwner().GetLogin(),
		Repo:     base.GetRepo().GetName(),
		RepoLink: base.GetRepo().GetHTMLURL(),
		BaseRef:  base.GetRef(),
		BaseSHA:  base.GetSHA(),
		BaseLink: commitLink(base.GetRepo().GetHTMLURL(), base.GetSHA()),
		Pulls: []prowjobsv1.Pull{{
			Number:     pr.GetNumber(),
			Author:     pr.GetUser().GetLogin(),
			SHA:        head.GetSHA(),
			Title:      pr.GetTitle(),
			Ref:        fmt.Sprintf("refs/pull/%d/head", pr.GetNumber()),
			HeadRef:    head.GetRef(),
			Link:       pr.GetHTMLURL(),
			CommitLink: commitLink(base.GetRepo().GetHTMLURL(), head.GetSHA()),
			AuthorLink: pr.GetUser().GetHTMLURL(),
		}},
	}
}

func commitLink(repoLink, sha string) string {
	if repoLink == "" || sha == "" {
		return ""
	}
	return repoLink + "/commit/" + sha
}
