package trigger

import (
	"context"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

func handlePush(ctx context.Context, a plugins.Agent, e *gogithub.PushEvent) error {
	branch, isBranch := strings.CutPrefix(e.GetRef(), "refs/heads/")
	if !isBranch || e.GetDeleted() {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	if org == "" {
		// Push payloads name the owner in owner.name for some repositories.
		org = e.GetRepo().GetOwner().GetName()
	}
	refs := prowjobsv1.Refs{
		Org:      org,
		Repo:     repo,
		RepoLink: e.GetRepo().GetHTMLURL(),
		BaseRef:  branch,
		BaseSHA:  e.GetAfter(),
		BaseLink: e.GetCompare(),
	}
	var pjs []*prowjobsv1.ProwJob
	for _, job := range a.Config.PostsubmitsFor(org, repo) {
		if job.ShouldRunOnPush(branch) {
			pjs = append(pjs, jobs.NewPostsubmit(a.Config, job, refs, jobs.Options{EventGUID: a.EventGUID, Now: now()}))
		}
	}
	return createAll(ctx, a, pjs)
}
