package trigger

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
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

func (*plugin) handlePullRequest(ctx context.Context, a plugins.Agent, e *gogithub.PullRequestEvent) error {
	pr := e.GetPullRequest()
	org, repo, number := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), pr.GetNumber()
	switch e.GetAction() {
	case actionOpened, actionReopened, actionReadyForReview:
		ev := event(a, org, repo)
		d, err := core(a).Decide(ctx, ev, pr)
		if err != nil {
			return err
		}
		if d.Untrusted && e.GetAction() == actionOpened {
			return askForOkToTest(ctx, a, org, repo, pr)
		}
		// Reopening asks for the jobs again, whatever ran for the head before the close.
		_, err = core(a).CreatePresubmits(ctx, ev, trigger.PullRequestRefs(pr), d.Jobs, trigger.CreateOptions{Automatic: e.GetAction() != actionReopened})
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
		if err := abortJobs(ctx, a, running, func(pj *prowjobsv1.ProwJob) bool { return pullSHA(pj) != head }, descriptionSuperseded); err != nil {
			return err
		}
		ev := event(a, org, repo)
		d, err := core(a).Decide(ctx, ev, pr)
		if err != nil {
			return err
		}
		_, err = core(a).CreatePresubmits(ctx, ev, trigger.PullRequestRefs(pr), d.Jobs, trigger.CreateOptions{Automatic: true})
		return err

	case actionClosed, actionConvertedToDraft:
		return abortRunning(ctx, a, org, repo, number, func(*prowjobsv1.ProwJob) bool { return true }, descriptionSuperseded)

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
		if trigger.HasLabel(pr.Labels, labelNeedsOkToTest) {
			if err := a.GitHub.RemoveLabel(ctx, org, repo, number, labelNeedsOkToTest); err != nil {
				return err
			}
		}
		ev := event(a, org, repo)
		// The sender vouches for this head: its in-repo jobs run too.
		jobs, err := core(a).Automatic(ctx, ev, pr, true)
		if err != nil {
			return err
		}
		_, err = core(a).CreatePresubmits(ctx, ev, trigger.PullRequestRefs(pr), jobs, trigger.CreateOptions{Automatic: true})
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
	refs := trigger.PullRequestRefs(pr)
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

// askForOkToTest labels an untrusted pull request and explains, once, what unblocks it.
func askForOkToTest(ctx context.Context, a plugins.Agent, org, repo string, pr *gogithub.PullRequest) error {
	if trigger.HasLabel(pr.Labels, labelNeedsOkToTest) {
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
