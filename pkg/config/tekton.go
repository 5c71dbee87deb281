package config

import (
	"fmt"
	"strings"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Tekton configures the PipelineRuns the controller creates:
//
//	tekton:
//	  default_timeout: 2h          # timeouts.pipeline of runs whose job sets none
//	  clone_task: bosun-git-clone  # the Task PROW_IMPLICIT_GIT_REF tasks become
//	  cancel_status: CancelledRunFinally  # what aborted jobs' runs are told
//	  max_concurrency_per_repo:    # running jobs per repository (concurrency.go)
//	    acme/widgets: 5
//	    "*": 20
//
// All are optional. Without default_timeout, Tekton's own default applies (its
// config-defaults default-timeout-minutes, 60 minutes unless changed); without clone_task,
// the controller uses bosun-git-clone, the Task shipped in tekton/git-clone.yaml.
type Tekton struct {
	// DefaultTimeout is the pipeline timeout given to runs whose job sets no
	// timeouts.pipeline. Go's duration syntax ("90m", "2h").
	DefaultTimeout *metav1.Duration `json:"default_timeout,omitempty"`
	// CloneTask names the namespaced Task, in the run's namespace, that pipeline tasks whose
	// taskRef names PROW_IMPLICIT_GIT_REF or PROW_EXTRA_GIT_REF_<n> are rewritten to. It
	// must take the params url, revision and refs, as tekton/git-clone.yaml does.
	CloneTask string `json:"clone_task,omitempty"`
	// CancelStatus is the spec.status an aborted job's PipelineRun gets: CancelledRunFinally
	// (the default: stop the tasks, run finally), Cancelled (stop everything at once) or
	// StoppedRunFinally (let running tasks end, run finally).
	CancelStatus pipelinev1.PipelineRunSpecStatus `json:"cancel_status,omitempty"`
	// MaxConcurrencyPerRepo caps how many jobs of one repository run at once, whatever the
	// job: "org/repo" keys, and "*" for every repository not listed. 0, or no entry, means no
	// cap. See RepoMaxConcurrency.
	MaxConcurrencyPerRepo map[string]int `json:"max_concurrency_per_repo,omitempty"`

	// lines are the lines of max_concurrency_per_repo's keys in the config file, for errors.
	lines map[string]int
}

// DefaultTimeoutDuration returns the default pipeline timeout, or 0 if none is configured.
func (t *Tekton) DefaultTimeoutDuration() time.Duration {
	if t.DefaultTimeout == nil {
		return 0
	}
	return t.DefaultTimeout.Duration
}

// validate checks the default timeout is positive, the clone task a valid object name and
// the concurrency limits well formed; at gives the file and line of a key path for errors.
func (t *Tekton) validate(at func(path string) position) []error {
	var errs []error
	if t.DefaultTimeout != nil && t.DefaultTimeout.Duration <= 0 {
		errs = append(errs, fmt.Errorf("%s: tekton.default_timeout: must be a positive duration, got %s", at("tekton.default_timeout"), t.DefaultTimeout.Duration))
	}
	switch t.CancelStatus {
	case "", pipelinev1.PipelineRunSpecStatusCancelledRunFinally, pipelinev1.PipelineRunSpecStatusCancelled, pipelinev1.PipelineRunSpecStatusStoppedRunFinally:
	default:
		errs = append(errs, fmt.Errorf("%s: tekton.cancel_status: %q is none of %s, %s, %s", at("tekton.cancel_status"), t.CancelStatus,
			pipelinev1.PipelineRunSpecStatusCancelledRunFinally, pipelinev1.PipelineRunSpecStatusCancelled, pipelinev1.PipelineRunSpecStatusStoppedRunFinally))
	}
	if t.CloneTask != "" {
		if msgs := validation.IsDNS1123Subdomain(t.CloneTask); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: tekton.clone_task: %q is not a valid Task name: %s", at("tekton.clone_task"), t.CloneTask, strings.Join(msgs, "; ")))
		}
	}
	errs = append(errs, t.validateConcurrency(at("").file)...)
	return errs
}
