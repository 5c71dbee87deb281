// Package help is the plugin that answers /help with the commands of the plugins enabled for
// the repository, from the help each plugin registers.
package help

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "help"

// helpRe matches "/help" alone on a line.
var helpRe = regexp.MustCompile(`(?mi)^/help[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Lists the commands of the plugins enabled for the repository.",
			Commands: []plugins.Command{{
				Usage:       "/help",
				Description: "Replies with the commands available here, who can use them and examples.",
				WhoCanUse:   "Anyone who can comment.",
				Examples:    []string{"/help"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}
