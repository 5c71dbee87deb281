package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	gogithub "github.com/google/go-github/v93/github"
)

// TrustChecker answers whether a user may trigger jobs: Prow trusts org members and repository
// collaborators.
type TrustChecker interface {
	IsMember(ctx context.Context, org, user string) (bool, error)
	IsCollaborator(ctx context.Context, org, repo, user string) (bool, error)
}

// TeamMembershipChecker answers whether a user belongs to a team, for labels only a team
// may set.
type TeamMembershipChecker interface {
	IsTeamMember(ctx context.Context, org, team, user string) (bool, error)
}

// IsMember reports whether user is a member of org.
//
// GitHub answers 204 for a member and 404 for a non-member. When the requester itself is not a
// member of org it answers 302 to the public-members check instead, so private members look
// like non-members; the default *http.Client follows that redirect, and when the caller's
// client refuses redirects IsMember asks the public-members endpoint itself, so the answer is
// the same either way.
func (c *Client) IsMember(ctx context.Context, org, user string) (bool, error) {
	// go-github puts the names into the path as they are: a login such as "carol#x" (none
	// GitHub makes, but a payload or comment can say anything) would ask about carol.
	member, _, err := c.gh.Organizations.IsMember(ctx, url.PathEscape(org), url.PathEscape(user))
	var redirect *gogithub.RedirectionError
	if errors.As(err, &redirect) && redirect.StatusCode == http.StatusFound {
		member, _, err = c.gh.Organizations.IsPublicMember(ctx, url.PathEscape(org), url.PathEscape(user))
	}
	if err != nil {
		return false, fmt.Errorf("failed to check whether %s is a member of %s: %w", user, org, err)
	}
	return member, nil
}

// IsCollaborator reports whether user is a collaborator on org/repo, directly or through an
// outside-collaborator, team or org role.
func (c *Client) IsCollaborator(ctx context.Context, org, repo, user string) (bool, error) {
	collaborator, _, err := c.gh.Repositories.IsCollaborator(ctx, url.PathEscape(org), url.PathEscape(repo), url.PathEscape(user))
	if err != nil {
		return false, fmt.Errorf("failed to check whether %s is a collaborator on %s/%s: %w", user, org, repo, err)
	}
	return collaborator, nil
}

// IsTeamMember reports whether user is an active member of the team of org whose slug is
// team, directly or through a child team. GitHub answers 200 with state "active" for a
// member, 200 with "pending" for someone invited who has not accepted yet (not a member), and
// 404 for anyone else, and also when the team does not exist or the token may not see it.
func (c *Client) IsTeamMember(ctx context.Context, org, team, user string) (bool, error) {
	m, _, err := c.gh.Teams.GetTeamMembershipBySlug(ctx, org, url.PathEscape(team), url.PathEscape(user))
	if hasResponseStatus(err, http.StatusNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to check whether %s is a member of team %s/%s: %w", user, org, team, err)
	}
	return m.GetState() == "active", nil
}
