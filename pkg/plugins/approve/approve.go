// Package approve is the plugin for approvers' sign-off on a change: /approve adds the
// approved label when the commenter is an approver in the OWNERS file of the pull request's
// base branch, and /approve cancel removes it.
package approve

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "approve"

// Label is the label /approve puts on a pull request.
const Label = "approved"

// OwnersFile is the file, at the root of the base branch, that names the approvers.
const OwnersFile = "OWNERS"

// approveRe matches "/approve", "/approve no-issue" and "/approve cancel", capturing the
// argument; the last such line of a comment decides.
var approveRe = regexp.MustCompile(`(?mi)^/approve(?:[ \t]+(cancel|no-issue))?[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Marks a pull request as approved with the `" + Label + "` label. Approvers are listed under `approvers` " +
				"in the " + OwnersFile + " file at the root of the pull request's base branch; without that file nobody can approve.",
			Commands: []plugins.Command{{
				Usage:       "/approve [no-issue|cancel]",
				Description: "Adds the `" + Label + "` label; `/approve cancel` removes it.",
				WhoCanUse:   "Approvers in the " + OwnersFile + " file of the pull request's base branch.",
				Examples:    []string{"/approve", "/approve no-issue", "/approve cancel"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}
