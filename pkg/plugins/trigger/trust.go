package trigger

import (
	"context"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// trustedPullRequest reports whether a pull request's commits may run automatically: its
// author is trusted, or a trusted user vouched for it with ok-to-test (which, as in Prow,
// keeps covering new pushes).
func trustedPullRequest(ctx context.Context, a plugins.Agent, org, repo string, pr *gogithub.PullRequest) (bool, error) {
	if hasLabel(pr.Labels, labelOkToTest) {
		return true, nil
	}
	return plugins.Trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, pr.GetUser().GetLogin(), pr.GetAuthorAssociation())
}

func hasLabel(labels []*gogithub.Label, name string) bool {
	for _, l := range labels {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}
