// Package label is the plugin that labels issues and pull requests from comments: /kind,
// /priority, /area and the other prefixed commands apply "<prefix>/<name>" labels the
// repository defines, and /label applies labels plugins.yaml allows.
package label

import (
	"regexp"

	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "label"

// prefixes are the commands that apply "<prefix>/<name>" labels, as in Prow.
var prefixes = []string{"area", "committee", "kind", "language", "priority", "sig", "triage", "wg"}

// customCommand is the command for the labels listed in plugins.yaml.
const customCommand = "label"

// labelRe matches "/<prefix> <name>..." and "/remove-<prefix> <name>...", and the same for
// "/label", capturing "remove-", the command and the names.
var labelRe = regexp.MustCompile(`(?mi)^/(remove-)?(area|committee|kind|language|priority|sig|triage|wg|label)[ \t]+(\S[^\n]*?)[ \t]*$`)

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Adds and removes labels. The prefixed commands (/area, /committee, /kind, /language, /priority, /sig, " +
				"/triage, /wg) apply `<prefix>/<name>` labels that the repository already defines; /label applies the labels " +
				"listed under `label.additional_labels` or `label.restricted_labels` in plugins.yaml. Works on issues and pull requests, " +
				"open or closed. `lgtm` and `approved` belong to /lgtm and /approve; `ok-to-test` needs someone the trigger trusts; " +
				"a restricted label needs one of its users or a member of one of its teams. A comment is read for at most 50 label " +
				"commands and makes at most 50 label changes.",
			Commands: []plugins.Command{{
				Usage:       "/[remove-](area|committee|kind|language|priority|sig|triage|wg) <name> [<name>...]",
				Description: "Adds or removes the `<prefix>/<name>` labels, which must exist in the repository.",
				WhoCanUse:   "Anyone who can comment; restricted labels only the users and teams listed for them.",
				Examples:    []string{"/kind bug", "/priority critical-urgent", "/area api docs", "/remove-kind bug"},
			}, {
				Usage:       "/[remove-]label <label> [<label>...]",
				Description: "Adds or removes labels listed under `label.additional_labels` or `label.restricted_labels` in plugins.yaml.",
				WhoCanUse:   "Anyone who can comment; `ok-to-test` only users the trigger trusts, restricted labels only the users and teams listed for them.",
				Examples:    []string{"/label tide/merge-method-squash", "/remove-label tide/merge-method-squash"},
			}},
		},
		IssueComment: handleIssueComment,
	})
}
