package plugins

import (
	"context"
	"regexp"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
)

// Author associations GitHub puts in payloads. OWNER, MEMBER and COLLABORATOR settle that
// someone belongs to the repository without an API call.
const (
	AssociationOwner        = "OWNER"
	AssociationMember       = "MEMBER"
	AssociationCollaborator = "COLLABORATOR"
)

// IsNewComment reports whether e is a comment that was just posted. GitHub also sends
// issue_comment events when a comment is edited or deleted; those never run commands, so a
// command runs once however often its comment is edited.
func IsNewComment(e *gogithub.IssueCommentEvent) bool {
	return e.GetAction() == "created"
}

// IsOpenPullRequest reports whether the commented issue is an open pull request.
func IsOpenPullRequest(e *gogithub.IssueCommentEvent) bool {
	return e.GetIssue().IsPullRequest() && e.GetIssue().GetState() == "open"
}

// LastCommand returns the submatches of the last line of body that re matches, ignoring
// fenced code blocks and quoted lines, or nil. Toggle commands (/lgtm, /hold, /close...) act
// on the last one when a comment holds several.
func LastCommand(re *regexp.Regexp, body string) []string {
	matches := re.FindAllStringSubmatch(config.StripCodeAndQuotes(body), -1)
	if len(matches) == 0 {
		return nil
	}
	return matches[len(matches)-1]
}

// HasLabel reports whether labels holds name; GitHub compares label names ignoring case.
func HasLabel(labels []string, name string) bool {
	return slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, name) })
}

// IsMemberOrCollaborator reports whether user is a member of org or a collaborator of
// org/repo: Trusted with the default trigger settings.
func IsMemberOrCollaborator(ctx context.Context, gh github.TrustChecker, org, repo, user, association string) (bool, error) {
	return Trusted(ctx, gh, Trigger{}, org, repo, user, association)
}

// Trusted reports whether user may run jobs and act as a member in org/repo, Prow's rule: org
// members, repository collaborators (unless only_org_members), trusted apps and members of
// the trusted org. association is the author_association GitHub sent with the user's comment
// or pull request: OWNER, MEMBER and COLLABORATOR answer at once, anyone else costs one to
// three calls.
func Trusted(ctx context.Context, gh github.TrustChecker, t Trigger, org, repo, user, association string) (bool, error) {
	switch association {
	case AssociationOwner, AssociationMember:
		return true, nil
	case AssociationCollaborator:
		if !t.OnlyOrgMembers {
			return true, nil
		}
	}
	if login, isBot := strings.CutSuffix(user, "[bot]"); isBot && slices.Contains(t.TrustedApps, login) {
		return true, nil
	}
	member, err := gh.IsMember(ctx, org, user)
	if err != nil || member {
		return member, err
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
