/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package configagent

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/bosun-ci/bosun/pkg/config"
)

// changes is what a reload changed in the main config, for its log line.
type changes struct {
	// added, removed and changed name jobs as "presubmit org/repo:name",
	// "postsubmit org/repo:name" or "periodic name".
	added, removed, changed []string
	// sections are the other top-level keys whose values changed, such as "tekton".
	sections []string
}

func (c changes) empty() bool {
	return len(c.added)+len(c.removed)+len(c.changed)+len(c.sections) == 0
}

// jobKeys are the JSON keys of config.JobConfig, which diffConfigs compares job by job.
var jobKeys = map[string]bool{"presubmits": true, "postsubmits": true, "periodics": true}

// diffConfigs compares two configs as their JSON, which leaves out what is not
// configuration (such as where each job was defined, which moves with every edit above it).
func diffConfigs(old, new *config.Config) changes {
	var c changes
	oldJobs, newJobs := jobsOf(old), jobsOf(new)
	for name, j := range newJobs {
		switch o, ok := oldJobs[name]; {
		case !ok:
			c.added = append(c.added, name)
		case !bytes.Equal(o, j):
			c.changed = append(c.changed, name)
		}
	}
	for name := range oldJobs {
		if _, ok := newJobs[name]; !ok {
			c.removed = append(c.removed, name)
		}
	}
	sort.Strings(c.added)
	sort.Strings(c.removed)
	sort.Strings(c.changed)
	c.sections = diffSections(old, new, jobKeys)
	return c
}

// jobsOf returns every job of c as JSON, by its name in changes.
func jobsOf(c *config.Config) map[string][]byte {
	out := map[string][]byte{}
	if c == nil {
		return out
	}
	for repo, jobs := range c.Presubmits {
		for _, j := range jobs {
			out["presubmit "+repo+":"+j.Name] = mustJSON(j)
		}
	}
	for repo, jobs := range c.Postsubmits {
		for _, j := range jobs {
			out["postsubmit "+repo+":"+j.Name] = mustJSON(j)
		}
	}
	for _, j := range c.Periodics {
		out["periodic "+j.Name] = mustJSON(j)
	}
	return out
}

// diffSections returns the top-level JSON keys of old and new, but those in skip, whose
// values differ. A nil pointer has no keys.
func diffSections[T any](old, new *T, skip map[string]bool) []string {
	o, n := sectionsOf(old), sectionsOf(new)
	var out []string
	for k, v := range n {
		if !skip[k] && !bytes.Equal(o[k], v) {
			out = append(out, k)
		}
	}
	for k := range o {
		if _, ok := n[k]; !ok && !skip[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sectionsOf[T any](v *T) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if v == nil {
		return out
	}
	_ = json.Unmarshal(mustJSON(v), &out)
	return out
}

// mustJSON marshals v, or returns nil if it cannot: configs are made of types that marshal,
// and a job that did not would only be reported as changed.
func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}
