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
	"sort"
	"strings"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// WarningKind says what a Warning is about.
type WarningKind string

const (
	// UnusedSections names the main config's (or a job file's) top-level sections that Prow
	// defines and bosun ignores, such as deck, plank and tide: one warning per file.
	UnusedSections WarningKind = "unused-sections"
	// UnusedField is a key Prow defines inside a section bosun uses (sinker.max_pod_age),
	// or on bosun's jobs (decorate), that bosun ignores: one warning per key.
	UnusedField WarningKind = "unused-field"
	// LeftToProw counts and names the jobs for other agents, which bosun skips so that it
	// can serve one config side by side with Prow: one warning per load.
	LeftToProw WarningKind = "left-to-prow"
	// PresetsNotApplied names bosun's jobs that match presets: a preset adds env and volumes
	// to a pod spec, which tekton-pipeline jobs do not have.
	PresetsNotApplied WarningKind = "presets-not-applied"
	// ScriptInjectionWarning is a job that substitutes pull request text into a script
	// (FindScriptInjections). Its Message holds the position.
	ScriptInjectionWarning WarningKind = "script-injection"
)

// Warning is something the config holds that bosun loads but does not do, or does but
// should not. Warnings do not make a load fail; checkconfig --strict fails on them.
type Warning struct {
	Kind WarningKind
	// File and Line say where; Line is 0 when the warning is about a whole file, and File
	// is empty when it is about the whole load.
	File string
	Line int
	// Keys are the sections, fields or job names the warning is about.
	Keys []string
	// Message is the warning without its position.
	Message string
}

// String renders the warning as "file:line: message".
func (w Warning) String() string {
	if w.File == "" {
		return w.Message
	}
	return position{file: w.File, line: w.Line}.String() + ": " + w.Message
}

// SkippedJob is a job bosun leaves to Prow: its agent is kubernetes (set, or Prow's default
// for a job with neither agent nor pipeline run spec) or jenkins.
type SkippedJob struct {
	Kind  string // presubmit, postsubmit or periodic
	Name  string
	Repo  string // "org/repo"; empty for periodics
	Agent prowjobsv1.ProwJobAgent
	File  string
	Line  int
}

// jobFieldUse records where bosun's jobs set one key that Prow defines and bosun ignores.
type jobFieldUse struct {
	key   string
	first position
	jobs  []string
}

// loadState collects, across the files of one load, what becomes its warnings.
type loadState struct {
	warnings  []Warning
	jobFields []*jobFieldUse
	skipped   []SkippedJob
	presets   []map[string]string
}

func (s *loadState) warn(w Warning) { s.warnings = append(s.warnings, w) }

// jobField records that bosun's job name sets key, which bosun does not use.
func (s *loadState) jobField(kind jobKind, key, name string, at position) {
	for _, u := range s.jobFields {
		if u.key == key {
			u.jobs = append(u.jobs, name)
			return
		}
	}
	s.jobFields = append(s.jobFields, &jobFieldUse{key: key, first: at, jobs: []string{name}})
}

// addPresets records the labels of a presets section, decoded as generic JSON.
func (s *loadState) addPresets(v any) {
	list, _ := v.([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		labels, _ := m["labels"].(map[string]any)
		l := make(map[string]string, len(labels))
		for k, v := range labels {
			l[k] = fmt.Sprint(v)
		}
		s.presets = append(s.presets, l)
	}
}

// finish returns the load's warnings: those recorded file by file, then one per job key
// bosun ignores, the jobs left to Prow, and bosun's jobs that presets would have matched.
func (s *loadState) finish(jc *JobConfig) []Warning {
	out := append([]Warning(nil), s.warnings...)
	// Files load in order, so each file's keys come in the order of their first lines.
	fileOrder := map[string]int{}
	for _, u := range s.jobFields {
		if _, ok := fileOrder[u.first.file]; !ok {
			fileOrder[u.first.file] = len(fileOrder)
		}
	}
	sort.SliceStable(s.jobFields, func(i, j int) bool {
		a, b := s.jobFields[i].first, s.jobFields[j].first
		if a.file != b.file {
			return fileOrder[a.file] < fileOrder[b.file]
		}
		return a.line < b.line
	})
	for _, u := range s.jobFields {
		out = append(out, Warning{
			Kind: UnusedField, File: u.first.file, Line: u.first.line, Keys: []string{u.key},
			Message: fmt.Sprintf("%s: not used by bosun (Prow's, ignored); set on %d tekton-pipeline job(s): %s", u.key, len(u.jobs), strings.Join(u.jobs, ", ")),
		})
	}
	if w, ok := leftToProwWarning(s.skipped); ok {
		out = append(out, w)
	}
	if matched := s.presetMatches(jc); len(matched) > 0 {
		out = append(out, Warning{
			Kind: PresetsNotApplied, Keys: matched,
			Message: fmt.Sprintf("presets: not applied to tekton-pipeline jobs, which have no pod spec for their env and volumes; %d job(s) match a preset: %s", len(matched), strings.Join(matched, ", ")),
		})
	}
	return out
}

// leftToProwWarning counts and names the skipped jobs by agent.
func leftToProwWarning(skipped []SkippedJob) (Warning, bool) {
	if len(skipped) == 0 {
		return Warning{}, false
	}
	byAgent := map[prowjobsv1.ProwJobAgent][]string{}
	for _, j := range skipped {
		byAgent[j.Agent] = append(byAgent[j.Agent], j.Name)
	}
	var parts, names []string
	for _, a := range prowAgents {
		jobs := byAgent[prowjobsv1.ProwJobAgent(a)]
		if len(jobs) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s job(s): %s", len(jobs), a, strings.Join(jobs, ", ")))
		names = append(names, jobs...)
	}
	return Warning{Kind: LeftToProw, Keys: names, Message: "left to Prow: " + strings.Join(parts, "; ")}, true
}

// presetMatches returns bosun's jobs whose labels select a preset, as Prow matches them:
// every label of the preset is on the job (a preset without labels matches every job).
func (s *loadState) presetMatches(jc *JobConfig) []string {
	if len(s.presets) == 0 || jc == nil {
		return nil
	}
	matches := func(labels map[string]string) bool {
		for _, p := range s.presets {
			ok := true
			for k, v := range p {
				if labels[k] != v {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	var out []string
	for _, repo := range sortedKeys(jc.Presubmits) {
		for _, j := range jc.Presubmits[repo] {
			if matches(j.Labels) {
				out = append(out, j.Name)
			}
		}
	}
	for _, repo := range sortedKeys(jc.Postsubmits) {
		for _, j := range jc.Postsubmits[repo] {
			if matches(j.Labels) {
				out = append(out, j.Name)
			}
		}
	}
	for _, j := range jc.Periodics {
		if matches(j.Labels) {
			out = append(out, j.Name)
		}
	}
	return out
}
