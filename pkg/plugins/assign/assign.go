// Package assign is the plugin that assigns issues and pull requests and requests reviews
// from comments: /assign and /unassign change the assignees, /cc and /uncc the review
// requests of a pull request.
package assign

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "assign"

// commandRe matches "/assign", "/unassign", "/cc" and "/uncc", each with optional logins
// ("@" optional), capturing the command and the logins.
var commandRe = regexp.MustCompile(`(?mi)^/(assign|unassign|cc|uncc)((?:[ \t]+@?[-\w]+)*)[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Assigns issues and pull requests, and requests reviews on pull requests. Without a user the commands " +
				"apply to the commenter. GitHub only assigns, and asks reviews from, people with access to the repository.",
			Commands: []plugins.Command{{
				Usage:       "/[un]assign [[@]<user>...]",
				Description: "Assigns the users, or the commenter, to the issue or pull request, or removes them.",
				WhoCanUse:   "Anyone who can comment; GitHub assigns only org members, collaborators and people who commented.",
				Examples:    []string{"/assign", "/assign @alice", "/unassign @alice @bob"},
			}, {
				Usage:       "/[un]cc [[@]<user>...]",
				Description: "Requests a review of the pull request from the users, or the commenter, or withdraws the request.",
				WhoCanUse:   "Anyone who can comment; GitHub asks reviews only from collaborators, never from the author.",
				Examples:    []string{"/cc", "/cc @alice", "/uncc @alice"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}
