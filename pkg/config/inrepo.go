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
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// In-repo paths, as Prow (kubernetes-sigs/prow pkg/config/inrepoconfig.go) and Lighthouse
// (jenkins-x/lighthouse pkg/triggerconfig/inrepo/load_triggers.go) read them.
const (
	// ProwYAMLFile holds a repository's own presubmits and postsubmits.
	ProwYAMLFile = ".prow.yaml"
	// ProwYAMLDir holds them split over *.yaml and *.yml files, read recursively. As in
	// Prow, a repository that has the directory has its .prow.yaml ignored.
	ProwYAMLDir = ".prow"
	// LighthouseDir holds .lighthouse/<dir>/triggers.yaml (and .lighthouse/triggers.yaml)
	// and the files their jobs' source: keys name.
	LighthouseDir = ".lighthouse"
)

// Bounds of what LoadInRepo reads.
const (
	// MaxInRepoFileBytes is the largest in-repo config file LoadInRepo reads.
	MaxInRepoFileBytes = 1 << 20
	// MaxInRepoJobs is the most jobs, of every kind and agent, one repository may define.
	MaxInRepoJobs = 200
)

// Warning kinds of in-repo config.
const (
	// InRepoShadowed is an in-repo job with the name of a central one of the same
	// repository: the central job wins (MergePresubmits, MergePostsubmits).
	InRepoShadowed WarningKind = "in-repo-shadowed"
	// InRepoIgnored is an in-repo file or section that bosun does not read: a .prow.yaml
	// next to a .prow directory, Lighthouse's in-repo periodics and deployments.
	InRepoIgnored WarningKind = "in-repo-ignored"
)

// InRepoConfig is Prow's in_repo_config section:
//
//	in_repo_config:
//	  enabled:            # "*", "org" or "org/repo"; the most specific key wins
//	    "*": false
//	    acme: true
//	  allowed_clusters:   # merged over "*", "org" and "org/repo"; "*" defaults to [default]
//	    acme/widgets: [build-eu]
type InRepoConfig struct {
	Enabled         map[string]*bool    `json:"enabled,omitempty"`
	AllowedClusters map[string][]string `json:"allowed_clusters,omitempty"`
}

// InRepoConfigEnabled reports whether in_repo_config.enabled turns in-repo config on for
// org/repo: the value of "org/repo", else of "org", else of "*", else false, as in Prow.
func (c *Config) InRepoConfigEnabled(org, repo string) bool {
	for _, key := range []string{org + "/" + repo, org, "*"} {
		if v := c.InRepoConfig.Enabled[key]; v != nil {
			return *v
		}
	}
	return false
}

// InRepoAllowedClusters returns the clusters in-repo jobs of org/repo may name: those of
// "*", "org" and "org/repo" together, as Prow allows them. "*" defaults to [default] when
// it is not set; `"*": []` takes the default away, as in Prow.
func (c *Config) InRepoAllowedClusters(org, repo string) []string {
	star := c.InRepoConfig.AllowedClusters["*"]
	if star == nil {
		star = []string{DefaultCluster}
	}
	var out []string
	for _, list := range [][]string{star, c.InRepoConfig.AllowedClusters[org], c.InRepoConfig.AllowedClusters[org+"/"+repo]} {
		for _, cl := range list {
			if !slices.Contains(out, cl) {
				out = append(out, cl)
			}
		}
	}
	return out
}

// InRepoPath reports whether a repository path is one LoadInRepo may read: .prow.yaml and
// anything under .prow/ and .lighthouse/. Paths are slash-separated, relative to the
// repository root and clean.
func InRepoPath(p string) bool {
	if p == "" || path.Clean(p) != p || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") {
		return false
	}
	return p == ProwYAMLFile || strings.HasPrefix(p, ProwYAMLDir+"/") || strings.HasPrefix(p, LighthouseDir+"/")
}

// InRepoJobs are the jobs a repository's own files define at one commit.
type InRepoJobs struct {
	Presubmits  []Presubmit
	Postsubmits []Postsubmit
	// Warnings are what bosun loads but does not do: keys it ignores, jobs left to Prow or
	// Lighthouse, script injections, files it does not read.
	Warnings []Warning
}

// LoadInRepo reads the in-repo config of org/repo from fsys, the repository's files at one
// commit (paths relative to its root; only those InRepoPath accepts are read): .prow.yaml
// or the .prow directory (the directory wins, as in Prow, with a warning), and
// .lighthouse/*/triggers.yaml with the files their source: keys name (lighthouse.go).
//
// The jobs are checked, defaulted and validated like central ones: unknown keys with "did
// you mean", values of the wrong type with their line and field, Tekton's validation of the
// PipelineRun bosun would create. Their repository is org/repo, their cluster must be one of
// InRepoAllowedClusters, and jobs for other agents are left to Prow or Lighthouse and named
// in Warnings. Every error names the file, the line and the field, and all are returned,
// joined; then the result holds only the warnings. A nil fsys or one without in-repo files
// gives no jobs and no error.
func (c *Config) LoadInRepo(org, repo string, fsys fs.FS) (*InRepoJobs, error) {
	if fsys == nil {
		return &InRepoJobs{}, nil
	}
	l := &inRepoLoader{c: c, fsys: fsys, repo: org + "/" + repo, st: &loadState{}, lighthouseAgents: map[string]string{}}
	jc := &JobConfig{}
	l.loadProw(jc)
	l.loadLighthouse(jc)
	return l.finish(jc, org, repo)
}

// inRepoLoader holds one LoadInRepo's state.
type inRepoLoader struct {
	c    *Config
	fsys fs.FS
	repo string // "org/repo"
	st   *loadState
	errs []error
	// sources are the jobs whose run spec comes from a Lighthouse source file.
	sources []sourceJob
	// lighthouseAgents are the agents of jobs left to Lighthouse, by "file:line".
	lighthouseAgents map[string]string
}

func (l *inRepoLoader) fail(err error) { l.errs = append(l.errs, err) }

// read returns a file's content, bounded; ok is false if it does not exist.
func (l *inRepoLoader) read(name string) (data []byte, ok bool) {
	info, err := fs.Stat(l.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false
	case err != nil:
		l.fail(fmt.Errorf("%s: %w", name, err))
		return nil, false
	case info.IsDir():
		l.fail(fmt.Errorf("%s: is a directory, want a file", name))
		return nil, false
	case info.Size() > MaxInRepoFileBytes:
		l.fail(fmt.Errorf("%s: %d bytes, over the %d bosun reads from an in-repo config file", name, info.Size(), MaxInRepoFileBytes))
		return nil, false
	}
	data, err = fs.ReadFile(l.fsys, name)
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", name, err))
		return nil, false
	}
	if len(data) > MaxInRepoFileBytes {
		l.fail(fmt.Errorf("%s: %d bytes, over the %d bosun reads from an in-repo config file", name, len(data), MaxInRepoFileBytes))
		return nil, false
	}
	return data, true
}

// loadProw reads .prow/**/*.y{a,}ml, or .prow.yaml when there is no .prow directory.
func (l *inRepoLoader) loadProw(jc *JobConfig) {
	dir, err := fs.Stat(l.fsys, ProwYAMLDir)
	if err != nil || !dir.IsDir() {
		if data, ok := l.read(ProwYAMLFile); ok {
			l.decodeProwYAML(ProwYAMLFile, data, jc)
		}
		return
	}
	if _, err := fs.Stat(l.fsys, ProwYAMLFile); err == nil {
		l.st.warn(Warning{Kind: InRepoIgnored, File: ProwYAMLFile, Keys: []string{ProwYAMLFile},
			Message: fmt.Sprintf("not read: the repository has a %s directory, which Prow and bosun read instead", ProwYAMLDir)})
	}
	// fs.WalkDir walks in lexical order, so errors and job order do not depend on the
	// file system. Unlike Prow, .prowignore files are not read.
	err = fs.WalkDir(l.fsys, ProwYAMLDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := path.Ext(p); d.IsDir() || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		if data, ok := l.read(p); ok {
			l.decodeProwYAML(p, data, jc)
		}
		return nil
	})
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", ProwYAMLDir, err))
	}
}

// prowYAMLKeys are the top-level keys of a .prow.yaml (Prow's ProwYAML).
var prowYAMLKeys = keySet("presubmits", "postsubmits", "presets", prowIgnoredKey)

// inRepoJobs is what one in-repo file decodes into: lists, since the repository is implicit.
type inRepoJobs struct {
	Presubmits  []Presubmit  `json:"presubmits,omitempty"`
	Postsubmits []Postsubmit `json:"postsubmits,omitempty"`
}

// parseInRepoFile converts one in-repo YAML file to generic JSON and indexes the jobs of
// the lists at jobsPath ("" for the top level, "spec" for a Lighthouse TriggerConfig). A
// nil map with ok means an empty file.
func (l *inRepoLoader) parseInRepoFile(file string, data []byte, jobsPath string) (idx *fileIndex, m map[string]any, ok bool) {
	jsonData, err := sigsyaml.YAMLToJSONStrict(data)
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", file, err))
		return nil, nil, false
	}
	idx = &fileIndex{file: file, jobs: map[jobKey]position{}}
	if root, extra, err := parseDocuments(data); err == nil {
		if extra != nil {
			l.fail(fmt.Errorf("%s:%d: an in-repo config file holds one YAML document; found another here", file, extra.Line))
			return nil, nil, false
		}
		idx.root = root
		node := resolveAlias(root)
		if jobsPath != "" {
			node = mappingValue(node, jobsPath)
		}
		for _, kind := range []jobKind{presubmitKind, postsubmitKind} {
			idx.indexJobList(kind, l.repo, mappingValue(node, string(kind)+"s"))
		}
	}
	var generic any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(jsonData, &generic); err != nil {
		l.fail(fmt.Errorf("%s: %w", file, err))
		return nil, nil, false
	}
	if generic == nil {
		return idx, nil, true
	}
	m, isMap := generic.(map[string]any)
	if !isMap {
		l.fail(fmt.Errorf("%s:%d: want a mapping of presubmits and postsubmits, got %s", file, lineOfPath(idx.root, ""), jsonKind(generic)))
		return nil, nil, false
	}
	return idx, m, true
}

// mappingValue returns the value of key in a YAML mapping, or nil.
func mappingValue(n *yamlv3.Node, key string) *yamlv3.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

// mappingKey returns the key node of key in a YAML mapping, or nil.
func mappingKey(n *yamlv3.Node, key string) *yamlv3.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// jsonKind names the JSON type of a generic value, for errors.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case nil:
		return "null"
	default:
		return "a scalar"
	}
}

// checkJobLists checks the presubmits and postsubmits lists of an in-repo file, at
// parent (path is parent's key path, "" for the top level). A mapping keyed by repository,
// as central config has, is an error: an in-repo file's repository is implicit.
func (l *inRepoLoader) checkJobLists(ck *checker, parent map[string]any, key, path string) {
	kind := presubmitKind
	if key == "postsubmits" {
		kind = postsubmitKind
	}
	p := joinPath(path, key)
	if repos, ok := parent[key].(map[string]any); ok {
		ck.errorf(p, "%s: an in-repo file lists its jobs (%s: [- name: ...]); the repository is implicit (%s), not a key as in central config (found %s)",
			p, key, l.repo, strings.Join(sortedKeys(repos), ", "))
		delete(parent, key)
		return
	}
	ck.jobList(parent, key, kind, l.repo, p)
}

// decodeProwYAML decodes one .prow.yaml or .prow/ file into jc.
func (l *inRepoLoader) decodeProwYAML(file string, data []byte, jc *JobConfig) {
	idx, m, ok := l.parseInRepoFile(file, data, "")
	if !ok || m == nil {
		return
	}
	ck := newChecker(idx, l.st)
	var unused []string
	at := len(l.st.warnings)
	for _, k := range sortedKeys(m) {
		switch k {
		case prowIgnoredKey:
		case "presubmits", "postsubmits":
			l.checkJobLists(ck, m, k, "")
		case "presets":
			unused = append(unused, k)
			l.st.addPresets(m[k])
		default:
			ck.unknown(k, k, typesOf(prowYAMLKeys))
		}
	}
	if len(unused) > 0 {
		l.st.warnings = slices.Insert(l.st.warnings, at, Warning{
			Kind: UnusedSections, File: file, Keys: unused,
			Message: "not used by bosun (Prow's, ignored): " + strings.Join(unused, ", "),
		})
	}
	l.decodeJobs(file, idx, ck, m, nil, jc)
}

// decodeJobs decodes the checked lists in m into jc, keeping bosun's jobs, except those
// in drop (by kind and index) whose errors are already reported.
func (l *inRepoLoader) decodeJobs(file string, idx *fileIndex, ck *checker, m map[string]any, drop map[jobKey]bool, jc *JobConfig) {
	data, err := json.Marshal(m)
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", file, err))
		return
	}
	var jobs inRepoJobs
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &jobs); err != nil {
		l.fail(fmt.Errorf("%s: %w", file, err))
		return
	}
	part := JobConfig{Presubmits: map[string][]Presubmit{}, Postsubmits: map[string][]Postsubmit{}}
	part.Presubmits[l.repo], part.Postsubmits[l.repo] = jobs.Presubmits, jobs.Postsubmits
	setPositions(&part, idx)
	l.attachSources(file, part.Presubmits[l.repo], part.Postsubmits[l.repo])
	keep := func(kind jobKind, i int) bool {
		k := jobKey{kind: kind, repo: l.repo, index: i}
		return ck.keep(k) && !drop[k]
	}
	var pre []Presubmit
	for i, j := range part.Presubmits[l.repo] {
		if keep(presubmitKind, i) {
			pre = append(pre, j)
		}
	}
	var post []Postsubmit
	for i, j := range part.Postsubmits[l.repo] {
		if keep(postsubmitKind, i) {
			post = append(post, j)
		}
	}
	setOrDelete(part.Presubmits, l.repo, pre)
	setOrDelete(part.Postsubmits, l.repo, post)
	if err := ck.err(); err != nil {
		l.fail(err)
	}
	mergeJobConfig(jc, &part)
}

// finish bounds, defaults and validates the jobs read, and gathers the warnings.
func (l *inRepoLoader) finish(jc *JobConfig, org, repo string) (*InRepoJobs, error) {
	pre, post := jc.Presubmits[l.repo], jc.Postsubmits[l.repo]
	if n := len(pre) + len(post) + len(l.st.skipped); n > MaxInRepoJobs {
		l.fail(fmt.Errorf("%s: %d in-repo jobs, over the %d bosun reads from one repository", l.repo, n, MaxInRepoJobs))
		return &InRepoJobs{}, errors.Join(l.errs...)
	}
	// The central config's own defaulting, on a config that holds only these jobs.
	tmp := &Config{ProwJobNamespace: l.c.ProwJobNamespace, PodNamespace: l.c.PodNamespace, JobConfig: *jc}
	tmp.setDefaults()
	allowed := l.c.InRepoAllowedClusters(org, repo)
	checkCluster := func(ref jobRef, cluster string) {
		if !slices.Contains(allowed, cluster) {
			l.fail(ref.errorf("cluster", "%q is not allowed for in-repo jobs of %s (in_repo_config.allowed_clusters gives %s)", cluster, l.repo, quoteList(allowed)))
		}
	}
	for _, p := range pre {
		checkCluster(jobRef{kind: presubmitKind, name: p.Name, repo: l.repo, pos: p.pos}, p.Cluster)
	}
	for _, p := range post {
		checkCluster(jobRef{kind: postsubmitKind, name: p.Name, repo: l.repo, pos: p.pos}, p.Cluster)
	}
	for _, err := range l.c.validatePresubmits(l.repo, pre) {
		l.fail(l.relocate(err))
	}
	for _, err := range l.c.validatePostsubmits(l.repo, post) {
		l.fail(l.relocate(err))
	}

	skipped := l.st.skipped
	l.st.skipped = nil
	warnings := l.st.finish(jc)
	warnings = append(warnings, l.leftWarnings(skipped)...)
	for _, p := range pre {
		for _, s := range jobWarnings(jobRef{kind: presubmitKind, name: p.Name, repo: l.repo, pos: p.pos}, p.JobBase, prowjobsv1.PresubmitJob) {
			warnings = append(warnings, Warning{Kind: ScriptInjectionWarning, Message: l.relocate(errors.New(s)).Error()})
		}
	}
	for _, p := range post {
		for _, s := range jobWarnings(jobRef{kind: postsubmitKind, name: p.Name, repo: l.repo, pos: p.pos}, p.JobBase, prowjobsv1.PostsubmitJob) {
			warnings = append(warnings, Warning{Kind: ScriptInjectionWarning, Message: l.relocate(errors.New(s)).Error()})
		}
	}
	dropNodes(jc)
	if err := errors.Join(l.errs...); err != nil {
		return &InRepoJobs{Warnings: warnings}, err
	}
	return &InRepoJobs{Presubmits: pre, Postsubmits: post, Warnings: warnings}, nil
}

// leftWarnings names the jobs left to Prow (as central loading does) and to Lighthouse.
func (l *inRepoLoader) leftWarnings(skipped []SkippedJob) []Warning {
	var prow []SkippedJob
	var lighthouse []string
	byAgent := map[string][]string{}
	for _, j := range skipped {
		if agent, ok := l.lighthouseAgents[position{file: j.File, line: j.Line}.String()]; ok {
			if len(byAgent[agent]) == 0 {
				lighthouse = append(lighthouse, agent)
			}
			byAgent[agent] = append(byAgent[agent], j.Name)
			continue
		}
		prow = append(prow, j)
	}
	var out []Warning
	if w, ok := leftToProwWarning(prow); ok {
		out = append(out, w)
	}
	if len(lighthouse) > 0 {
		var parts, names []string
		for _, a := range lighthouse {
			parts = append(parts, fmt.Sprintf("%d %s job(s): %s", len(byAgent[a]), a, strings.Join(byAgent[a], ", ")))
			names = append(names, byAgent[a]...)
		}
		out = append(out, Warning{Kind: LeftToProw, Keys: names, Message: "left to Lighthouse: " + strings.Join(parts, "; ")})
	}
	return out
}

// positionPrefix matches the "file:line: " or "file: " an error starts with.
var positionPrefix = regexp.MustCompile(`^(.*?)(:[0-9]+)?: `)

// relocate moves an error about the run spec of a job whose spec came from a Lighthouse
// source file to that file: validation names the job's own file, but the lines of its
// pipeline_run_spec are the source file's (attachSources).
func (l *inRepoLoader) relocate(err error) error {
	s := err.Error()
	loc := positionPrefix.FindStringSubmatchIndex(s)
	if loc == nil {
		return err
	}
	file, rest := s[loc[2]:loc[3]], s[loc[1]:]
	for _, src := range l.sources {
		if src.jobFile == file && strings.HasPrefix(rest, src.ref+": pipeline_run_spec") {
			return errors.New(src.sourceFile + s[loc[3]:])
		}
	}
	return err
}

// quoteList renders names as "a", "b" for messages; "none" if empty.
func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// MergePresubmits returns central's presubmits for a repository followed by the in-repo
// ones. An in-repo job with a central job's name is left out, with an InRepoShadowed
// warning at its definition: a repository cannot replace the jobs its admins configured.
// (Prow rejects such a .prow.yaml; Lighthouse lets the in-repo job replace the central one.)
func MergePresubmits(central, inRepo []Presubmit) ([]Presubmit, []Warning) {
	return mergeJobs(presubmitKind, central, inRepo, func(p Presubmit) JobBase { return p.JobBase })
}

// MergePostsubmits is MergePresubmits for postsubmits.
func MergePostsubmits(central, inRepo []Postsubmit) ([]Postsubmit, []Warning) {
	return mergeJobs(postsubmitKind, central, inRepo, func(p Postsubmit) JobBase { return p.JobBase })
}

func mergeJobs[J any](kind jobKind, central, inRepo []J, base func(J) JobBase) ([]J, []Warning) {
	out := slices.Clone(central)
	names := map[string]position{}
	for _, j := range central {
		b := base(j)
		names[b.Name] = b.pos
	}
	var warnings []Warning
	for _, j := range inRepo {
		b := base(j)
		if at, clash := names[b.Name]; clash {
			warnings = append(warnings, Warning{
				Kind: InRepoShadowed, File: b.pos.file, Line: b.pos.line, Keys: []string{b.Name},
				Message: fmt.Sprintf("%s %q: not run: the central config defines a %s of that name (%s), which runs instead", kind, b.Name, kind, at),
			})
			continue
		}
		out = append(out, j)
	}
	return out, warnings
}
