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

package config

import (
	"fmt"
	"slices"
	"strings"
)

// The keys below are facts from Prow's config types (kubernetes-sigs/prow pkg/config
// config.go and jobs.go: ProwConfig, JobConfig, Sinker, JobBase, UtilityConfig, Presubmit,
// Postsubmit, Periodic). They let the loader tell a key that Prow knows but bosun does not
// use, which is a warning, from a key nobody knows, which is an error. Keys bosun decodes
// are not listed here: they come from bosun's own types.

// prowIgnoredKey is Prow's well-known key for settings of other tools; Prow and bosun
// accept it and read nothing from it.
const prowIgnoredKey = "prow_ignored"

// prowTopLevelKeys are the main config's sections that Prow defines and bosun does not use.
var prowTopLevelKeys = keySet(
	// ProwConfig
	"config_version_sha", "tide", "plank", "pipeline", "deck", "branch-protection", "gerrit",
	"github_reporter", "horologium", "slack_reporter_configs", "gangway",
	"moonraker", "scheduler", "jenkins_operators", "log_level", "push_gateway",
	"owners_dir_denylist", "pubsub_subscriptions", "pubsub_triggers", "github",
	"status_error_link", "default_job_timeout", "managed_webhooks", "prowjob_default_entries",
	"disabled_clusters",
	// JobConfig
	"presets", "decorate_all_jobs",
	// Lighthouse's config.yaml, which is Prow's with these sections of its own
	// (jenkins-x/lighthouse pkg/config/lighthouse/config.go and pkg/config/job/config.go).
	"orgs", "jenkinses", "owners_dir_excludes", "providerConfig", "deployments",
)

// prowJobFileKeys are the keys of a job config file that Prow defines and bosun does not
// use (a job file holds a JobConfig only).
var prowJobFileKeys = keySet("presets", "decorate_all_jobs")

// prowSinkerKeys are Prow's sinker settings that bosun's sinker does not use.
var prowSinkerKeys = keySet("max_pod_age", "terminated_pod_ttl", "exclude_clusters")

// prowJobKeys are, per kind of job, the job keys Prow defines and bosun does not use.
var prowJobKeys = map[jobKind]map[string]bool{
	presubmitKind:  keySet(append(prowJobBaseKeys(), "run_before_merge", "jenkins_spec")...),
	postsubmitKind: keySet(append(prowJobBaseKeys(), "jenkins_spec")...),
	periodicKind:   keySet(append(prowJobBaseKeys(), "minimum_interval", "tags", "retry")...),
}

// prowJobBaseKeys are the keys of Prow's JobBase and UtilityConfig that bosun does not use.
func prowJobBaseKeys() []string {
	return []string{
		"error_on_eviction", "spec", "prowjob_defaults", // JobBase
		"decorate", "path_alias", "clone_uri", "skip_submodules", "clone_depth", "skip_fetch_head", // UtilityConfig
	}
}

// opaqueJobKeys are job keys whose values bosun decodes with its own copies of Prow's API
// types, which hold only the fields bosun reads: their contents are checked for types but
// not for unknown keys, since Prow knows more keys there than bosun does.
var opaqueJobKeys = keySet("decoration_config", "reporter_config", "rerun_auth_config")

// prowAgents are the agents Prow defines, in the order error messages list them.
var prowAgents = []string{"kubernetes", "jenkins", "tekton-pipeline"}

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to key, or "" if none is
// close: the same key in another case, or one within an edit distance of about a third of
// its length (at least 1, at most 3), so that "always_rn" finds "always_run" but "bogus"
// finds nothing; failing that, the first candidate that key (4 bytes or more) begins.
func suggest(key string, candidates []string) string {
	best, bestDist := "", -1
	lower := strings.ToLower(key)
	for _, c := range candidates {
		d := editDistance(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if limit := min(max(len(key)/3, 1), 3); bestDist >= 0 && bestDist <= limit {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	// A key cut short ("tekton" for "tekton-pipeline") is far in edit distance.
	if len(key) >= 4 {
		for _, c := range slices.Sorted(slices.Values(candidates)) {
			if strings.HasPrefix(strings.ToLower(c), lower) {
				return fmt.Sprintf(" (did you mean %q?)", c)
			}
		}
	}
	return ""
}

// editDistance is the edit distance between a and b, counted in bytes, with a swap of two
// neighbours counting as one edit ("nmae" is one from "name"): the optimal string alignment
// distance.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
