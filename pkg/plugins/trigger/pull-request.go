package trigger

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// Pull request actions the trigger acts on.
const (
	actionOpened           = "opened"
	actionReopened         = "reopened"
	actionSynchronize      = "synchronize"
	actionReadyForReview   = "ready_for_review"
	actionClosed           = "closed"
	actionConvertedToDraft = "converted_to_draft"
	actionLabeled          = "labeled"
)

func (p *plugin) handlePullRequest(ctx context.Context, a plugins.Agent, e *gogithub.PullRequestEvent) error {
	pr := e.GetPullRequest()
	org, repo, number := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), pr.GetNumber()
	switch e.GetAction() {
	case actionOpened, actionReopened, actionReadyForReview:
		d, err := p.decide(ctx, a, pr)
		if err != nil {
			return err
		}
		if d.Untrusted && e.GetAction() == actionOpened {
			return askForOkToTest(ctx, a, org, repo, pr)
		}
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), d.Jobs, false, false)
		return err

	case actionSynchronize:
		head := pr.GetHead().GetSHA()
		if err := abortRunning(ctx, a, org, repo, number, func(pj *prowjobsv1.ProwJob) bool { return pullSHA(pj) != head }, DescriptionSuperseded); err != nil {
			return err
		}
		d, err := p.decide(ctx, a, pr)
		if err != nil {
			return err
		}
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), d.Jobs, false, false)
		return err

	case actionClosed, actionConvertedToDraft:
		return abortRunning(ctx, a, org, repo, number, func(*prowjobsv1.ProwJob) bool { return true }, DescriptionSuperseded)

	case actionLabeled:
		// Only users who may triage the repository can label it: ok-to-test added by hand
		// counts like the /ok-to-test command.
		if e.GetLabel().GetName() != labelOkToTest || pr.GetDraft() || pr.GetState() != "open" {
			return nil
		}
		if hasLabel(pr.Labels, labelNeedsOkToTest) {
			if err := a.GitHub.RemoveLabel(ctx, org, repo, number, labelNeedsOkToTest); err != nil {
				return err
			}
		}
		jobs, err := p.automatic(ctx, a, pr)
		if err != nil {
			return err
		}
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), jobs, false, false)
		return err
	}
	return nil
}

// Decision is what the trigger decides for a pull request's head commit when it hears of
// it: what a pull_request opened, reopened, ready_for_review or synchronize event runs.
type Decision struct {
	// Jobs are the presubmits that run by themselves for the head, in config order.
	Jobs []config.Presubmit
	// Untrusted is set when nothing runs because the author is not trusted and no
	// ok-to-test label vouches for the pull request.
	Untrusted bool
}

// DecidePresubmits decides which presubmits run by themselves for pr's head commit, by the
// rules the pull_request event handlers follow: none for a closed pull request or a draft,
// none for an untrusted author without ok-to-test (then Untrusted is set), otherwise the
// always_run jobs and the run_if_changed / skip_if_only_changed jobs whose files say so, on
// the branches each job allows. It changes nothing on GitHub: asking an untrusted author for
// /ok-to-test is the opened handler's part, not the decision's. It reads GitHub to check
// trust when the author association does not settle it and, when a job needs them, the
// changed files, which it shares per head commit with the hook's event handlers.
//
// It exists for callers that learn of pull requests other than by their events (the resync
// of open pull requests), so that they run exactly what the events would have.
func DecidePresubmits(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest) (Decision, error) {
	return registered.decide(ctx, a, pr)
}

// CreatePresubmits creates the ProwJobs of jobs for pr's head commit, named after
// a.EventGUID, and returns how many it created. A job that already exists under its name
// (the same event handled twice: a redelivery, or two hook replicas) is not an error and
// not counted.
func CreatePresubmits(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest, jobs []config.Presubmit) (int, error) {
	return createPresubmits(ctx, a, PullRequestRefs(pr), jobs, false, false)
}

// decide is DecidePresubmits with this plugin's file cache.
func (p *plugin) decide(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest) (Decision, error) {
	if pr.GetDraft() || pr.GetState() == "closed" {
		return Decision{}, nil
	}
	refs := PullRequestRefs(pr)
	ok, err := trustedPullRequest(ctx, a, refs.Org, refs.Repo, pr)
	if err != nil {
		return Decision{}, fmt.Errorf("check whether %s is trusted in %s/%s: %w", pr.GetUser().GetLogin(), refs.Org, refs.Repo, err)
	}
	if !ok {
		return Decision{Untrusted: true}, nil
	}
	jobs, err := p.automatic(ctx, a, pr)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Jobs: jobs}, nil
}

// askForOkToTest labels an untrusted pull request and explains, once, what unblocks it.
func askForOkToTest(ctx context.Context, a plugins.Agent, org, repo string, pr *gogithub.PullRequest) error {
	if hasLabel(pr.Labels, labelNeedsOkToTest) {
		return nil
	}
	if err := a.GitHub.AddLabel(ctx, org, repo, pr.GetNumber(), labelNeedsOkToTest); err != nil {
		return err
	}
	author := pr.GetUser().GetLogin()
	body := fmt.Sprintf("@%s: thanks for the pull request. Its jobs run once a member of %s or a collaborator of %s/%s "+
		"has looked at the change and commented `/ok-to-test` on a line of its own. Until then new commits are not "+
		"tested automatically, but members can still run jobs with `/test`.", author, org, org, repo)
	return a.GitHub.CreateComment(ctx, org, repo, pr.GetNumber(), body)
}

// automatic returns the presubmits that run by themselves for the pull request's head:
// always_run jobs, and run_if_changed / skip_if_only_changed jobs whose files say so.
func (p *plugin) automatic(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest) ([]config.Presubmit, error) {
	refs := PullRequestRefs(pr)
	changes := p.pullRequestChanges(ctx, a, refs.Org, refs.Repo, pr.GetNumber(), pr.GetHead().GetSHA())
	var selected []config.Presubmit
	for _, job := range a.Config.PresubmitsFor(refs.Org, refs.Repo) {
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

// createPresubmits creates the jobs for refs and returns how many it created (see
// createAll). With supersede, only the newest run of each of these jobs on the pull request
// is left running once the new ones exist (see supersedeOlder).
func createPresubmits(ctx context.Context, a plugins.Agent, refs prowjobsv1.Refs, selected []config.Presubmit, retest, supersede bool) (int, error) {
	if len(selected) == 0 {
		return 0, nil
	}
	pjs := make([]*prowjobsv1.ProwJob, 0, len(selected))
	names := map[string]bool{}
	for _, job := range selected {
		pjs = append(pjs, jobs.NewPresubmit(a.Config, job, refs, jobs.Options{EventGUID: a.EventGUID, Now: now(), Retest: retest}))
		names[job.Name] = true
	}
	n, err := createAll(ctx, a, pjs)
	if err != nil || !supersede {
		return n, err
	}
	return n, supersedeOlder(ctx, a, refs.Org, refs.Repo, refs.Pulls[0].Number, names)
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
