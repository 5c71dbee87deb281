package assign

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gogithub "github.com/google/go-github/v93/github"
	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.Assigner
	github.ReviewRequester
	github.PullRequestGetter
	github.Commenter
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	return handle(ctx, a.GitHub, a.Logger, e)
}

// command is one assign command of a comment.
type command struct {
	text   string // as written, for the reply
	verb   string // assign, unassign, cc or uncc, lower-cased
	logins []string
}

// maxLogins bounds the users the commands of one comment send to GitHub, whatever the
// comment holds: the rest are counted in one line of the reply. It also bounds the calls a
// comment costs, since a review request GitHub refuses is retried once per user.
const maxLogins = 20

// parseCommands returns the commands of body; a command naming nobody names commenter.
func parseCommands(body, commenter string) []command {
	var out []command
	for _, m := range commandRe.FindAllStringSubmatch(config.StripCodeAndQuotes(body), -1) {
		var logins []string
		seen := map[string]bool{}
		for _, f := range strings.Fields(m[2]) {
			login := strings.TrimPrefix(f, "@")
			if !seen[strings.ToLower(login)] {
				seen[strings.ToLower(login)] = true
				logins = append(logins, login)
			}
		}
		if len(logins) == 0 {
			logins = []string{commenter}
		}
		out = append(out, command{text: strings.TrimSpace(m[0]), verb: strings.ToLower(m[1]), logins: logins})
	}
	return out
}

// handle applies the commands of a new comment in order, on open and closed issues and pull
// requests alike; /cc and /uncc on a plain issue are ignored. Who is assigned comes from the
// payload, and who is asked to review from the pull request, read once when a /cc or /uncc
// needs it. Commands that would change nothing are silent, so a redelivered event says
// nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) {
		return nil
	}
	user := e.GetComment().GetUser().GetLogin()
	isPR := e.GetIssue().IsPullRequest()
	commands := slices.DeleteFunc(parseCommands(e.GetComment().GetBody(), user), func(c command) bool {
		return !isPR && (c.verb == "cc" || c.verb == "uncc")
	})
	if len(commands) == 0 {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()

	s := &state{gh: gh, org: org, repo: repo, number: number, budget: maxLogins}
	for _, u := range e.GetIssue().Assignees {
		s.assignees = append(s.assignees, u.GetLogin())
	}
	var lines []string
	for _, c := range commands {
		var line string
		var err error
		switch c.verb {
		case "assign":
			line, err = s.assign(ctx, c)
		case "unassign":
			line, err = s.unassign(ctx, c)
		case "cc":
			line, err = s.requestReview(ctx, c)
		case "uncc":
			line, err = s.withdrawReview(ctx, c)
		}
		if err != nil {
			return err
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	if s.notHandled > 0 {
		lines = append(lines, fmt.Sprintf("%s more %s left out: bosun assigns, unassigns, asks or stops asking reviews from at most %d users per comment; comment again for the rest.",
			plugins.FormatCount(s.notHandled), plugins.Plural(s.notHandled, "user was", "users were"), maxLogins))
	}
	if len(lines) == 0 {
		return nil
	}
	log.Infow("Changed assignees or reviewers", "user", user, "lines", len(lines), "notHandled", s.notHandled)
	return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, lines...))
}

// state is what the commands of one comment know about the issue, kept current as they run.
type state struct {
	gh          githubClient
	org, repo   string
	number      int
	assignees   []string
	pr          *gogithub.PullRequest // read on first need
	prRequested []string
	// budget is how many more users the comment may send to GitHub; notHandled counts those
	// left out.
	budget, notHandled int
}

// take returns the first of logins the comment's budget still covers and counts the rest.
func (s *state) take(logins []string) []string {
	n := min(len(logins), s.budget)
	s.budget -= n
	s.notHandled += len(logins) - n
	return logins[:n]
}

func (s *state) assign(ctx context.Context, c command) (string, error) {
	toAdd := s.take(without(c.logins, s.assignees))
	if len(toAdd) == 0 {
		return "", nil
	}
	assigned, err := s.gh.AssignIssue(ctx, s.org, s.repo, s.number, toAdd)
	if err != nil {
		return "", err
	}
	s.assignees = assigned
	var parts []string
	if done := within(toAdd, assigned); len(done) > 0 {
		parts = append(parts, "assigning "+mentionAll(done))
	}
	if failed := without(toAdd, assigned); len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("GitHub did not assign %s: only org members, collaborators of %s/%s and people who commented here can be assigned",
			mentionAll(failed), s.org, s.repo))
	}
	return line(c, parts), nil
}

func (s *state) unassign(ctx context.Context, c command) (string, error) {
	toRemove := s.take(within(c.logins, s.assignees))
	if len(toRemove) == 0 {
		return "", nil
	}
	if err := s.gh.UnassignIssue(ctx, s.org, s.repo, s.number, toRemove); err != nil {
		return "", err
	}
	s.assignees = without(s.assignees, toRemove)
	return line(c, []string{"unassigning " + mentionAll(toRemove)}), nil
}

// loadPR reads the pull request once, for its author and review requests.
func (s *state) loadPR(ctx context.Context) error {
	if s.pr != nil {
		return nil
	}
	pr, err := s.gh.GetPullRequest(ctx, s.org, s.repo, s.number)
	if err != nil {
		return err
	}
	s.pr = pr
	for _, u := range pr.RequestedReviewers {
		s.prRequested = append(s.prRequested, u.GetLogin())
	}
	return nil
}

func (s *state) requestReview(ctx context.Context, c command) (string, error) {
	if err := s.loadPR(ctx); err != nil {
		return "", err
	}
	var parts []string
	author := s.pr.GetUser().GetLogin()
	logins := c.logins
	if containsLogin(logins, author) {
		logins = without(logins, []string{author})
		parts = append(parts, fmt.Sprintf("@%s wrote this pull request and cannot review it", author))
	}
	toAsk := s.take(without(logins, s.prRequested))
	if len(toAsk) > 0 {
		refused, err := s.gh.RequestReview(ctx, s.org, s.repo, s.number, toAsk)
		if err != nil {
			return "", err
		}
		if asked := without(toAsk, refused); len(asked) > 0 {
			s.prRequested = append(s.prRequested, asked...)
			parts = append([]string{"requesting a review from " + mentionAll(asked)}, parts...)
		}
		if len(refused) > 0 {
			parts = append(parts, fmt.Sprintf("GitHub refused to request a review from %s: reviewers must be collaborators of %s/%s",
				mentionAll(refused), s.org, s.repo))
		}
	}
	return line(c, parts), nil
}

func (s *state) withdrawReview(ctx context.Context, c command) (string, error) {
	if err := s.loadPR(ctx); err != nil {
		return "", err
	}
	toWithdraw := s.take(within(c.logins, s.prRequested))
	if len(toWithdraw) == 0 {
		return "", nil
	}
	if err := s.gh.UnrequestReview(ctx, s.org, s.repo, s.number, toWithdraw); err != nil {
		return "", err
	}
	s.prRequested = without(s.prRequested, toWithdraw)
	return line(c, []string{"withdrawing the review request for " + mentionAll(toWithdraw)}), nil
}

// line is the reply line for a command, or "" when there is nothing to say.
func line(c command, parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return plugins.Code(c.text) + ": " + strings.Join(parts, "; ") + "."
}

// without returns the logins of a that are not in b, ignoring case.
func without(a, b []string) []string {
	var out []string
	for _, l := range a {
		if !containsLogin(b, l) {
			out = append(out, l)
		}
	}
	return out
}

// within returns the logins of a that are also in b, ignoring case.
func within(a, b []string) []string {
	var out []string
	for _, l := range a {
		if containsLogin(b, l) {
			out = append(out, l)
		}
	}
	return out
}

func containsLogin(logins []string, login string) bool {
	return slices.ContainsFunc(logins, func(l string) bool { return strings.EqualFold(l, login) })
}

func mentionAll(logins []string) string {
	mentioned := make([]string, len(logins))
	for i, l := range logins {
		mentioned[i] = "@" + l
	}
	return strings.Join(mentioned, ", ")
}
