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

// Pull request actions that put new code in front of the jobs.
const (
	actionOpened         = "opened"
	actionReopened       = "reopened"
	actionSynchronize    = "synchronize"
	actionReadyForReview = "ready_for_review"
)

func handlePullRequest(ctx context.Context, a plugins.Agent, e *gogithub.PullRequestEvent) error {
	switch e.GetAction() {
	case actionOpened, actionReopened, actionSynchronize, actionReadyForReview:
	default:
		return nil
	}
	pr := e.GetPullRequest()
	if pr.GetDraft() {
		a.Logger.Debug("Draft pull request: nothing runs until it is ready for review")
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	author := pr.GetUser().GetLogin()
	ok, err := trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, author, pr.GetAuthorAssociation())
	if err != nil {
		return fmt.Errorf("check whether %s is trusted in %s/%s: %w", author, org, repo, err)
	}
	if !ok {
		a.Logger.Infow("Pull request author is not trusted: running nothing", "author", author)
		return nil
	}

	refs := PullRequestRefs(pr)
	var pjs []*prowjobsv1.ProwJob
	for _, job := range a.Config.PresubmitsFor(org, repo) {
		if job.ShouldRunOnPR(refs.BaseRef) {
			pjs = append(pjs, jobs.NewPresubmit(a.Config, job, refs, jobs.Options{EventGUID: a.EventGUID, Now: now()}))
		}
	}
	return createAll(ctx, a, pjs)
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

// requestedPresubmits returns the presubmits for refs that the comment body asks for.
func requestedPresubmits(cfg *config.Config, org, repo, baseRef, body string) []config.Presubmit {
	testAll := config.TestAllRe.MatchString(config.StripCodeAndQuotes(body))
	var out []config.Presubmit
	for _, job := range cfg.PresubmitsFor(org, repo) {
		if !job.CouldRun(baseRef) {
			continue
		}
		if job.TriggerMatches(body) || (testAll && job.ShouldRunOnPR(baseRef)) {
			out = append(out, job)
		}
	}
	return out
}
