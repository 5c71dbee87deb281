package pipeline

import (
	"context"
	"sync"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// maxCheckedJobs bounds how many jobs checkedJobs remembers. A config rarely holds more jobs
// than this; past it, the oldest are forgotten and, at their next run, checked again.
const maxCheckedJobs = 4096

// checkedJobs is a bounded set of the jobs whose pipelines were checked for script
// injection, so that each job is analysed, and warned about, once per process rather than at
// every run. The zero value is ready to use.
type checkedJobs struct {
	// limit is the most jobs remembered; 0 means maxCheckedJobs.
	limit int

	mu   sync.Mutex
	seen map[string]bool
	// order holds the keys oldest first, as a ring once it is full: next is the oldest.
	order []string
	next  int
}

// firstTime records key and reports whether it was not there already.
func (c *checkedJobs) firstTime(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[key] {
		return false
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	limit := c.limit
	if limit <= 0 {
		limit = maxCheckedJobs
	}
	if len(c.order) < limit {
		c.order = append(c.order, key)
	} else {
		delete(c.seen, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % limit
	}
	c.seen[key] = true
	return true
}

// warnScriptInjections logs a warning, once per job, when the job's run substitutes a param
// the pull request's author controls (config.AuthorParams) into a script, command or args
// (config.FindScriptInjections). The run is created all the same: this is the author of the
// job config's to fix, and checkconfig tells them too. A job is known by its type,
// repository and name, since presubmits of different repositories may share a name.
func (r *Reconciler) warnScriptInjections(ctx context.Context, pj *prowjobsv1.ProwJob, spec *pipelinev1.PipelineRunSpec) {
	authorParams := config.AuthorParams(pj.Spec.Type)
	if len(authorParams) == 0 {
		return
	}
	repo := ""
	if refs := pj.Spec.Refs; refs != nil {
		repo = refs.Org + "/" + refs.Repo
	}
	if !r.checked.firstTime(string(pj.Spec.Type) + " " + repo + " " + pj.Spec.Job) {
		return
	}
	findings := config.FindScriptInjections(spec, authorParams)
	if len(findings) == 0 {
		return
	}
	msgs := make([]string, len(findings))
	for i, f := range findings {
		msgs[i] = f.String()
	}
	logging.FromContext(ctx).Warnw("Job's pipeline substitutes text the pull request's author controls into a script",
		"job", pj.Spec.Job, "repo", repo, "findings", msgs)
}
