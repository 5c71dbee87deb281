package framework

import (
	"encoding/json"
	"fmt"
	"time"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/test/webhook"
)

// PullRequest describes the pull request a payload is about.
type PullRequest struct {
	Org, Repo   string
	Number      int
	Author      string
	Association string // author_association, e.g. MEMBER
	HeadSHA     string
	BaseRef     string
	BaseSHA     string
	// Labels, when set, are the pull request's labels; nil keeps the fixture's.
	Labels []string
	// UpdatedAt is the pull request's updated_at: when the event happened. Zero means now
	// in a payload (an event happens when it is sent) and the fixture's time in the
	// emulator's object (a pull request last updated long ago).
	UpdatedAt time.Time
}

// PullRequestPayload returns a pull_request webhook body for pr with the given action,
// built from the recorded fixture so every other field is realistic.
func PullRequestPayload(action string, pr PullRequest) ([]byte, error) {
	if pr.UpdatedAt.IsZero() {
		pr.UpdatedAt = time.Now()
	}
	return pullRequestEvent(action, pr)
}

// pullRequestEvent is PullRequestPayload without the default updated_at.
func pullRequestEvent(action string, pr PullRequest) ([]byte, error) {
	var ev gogithub.PullRequestEvent
	if err := loadFixture("pull_request_opened.json", &ev); err != nil {
		return nil, err
	}
	ev.Action = gogithub.Ptr(action)
	ev.Number = gogithub.Ptr(pr.Number)
	retarget(ev.Repo, pr.Org, pr.Repo)
	p := ev.PullRequest
	p.Number = gogithub.Ptr(pr.Number)
	p.HTMLURL = gogithub.Ptr(fmt.Sprintf("https://github.com/%s/%s/pull/%d", pr.Org, pr.Repo, pr.Number))
	p.User.Login = gogithub.Ptr(pr.Author)
	p.AuthorAssociation = gogithub.Ptr(pr.Association)
	p.Head.SHA = gogithub.Ptr(pr.HeadSHA)
	p.Base.Ref = gogithub.Ptr(pr.BaseRef)
	if pr.BaseSHA != "" {
		p.Base.SHA = gogithub.Ptr(pr.BaseSHA)
	}
	if !pr.UpdatedAt.IsZero() {
		p.UpdatedAt = &gogithub.Timestamp{Time: pr.UpdatedAt.UTC().Truncate(time.Second)}
	}
	if pr.Labels != nil {
		p.Labels = nil
		for _, name := range pr.Labels {
			p.Labels = append(p.Labels, &gogithub.Label{Name: name})
		}
	}
	retarget(p.Base.Repo, pr.Org, pr.Repo)
	retarget(p.Head.Repo, pr.Org, pr.Repo)
	return json.Marshal(ev)
}

// PullRequestObject returns the REST representation of pr, to seed the emulator with.
func PullRequestObject(pr PullRequest) (*gogithub.PullRequest, error) {
	body, err := pullRequestEvent("opened", pr)
	if err != nil {
		return nil, err
	}
	var ev gogithub.PullRequestEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, err
	}
	return ev.PullRequest, nil
}

// CommentPayload returns an issue_comment "created" body for a comment on pr.
func CommentPayload(pr PullRequest, commenter, association, body string) ([]byte, error) {
	var ev gogithub.IssueCommentEvent
	if err := loadFixture("issue_comment_test_all.json", &ev); err != nil {
		return nil, err
	}
	ev.Action = gogithub.Ptr("created")
	retarget(ev.Repo, pr.Org, pr.Repo)
	ev.Issue.Number = gogithub.Ptr(pr.Number)
	ev.Issue.State = gogithub.Ptr("open")
	ev.Issue.PullRequestLinks.URL = gogithub.Ptr(fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", pr.Org, pr.Repo, pr.Number))
	ev.Comment.Body = gogithub.Ptr(body)
	ev.Comment.User.Login = gogithub.Ptr(commenter)
	ev.Comment.AuthorAssociation = gogithub.Ptr(association)
	return json.Marshal(ev)
}

func retarget(r *gogithub.Repository, org, repo string) {
	if r == nil {
		return
	}
	r.Name = gogithub.Ptr(repo)
	r.FullName = gogithub.Ptr(org + "/" + repo)
	r.HTMLURL = gogithub.Ptr("https://github.com/" + org + "/" + repo)
	if r.Owner != nil {
		r.Owner.Login = gogithub.Ptr(org)
	}
}

func loadFixture(name string, into any) error {
	data, err := webhook.Fixture(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("fixture %s: %w", name, err)
	}
	return nil
}

// Push describes a push to a branch.
type Push struct {
	Org, Repo string
	Branch    string // e.g. "main"
	Before    string // the branch's SHA before the push
	Pusher    string // login of who pushed
	// Commits are the pushed commits, oldest first; the last is the branch's new head. At
	// least one is needed.
	Commits []Commit
}

// Commit is one commit of a push.
type Commit struct {
	SHA                      string
	Message                  string
	Author                   string // login
	Added, Modified, Removed []string
}

// PushPayload returns a push webhook body for p, built from the recorded fixture so every
// other field is realistic.
func PushPayload(p Push) ([]byte, error) {
	if len(p.Commits) == 0 {
		return nil, fmt.Errorf("push to %s/%s %s has no commits", p.Org, p.Repo, p.Branch)
	}
	var ev gogithub.PushEvent
	if err := loadFixture("push.json", &ev); err != nil {
		return nil, err
	}
	if len(ev.Commits) == 0 {
		return nil, fmt.Errorf("fixture push.json has no commit to model commits on")
	}
	model := ev.Commits[0]
	repoLink := "https://github.com/" + p.Org + "/" + p.Repo
	after := p.Commits[len(p.Commits)-1].SHA
	ev.Ref = gogithub.Ptr("refs/heads/" + p.Branch)
	ev.Before = gogithub.Ptr(p.Before)
	ev.After = gogithub.Ptr(after)
	ev.Compare = gogithub.Ptr(fmt.Sprintf("%s/compare/%s...%s", repoLink, short(p.Before), short(after)))
	ev.Commits = nil
	for _, c := range p.Commits {
		hc := *model
		author := gogithub.CommitAuthor{}
		if model.Author != nil {
			author = *model.Author
		}
		author.Login = gogithub.Ptr(c.Author)
		author.Name = gogithub.Ptr(c.Author)
		hc.Author = &author
		hc.ID = gogithub.Ptr(c.SHA)
		hc.Message = gogithub.Ptr(c.Message)
		hc.URL = gogithub.Ptr(repoLink + "/commit/" + c.SHA)
		hc.Added, hc.Modified, hc.Removed = c.Added, c.Modified, c.Removed
		ev.Commits = append(ev.Commits, &hc)
	}
	ev.HeadCommit = ev.Commits[len(ev.Commits)-1]
	if r := ev.Repo; r != nil {
		r.Name = gogithub.Ptr(p.Repo)
		r.FullName = gogithub.Ptr(p.Org + "/" + p.Repo)
		r.HTMLURL = gogithub.Ptr(repoLink)
		if r.Owner != nil {
			r.Owner.Login = gogithub.Ptr(p.Org)
			r.Owner.Name = gogithub.Ptr(p.Org)
		}
	}
	if ev.Pusher != nil {
		ev.Pusher.Name = gogithub.Ptr(p.Pusher)
	}
	if ev.Sender != nil {
		ev.Sender.Login = gogithub.Ptr(p.Pusher)
	}
	if ev.Organization != nil {
		ev.Organization.Login = gogithub.Ptr(p.Org)
	}
	return json.Marshal(ev)
}

// short is the abbreviated SHA GitHub shows in compare links.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
