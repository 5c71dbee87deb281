package trigger

import (
	"context"
	"fmt"
	"time"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// now is the clock jobs are stamped with; a variable only so nothing else reads time.
var now = time.Now

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	if e.GetAction() != "created" || !e.GetIssue().IsPullRequest() || e.GetIssue().GetState() != "open" {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	body := e.GetComment().GetBody()

	// Decide from the comment alone whether any job is asked for before spending a GitHub
	// call on the pull request; the base branch is checked once it is known.
	if !asksForJobs(a, org, repo, body) {
		return nil
	}
	commenter := e.GetComment().GetUser().GetLogin()
	ok, err := trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, commenter, e.GetComment().GetAuthorAssociation())
	if err != nil {
		return fmt.Errorf("check whether %s is trusted in %s/%s: %w", commenter, org, repo, err)
	}
	if !ok {
		a.Logger.Infow("Commenter is not trusted: ignoring /test", "commenter", commenter)
		return nil
	}

	// The comment event carries neither the head SHA nor the base branch: one GitHub call.
	number := e.GetIssue().GetNumber()
	pr, err := a.GitHub.GetPullRequest(ctx, org, repo, number)
	if err != nil {
		return fmt.Errorf("get pull request %s/%s#%d: %w", org, repo, number, err)
	}
	if pr.GetState() != "open" {
		return nil
	}
	refs := PullRequestRefs(pr)
	var pjs []*prowjobsv1.ProwJob
	for _, job := range requestedPresubmits(a.Config, org, repo, refs.BaseRef, body) {
		pjs = append(pjs, jobs.NewPresubmit(a.Config, job, refs, jobs.Options{EventGUID: a.EventGUID, Now: now()}))
	}
	return createAll(ctx, a, pjs)
}

// asksForJobs reports whether the comment is /test all or triggers some job of the
// repository on any branch; comments that are not commands then cost no GitHub call.
func asksForJobs(a plugins.Agent, org, repo, body string) bool {
	if config.TestAllRe.MatchString(config.StripCodeAndQuotes(body)) {
		return true
	}
	for _, job := range a.Config.PresubmitsFor(org, repo) {
		if job.TriggerMatches(body) {
			return true
		}
	}
	return false
}
