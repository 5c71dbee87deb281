package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gogithub "github.com/google/go-github/v93/github"
)

// Assigner changes who is assigned to an issue or pull request.
type Assigner interface {
	AssignIssue(ctx context.Context, org, repo string, number int, logins []string) ([]string, error)
	UnassignIssue(ctx context.Context, org, repo string, number int, logins []string) error
}

// ReviewRequester asks users to review a pull request, or withdraws the request.
type ReviewRequester interface {
	RequestReview(ctx context.Context, org, repo string, number int, logins []string) ([]string, error)
	UnrequestReview(ctx context.Context, org, repo string, number int, logins []string) error
}

// AssignIssue assigns logins to issue or pull request number of org/repo and returns who is
// assigned afterwards. GitHub silently skips users it cannot assign (they lack access to
// the repository), so callers compare the answer with what they asked for.
func (c *Client) AssignIssue(ctx context.Context, org, repo string, number int, logins []string) ([]string, error) {
	issue, _, err := c.gh.Issues.AddAssignees(ctx, org, repo, number, logins)
	if err != nil {
		return nil, fmt.Errorf("failed to assign %v to %s/%s#%d: %w", logins, org, repo, number, err)
	}
	assignees := []string{}
	for _, u := range issue.Assignees {
		assignees = append(assignees, u.GetLogin())
	}
	return assignees, nil
}

// UnassignIssue removes logins from the assignees of issue or pull request number of
// org/repo. Removing someone who is not assigned succeeds.
func (c *Client) UnassignIssue(ctx context.Context, org, repo string, number int, logins []string) error {
	if _, _, err := c.gh.Issues.RemoveAssignees(ctx, org, repo, number, logins); err != nil {
		return fmt.Errorf("failed to unassign %v from %s/%s#%d: %w", logins, org, repo, number, err)
	}
	return nil
}

// RequestReview asks logins to review pull request number of org/repo and returns those
// GitHub refused (422: not a collaborator, or the pull request's author). GitHub refuses the
// whole request when one user is refused, so after a 422 each user is asked for alone to
// find out who: one call in the common case, one more per user otherwise.
func (c *Client) RequestReview(ctx context.Context, org, repo string, number int, logins []string) ([]string, error) {
	err := c.requestReviewers(ctx, org, repo, number, logins)
	if err == nil || !hasResponseStatus(err, http.StatusUnprocessableEntity) {
		return nil, err
	}
	var refused []string
	for _, login := range logins {
		err := c.requestReviewers(ctx, org, repo, number, []string{login})
		switch {
		case hasResponseStatus(err, http.StatusUnprocessableEntity):
			refused = append(refused, login)
		case err != nil:
			return refused, err
		}
	}
	return refused, nil
}

func (c *Client) requestReviewers(ctx context.Context, org, repo string, number int, logins []string) error {
	if _, _, err := c.gh.PullRequests.RequestReviewers(ctx, org, repo, number, gogithub.ReviewersRequest{Reviewers: logins}); err != nil {
		return fmt.Errorf("failed to request reviews from %v on %s/%s#%d: %w", logins, org, repo, number, err)
	}
	return nil
}

// UnrequestReview withdraws the review requests for logins on pull request number of
// org/repo. Withdrawing a request that was never made succeeds.
func (c *Client) UnrequestReview(ctx context.Context, org, repo string, number int, logins []string) error {
	if _, err := c.gh.PullRequests.RemoveReviewers(ctx, org, repo, number, gogithub.ReviewersRequest{Reviewers: logins}); err != nil {
		return fmt.Errorf("failed to withdraw review requests for %v on %s/%s#%d: %w", logins, org, repo, number, err)
	}
	return nil
}

// hasResponseStatus reports whether err carries a GitHub answer with the given status code.
func hasResponseStatus(err error, code int) bool {
	var er *gogithub.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == code
}

// IsNotFound reports whether err is GitHub's 404: the object does not exist, or the
// credentials may not see it.
func IsNotFound(err error) bool { return hasResponseStatus(err, http.StatusNotFound) }
