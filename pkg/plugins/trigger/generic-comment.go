package trigger

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

func (*plugin) handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	if e.GetAction() != "created" || !e.GetIssue().IsPullRequest() || e.GetIssue().GetState() != "open" {
		return nil
	}
	org, repo, number := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName(), e.GetIssue().GetNumber()
	body := e.GetComment().GetBody()
	cmds := parseCommands(body, a.Config.PresubmitsFor(org, repo))
	// An in-repo job's /test command is known only once the head's config is read: where
	// in-repo config is on, a /test naming no central job is looked into too.
	inRepo := core(a).InRepoEnabled(a.Config, org, repo)
	if !cmds.any() && !(inRepo && cmds.testOther) {
		return nil
	}
	commenter := e.GetComment().GetUser().GetLogin()
	ok, err := plugins.Trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, commenter, e.GetComment().GetAuthorAssociation())
	if err != nil {
		return fmt.Errorf("check whether %s is trusted in %s/%s: %w", commenter, org, repo, err)
	}
	if !ok {
		if cmds.okToTest {
			return a.GitHub.CreateComment(ctx, org, repo, number, fmt.Sprintf(
				"@%s: `/ok-to-test` is refused: only members of %s and collaborators of %s/%s can vouch for a pull request.",
				commenter, org, org, repo))
		}
		a.Logger.Infow("Commenter is not trusted: ignoring the trigger commands", "commenter", commenter)
		return nil
	}

	if cmds.cancel {
		if err := cancelJobs(ctx, a, org, repo, number, commenter, cmds.cancelJobs); err != nil {
			return err
		}
		if !cmds.okToTest && !cmds.testAll && !cmds.retest && !cmds.retestRequired && !cmds.testHelp && len(cmds.named) == 0 {
			return nil
		}
	}

	// The comment event carries neither the head SHA nor the base branch: one GitHub call.
	pr, err := a.GitHub.GetPullRequest(ctx, org, repo, number)
	if err != nil {
		return fmt.Errorf("get pull request %s/%s#%d: %w", org, repo, number, err)
	}
	if pr.GetState() != "open" {
		return nil
	}
	refs := trigger.PullRequestRefs(pr)
	// The commenter is trusted: the head's own in-repo jobs can run at their asking.
	presubmits, err := core(a).Presubmits(ctx, event(a, org, repo), pr, true)
	if err != nil {
		return err
	}
	if inRepo {
		cmds = parseCommands(body, presubmits)
		if !cmds.any() {
			return nil
		}
	}
	if cmds.testHelp {
		if err := a.GitHub.CreateComment(ctx, org, repo, number, listJobs(presubmits, refs.BaseRef, commenter)); err != nil {
			return err
		}
	}
	if cmds.okToTest {
		if !trigger.HasLabel(pr.Labels, labelOkToTest) {
			if err := a.GitHub.AddLabel(ctx, org, repo, number, labelOkToTest); err != nil {
				return err
			}
		}
		if trigger.HasLabel(pr.Labels, labelNeedsOkToTest) {
			if err := a.GitHub.RemoveLabel(ctx, org, repo, number, labelNeedsOkToTest); err != nil {
				return err
			}
		}
	}

	changes := core(a).Changes(ctx, org, repo, number, pr.GetHead().GetSHA())
	selected := map[string]config.Presubmit{}
	for _, job := range cmds.named {
		if job.CouldRun(refs.BaseRef) {
			selected[job.Name] = job
		}
	}
	if cmds.testAll || cmds.okToTest {
		for _, job := range presubmits {
			run, err := job.ShouldRun(refs.BaseRef, changes)
			if err != nil {
				return fmt.Errorf("decide whether %s runs: %w", job.Name, err)
			}
			if run {
				selected[job.Name] = job
			}
		}
	}
	retest := cmds.retest || cmds.retestRequired
	if retest {
		jobs, err := retestJobs(ctx, a.GitHub, presubmits, refs, changes, cmds.retestRequired && !cmds.retest)
		if err != nil {
			return err
		}
		for _, job := range jobs {
			selected[job.Name] = job
		}
	}
	ordered := make([]config.Presubmit, 0, len(selected))
	for _, job := range presubmits {
		if j, ok := selected[job.Name]; ok {
			ordered = append(ordered, j)
		}
	}
	// /ok-to-test alone starts the head's automatic runs, the same runs the ok-to-test
	// label's own event starts (and a resync would); every other command asks for runs of
	// its own.
	onlyOkToTest := cmds.okToTest && !cmds.testAll && !retest && len(cmds.named) == 0
	return runPresubmits(ctx, a, refs, ordered, trigger.CreateOptions{Retest: retest, Automatic: onlyOkToTest}, !onlyOkToTest)
}

// runPresubmits creates the selected jobs for refs and, with supersede, then leaves only
// the newest run of each of them running on the pull request (supersedeOlder): what
// commands do, since a command asks for a new run.
func runPresubmits(ctx context.Context, a plugins.Agent, refs prowjobsv1.Refs, selected []config.Presubmit, o trigger.CreateOptions, supersede bool) error {
	if len(selected) == 0 {
		return nil
	}
	_, err := core(a).CreatePresubmits(ctx, event(a, refs.Org, refs.Repo), refs, selected, o)
	if err != nil || !supersede {
		return err
	}
	names := make(map[string]bool, len(selected))
	for _, job := range selected {
		names[job.Name] = true
	}
	return supersedeOlder(ctx, a, refs.Org, refs.Repo, refs.Pulls[0].Number, names)
}

// retestJobs picks what /retest reruns: jobs whose status on the head commit failed, and
// jobs that run automatically but have no status there yet. requiredOnly leaves out
// optional jobs (/retest-required).
func retestJobs(ctx context.Context, gh github.StatusLister, presubmits []config.Presubmit, refs prowjobsv1.Refs, changes config.ChangedFiles, requiredOnly bool) ([]config.Presubmit, error) {
	states, err := gh.GetCombinedStatus(ctx, refs.Org, refs.Repo, refs.Pulls[0].SHA)
	if err != nil {
		return nil, err
	}
	var out []config.Presubmit
	for _, job := range presubmits {
		if !job.CouldRun(refs.BaseRef) || (requiredOnly && job.Optional) {
			continue
		}
		state, reported := states[job.Context]
		if state == github.StatusFailure || state == github.StatusError {
			out = append(out, job)
			continue
		}
		if reported {
			continue
		}
		run, err := job.ShouldRun(refs.BaseRef, changes)
		if err != nil {
			return nil, fmt.Errorf("decide whether %s runs: %w", job.Name, err)
		}
		if run {
			out = append(out, job)
		}
	}
	return out, nil
}

// cancelJobs aborts the pull request's running jobs, or the named ones.
func cancelJobs(ctx context.Context, a plugins.Agent, org, repo string, number int, commenter string, names []string) error {
	reason := fmt.Sprintf("Aborted by @%s with /cancel.", commenter)
	return abortRunning(ctx, a, org, repo, number, func(pj *prowjobsv1.ProwJob) bool {
		return len(names) == 0 || slices.Contains(names, pj.Spec.Job)
	}, reason)
}

// listJobs is the reply to "/test ?": the commands that run each job on this branch.
func listJobs(presubmits []config.Presubmit, baseRef, commenter string) string {
	var auto, required, optional []string
	for _, job := range presubmits {
		if !job.CouldRun(baseRef) {
			continue
		}
		line := fmt.Sprintf("- `%s`", job.RerunCommand)
		if job.AlwaysRun || job.HasChangeMatcher() {
			auto = append(auto, fmt.Sprintf("- `%s`", job.Name))
		}
		if job.Optional {
			optional = append(optional, line)
		} else {
			required = append(required, line)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@%s: these jobs can be run on this pull request (base branch `%s`).\n", commenter, baseRef)
	section := func(title string, lines []string) {
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\n%s\n%s\n", title, strings.Join(lines, "\n"))
		}
	}
	section("Required:", required)
	section("Optional:", optional)
	section("`/test all` runs the ones that run automatically:", auto)
	if len(required)+len(optional) == 0 {
		b.WriteString("\nNo job is configured for this branch.\n")
	}
	// Only the config is echoed, but a config can list more jobs than a comment holds.
	return plugins.Truncate(b.String(), plugins.MaxCommentBytes)
}
