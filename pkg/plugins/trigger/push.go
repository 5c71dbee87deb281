package trigger

import (
	"context"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

func (*plugin) handlePush(ctx context.Context, a plugins.Agent, e *gogithub.PushEvent) error {
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
	// The pushed files are in the payload: no GitHub call.
	changes := func() ([]string, error) { return pushedFiles(e), nil }
	ev := event(a, org, repo)
	selected, err := core(a).Postsubmits(ctx, ev, refs, changes)
	if err != nil {
		return err
	}
	_, err = core(a).CreatePostsubmits(ctx, ev, refs, selected)
	return err
}

// pushedFiles lists the files the push's commits added, modified or removed.
func pushedFiles(e *gogithub.PushEvent) []string {
	seen := map[string]bool{}
	var files []string
	for _, c := range e.Commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
	}
	return files
}
