package config

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults for the resync section.
const (
	// DefaultResyncInterval is often enough that a lost webhook delays a pull request's jobs
	// by minutes, not hours, and rare enough that a pass over a few dozen repositories is
	// noise next to the webhooks themselves.
	DefaultResyncInterval = 10 * time.Minute
	// DefaultResyncGracePeriod is how long a pull request's webhook has to arrive before the
	// resync stands in for it. GitHub usually delivers within seconds; two minutes also
	// covers a hook that is busy or restarting.
	DefaultResyncGracePeriod = 2 * time.Minute
	// DefaultResyncMaxOrgRepos: each repository costs one listing per pass (answered from
	// the ETag cache when nothing changed, but a request all the same) and one ProwJob list,
	// so large orgs must opt in knowingly.
	DefaultResyncMaxOrgRepos = 20
)

// Resync configures the hook's periodic check of open pull requests, which creates the
// presubmits of head commits whose webhook never arrived (GitHub does not retry a failed
// delivery):
//
//	resync:
//	  interval: 10m       # time between passes; 0s turns the resync off
//	  grace_period: 2m    # pull requests updated more recently are left to their webhook
//	  max_org_repos: 20   # orgs with more repositories with presubmits are skipped...
//	  orgs: [acme]        # ...unless listed here
//
// All fields are optional, and an absent section means the defaults: the resync is on, every
// 10 minutes, for every org with at most 20 repositories that have presubmits. A repository is
// resynced only where the trigger plugin is enabled for it. After defaulting, Interval,
// GracePeriod and MaxOrgRepos are set.
type Resync struct {
	// Interval is the time between two passes; the first pass runs one interval after the
	// hook starts. "0s" turns the resync off. Default 10m.
	Interval *metav1.Duration `json:"interval,omitempty"`
	// GracePeriod: a pull request updated (pushed to, labelled, commented on...) less than
	// this long ago is skipped until the next pass, since its webhook may still be on its
	// way, and a job created by the resync and again by the late webhook would run twice.
	// "0s" skips nothing. Default 2m.
	GracePeriod *metav1.Duration `json:"grace_period,omitempty"`
	// MaxOrgRepos is the most repositories with presubmits an org may have and still be
	// resynced without being listed in Orgs; 0 means only the listed orgs are. Default 20.
	MaxOrgRepos *int `json:"max_org_repos,omitempty"`
	// Orgs are resynced whatever their size. Names are matched ignoring case, as GitHub does.
	Orgs []string `json:"orgs,omitempty"`

	// lines are the lines of the section's keys in the config file ("interval", "orgs[1]"),
	// for errors.
	lines map[string]int
}

// IntervalDuration returns the time between passes, or its default if unset; 0 means off.
func (r *Resync) IntervalDuration() time.Duration {
	if r.Interval == nil {
		return DefaultResyncInterval
	}
	return r.Interval.Duration
}

// Enabled reports whether the resync runs at all.
func (r *Resync) Enabled() bool { return r.IntervalDuration() > 0 }

// GracePeriodDuration returns the grace period, or its default if unset.
func (r *Resync) GracePeriodDuration() time.Duration {
	if r.GracePeriod == nil {
		return DefaultResyncGracePeriod
	}
	return r.GracePeriod.Duration
}

// MaxOrgReposCount returns the size limit, or its default if unset.
func (r *Resync) MaxOrgReposCount() int {
	if r.MaxOrgRepos == nil {
		return DefaultResyncMaxOrgRepos
	}
	return *r.MaxOrgRepos
}

// OrgAllowed reports whether org, which has repos repositories with presubmits, is resynced:
// it is listed in Orgs, or not larger than MaxOrgRepos.
func (r *Resync) OrgAllowed(org string, repos int) bool {
	for _, o := range r.Orgs {
		if strings.EqualFold(o, org) {
			return true
		}
	}
	return repos <= r.MaxOrgReposCount()
}

// setDefaults fills in the interval, the grace period and the size limit.
func (r *Resync) setDefaults() {
	if r.Interval == nil {
		r.Interval = &metav1.Duration{Duration: DefaultResyncInterval}
	}
	if r.GracePeriod == nil {
		r.GracePeriod = &metav1.Duration{Duration: DefaultResyncGracePeriod}
	}
	if r.MaxOrgRepos == nil {
		n := DefaultResyncMaxOrgRepos
		r.MaxOrgRepos = &n
	}
}

// locate records the lines of the section's keys in the decoded file, so that validate can
// point at them.
func (r *Resync) locate(idx *fileIndex) {
	if idx == nil || idx.root == nil {
		return
	}
	r.lines = map[string]int{}
	for _, field := range []string{"interval", "grace_period", "max_org_repos", "orgs"} {
		r.lines[field] = lineOfPath(idx.root, "resync."+field)
	}
	for i := range r.Orgs {
		field := fmt.Sprintf("orgs[%d]", i)
		r.lines[field] = lineOfPath(idx.root, "resync."+field)
	}
}

// validate checks that durations and the size limit are not negative and that every listed
// org is an org name, once; file names the config in errors.
func (r *Resync) validate(file string) []error {
	var errs []error
	errorf := func(field, format string, args ...any) {
		at := position{file: file, line: r.lines[field]}
		errs = append(errs, fmt.Errorf("%s: resync.%s: %s", at, field, fmt.Sprintf(format, args...)))
	}
	for _, f := range []struct {
		field string
		value *metav1.Duration
	}{
		{"interval", r.Interval},
		{"grace_period", r.GracePeriod},
	} {
		if f.value != nil && f.value.Duration < 0 {
			errorf(f.field, "must not be negative, got %s", f.value.Duration)
		}
	}
	if r.MaxOrgRepos != nil && *r.MaxOrgRepos < 0 {
		errorf("max_org_repos", "must not be negative, got %d", *r.MaxOrgRepos)
	}
	seen := map[string]int{}
	for i, org := range r.Orgs {
		field := fmt.Sprintf("orgs[%d]", i)
		if org == "" || strings.ContainsAny(org, "/ \t") {
			errorf(field, "%q is not an org name", org)
			continue
		}
		if j, dup := seen[strings.ToLower(org)]; dup {
			errorf(field, "%q is already listed as orgs[%d]", org, j)
			continue
		}
		seen[strings.ToLower(org)] = i
	}
	return errs
}
