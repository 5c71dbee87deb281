package trigger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/config"
)

// Decision is what the trigger decides for a pull request's head commit when it hears of
// it: what a pull_request opened, reopened, ready_for_review or synchronize event runs.
type Decision struct {
	// Jobs are the presubmits that run by themselves for the head, in config order.
	Jobs []config.Presubmit
	// Untrusted is set when nothing runs because the author is not trusted and no
	// ok-to-test label vouches for the pull request.
	Untrusted bool
	// InRepoError is set when the head's in-repo config does not load: Jobs are then the
	// central ones only, and the head has the failing ConfigStatusContext status.
	InRepoError *InRepoError
}

// Decide decides which presubmits run by themselves for pr's head commit: none for a
// closed pull request or a draft, none for an untrusted author without ok-to-test (then
// Untrusted is set), otherwise the always_run jobs and the run_if_changed /
// skip_if_only_changed jobs whose files say so, on the branches each job allows. It changes
// nothing on GitHub but the config status of a head whose in-repo config does not load:
// asking an untrusted author for /ok-to-test is the opened handler's part. It reads GitHub
// to check trust when the author association does not settle it, the changed files when a
// job needs them, and the head's in-repo config where it is enabled, each once per head.
//
// The pull_request event handlers and the resync of open pull requests (which learns of
// pull requests other than by their events) both decide here, so they run exactly the same.
func (t *Trigger) Decide(ctx context.Context, ev Event, pr *gogithub.PullRequest) (Decision, error) {
	if pr.GetDraft() || pr.GetState() == "closed" {
		return Decision{}, nil
	}
	refs := PullRequestRefs(pr)
	author, association := pr.GetUser().GetLogin(), pr.GetAuthorAssociation()
	if !HasLabel(pr.Labels, LabelOkToTest) {
		ok, err := ev.Trust.Trusted(ctx, refs.Org, refs.Repo, author, association)
		if err != nil {
			return Decision{}, fmt.Errorf("check whether %s is trusted in %s/%s: %w", author, refs.Org, refs.Repo, err)
		}
		if !ok {
			return Decision{Untrusted: true}, nil
		}
		// A trusted author's commits run their own in-repo jobs.
		return t.automatic(ctx, ev, pr, true)
	}
	// ok-to-test vouches for the pull request's new commits as far as the central jobs go,
	// whose definitions its author cannot change. In-repo jobs are defined by the commit
	// itself: an untrusted author's run only at a commit a trusted user vouched for, by
	// /ok-to-test or /test on it (the comment handlers), never by themselves. Whether the
	// author is trusted is asked only when it matters, where in-repo config is on.
	inRepo := false
	if t.inRepoEnabled(ev, refs.Org, refs.Repo) {
		ok, err := ev.Trust.Trusted(ctx, refs.Org, refs.Repo, author, association)
		if err != nil {
			return Decision{}, fmt.Errorf("check whether %s is trusted in %s/%s: %w", author, refs.Org, refs.Repo, err)
		}
		inRepo = ok
	}
	return t.automatic(ctx, ev, pr, inRepo)
}

// automatic is the Decision of the head's automatic jobs, with its in-repo jobs when
// inRepo.
func (t *Trigger) automatic(ctx context.Context, ev Event, pr *gogithub.PullRequest, inRepo bool) (Decision, error) {
	presubmits, inRepoErr, err := t.presubmits(ctx, ev, pr, inRepo)
	if err != nil {
		return Decision{}, err
	}
	jobs, err := t.selectAutomatic(ctx, pr, presubmits)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Jobs: jobs, InRepoError: inRepoErr}, nil
}

// Presubmits are the presubmits that can run on pr, in config order: the central ones
// and, with inRepo, those the head commit's own in-repo config defines (a central job wins
// a name clash). Pass inRepo only when the head's author is trusted or a trusted user asks
// for jobs on this head. A head whose in-repo config does not load gets the central jobs,
// and the failing ConfigStatusContext status.
func (t *Trigger) Presubmits(ctx context.Context, ev Event, pr *gogithub.PullRequest, inRepo bool) ([]config.Presubmit, error) {
	presubmits, _, err := t.presubmits(ctx, ev, pr, inRepo)
	return presubmits, err
}

func (t *Trigger) presubmits(ctx context.Context, ev Event, pr *gogithub.PullRequest, inRepo bool) ([]config.Presubmit, *InRepoError, error) {
	refs := PullRequestRefs(pr)
	central := ev.Config.PresubmitsFor(refs.Org, refs.Repo)
	if !inRepo || !t.inRepoEnabled(ev, refs.Org, refs.Repo) {
		return central, nil, nil
	}
	sha := refs.HeadSHA()
	own, err := t.InRepoJobs(ctx, ev, refs.Org, refs.Repo, sha)
	var bad *InRepoError
	switch {
	case errors.As(err, &bad):
		t.reportConfig(ctx, ev, refs.Org, refs.Repo, sha, bad)
		return central, bad, nil
	case err != nil:
		return nil, nil, err
	}
	t.reportConfig(ctx, ev, refs.Org, refs.Repo, sha, nil)
	if own == nil {
		return central, nil, nil
	}
	merged, warnings := config.MergePresubmits(central, own.Presubmits)
	for _, w := range warnings {
		ev.Logger.Infow("In-repo config warning", "sha", sha, "warning", w.String())
	}
	return merged, nil, nil
}

// InRepoEnabled says whether in-repo config is read for org/repo under cfg.
func (t *Trigger) InRepoEnabled(cfg *config.Config, org, repo string) bool {
	return t.inRepo != nil && cfg.InRepoConfigEnabled(org, repo)
}

func (t *Trigger) inRepoEnabled(ev Event, org, repo string) bool {
	return t.InRepoEnabled(ev.Config, org, repo)
}

// Automatic returns the presubmits that run by themselves for the pull request's head:
// always_run jobs, and run_if_changed / skip_if_only_changed jobs whose files say so, of
// Presubmits(inRepo). It does not check trust.
func (t *Trigger) Automatic(ctx context.Context, ev Event, pr *gogithub.PullRequest, inRepo bool) ([]config.Presubmit, error) {
	presubmits, err := t.Presubmits(ctx, ev, pr, inRepo)
	if err != nil {
		return nil, err
	}
	return t.selectAutomatic(ctx, pr, presubmits)
}

func (t *Trigger) selectAutomatic(ctx context.Context, pr *gogithub.PullRequest, presubmits []config.Presubmit) ([]config.Presubmit, error) {
	refs := PullRequestRefs(pr)
	changes := t.Changes(ctx, refs.Org, refs.Repo, pr.GetNumber(), pr.GetHead().GetSHA())
	var selected []config.Presubmit
	for _, job := range presubmits {
		run, err := job.ShouldRun(refs.BaseRef, changes)
		if err != nil {
			return nil, fmt.Errorf("decide whether %s runs: %w", job.Name, err)
		}
		if run {
			selected = append(selected, job)
		}
	}
	return selected, nil
}

// HasLabel reports whether labels hold name, as GitHub compares label names: without case.
func HasLabel(labels []*gogithub.Label, name string) bool {
	for _, l := range labels {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}
