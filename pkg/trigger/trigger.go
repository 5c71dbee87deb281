// Package trigger is the decision core of bosun's job triggering: which presubmits run for
// a pull request head (trust, branches, changed files), which postsubmits run for a push,
// and the creation of their ProwJobs under names every event and resync agree on. The
// trigger plugin (its ChatOps commands and event handlers) and the resync of open pull
// requests both use one Trigger, built once per hook process, so they share its caches and
// decide alike.
//
// It reaches GitHub and the apiserver only through the narrow interfaces below.
package trigger

import (
	"context"
	"time"

	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/github"
)

// PluginName is the name of the plugin that triggers jobs, to enable in plugins.yaml; the
// resync acts only on repositories that enable it.
const PluginName = "trigger"

// LabelOkToTest is the label by which a trusted user vouches for the pull request of an
// untrusted author (Prow's name).
const LabelOkToTest = "ok-to-test"

// DescriptionSuperseded is the description of presubmits aborted because a newer commit, a
// newer run of the same job, or the pull request's closing made them pointless.
const DescriptionSuperseded = "Aborted by trigger plugin."

// FilesLister lists the files a pull request changes.
type FilesLister interface {
	GetPullRequestFiles(ctx context.Context, org, repo string, number int) ([]string, error)
}

// ProwJobCreator creates ProwJobs and reads one back (a name taken by a superseded run).
type ProwJobCreator interface {
	Create(ctx context.Context, pj *prowjobsv1.ProwJob, opts metav1.CreateOptions) (*prowjobsv1.ProwJob, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*prowjobsv1.ProwJob, error)
}

// Trust says whether a GitHub user may run jobs in a repository: the trigger plugin's
// settings (plugins.yaml triggers:) over GitHub's org membership and collaborators.
type Trust interface {
	Trusted(ctx context.Context, org, repo, user, association string) (bool, error)
}

// TrustFunc adapts a function to Trust.
type TrustFunc func(ctx context.Context, org, repo, user, association string) (bool, error)

// Trusted calls f.
func (f TrustFunc) Trusted(ctx context.Context, org, repo, user, association string) (bool, error) {
	return f(ctx, org, repo, user, association)
}

// Options are what a Trigger is built with, once per process.
type Options struct {
	// Files lists pull requests' changed files, for run_if_changed and
	// skip_if_only_changed.
	Files FilesLister
	// ProwJobs creates the jobs.
	ProwJobs ProwJobCreator
	// Trees reads repositories' in-repo config (.prow.yaml, .prow/, .lighthouse/) at the
	// commits tested, for the repositories config.yaml's in_repo_config enables; nil turns
	// in-repo config off.
	Trees github.TreeReader
	// Statuses posts the failing ConfigStatusContext status on a commit whose in-repo
	// config does not load; nil only logs it.
	Statuses github.StatusCreator
	// ChangesCacheSize bounds how many pull request heads' file lists are kept; zero means
	// defaultChangesCacheSize.
	ChangesCacheSize int
	// Now stamps the jobs' start time; nil means time.Now.
	Now func() time.Time
}

// Trigger decides and creates jobs. It is safe for concurrent use.
type Trigger struct {
	files    FilesLister
	prowJobs ProwJobCreator
	changes  *boundedCache[[]string]
	now      func() time.Time
	inRepo   *inRepoReader
	statuses github.StatusCreator
	// configReports remembers, per commit, the config status last posted ("" for none or
	// success), so that every event and resync of a head posts it once.
	configReports *boundedCache[string]
}

// New builds a Trigger.
func New(o Options) *Trigger {
	size := o.ChangesCacheSize
	if size <= 0 {
		size = defaultChangesCacheSize
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	t := &Trigger{
		files:         o.Files,
		prowJobs:      o.ProwJobs,
		changes:       newBoundedCache[[]string](size, 0, nil),
		now:           now,
		statuses:      o.Statuses,
		configReports: newBoundedCache[string](inRepoCommitsCached, 0, nil),
	}
	if o.Trees != nil {
		t.inRepo = newInRepoReader(o.Trees)
	}
	return t
}

// Event is what one decision is made under: the config in force when the event arrived,
// the trust settings of its repository, and the delivery it comes from.
type Event struct {
	Config *config.Config
	Trust  Trust
	// GUID is the X-GitHub-Delivery id (or a resync's own); it keys the names of runs that
	// are not automatic and fills the event-GUID label.
	GUID   string
	Logger *zap.SugaredLogger
}
