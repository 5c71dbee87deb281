package config

import (
	"regexp"
	"slices"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// JobConfig is the job part of the config: presubmits and postsubmits keyed by "org/repo",
// and periodics, which belong to no repository. The JSON keys are Prow's.
type JobConfig struct {
	Presubmits  map[string][]Presubmit  `json:"presubmits,omitempty"`
	Postsubmits map[string][]Postsubmit `json:"postsubmits,omitempty"`
	Periodics   []Periodic              `json:"periodics,omitempty"`
}

// JobBase holds what every kind of job has.
type JobBase struct {
	// Name identifies the job; it must match [A-Za-z0-9-._]+ and becomes the ProwJob's
	// spec.job and the prow.k8s.io/job label.
	Name string `json:"name"`
	// Labels and Annotations are copied onto the ProwJob and its PipelineRun.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// MaxConcurrency caps how many runs of this job may be pending at once; 0 means no cap.
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// Agent is tekton-pipeline for every job in a loaded config: jobs for Prow's other
	// agents are left out (see LoadWithWarnings), and a job with a pipeline run spec and no
	// agent is defaulted to it.
	Agent prowjobsv1.ProwJobAgent `json:"agent,omitempty"`
	// Cluster is the build cluster alias; defaults to "default" as in Prow.
	Cluster string `json:"cluster,omitempty"`
	// Namespace is where the PipelineRun is created; nil or empty means the config's
	// pod_namespace.
	Namespace *string `json:"namespace,omitempty"`
	// PipelineRunSpec and TektonPipelineRunSpec are the two keys Prow accepts for the run;
	// exactly one must be set. Use RunSpec to read whichever it is.
	PipelineRunSpec       *pipelinev1.PipelineRunSpec       `json:"pipeline_run_spec,omitempty"`
	TektonPipelineRunSpec *prowjobsv1.TektonPipelineRunSpec `json:"tekton_pipeline_run_spec,omitempty"`
	// Hidden jobs are left off public dashboards.
	Hidden           bool                         `json:"hidden,omitempty"`
	DecorationConfig *prowjobsv1.DecorationConfig `json:"decoration_config,omitempty"`
	ReporterConfig   *prowjobsv1.ReporterConfig   `json:"reporter_config,omitempty"`
	RerunAuthConfig  *prowjobsv1.RerunAuthConfig  `json:"rerun_auth_config,omitempty"`
	// ExtraRefs are further repositories the job checks out. Prow allows them on every
	// kind of job; periodics, which have no refs of their own, use them most.
	ExtraRefs []prowjobsv1.Refs `json:"extra_refs,omitempty"`
	// JobQueueName groups jobs that share a concurrency queue.
	JobQueueName string `json:"job_queue_name,omitempty"`

	// pos says where the job was defined, for error messages and duplicate reports.
	pos position
}

// RunSpec returns the PipelineRunSpec the job runs, whichever key it was given under, or nil
// if it has none (which validation rejects).
func (j JobBase) RunSpec() *pipelinev1.PipelineRunSpec {
	if j.PipelineRunSpec != nil {
		return j.PipelineRunSpec
	}
	if j.TektonPipelineRunSpec != nil {
		return j.TektonPipelineRunSpec.V1Beta1
	}
	return nil
}

// SourcePath returns the file the job was defined in.
func (j JobBase) SourcePath() string { return j.pos.file }

// Brancher limits a job to some branches. Both lists hold regular expressions that, as in
// Prow, are joined with "|" and matched unanchored: "main" also matches "maintenance", so
// write "^main$" to mean exactly main.
type Brancher struct {
	// Branches, when set, are the only branches the job runs against.
	Branches []string `json:"branches,omitempty"`
	// SkipBranches are branches the job never runs against; they win over Branches.
	SkipBranches []string `json:"skip_branches,omitempty"`

	branchesRe     *regexp.Regexp
	skipBranchesRe *regexp.Regexp
}

// ShouldRun reports whether the job may run against branch.
func (b Brancher) ShouldRun(branch string) bool {
	if b.skipBranchesRe != nil && b.skipBranchesRe.MatchString(branch) {
		return false
	}
	return b.branchesRe == nil || b.branchesRe.MatchString(branch)
}

// runsOnAllBranches reports whether neither list is set.
func (b Brancher) runsOnAllBranches() bool {
	return len(b.Branches) == 0 && len(b.SkipBranches) == 0
}

// Intersects reports whether some branch could run both b and other. Regular expressions do
// not intersect cheaply, so, like Prow, it uses the entries of Branches as sample branch
// names: two jobs listing "main" and "^main$" are taken to be apart. It is used to allow
// one job name per repository for disjoint branches (main and release ones, say).
func (b Brancher) Intersects(other Brancher) bool {
	if b.runsOnAllBranches() || other.runsOnAllBranches() {
		return true
	}
	switch {
	case len(b.Branches) > 0 && len(other.Branches) > 0:
		for _, br := range b.Branches {
			if slices.Contains(other.Branches, br) {
				return true
			}
		}
		return false
	case len(b.Branches) > 0:
		return anyRunsOn(b.Branches, b, other)
	case len(other.Branches) > 0:
		return anyRunsOn(other.Branches, b, other)
	default:
		// Both only skip some branches: some other branch runs both.
		return true
	}
}

// anyRunsOn reports whether one of the sample branches runs both a and b.
func anyRunsOn(samples []string, a, b Brancher) bool {
	for _, br := range samples {
		if a.ShouldRun(br) && b.ShouldRun(br) {
			return true
		}
	}
	return false
}

// RegexpChangeMatcher runs a job only for some changed files. The two fields are mutually
// exclusive. They are compiled at load time; matching against changed files comes with the
// trigger plugin.
type RegexpChangeMatcher struct {
	// RunIfChanged runs the job if any changed file matches.
	RunIfChanged string `json:"run_if_changed,omitempty"`
	// SkipIfOnlyChanged skips the job if every changed file matches.
	SkipIfOnlyChanged string `json:"skip_if_only_changed,omitempty"`

	changesRe *regexp.Regexp
}

// ChangedFiles returns the files a change touches; it is called at most once per event
// and only when a job's decision depends on the files.
type ChangedFiles func() ([]string, error)

// HasChangeMatcher reports whether the job's decision depends on the changed files.
func (m RegexpChangeMatcher) HasChangeMatcher() bool { return m.changesRe != nil }

// MatchesChanges reports whether the changed files make the job run: any file matches
// run_if_changed, or some file does not match skip_if_only_changed. An empty change runs
// neither kind, as in Prow.
func (m RegexpChangeMatcher) MatchesChanges(files []string) bool {
	if m.changesRe == nil {
		return false
	}
	if m.RunIfChanged != "" {
		for _, f := range files {
			if m.changesRe.MatchString(f) {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		if !m.changesRe.MatchString(f) {
			return true
		}
	}
	return false
}

// Reporter says how a job reports to GitHub.
type Reporter struct {
	// Context is the commit status context; defaults to the job name.
	Context string `json:"context,omitempty"`
	// SkipReport leaves GitHub alone.
	SkipReport bool `json:"skip_report,omitempty"`
}

// Presubmit runs on pull requests.
type Presubmit struct {
	JobBase             `json:",inline"`
	Brancher            `json:",inline"`
	RegexpChangeMatcher `json:",inline"`
	Reporter            `json:",inline"`

	// AlwaysRun runs the job on every pull request push, not only when asked.
	AlwaysRun bool `json:"always_run,omitempty"`
	// Optional jobs are not required for merge.
	Optional bool `json:"optional,omitempty"`
	// Trigger is the regular expression a comment must match to run the job. Trigger and
	// RerunCommand are set together or not at all; the defaults are DefaultTriggerFor and
	// DefaultRerunCommandFor.
	Trigger string `json:"trigger,omitempty"`
	// RerunCommand is the comment shown to users to rerun the job; it must match Trigger.
	RerunCommand string `json:"rerun_command,omitempty"`

	triggerRe *regexp.Regexp
}

// CouldRun reports whether the job may run for a pull request against baseRef, the branch
// name.
func (p Presubmit) CouldRun(baseRef string) bool { return p.Brancher.ShouldRun(baseRef) }

// ShouldRun reports whether the job runs by itself for a pull request against baseRef with
// the given changes: always_run jobs always, run_if_changed and skip_if_only_changed jobs
// when the files say so, other jobs only when asked for by name.
func (p Presubmit) ShouldRun(baseRef string, changes ChangedFiles) (bool, error) {
	if !p.CouldRun(baseRef) {
		return false, nil
	}
	if p.AlwaysRun {
		return true, nil
	}
	if !p.HasChangeMatcher() {
		return false, nil
	}
	files, err := changes()
	if err != nil {
		return false, err
	}
	return p.MatchesChanges(files), nil
}

// TriggerMatches reports whether a comment body asks for this job. Text in fenced code
// blocks and quoted lines does not count (see StripCodeAndQuotes).
func (p Presubmit) TriggerMatches(body string) bool {
	if p.triggerRe == nil {
		return false
	}
	return p.triggerRe.MatchString(StripCodeAndQuotes(body))
}

// Postsubmit runs on pushes to a branch.
type Postsubmit struct {
	JobBase             `json:",inline"`
	Brancher            `json:",inline"`
	RegexpChangeMatcher `json:",inline"`
	Reporter            `json:",inline"`

	// AlwaysRun is a pointer because postsubmits run by default: only an explicit false,
	// together with no change matcher, keeps the job from running on every push.
	AlwaysRun *bool `json:"always_run,omitempty"`
}

// CouldRun reports whether the job may run for a push to ref, the branch name.
func (p Postsubmit) CouldRun(ref string) bool { return p.Brancher.ShouldRun(ref) }

// ShouldRunOnPush reports whether the job runs by itself for a push to branch. As in Prow,
// postsubmits run on every push to a matching branch unless always_run is false or a
// run_if_changed / skip_if_only_changed matcher decides from the pushed files.
func (p Postsubmit) ShouldRunOnPush(branch string, changes ChangedFiles) (bool, error) {
	if !p.CouldRun(branch) {
		return false, nil
	}
	if p.AlwaysRun != nil && *p.AlwaysRun {
		return true, nil
	}
	if p.HasChangeMatcher() {
		files, err := changes()
		if err != nil {
			return false, err
		}
		return p.MatchesChanges(files), nil
	}
	return p.AlwaysRun == nil, nil
}

// Periodic runs on a schedule: exactly one of Cron and Interval is set.
type Periodic struct {
	JobBase `json:",inline"`

	// Cron is a 5-field cron expression (or a descriptor such as @daily).
	Cron string `json:"cron,omitempty"`
	// Interval is a Go duration between runs, such as "2h".
	Interval string `json:"interval,omitempty"`

	interval time.Duration
}

// IntervalDuration returns Interval parsed, or 0 for a cron job.
func (p Periodic) IntervalDuration() time.Duration { return p.interval }

// PresubmitsFor returns the presubmits of org/repo. The slice is a copy; the jobs share
// their maps and specs with the config, which callers must not modify.
func (c *JobConfig) PresubmitsFor(org, repo string) []Presubmit {
	return slices.Clone(c.Presubmits[org+"/"+repo])
}

// PostsubmitsFor returns the postsubmits of org/repo, with the same sharing as PresubmitsFor.
func (c *JobConfig) PostsubmitsFor(org, repo string) []Postsubmit {
	return slices.Clone(c.Postsubmits[org+"/"+repo])
}

// AllPeriodics returns every periodic, with the same sharing as PresubmitsFor.
func (c *JobConfig) AllPeriodics() []Periodic {
	return slices.Clone(c.Periodics)
}

// JobCounts returns how many jobs of each kind the config holds.
func (c *JobConfig) JobCounts() (presubmits, postsubmits, periodics int) {
	for _, jobs := range c.Presubmits {
		presubmits += len(jobs)
	}
	for _, jobs := range c.Postsubmits {
		postsubmits += len(jobs)
	}
	return presubmits, postsubmits, len(c.Periodics)
}
