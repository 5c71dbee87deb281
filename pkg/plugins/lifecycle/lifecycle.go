// Package lifecycle is the plugin that closes and reopens issues and pull requests from
// comments: /close and /reopen, for their authors and the repository's collaborators.
package lifecycle

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "lifecycle"

// commandRe matches "/close" and "/reopen", capturing which; the last such line of a comment
// decides.
var commandRe = regexp.MustCompile(`(?mi)^/(close|reopen)[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Closes and reopens issues and pull requests.",
			Commands: []plugins.Command{{
				Usage:       "/close",
				Description: "Closes the issue or pull request.",
				WhoCanUse:   "The author, members of the organization and collaborators of the repository.",
				Examples:    []string{"/close"},
			}, {
				Usage:       "/reopen",
				Description: "Reopens the issue or pull request; a merged pull request cannot be reopened.",
				WhoCanUse:   "The author, members of the organization and collaborators of the repository.",
				Examples:    []string{"/reopen"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}
