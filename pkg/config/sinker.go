package config

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults for the sinker section; they are Prow's sinker defaults (COMPAT.md, "Garbage
// collection defaults").
const (
	DefaultSinkerResyncPeriod  = time.Hour
	DefaultSinkerMaxProwJobAge = 7 * 24 * time.Hour
)

// Sinker configures garbage collection of finished ProwJobs and their PipelineRuns:
//
//	sinker:
//	  resync_period: 1h          # how often a pass runs
//	  max_prowjob_age: 168h      # completed ProwJobs older than this are deleted
//	  max_pipelinerun_age: 24h   # optional: orphaned PipelineRuns older than this are deleted
//	  dry_run: false             # log and count what would be deleted, delete nothing
//
// Durations use Go's syntax ("90m", "168h"). After defaulting, ResyncPeriod and
// MaxProwJobAge are set; MaxPipelineRunAge stays nil unless configured.
type Sinker struct {
	// ResyncPeriod is the time between two passes. Default 1h.
	ResyncPeriod *metav1.Duration `json:"resync_period,omitempty"`
	// MaxProwJobAge is how long a completed ProwJob is kept, counted from its completion
	// time (its creation time if it has none). The newest completed run of each periodic
	// is kept whatever its age. Default 168h.
	MaxProwJobAge *metav1.Duration `json:"max_prowjob_age,omitempty"`
	// MaxPipelineRunAge, when set, also deletes orphaned PipelineRuns (labelled
	// prow.k8s.io/id, their ProwJob gone) older than this, counted from the run's
	// completion time (its creation time if it has none). Unset leaves orphans alone.
	MaxPipelineRunAge *metav1.Duration `json:"max_pipelinerun_age,omitempty"`
	// DryRun logs and counts what a pass would delete and deletes nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// ResyncPeriodDuration returns the resync period, or its default if unset.
func (s *Sinker) ResyncPeriodDuration() time.Duration {
	if s.ResyncPeriod == nil {
		return DefaultSinkerResyncPeriod
	}
	return s.ResyncPeriod.Duration
}

// MaxProwJobAgeDuration returns the maximum ProwJob age, or its default if unset.
func (s *Sinker) MaxProwJobAgeDuration() time.Duration {
	if s.MaxProwJobAge == nil {
		return DefaultSinkerMaxProwJobAge
	}
	return s.MaxProwJobAge.Duration
}

// MaxPipelineRunAgeDuration returns the maximum age of orphaned PipelineRuns and whether
// orphans are collected at all.
func (s *Sinker) MaxPipelineRunAgeDuration() (time.Duration, bool) {
	if s.MaxPipelineRunAge == nil {
		return 0, false
	}
	return s.MaxPipelineRunAge.Duration, true
}

// setDefaults fills in the resync period and the ProwJob age.
func (s *Sinker) setDefaults() {
	if s.ResyncPeriod == nil {
		s.ResyncPeriod = &metav1.Duration{Duration: DefaultSinkerResyncPeriod}
	}
	if s.MaxProwJobAge == nil {
		s.MaxProwJobAge = &metav1.Duration{Duration: DefaultSinkerMaxProwJobAge}
	}
}

// validate checks that every duration set is positive; at gives the file and line of a key
// path for errors.
func (s *Sinker) validate(at func(path string) position) []error {
	var errs []error
	for _, f := range []struct {
		field string
		value *metav1.Duration
	}{
		{"sinker.resync_period", s.ResyncPeriod},
		{"sinker.max_prowjob_age", s.MaxProwJobAge},
		{"sinker.max_pipelinerun_age", s.MaxPipelineRunAge},
	} {
		if f.value != nil && f.value.Duration <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s: must be a positive duration, got %s", at(f.field), f.field, f.value.Duration))
		}
	}
	return errs
}
