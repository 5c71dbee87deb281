package trigger

import (
	"context"
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
}

// Decide decides which presubmits run by themselves for pr's head commit: none for a
// closed pull request or a draft, none for an untrusted author without ok-to-test (then
// Untrusted is set), otherwise the always_run jobs and the run_if_changed /
// skip_if_only_changed jobs whose files say so, on the branches each job allows. It changes
// nothing on GitHub: asking an untrusted author for /ok-to-test is the opened handler's
// part. It reads GitHub to check trust when the author association does not settle it and,
// when a job needs them, the changed files, once per head.
//
// The pull_request event handlers and the resync of open pull requests (which learns of
// pull requests other than by their events) both decide here, so they run exactly the same.
func (t *Trigger) Decide(ctx context.Context, ev Event, pr *gogithub.PullRequest) (Decision, error) {
	if pr.GetDraft() || pr.GetState() == "closed" {
		return Decision{}, nil
	}
	refs := PullRequestRefs(pr)
	ok, err := TrustedPullRequest(ctx, ev.Trust, pr)
	if err != nil {
		return Decision{}, fmt.Errorf("check whether %s is trusted in %s/%s: %w", pr.GetUser().GetLogin(), refs.Org, refs.Repo, err)
	}
	if !ok {
		return Decision{Untrusted: true}, nil
	}
	jobs, err := t.Automatic(ctx, ev, pr)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Jobs: jobs}, nil
}

// Presubmits are the presubmits configured for pr's repository, in config order.
func (t *Trigger) Presubmits(ev Event, pr *gogithub.PullRequest) []config.Presubmit {
	refs := PullRequestRefs(pr)
	return ev.Config.PresubmitsFor(refs.Org, refs.Repo)
}

// Automatic returns the presubmits that run by themselves for the pull request's head:
// always_run jobs, and run_if_changed / skip_if_only_changed jobs whose files say so. It
// does not check trust.
func (t *Trigger) Automatic(ctx context.Context, ev Event, pr *gogithub.PullRequest) ([]config.Presubmit, error) {
	refs := PullRequestRefs(pr)
	changes := t.Changes(ctx, refs.Org, refs.Repo, pr.GetNumber(), pr.GetHead().GetSHA())
	var selected []config.Presubmit
	for _, job := range t.Presubmits(ev, pr) {
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

// TrustedPullRequest reports whether a pull request's commits may run automatically: its
// author is trusted, or a trusted user vouched for it with ok-to-test (which, as in Prow,
// keeps covering new pushes).
func TrustedPullRequest(ctx context.Context, trust Trust, pr *gogithub.PullRequest) (bool, error) {
	if HasLabel(pr.Labels, LabelOkToTest) {
		return true, nil
	}
	refs := PullRequestRefs(pr)
	return trust.Trusted(ctx, refs.Org, refs.Repo, pr.GetUser().GetLogin(), pr.GetAuthorAssociation())
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
