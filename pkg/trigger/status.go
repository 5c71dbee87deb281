package trigger

import (
	"context"
	"unicode/utf8"

	"github.com/bosun-ci/bosun/pkg/github"
)

// ConfigStatusContext is the commit status context on which a head learns that its in-repo
// config does not load, instead of silently running only the central jobs.
const ConfigStatusContext = "bosun/config"

// maxStatusDescription is GitHub's limit on a status description, in characters.
const maxStatusDescription = 140

// configFixed is the description of the success status that replaces a failing one when
// the same commit's config loads again (the central config changed, e.g. allowed_clusters).
const configFixed = "In-repo config loads."

// reportConfig posts the config status of org/repo at sha when it changes: a failure when
// bad is set, a success only over a failure posted before. Each head's status is posted once
// however many events and resyncs decide for it; a failed post is logged, and tried again
// by the next event, since the jobs decided do not depend on it.
func (t *Trigger) reportConfig(ctx context.Context, ev Event, org, repo, sha string, bad *InRepoError) {
	key := org + "/" + repo + "@" + sha
	last, _ := t.configReports.get(key)
	var s github.Status
	switch {
	case bad != nil:
		s = github.Status{State: github.StatusFailure, Context: ConfigStatusContext, Description: truncateRunes(firstLine(bad.Err.Error()), maxStatusDescription)}
		ev.Logger.Warnw("In-repo config does not load: running the central jobs only", "sha", sha, "error", bad.Err.Error())
	case last != "":
		s = github.Status{State: github.StatusSuccess, Context: ConfigStatusContext, Description: configFixed}
	default:
		return
	}
	if s.Description == last || t.statuses == nil {
		return
	}
	if err := t.statuses.CreateStatus(ctx, org, repo, sha, s); err != nil {
		ev.Logger.Warnw("Could not post the in-repo config status", "sha", sha, "error", err)
		return
	}
	remember := s.Description
	if bad == nil {
		remember = ""
	}
	t.configReports.set(key, remember)
}

// truncateRunes cuts s to at most n characters, ending in "..." when it cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-3]) + "..."
}
