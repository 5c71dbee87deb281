package config

import (
	"fmt"
	"regexp"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// DefaultTriggerFor returns the trigger of a presubmit that sets none: "/test <name>" at the
// start of a line, possibly among other job names, possibly followed by a comma. Unlike
// Prow, the name is quoted, so a "." in it matches only a dot.
func DefaultTriggerFor(name string) string {
	return fmt.Sprintf(`(?m)^/test( | .* )%s,?($|\s.*)`, regexp.QuoteMeta(name))
}

// DefaultRerunCommandFor returns the rerun command of a presubmit that sets none.
func DefaultRerunCommandFor(name string) string {
	return "/test " + name
}

// setDefaults fills in what the config and its jobs leave unset. It runs before validation,
// so that validation sees the values bosun will use.
func (c *Config) setDefaults() {
	if c.ProwJobNamespace == "" {
		c.ProwJobNamespace = DefaultProwJobNamespace
	}
	if c.PodNamespace == "" {
		c.PodNamespace = DefaultPodNamespace
	}
	c.Sinker.setDefaults()
	c.Resync.setDefaults()
	for _, jobs := range c.Presubmits {
		for i := range jobs {
			p := &jobs[i]
			c.defaultJobBase(&p.JobBase)
			if p.Context == "" {
				p.Context = p.Name
			}
			// As in Prow, the two default together: a job that sets only one of them is
			// rejected by validation rather than half defaulted.
			if p.Trigger == "" && p.RerunCommand == "" {
				p.Trigger = DefaultTriggerFor(p.Name)
				p.RerunCommand = DefaultRerunCommandFor(p.Name)
			}
		}
	}
	for _, jobs := range c.Postsubmits {
		for i := range jobs {
			p := &jobs[i]
			c.defaultJobBase(&p.JobBase)
			if p.Context == "" {
				p.Context = p.Name
			}
		}
	}
	for i := range c.Periodics {
		c.defaultJobBase(&c.Periodics[i].JobBase)
	}
}

// defaultJobBase fills in the agent, the cluster and the namespace.
func (c *Config) defaultJobBase(j *JobBase) {
	if j.Agent == "" {
		j.Agent = prowjobsv1.TektonAgent
	}
	if j.Cluster == "" {
		j.Cluster = DefaultCluster
	}
	// Prow treats an empty namespace like a missing one.
	if j.Namespace == nil || *j.Namespace == "" {
		ns := c.PodNamespace
		j.Namespace = &ns
	}
}
