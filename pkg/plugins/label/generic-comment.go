package label

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
	github.IssueLabelGetter
	github.RepoLabelLister
	github.Labeler
	github.Commenter
	github.TrustChecker
	github.TeamMembershipChecker
}

// Bounds on the work of one comment, whatever it holds: commands past maxCommands are not
// read, and changes past maxChanges are not made, each counted in one line of the reply.
// At most maxChanges label calls, one team check per listed team and one trust check are
// made per comment, and the reply stays well under GitHub's comment limit.
const (
	maxCommands = 50
	maxChanges  = 50
	// maxListed is how many names one list of a reply line shows before "and N more".
	maxListed = 10
)

// Labels that grant trust or merge rights.
const (
	// lgtmLabel and approvedLabel belong to the lgtm and approve plugins, which check who
	// asks; no label command sets or removes them.
	lgtmLabel     = "lgtm"
	approvedLabel = "approved"
	// okToTestLabel makes the trigger run an untrusted pull request's code, so only someone
	// the trigger trusts may set or remove it, as with /ok-to-test.
	okToTestLabel = "ok-to-test"
)

// settings are the plugins.yaml values for the commented repository.
type settings struct {
	additional []string
	restricted []plugins.RestrictedLabel
	trigger    plugins.Trigger
}

func handleIssueComment(ctx context.Context, a plugins.Agent, e *gogithub.IssueCommentEvent) error {
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	return handle(ctx, a.GitHub, a.Logger, settings{
		additional: a.PluginConfig.AdditionalLabels(),
		restricted: a.PluginConfig.RestrictedLabelsFor(org, repo),
		trigger:    a.PluginConfig.TriggerFor(org, repo),
	}, e)
}

// command is one label command of a comment.
type command struct {
	text   string // as written, for the reply
	remove bool
	prefix string // "kind", ..., or customCommand
	names  []string
}

// parseCommands returns the label commands of body; a name given twice in a command counts
// once.
func parseCommands(body string) []command {
	var out []command
	for _, m := range labelRe.FindAllStringSubmatch(config.StripCodeAndQuotes(body), -1) {
		var names []string
		seen := map[string]bool{}
		for _, n := range strings.Fields(m[3]) {
			if !seen[strings.ToLower(n)] {
				seen[strings.ToLower(n)] = true
				names = append(names, n)
			}
		}
		out = append(out, command{
			text:   strings.TrimSpace(m[0]),
			remove: m[1] != "",
			prefix: strings.ToLower(m[2]),
			names:  names,
		})
	}
	return out
}

// result is what one command did and refused.
type result struct {
	changed, missing, refused []string
	// denied groups the labels the commenter may not change by the reason, in order.
	denied []denial
}

type denial struct {
	reason string
	labels []string
}

func (r *result) deny(label, reason string) {
	i := slices.IndexFunc(r.denied, func(d denial) bool { return d.reason == reason })
	if i < 0 {
		r.denied = append(r.denied, denial{reason: reason})
		i = len(r.denied) - 1
	}
	r.denied[i].labels = append(r.denied[i].labels, label)
}

// handle applies the label commands of a new comment in order and answers with one line per
// command that changed or refused something. Adding a label that is there and removing one
// that is not are silent, so a redelivered event changes nothing and says nothing.
func handle(ctx context.Context, gh githubClient, log *zap.SugaredLogger, s settings, e *gogithub.IssueCommentEvent) error {
	if !plugins.IsNewComment(e) {
		return nil
	}
	commands := parseCommands(e.GetComment().GetBody())
	if len(commands) == 0 {
		return nil
	}
	unread := max(len(commands)-maxCommands, 0)
	commands = commands[:len(commands)-unread]
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	number := e.GetIssue().GetNumber()
	user := e.GetComment().GetUser().GetLogin()

	current, err := gh.GetIssueLabels(ctx, org, repo, number)
	if err != nil {
		return err
	}
	var defined []string // read only when a prefixed command needs it
	if slices.ContainsFunc(commands, func(c command) bool { return c.prefix != customCommand }) {
		if defined, err = gh.GetRepoLabels(ctx, org, repo); err != nil {
			return err
		}
	}
	// /label may set the additional labels and the restricted ones, to those allowed.
	allowed := slices.Clone(s.additional)
	for _, r := range s.restricted {
		if !plugins.HasLabel(allowed, r.Label) {
			allowed = append(allowed, r.Label)
		}
	}
	definedIndex, allowedIndex := indexFold(defined), indexFold(allowed)
	auth := &authorizer{gh: gh, s: s, org: org, repo: repo, user: user, association: e.GetComment().GetAuthorAssociation()}

	var lines []string
	changes, notMade := 0, 0
	for _, c := range commands {
		var r result
		for _, name := range c.names {
			label, ok := resolve(c.prefix, name, definedIndex, allowedIndex)
			if reason := reserved(label, c.remove); reason != "" {
				r.deny(label, reason)
				continue
			}
			switch {
			case !ok && c.prefix == customCommand:
				r.refused = append(r.refused, name)
				continue
			case !ok:
				r.missing = append(r.missing, label)
				continue
			case c.remove != plugins.HasLabel(current, label):
				continue // already as asked
			case changes >= maxChanges:
				notMade++
				continue
			}
			reason, err := auth.deny(ctx, label)
			if err != nil {
				return err
			}
			if reason != "" {
				r.deny(label, reason)
				continue
			}
			if c.remove {
				if err := gh.RemoveLabel(ctx, org, repo, number, label); err != nil {
					return err
				}
				current = slices.DeleteFunc(current, func(l string) bool { return strings.EqualFold(l, label) })
			} else {
				if err := gh.AddLabel(ctx, org, repo, number, label); err != nil {
					return err
				}
				current = append(current, label)
			}
			changes++
			r.changed = append(r.changed, label)
		}
		if line := describe(c, r, org, repo, allowed); line != "" {
			lines = append(lines, line)
		}
	}
	if notMade > 0 {
		lines = append(lines, fmt.Sprintf("%s more label %s not made: bosun makes at most %d label changes per comment; comment again for the rest.",
			plugins.FormatCount(notMade), plugins.Plural(notMade, "change was", "changes were"), maxChanges))
	}
	if unread > 0 {
		lines = append(lines, fmt.Sprintf("%s more label %s ignored: bosun reads at most %d label commands per comment.",
			plugins.FormatCount(unread), plugins.Plural(unread, "command was", "commands were"), maxCommands))
	}
	if len(lines) == 0 {
		return nil
	}
	log.Infow("Changed labels", "user", user, "changes", changes, "lines", len(lines), "notMade", notMade, "unread", unread)
	return gh.CreateComment(ctx, org, repo, number, plugins.Reply(user, lines...))
}

// indexFold maps the lower-cased names to their spelling; the first spelling wins.
func indexFold(names []string) map[string]string {
	index := make(map[string]string, len(names))
	for _, n := range names {
		if _, ok := index[strings.ToLower(n)]; !ok {
			index[strings.ToLower(n)] = n
		}
	}
	return index
}

// resolve returns the label a command's name stands for and whether it may be used: for a
// prefixed command, "<prefix>/<name>" as the repository spells it, if the repository defines
// it; for /label, the name as plugins.yaml spells it, if it is allowed there.
func resolve(prefix, name string, defined, allowed map[string]string) (string, bool) {
	want, index := prefix+"/"+name, defined
	if prefix == customCommand {
		want, index = name, allowed
	}
	if label, ok := index[strings.ToLower(want)]; ok {
		return label, true
	}
	return strings.ToLower(want), false
}

// reserved returns why no label command may change label, or "" when one may.
func reserved(label string, remove bool) string {
	var plugin, cmd string
	switch {
	case strings.EqualFold(label, lgtmLabel):
		plugin, cmd = "lgtm", "/lgtm"
	case strings.EqualFold(label, approvedLabel):
		plugin, cmd = "approve", "/approve"
	default:
		return ""
	}
	if remove {
		cmd += " cancel"
	}
	return fmt.Sprintf("the %s plugin sets it for those allowed; comment `%s` instead", plugin, cmd)
}

// authorizer decides whether the commenter may change a label, asking GitHub at most once
// for the trust check and once per team.
type authorizer struct {
	gh                           githubClient
	s                            settings
	org, repo, user, association string

	trusted *bool
	teams   map[string]bool // lower-cased team slug -> the commenter is a member
}

// deny returns why the commenter may not add or remove label, or "" when they may.
// ok-to-test needs someone the trigger trusts, and a restricted label a listed user or a
// member of a listed team; ok-to-test, when restricted too, needs both.
func (a *authorizer) deny(ctx context.Context, label string) (string, error) {
	if strings.EqualFold(label, okToTestLabel) {
		trusted, err := a.isTrusted(ctx)
		if err != nil {
			return "", err
		}
		if !trusted {
			return fmt.Sprintf("only users trusted to run tests in %s/%s may vouch for a pull request, as with `/ok-to-test`", a.org, a.repo), nil
		}
	}
	i := slices.IndexFunc(a.s.restricted, func(r plugins.RestrictedLabel) bool { return strings.EqualFold(r.Label, label) })
	if i < 0 {
		return "", nil
	}
	r := a.s.restricted[i]
	if plugins.HasLabel(r.AllowedUsers, a.user) {
		return "", nil
	}
	for _, team := range r.AllowedTeams {
		member, err := a.isTeamMember(ctx, team)
		if err != nil {
			return "", err
		}
		if member {
			return "", nil
		}
	}
	return restrictedTo(r, a.org), nil
}

func (a *authorizer) isTrusted(ctx context.Context) (bool, error) {
	if a.trusted == nil {
		ok, err := plugins.Trusted(ctx, a.gh, a.s.trigger, a.org, a.repo, a.user, a.association)
		if err != nil {
			return false, fmt.Errorf("check whether %s may change %s in %s/%s: %w", a.user, okToTestLabel, a.org, a.repo, err)
		}
		a.trusted = &ok
	}
	return *a.trusted, nil
}

func (a *authorizer) isTeamMember(ctx context.Context, team string) (bool, error) {
	key := strings.ToLower(team)
	if member, ok := a.teams[key]; ok {
		return member, nil
	}
	member, err := a.gh.IsTeamMember(ctx, a.org, team, a.user)
	if err != nil {
		return false, fmt.Errorf("check whether %s may change a restricted label in %s/%s: %w", a.user, a.org, a.repo, err)
	}
	if a.teams == nil {
		a.teams = map[string]bool{}
	}
	a.teams[key] = member
	return member, nil
}

// restrictedTo says who may change restricted label r. Users are named in code, not
// mentioned, so a refusal notifies nobody.
func restrictedTo(r plugins.RestrictedLabel, org string) string {
	const where = " (`label.restricted_labels` in plugins.yaml)"
	var who []string
	if len(r.AllowedUsers) > 0 {
		who = append(who, quoteSome(r.AllowedUsers, maxListed))
	}
	if len(r.AllowedTeams) > 0 {
		teams := make([]string, len(r.AllowedTeams))
		for i, t := range r.AllowedTeams {
			teams[i] = org + "/" + t
		}
		who = append(who, "members of "+plugins.Plural(len(teams), "team ", "teams ")+quoteSome(teams, maxListed))
	}
	if len(who) == 0 {
		return "nobody may change it with a comment" + where
	}
	return "restricted to " + strings.Join(who, " and ") + where
}

// describe is the reply line for one command, or "" when it changed and refused nothing.
func describe(c command, r result, org, repo string, allowed []string) string {
	verb := "add"
	if c.remove {
		verb = "remove"
	}
	var parts []string
	if len(r.changed) > 0 {
		parts = append(parts, fmt.Sprintf("%sing %s %s", strings.TrimSuffix(verb, "e"), plugins.Plural(len(r.changed), "label", "labels"), quoteSome(r.changed, maxChanges)))
	}
	if len(r.missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s/%s has no %s %s", org, repo, plugins.Plural(len(r.missing), "label", "labels"), quoteSome(r.missing, maxListed)))
	}
	if len(r.refused) > 0 {
		allowedText := "no labels are allowed"
		if len(allowed) > 0 {
			allowedText = "the allowed labels are " + quoteSome(allowed, maxListed)
		}
		parts = append(parts, fmt.Sprintf("`/%s` cannot set %s: %s (`label.additional_labels` in plugins.yaml)",
			customCommand, quoteSome(r.refused, maxListed), allowedText))
	}
	for _, d := range r.denied {
		parts = append(parts, fmt.Sprintf("cannot %s %s: %s", verb, quoteSome(d.labels, maxListed), d.reason))
	}
	if len(parts) == 0 {
		return ""
	}
	return plugins.Code(c.text) + ": " + strings.Join(parts, "; ") + "."
}

// quoteSome quotes the first limit names as code and counts the rest.
func quoteSome(names []string, limit int) string {
	shown := names[:min(len(names), limit)]
	quoted := make([]string, len(shown))
	for i, n := range shown {
		quoted[i] = plugins.Code(n)
	}
	out := strings.Join(quoted, ", ")
	if rest := len(names) - len(shown); rest > 0 {
		out += fmt.Sprintf(" and %s more", plugins.FormatCount(rest))
	}
	return out
}
