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
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	sigsjson "sigs.k8s.io/json"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// jobClass says whose a job is.
type jobClass int

const (
	// bosunJob: agent tekton-pipeline, or no agent and a pipeline run spec.
	bosunJob jobClass = iota
	// prowJob: another agent Prow knows, or no agent and no pipeline run spec (Prow's
	// default agent is kubernetes). Bosun leaves it to Prow.
	prowJob
	// badAgentJob: an agent nobody knows; already reported as an error.
	badAgentJob
)

// classifyJob decides whose a job is from its agent and whether it has a pipeline run spec.
func classifyJob(agent string, hasRunSpec bool) jobClass {
	switch agent {
	case string(prowjobsv1.TektonAgent):
		return bosunJob
	case "":
		if hasRunSpec {
			return bosunJob
		}
		return prowJob
	case string(prowjobsv1.KubernetesAgent), string(prowjobsv1.JenkinsAgent):
		return prowJob
	default:
		return badAgentJob
	}
}

// lineError is an error with the line it is about, so that a file's errors can be sorted.
type lineError struct {
	line int
	err  error
}

// checker walks one file, decoded into generic JSON values, against bosun's types and
// Prow's key tables (prowkeys.go). It reports every unknown key and every value of the
// wrong type, each with its line and key path, and removes the bad values, so that the
// file can then be decoded as far as it is right and validated: one run reports all. Keys
// Prow knows and bosun does not use go to the load's warnings, and jobs for other agents
// are replaced with stubs and left to Prow.
type checker struct {
	idx     *fileIndex
	st      *loadState
	errs    []lineError
	classes map[jobKey]jobClass
}

func newChecker(idx *fileIndex, st *loadState) *checker {
	return &checker{idx: idx, st: st, classes: map[jobKey]jobClass{}}
}

// err returns the file's errors in line order, joined.
func (c *checker) err() error {
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].line < c.errs[j].line })
	errs := make([]error, 0, len(c.errs))
	for _, e := range c.errs {
		errs = append(errs, e.err)
	}
	return errors.Join(errs...)
}

// at returns the position of the key at path.
func (c *checker) at(path string) position {
	return position{file: c.idx.file, line: lineOfPath(c.idx.root, path)}
}

func (c *checker) errorf(path, format string, args ...any) {
	p := c.at(path)
	c.errs = append(c.errs, lineError{line: p.line, err: fmt.Errorf("%s: %s", p, fmt.Sprintf(format, args...))})
}

// unknown reports a key that neither bosun nor Prow defines at path; a field that Tekton's
// v1beta1 had and v1 moved or removed is named as such (tektonrun.go).
func (c *checker) unknown(path, key string, known ...map[string]reflect.Type) {
	if msg := v1beta1Field(path, key); msg != "" {
		c.errorf(path, "%s: %s", path, msg)
		return
	}
	var candidates []string
	for _, m := range known {
		candidates = append(candidates, slices.Collect(maps.Keys(m))...)
	}
	c.errorf(path, "unknown field %q%s", path, suggest(key, candidates))
}

// top checks a file's top-level keys: main says whether it is the main config (else a job
// file, which holds only jobs and presets).
func (c *checker) top(m map[string]any, main bool) {
	fields, prowKeys := jsonFields(reflect.TypeOf(JobConfig{})), prowJobFileKeys
	if main {
		fields, prowKeys = jsonFields(reflect.TypeOf(Config{})), prowTopLevelKeys
	}
	var unused []string
	// The warnings about whole sections come first, then those about keys inside them.
	at := len(c.st.warnings)
	for _, k := range sortedKeys(m) {
		switch {
		case k == prowIgnoredKey:
		case k == "presubmits":
			c.repoJobs(m, k, presubmitKind)
		case k == "postsubmits":
			c.repoJobs(m, k, postsubmitKind)
		case k == "periodics":
			c.jobList(m, k, periodicKind, "", k)
		case main && k == "sinker":
			c.section(m, k, fields[k], prowSinkerKeys)
		case fields[k] != nil:
			c.member(m, k, fields[k], k)
		case prowKeys[k]:
			unused = append(unused, k)
			if k == "presets" {
				c.st.addPresets(m[k])
			}
		default:
			c.unknown(k, k, fields, typesOf(prowKeys))
		}
	}
	if len(unused) > 0 {
		c.st.warnings = slices.Insert(c.st.warnings, at, Warning{
			Kind: UnusedSections, File: c.idx.file, Keys: unused,
			Message: "not used by bosun (Prow's, ignored): " + strings.Join(unused, ", "),
		})
	}
}

// section checks one of bosun's sections that Prow also defines, with more keys.
func (c *checker) section(parent map[string]any, key string, t reflect.Type, prowKeys map[string]bool) {
	m, ok := parent[key].(map[string]any)
	if !ok {
		c.member(parent, key, t, key)
		return
	}
	unused := c.object(m, t, key, prowKeys, nil)
	sort.SliceStable(unused, func(i, j int) bool { return c.at(key+"."+unused[i]).line < c.at(key+"."+unused[j]).line })
	for _, k := range unused {
		path := key + "." + k
		p := c.at(path)
		c.st.warn(Warning{Kind: UnusedField, File: p.file, Line: p.line, Keys: []string{path}, Message: path + ": not used by bosun (Prow's, ignored)"})
	}
}

// member checks parent[key] against t and removes it if it cannot be decoded.
func (c *checker) member(parent map[string]any, key string, t reflect.Type, path string) {
	if !c.value(parent[key], t, path) {
		delete(parent, key)
	}
}

// object checks the keys of a mapping decoded into struct type t: bosun's keys are checked
// in depth, keys in prowKeys are returned as unused, keys in opaque are checked for type
// only, and any other key is an error.
func (c *checker) object(m map[string]any, t reflect.Type, path string, prowKeys, opaque map[string]bool) (unused []string) {
	fields := jsonFields(t)
	for _, k := range sortedKeys(m) {
		p := joinPath(path, k)
		ft := fields[k]
		switch {
		case ft != nil && opaque[k]:
			if !c.decodes(m[k], ft, p) {
				delete(m, k)
			}
		case ft != nil:
			c.member(m, k, ft, p)
		case prowKeys[k]:
			unused = append(unused, k)
		default:
			c.unknown(p, k, fields, typesOf(prowKeys))
		}
	}
	return unused
}

// value checks v against type t and reports whether it can be decoded; bad values inside
// it are removed.
func (c *checker) value(v any, t reflect.Type, path string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t.Kind() == reflect.Interface {
		return true
	}
	if hasCustomDecoding(t) {
		return c.decodes(v, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return c.decodes(v, t, path)
		}
		c.object(m, t, path, nil, nil)
		return true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return c.decodes(v, t, path)
		}
		for _, k := range sortedKeys(m) {
			c.member(m, k, t.Elem(), path+"."+k)
		}
		return true
	case reflect.Slice, reflect.Array:
		s, ok := v.([]any)
		if !ok || t.Elem().Kind() == reflect.Uint8 {
			return c.decodes(v, t, path)
		}
		for i := range s {
			if !c.value(s[i], t.Elem(), fmt.Sprintf("%s[%d]", path, i)) {
				s[i] = nil
			}
		}
		return true
	default:
		return c.decodes(v, t, path)
	}
}

// decodes reports whether v decodes into a t, reporting the error if not. Unknown keys
// inside v are not its concern.
func (c *checker) decodes(v any, t reflect.Type, path string) bool {
	data, err := json.Marshal(v)
	if err == nil {
		err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, reflect.New(t).Interface())
	}
	if err != nil {
		c.errorf(path, "%s: %v", path, err)
		return false
	}
	return true
}

// repoJobs checks presubmits or postsubmits: a mapping from "org/repo" to a list of jobs.
func (c *checker) repoJobs(parent map[string]any, key string, kind jobKind) {
	m, ok := parent[key].(map[string]any)
	if !ok {
		c.member(parent, key, reflect.TypeOf(map[string][]any{}), key)
		return
	}
	for _, repo := range sortedKeys(m) {
		c.jobList(m, repo, kind, repo, key+"."+repo)
	}
}

// jobList checks one list of jobs, leaving in place of each job that is not bosun's a stub
// that holds only its name.
func (c *checker) jobList(parent map[string]any, key string, kind jobKind, repo, path string) {
	list, ok := parent[key].([]any)
	if !ok {
		c.member(parent, key, reflect.TypeOf([]any{}), path)
		return
	}
	for i, v := range list {
		list[i] = c.job(kind, repo, i, v, fmt.Sprintf("%s[%d]", path, i))
	}
}

// job checks one job and returns what is to be decoded in its place.
func (c *checker) job(kind jobKind, repo string, index int, v any, path string) any {
	t := jobType(kind)
	m, ok := v.(map[string]any)
	if !ok {
		if !c.value(v, t, path) {
			return nil
		}
		return v
	}
	key := jobKey{kind: kind, repo: repo, index: index}
	name, _ := m["name"].(string)
	agent, _ := m["agent"].(string)
	_, hasRunSpec := m["pipeline_run_spec"]
	_, hasTektonRunSpec := m["tekton_pipeline_run_spec"]
	class := classifyJob(agent, hasRunSpec || hasTektonRunSpec)
	c.classes[key] = class
	if class == bosunJob {
		for _, k := range c.object(m, t, path, prowJobKeys[kind], opaqueJobKeys) {
			c.st.jobField(kind, k, name, c.at(path+"."+k))
		}
		return m
	}
	// Another agent's job is Prow's to check in depth; its keys must still be Prow's.
	fields := jsonFields(t)
	for _, k := range sortedKeys(m) {
		if fields[k] == nil && !prowJobKeys[kind][k] {
			c.unknown(path+"."+k, k, fields, typesOf(prowJobKeys[kind]))
		}
	}
	if class == badAgentJob {
		c.errorf(path+".agent", "%s: %q is not an agent Prow knows (%s)%s", path+".agent", agent, strings.Join(prowAgents, ", "), suggest(agent, prowAgents))
		return map[string]any{"name": name}
	}
	if agent == "" {
		agent = string(prowjobsv1.KubernetesAgent)
	}
	p := c.idx.position(key)
	c.st.skipped = append(c.st.skipped, SkippedJob{Kind: string(kind), Name: name, Repo: repo, Agent: prowjobsv1.ProwJobAgent(agent), File: p.file, Line: p.line})
	return map[string]any{"name": name}
}

// keep reports whether the job at k is bosun's. Jobs the checker did not see are kept.
func (c *checker) keep(k jobKey) bool {
	class, ok := c.classes[k]
	return !ok || class == bosunJob
}

// split removes from a decoded file's jobs those that are not bosun's (their stubs). It
// runs after setPositions, which needs the jobs' original indexes.
func (c *checker) split(jc *JobConfig) {
	for repo, jobs := range jc.Presubmits {
		var kept []Presubmit
		for i, j := range jobs {
			if c.keep(jobKey{kind: presubmitKind, repo: repo, index: i}) {
				kept = append(kept, j)
			}
		}
		setOrDelete(jc.Presubmits, repo, kept)
	}
	for repo, jobs := range jc.Postsubmits {
		var kept []Postsubmit
		for i, j := range jobs {
			if c.keep(jobKey{kind: postsubmitKind, repo: repo, index: i}) {
				kept = append(kept, j)
			}
		}
		setOrDelete(jc.Postsubmits, repo, kept)
	}
	var kept []Periodic
	for i, j := range jc.Periodics {
		if c.keep(jobKey{kind: periodicKind, index: i}) {
			kept = append(kept, j)
		}
	}
	jc.Periodics = kept
}

func setOrDelete[J any](m map[string][]J, key string, jobs []J) {
	if len(jobs) == 0 {
		delete(m, key)
		return
	}
	m[key] = jobs
}

// jobType returns the Go type a job of kind decodes into.
func jobType(kind jobKind) reflect.Type {
	switch kind {
	case presubmitKind:
		return reflect.TypeOf(Presubmit{})
	case postsubmitKind:
		return reflect.TypeOf(Postsubmit{})
	default:
		return reflect.TypeOf(Periodic{})
	}
}

// joinPath appends key to a key path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// typesOf turns a key set into the shape unknown takes its candidates in.
func typesOf(keys map[string]bool) map[string]reflect.Type {
	m := make(map[string]reflect.Type, len(keys))
	for k := range keys {
		m[k] = nil
	}
	return m
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	fieldCache          sync.Map // reflect.Type -> map[string]reflect.Type
)

// hasCustomDecoding reports whether values of t decode themselves; the checker does not
// look inside them.
func hasCustomDecoding(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// jsonFields returns the JSON keys of struct type t and their types, as encoding/json sees
// them: embedded structs without a name of their own contribute their fields, and a field
// of the outer struct wins over one of the same key from an embedded struct.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	var embedded []map[string]reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, jsonFields(ft))
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	for _, e := range embedded {
		for k, v := range e {
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
	}
	fieldCache.Store(t, fields)
	return fields
}
