// Package trigger is the plugin that starts and stops jobs: presubmits when a trusted author
// opens or updates a pull request or a trusted user comments a command, postsubmits on
// pushes, and aborts of runs a newer commit or a /cancel made pointless.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/jobs"
	"github.com/bosun-ci/bosun/pkg/plugins"
)

// PluginName is the name to enable in plugins.yaml.
const PluginName = "trigger"

// Labels the trust flow uses, Prow's names.
const (
	labelOkToTest      = "ok-to-test"
	labelNeedsOkToTest = "needs-ok-to-test"
)

// LabelOkToTest is the label by which a trusted user vouches for the pull request of an
// untrusted author; DecidePresubmits depends on it.
const LabelOkToTest = labelOkToTest

// plugin holds what the trigger keeps between events: the changed files of recent pull
// request heads, so that several events for one commit fetch them once.
type plugin struct {
	changes *changesCache
}

// registered is the trigger the hook runs. The exported functions (DecidePresubmits) use it
// too, so that a resync in the hook process and the event handlers share one file cache.
var registered = &plugin{changes: newChangesCache(defaultChangesCacheSize)}

func init() {
	p := registered
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

// createAll creates the jobs in parallel: each create is one apiserver round trip, and an
// event with several jobs should cost one round trip of latency, not several. A job that
// already exists (a redelivered event) is not an error; the count returned leaves it out, so
// that it says what this call added. With automatic (see createOptions), a job found
// aborted as superseded under its name is created again under the delivery's name.
func createAll(ctx context.Context, a plugins.Agent, pjs []*prowjobsv1.ProwJob, automatic bool) (int, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		created int
	)
	for _, pj := range pjs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := createOne(ctx, a, pj, automatic)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("create ProwJob for %s: %w", pj.Spec.Job, err))
			}
			if ok {
				created++
			}
		}()
	}
	wg.Wait()
	return created, errors.Join(errs...)
}

// maxReruns bounds how many superseded runs of one job on one head createOne steps over:
// a head pushed away from and back to that often is not run again.
const maxReruns = 16

// createOne creates pj and reports whether it created it (createAll). With automatic, a
// run found under pj's name that was aborted as superseded is stepped over: the next run's
// name is derived from that run's, so every event and resync that runs the head again
// arrives at the same name, as they do for the first run.
func createOne(ctx context.Context, a plugins.Agent, pj *prowjobsv1.ProwJob, automatic bool) (bool, error) {
	for rerun := 0; ; rerun++ {
		_, err := a.ProwJobs.Create(ctx, pj, metav1.CreateOptions{})
		switch {
		case err == nil:
			a.Logger.Infow("Created ProwJob", "prowjob", pj.Name, "job", pj.Spec.Job, "type", pj.Spec.Type)
			return true, nil
		case !apierrors.IsAlreadyExists(err):
			return false, err
		}
		if !automatic || rerun == maxReruns {
			a.Logger.Infow("ProwJob already exists", "prowjob", pj.Name, "job", pj.Spec.Job)
			return false, nil
		}
		existing, err := a.ProwJobs.Get(ctx, pj.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue // deleted meanwhile: its name is free again
		case err != nil:
			return false, err
		case existing.Status.State != prowjobsv1.AbortedState || existing.Status.Description != DescriptionSuperseded:
			a.Logger.Infow("ProwJob already exists", "prowjob", pj.Name, "job", pj.Spec.Job)
			return false, nil
		}
		again := pj.DeepCopy()
		again.Name = jobs.Name(pj.Name, pj.Spec.Job, pj.Spec.Refs.HeadSHA())
		a.Logger.Infow("Running the job again: its earlier run of this head was superseded", "prowjob", again.Name, "superseded", pj.Name, "job", pj.Spec.Job)
		pj = again
	}
}
