package trigger

import (
	"context"
	"fmt"
	"strconv"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
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
		// Reopening asks for the jobs again, whatever ran for the head before the close.
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), d.Jobs, createOptions{automatic: e.GetAction() != actionReopened})
		return err

	case actionSynchronize:
		head := pr.GetHead().GetSHA()
		running, err := runningPresubmits(ctx, a, org, repo, number)
		if err != nil {
			return err
		}
		stale, err := staleHead(ctx, a, pr, running)
		if err != nil {
			return err
		}
		if stale {
			// A redelivery of an old push, handled after a newer one: running it would
			// abort the current head's runs and test a commit nobody looks at.
			a.Logger.Infow("Event is about a head the pull request has left: nothing to do", "sha", head)
			return nil
		}
		if err := abortJobs(ctx, a, running, func(pj *prowjobsv1.ProwJob) bool { return pullSHA(pj) != head }, DescriptionSuperseded); err != nil {
			return err
		}
		d, err := p.decide(ctx, a, pr)
		if err != nil {
			return err
		}
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), d.Jobs, createOptions{automatic: true})
		return err

	case actionClosed, actionConvertedToDraft:
		return abortRunning(ctx, a, org, repo, number, func(*prowjobsv1.ProwJob) bool { return true }, DescriptionSuperseded)

	case actionLabeled:
		// ok-to-test added by hand counts like the /ok-to-test command, and only from
		// someone who may give that command: GitHub lets anyone with triage rights label,
		// and a label plugin or another bot may label for whoever asked it. The jobs are the
		// head's automatic runs, as the command's are, so the label the trigger itself adds
		// for /ok-to-test runs nothing twice.
		if e.GetLabel().GetName() != labelOkToTest || pr.GetDraft() || pr.GetState() != "open" {
			return nil
		}
		sender := e.GetSender().GetLogin()
		trusted, err := plugins.Trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, sender, "")
		if err != nil {
			return fmt.Errorf("check whether %s is trusted in %s/%s: %w", sender, org, repo, err)
		}
		if !trusted {
			a.Logger.Infow("ok-to-test was added by a user who may not vouch for pull requests: running nothing", "sender", sender)
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
		_, err = createPresubmits(ctx, a, PullRequestRefs(pr), jobs, createOptions{automatic: true})
		return err
	}
	return nil
}

// staleHead reports whether a synchronize event is about a head the pull request has left.
// That can only be so when a run for another head was created after the event happened
// (the payload's updated_at): then, and only then, one GitHub call tells the current head.
// An event in order finds only runs of older heads, created before it, and costs no call.
func staleHead(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest, running []prowjobsv1.ProwJob) (bool, error) {
	happened := pr.GetUpdatedAt().Time
	head := pr.GetHead().GetSHA()
	suspect := false
	for i := range running {
		if pullSHA(&running[i]) != head && (happened.IsZero() || running[i].CreationTimestamp.Time.After(happened)) {
			suspect = true
			break
		}
	}
	if !suspect {
		return false, nil
	}
	refs := PullRequestRefs(pr)
	current, err := a.GitHub.GetPullRequest(ctx, refs.Org, refs.Repo, pr.GetNumber())
	if github.IsNotFound(err) {
		// GitHub does not show it (gone, or the token may not see it): nothing tells the
		// event is stale, so it is acted on, as before the check.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get pull request %s/%s#%d: %w", refs.Org, refs.Repo, pr.GetNumber(), err)
	}
	return current.GetHead().GetSHA() != head, nil
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

// CreatePresubmits creates the ProwJobs of jobs for pr's head commit as automatic runs, the
// way the pull_request events do (see createOptions.automatic), with a.EventGUID in their
// event-GUID label, and returns how many it created. A job that already exists under its
// name (the same run created by a webhook, a redelivery, another replica or another resync)
// is not an error and not counted.
func CreatePresubmits(ctx context.Context, a plugins.Agent, pr *gogithub.PullRequest, jobs []config.Presubmit) (int, error) {
	return createPresubmits(ctx, a, PullRequestRefs(pr), jobs, createOptions{automatic: true})
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

// createOptions say how createPresubmits names and settles the jobs it creates.
type createOptions struct {
	// retest labels the jobs as created by /retest.
	retest bool
	// supersede leaves only the newest run of each of the jobs running on the pull request
	// once the new ones exist (see supersedeOlder): what commands do.
	supersede bool
	// automatic names the jobs after the pull request and head (AutomaticNameKey), not
	// after the delivery: the runs a head gets by itself are the same runs whichever event
	// or resync creates them, so a webhook handled twice, a redelivery after a resync, or
	// a resync after a webhook handled halfway never doubles one. A job already there under
	// that name that was aborted as superseded (its head was left, then came back; the pull
	// request went to draft and came back) is run again under a name derived from the
	// superseded run's, which every event and resync derive alike (createOne).
	automatic bool
}

// createPresubmits creates the jobs for refs and returns how many it created (see
// createAll).
func createPresubmits(ctx context.Context, a plugins.Agent, refs prowjobsv1.Refs, selected []config.Presubmit, o createOptions) (int, error) {
	if len(selected) == 0 {
		return 0, nil
	}
	opts := jobs.Options{EventGUID: a.EventGUID, Now: now(), Retest: o.retest}
	if o.automatic {
		opts.NameKey = AutomaticNameKey(refs.Org, refs.Repo, refs.Pulls[0].Number)
	}
	pjs := make([]*prowjobsv1.ProwJob, 0, len(selected))
	names := map[string]bool{}
	for _, job := range selected {
		pjs = append(pjs, jobs.NewPresubmit(a.Config, job, refs, opts))
		names[job.Name] = true
	}
	n, err := createAll(ctx, a, pjs, o.automatic)
	if err != nil || !o.supersede {
		return n, err
	}
	return n, supersedeOlder(ctx, a, refs.Org, refs.Repo, refs.Pulls[0].Number, names)
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
