// Package updateconfig is the config-updater plugin: when a pull request that changes files
// config_updater maps (in plugins.yaml) merges into its repository's default branch, it
// copies those files, as they are at the merge commit, into their ConfigMaps, and says on the
// pull request what it changed. It is Prow's plugin of the same name.
package updateconfig

import (
	"context"

	gogithub "github.com/google/go-github/v93/github"

	"github.com/bosun-ci/bosun/pkg/github"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml, Prow's.
const PluginName = "config-updater"

// Bounds on what one merged pull request makes the plugin do.
const (
	// MaxConfigMapBytes is the most a ConfigMap holds, counting its keys and values, as
	// the apiserver counts them: a larger one is refused, so it is never written.
	MaxConfigMapBytes = 1 << 20
	// MaxFilesRead is the most files the plugin reads from GitHub for one pull request;
	// one that changes more mapped files updates nothing and says so.
	MaxFilesRead = 100
)

// VersionKey is the key that holds, in every ConfigMap the plugin writes, the merge commit
// it was written from, as Prow's plugin does.
const VersionKey = "VERSION"

func init() {
	plugins.Register(plugins.Plugin{
		Name: PluginName,
		Help: plugins.Help{
			Description: "Updates ConfigMaps from the files of the repository that `config_updater` in plugins.yaml maps to them, " +
				"when a pull request changing them merges into the default branch, and comments on the pull request with what changed.",
		},
		PullRequest: handlePullRequest,
	})
}

// githubClient is what the plugin does on GitHub.
type githubClient interface {
	github.PullRequestFileChangesLister
	github.FileGetter
	github.Commenter
}

func handlePullRequest(ctx context.Context, a plugins.Agent, e *gogithub.PullRequestEvent) error {
	if a.ConfigMaps == nil {
		return nil
	}
	org, repo := e.GetRepo().GetOwner().GetLogin(), e.GetRepo().GetName()
	namespace := ""
	if a.Config != nil {
		namespace = a.Config.ProwJobNamespace
	}
	return handle(ctx, a.GitHub, a.ConfigMaps, namespace, a.PluginConfig.ConfigMapsFor(org, repo), a.Logger, e)
}
