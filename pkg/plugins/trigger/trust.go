package trigger

import (
	"context"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// Author associations GitHub puts in payloads; they let trust be decided without an API
// call for most users.
const (
	associationOwner        = "OWNER"
	associationMember       = "MEMBER"
	associationCollaborator = "COLLABORATOR"
)

// trusted reports whether user may run jobs in org/repo: org members, collaborators (unless
// only_org_members), trusted apps and members of the trusted org, the rule Prow applies.
// The payload's author_association answers most cases for free; only the rest costs
// GitHub calls.
func trusted(ctx context.Context, gh github.TrustChecker, t plugins.Trigger, org, repo, user, association string) (bool, error) {
	switch association {
	case associationOwner, associationMember:
		return true, nil
	case associationCollaborator:
		if !t.OnlyOrgMembers {
			return true, nil
		}
	}
	if login, isBot := strings.CutSuffix(user, "[bot]"); isBot && slices.Contains(t.TrustedApps, login) {
		return true, nil
	}
	member, err := gh.IsMember(ctx, org, user)
	if err != nil {
		return false, err
	}
	if member {
		return true, nil
	}
	if t.TrustedOrg != "" && t.TrustedOrg != org {
		if member, err = gh.IsMember(ctx, t.TrustedOrg, user); err != nil || member {
			return member, err
		}
	}
	if t.OnlyOrgMembers {
		return false, nil
	}
	return gh.IsCollaborator(ctx, org, repo, user)
}

// trustedPullRequest reports whether a pull request's commits may run automatically: its
// author is trusted, or a trusted user vouched for it with ok-to-test (which, as in Prow,
// keeps covering new pushes).
func trustedPullRequest(ctx context.Context, a plugins.Agent, org, repo string, pr *gogithub.PullRequest) (bool, error) {
	if hasLabel(pr.Labels, labelOkToTest) {
		return true, nil
	}
	return trusted(ctx, a.GitHub, a.PluginConfig.TriggerFor(org, repo), org, repo, pr.GetUser().GetLogin(), pr.GetAuthorAssociation())
}

func hasLabel(labels []*gogithub.Label, name string) bool {
	for _, l := range labels {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}
