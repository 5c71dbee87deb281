// Package lgtm is the plugin for reviewers' approval of a change: /lgtm adds the lgtm label,
// /lgtm cancel removes it, and new commits pushed to the pull request remove it unless
// plugins.yaml says to keep it.
package lgtm

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "lgtm"

// Label is the label /lgtm puts on a pull request.
const Label = "lgtm"

// lgtmRe matches "/lgtm", "/lgtm no-issue", "/lgtm cancel" and "/remove-lgtm", capturing
// "remove-" and the argument; the last such line of a comment decides.
var lgtmRe = regexp.MustCompile(`(?mi)^/(remove-)?lgtm(?:[ \t]+(cancel|no-issue))?[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Marks a pull request as reviewed with the `" + Label + "` label. Pushing new commits removes the label, " +
				"unless `retain_label_on_push` is set for the repository in plugins.yaml.",
			Commands: []plugins.Command{{
				Usage:       "/lgtm [cancel], /remove-lgtm",
				Description: "Adds the `" + Label + "` label; `/lgtm cancel` or `/remove-lgtm` removes it.",
				WhoCanUse: "Members of the organization and collaborators of the repository, except the pull request's author, " +
					"who may only cancel.",
				Examples: []string{"/lgtm", "/lgtm cancel", "/remove-lgtm"},
			}},
		},
		IssueComment: handleIssueComment,
		PullRequest:  handlePullRequest,
	})
}
