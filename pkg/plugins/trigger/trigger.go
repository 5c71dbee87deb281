// Package trigger is the plugin that starts and stops jobs: presubmits when a trusted author
// opens or updates a pull request or a trusted user comments a command, postsubmits on
// pushes, and aborts of runs a newer commit or a /cancel made pointless.
package trigger

import (
	"context"

	"github.com/bosun-ci/bosun/pkg/plugins"
	"github.com/bosun-ci/bosun/pkg/trigger"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = trigger.PluginName

// Labels the trust flow uses, Prow's names.
const (
	labelOkToTest      = trigger.LabelOkToTest
	labelNeedsOkToTest = "needs-ok-to-test"
)

// plugin is the trigger plugin: ChatOps commands and event handlers over the decision core
// (pkg/trigger) the Agent carries.
type plugin struct{}

func init() {
	p := &plugin{}
	plugins.Register(plugins.Plugin{
		Name:         PluginName,
		Help:         help,
		PullRequest:  p.handlePullRequest,
		IssueComment: p.handleIssueComment,
		Push:         p.handlePush,
	})
}

var help = plugins.Help{
	Description: "Starts presubmit jobs when a trusted author opens or updates a pull request (drafts wait until they are " +
		"ready for review), and postsubmit jobs on pushes to matching branches. Pull requests from untrusted authors get the " +
		"needs-ok-to-test label and run nothing until a trusted user comments /ok-to-test. A new commit, closing the pull " +
		"request or turning it into a draft aborts the jobs still running for the older commit.",
	Commands: []plugins.Command{
		{
			Usage:       "/test (<job name>[ <job name>...]|all)",
			Description: "Runs the named jobs, or with all every job that runs automatically for this pull request.",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/test all", "/test unit", "/test unit lint"},
		},
		{
			Usage:       "/test ?",
			Description: "Lists the jobs that can be run on this pull request (a bare /test does the same).",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/test ?"},
		},
		{
			Usage:       "/retest",
			Description: "Reruns the jobs that failed on the latest commit, and the automatic jobs that have no status yet.",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/retest"},
		},
		{
			Usage:       "/retest-required",
			Description: "Like /retest, but only for jobs that are not optional.",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/retest-required"},
		},
		{
			Usage:       "/cancel [<job name>...]",
			Description: "Aborts the running jobs of this pull request, or only the named ones.",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/cancel", "/cancel e2e"},
		},
		{
			Usage:       "/ok-to-test",
			Description: "Marks a pull request from an untrusted author as safe to test, runs its jobs and keeps testing new commits.",
			WhoCanUse:   "Members of the organization and collaborators of the repository.",
			Examples:    []string{"/ok-to-test"},
		},
	},
}

// core is the decision core the hook built for the process, shared with the resync. An
// Agent without one (a test of another plugin) gets a core of its own, which shares no
// cache with other events.
func core(a plugins.Agent) *trigger.Trigger {
	if a.Trigger != nil {
		return a.Trigger
	}
	return trigger.New(trigger.Options{Files: a.GitHub, ProwJobs: a.ProwJobs, Trees: a.GitHub, Statuses: a.GitHub})
}

// event is what the core decides under for an event of org/repo.
func event(a plugins.Agent, org, repo string) trigger.Event {
	settings := a.PluginConfig.TriggerFor(org, repo)
	return trigger.Event{
		Config: a.Config,
		Trust: trigger.TrustFunc(func(ctx context.Context, org, repo, user, association string) (bool, error) {
			return plugins.Trusted(ctx, a.GitHub, settings, org, repo, user, association)
		}),
		GUID:   a.EventGUID,
		Logger: a.Logger,
	}
}
