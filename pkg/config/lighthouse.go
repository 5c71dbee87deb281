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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelinev1beta1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	yamlv3 "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// Facts about Lighthouse's in-repo config (jenkins-x/lighthouse pkg/triggerconfig,
// pkg/config/job, pkg/triggerconfig/inrepo): a .lighthouse/<dir>/triggers.yaml is
//
//	apiVersion: config.lighthouse.jenkins-x.io/v1alpha1
//	kind: TriggerConfig
//	spec:
//	  presubmits: [...]   # Prow's job keys, plus source, ignore_changes, require_run, ...
//	  postsubmits: [...]
//	  periodics: [...]    # not run by bosun from a repository
//	  deployments: [...]  # not run by bosun
//
// and a job's source names a Tekton PipelineRun file relative to the triggers.yaml. A job
// with a source and no agent is a tekton-pipeline job.
const (
	// TriggerConfigFile is the file Lighthouse reads in .lighthouse/ and each of its
	// directories.
	TriggerConfigFile = "triggers.yaml"
	// triggerConfigKind is the kind of a TriggerConfigFile.
	triggerConfigKind = "TriggerConfig"
)

// Lighthouse's agents that are neither Prow's nor bosun's: jobs for them are left to
// Lighthouse (pkg/config/job/agent.go; "tekton" is its legacy name for jenkins-x).
var lighthouseOnlyAgents = keySet("jenkins-x", "tekton")

// lighthouseJobKeys are the job keys Lighthouse has and Prow does not, that bosun ignores
// (with a warning).
var lighthouseJobKeys = keySet("require_run", "pipeline_run_params", "jenkins_spec")

// Lighthouse's PipelineRun annotations that load steps or tasks from elsewhere
// (pkg/triggerconfig/inrepo/load_pipelinerun.go); bosun does not.
var lighthouseLoadAnnotations = []string{
	"lighthouse.jenkins-x.io/prependStepsURL",
	"lighthouse.jenkins-x.io/appendStepsURL",
	"lighthouse.jenkins-x.io/loadFileRefs",
}

// triggerConfigKeys and triggerSpecKeys are the keys of a TriggerConfig and its spec.
var (
	triggerConfigKeys = keySet("apiVersion", "kind", "metadata", "spec")
	triggerSpecKeys   = keySet("presubmits", "postsubmits", "periodics", "deployments")
)

// sourceJob is a job whose run spec was read from a Lighthouse source file.
type sourceJob struct {
	jobFile    string
	kind       jobKind
	index      int // in its list in jobFile
	ref        string
	sourceFile string
	// specKey and spec are the source's "spec" key and value, for the lines of errors.
	specKey, spec *yamlv3.Node
}

// loadLighthouse reads .lighthouse/triggers.yaml and .lighthouse/<dir>/triggers.yaml, in
// lexical order; entries whose names start with "." are skipped, as Lighthouse does.
func (l *inRepoLoader) loadLighthouse(jc *JobConfig) {
	entries, err := fs.ReadDir(l.fsys, LighthouseDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err != nil:
		l.fail(fmt.Errorf("%s: %w", LighthouseDir, err))
		return
	}
	for _, e := range entries {
		var file string
		switch {
		case strings.HasPrefix(e.Name(), "."):
			continue
		case e.IsDir():
			file = path.Join(LighthouseDir, e.Name(), TriggerConfigFile)
		case e.Name() == TriggerConfigFile:
			file = path.Join(LighthouseDir, TriggerConfigFile)
		default:
			continue
		}
		if data, ok := l.read(file); ok && len(data) > 0 {
			l.decodeTriggerConfig(file, data, jc)
		}
	}
}

// decodeTriggerConfig decodes one triggers.yaml into jc.
func (l *inRepoLoader) decodeTriggerConfig(file string, data []byte, jc *JobConfig) {
	idx, m, ok := l.parseInRepoFile(file, data, "spec")
	if !ok || m == nil {
		return
	}
	ck := newChecker(idx, l.st)
	for _, k := range sortedKeys(m) {
		switch {
		case k == "kind":
			if kind, _ := m[k].(string); kind != triggerConfigKind {
				ck.errorf(k, "kind: %q: a %s is a %s", m[k], TriggerConfigFile, triggerConfigKind)
			}
		case k == "apiVersion" || k == "metadata":
		case k == "spec":
		default:
			ck.unknown(k, k, typesOf(triggerConfigKeys))
		}
	}
	spec, isMap := m["spec"].(map[string]any)
	if !isMap {
		if m["spec"] != nil {
			ck.errorf("spec", "spec: want a mapping of presubmits and postsubmits, got %s", jsonKind(m["spec"]))
		}
		if err := ck.err(); err != nil {
			l.fail(err)
		}
		return
	}
	drop := map[jobKey]bool{}
	for _, k := range sortedKeys(spec) {
		switch k {
		case "presubmits", "postsubmits":
			kind := presubmitKind
			if k == "postsubmits" {
				kind = postsubmitKind
			}
			if list, ok := spec[k].([]any); ok {
				for i, v := range list {
					if job, ok := v.(map[string]any); ok {
						key := jobKey{kind: kind, repo: l.repo, index: i}
						if !l.lighthouseJob(ck, idx, key, job, fmt.Sprintf("spec.%s[%d]", k, i)) {
							drop[key] = true
						}
					}
				}
			}
			l.checkJobLists(ck, spec, k, "spec")
		case "periodics", "deployments":
			p := ck.at("spec." + k)
			l.st.warn(Warning{Kind: InRepoIgnored, File: p.file, Line: p.line, Keys: []string{"spec." + k},
				Message: fmt.Sprintf("spec.%s: not run by bosun: in-repo config defines presubmits and postsubmits only", k)})
			delete(spec, k)
		default:
			ck.unknown("spec."+k, k, typesOf(triggerSpecKeys))
			delete(spec, k)
		}
	}
	l.decodeJobs(file, idx, ck, spec, drop, jc)
}

// lighthouseJob turns one Lighthouse job, as generic JSON, into the Prow job the checker
// knows: its source file becomes its pipeline_run_spec, ignore_changes becomes
// skip_if_only_changed, Lighthouse's own keys are dropped with a warning and a job for a
// Lighthouse-only agent is marked to be left to Lighthouse. It reports false if the job is
// to be dropped, its errors reported.
func (l *inRepoLoader) lighthouseJob(ck *checker, idx *fileIndex, key jobKey, job map[string]any, path string) bool {
	for _, k := range sortedKeys(job) {
		if lighthouseJobKeys[k] {
			p := ck.at(path + "." + k)
			l.st.warn(Warning{Kind: UnusedField, File: p.file, Line: p.line, Keys: []string{k}, Message: k + ": not used by bosun (Lighthouse's, ignored)"})
			delete(job, k)
		}
	}
	if ignore, ok := job["ignore_changes"]; ok {
		delete(job, "ignore_changes")
		if _, both := job["run_if_changed"]; both {
			ck.errorf(path+".ignore_changes", "%s.ignore_changes: bosun has no equivalent of Lighthouse's ignore_changes together with run_if_changed: fold the files to ignore into run_if_changed", path)
			return false
		}
		// Lighthouse runs such a job when some changed file is not ignored: Prow's
		// skip_if_only_changed, which always_run would contradict.
		job["skip_if_only_changed"] = ignore
		delete(job, "always_run")
	}
	agent, _ := job["agent"].(string)
	if lighthouseOnlyAgents[agent] {
		// The checker leaves a jenkins job to Prow; the warning names the real agent.
		job["agent"] = string(prowjobsv1.JenkinsAgent)
		l.lighthouseAgents[idx.position(key).String()] = agent
		delete(job, "source")
		return true
	}
	src, hasSource := job["source"]
	if !hasSource {
		return true
	}
	delete(job, "source")
	name, _ := job["name"].(string)
	ref := jobRef{kind: key.kind, name: name, repo: l.repo, pos: idx.position(key)}
	srcPath, ok := src.(string)
	switch {
	case !ok:
		ck.errorf(path+".source", "%s.source: want the path of a PipelineRun file, got %s", path, jsonKind(src))
		return false
	case agent != "" && agent != string(prowjobsv1.TektonAgent):
		return true // another agent's job; the checker leaves it
	case job["pipeline_run_spec"] != nil:
		l.fail(ref.errorf("source", "source and pipeline_run_spec are mutually exclusive"))
		return false
	}
	// Even when its source fails, the job is bosun's: not one to leave to Prow.
	job["agent"] = string(prowjobsv1.TektonAgent)
	spec, sj, ok := l.loadSource(ref, srcPath)
	if !ok {
		return false
	}
	generic, err := toGeneric(spec)
	if err != nil {
		l.fail(ref.wrap("source", err))
		return false
	}
	job["pipeline_run_spec"] = generic
	job["agent"] = string(prowjobsv1.TektonAgent)
	sj.jobFile, sj.kind, sj.index, sj.ref = idx.file, key.kind, key.index, ref.String()
	l.sources = append(l.sources, sj)
	return true
}

// loadSource reads a job's source file, relative to its triggers.yaml, as a v1
// PipelineRunSpec. Lighthouse also resolves "uses:" steps from other repositories, loads
// steps from URLs and takes a Pipeline, Task or TaskRun as source; bosun does none of that
// and says so.
func (l *inRepoLoader) loadSource(ref jobRef, src string) (*pipelinev1.PipelineRunSpec, sourceJob, bool) {
	var sj sourceJob
	if strings.Contains(src, "://") {
		l.fail(ref.errorf("source", "%q: bosun reads a job's source from the repository only, not from a URL", src))
		return nil, sj, false
	}
	file := path.Join(path.Dir(ref.pos.file), src)
	if path.IsAbs(src) || !strings.HasPrefix(file, LighthouseDir+"/") {
		l.fail(ref.errorf("source", "%q is %s, outside %s/: bosun reads a job's source from %s/ only", src, file, LighthouseDir, LighthouseDir))
		return nil, sj, false
	}
	data, ok := l.read(file)
	if !ok {
		if _, err := fs.Stat(l.fsys, file); errors.Is(err, fs.ErrNotExist) {
			l.fail(ref.errorf("source", "%q: %s does not exist", src, file))
		}
		return nil, sj, false
	}
	sj.sourceFile = file
	before := len(l.errs)
	idx, m, ok := l.parseInRepoFile(file, data, "")
	if !ok {
		return nil, sj, false
	}
	ck := newChecker(idx, l.st)
	if m == nil {
		l.fail(ref.errorf("source", "%q: %s is empty", src, file))
		return nil, sj, false
	}
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	if kind != "PipelineRun" {
		ck.errorf("kind", "kind: %q: bosun takes a Tekton PipelineRun as a job's source (Lighthouse also wraps a Pipeline, Task or TaskRun in one; write the PipelineRun)", kind)
	}
	var t reflect.Type
	switch apiVersion {
	case "tekton.dev/v1beta1":
		t = reflect.TypeOf(pipelinev1beta1.PipelineRun{})
	case "tekton.dev/v1":
		t = reflect.TypeOf(pipelinev1.PipelineRun{})
	default:
		ck.errorf("apiVersion", "apiVersion: %q: want tekton.dev/v1 or tekton.dev/v1beta1", apiVersion)
	}
	if t != nil {
		ck.value(m, t, "")
		l.unknownAsWarnings(ck)
	}
	l.checkLighthouseOnly(ck, ref, m)
	if err := ck.err(); err != nil {
		l.fail(err)
	}
	if len(l.errs) > before {
		return nil, sj, false
	}
	spec, err := decodeRunSpec(m, apiVersion)
	if err != nil {
		l.fail(fmt.Errorf("%s: %s: %w", file, ref, err))
		return nil, sj, false
	}
	// As Lighthouse does, an inline pipeline's first task may go unnamed.
	if ps := spec.PipelineSpec; ps != nil && len(ps.Tasks) > 0 && ps.Tasks[0].Name == "" {
		ps.Tasks[0].Name = "default"
	}
	sj.specKey, sj.spec = mappingKey(idx.root, "spec"), mappingValue(idx.root, "spec")
	return spec, sj, true
}

// unknownAsWarnings turns the checker's unknown-field errors into warnings. A source file
// is a Kubernetes object that Lighthouse decodes leniently and the API server prunes, so
// real ones carry fields nobody reads (a PersistentVolume's persistentVolumeReclaimPolicy
// in a claim template, say); bosun names each, with its line and the closest known key,
// and checkconfig --strict fails on them. Values of the wrong type stay errors.
func (l *inRepoLoader) unknownAsWarnings(ck *checker) {
	var kept []lineError
	for _, e := range ck.errs {
		msg := e.err.Error()
		prefix := ck.at("").file + ":"
		if e.line > 0 {
			prefix += fmt.Sprint(e.line) + ":"
		}
		rest, ok := strings.CutPrefix(msg, prefix+" ")
		if !ok || !strings.HasPrefix(rest, "unknown field ") {
			kept = append(kept, e)
			continue
		}
		l.st.warn(Warning{Kind: UnusedField, File: ck.idx.file, Line: e.line, Message: rest + ": not a field Tekton reads; ignored, as Lighthouse does"})
	}
	ck.errs = kept
}

// checkLighthouseOnly reports what only Lighthouse resolves in a source PipelineRun: steps
// whose image is "uses:<repository path>@<version>", which Lighthouse replaces with steps
// read from another repository, and annotations that load steps from elsewhere.
func (l *inRepoLoader) checkLighthouseOnly(ck *checker, ref jobRef, m map[string]any) {
	meta, _ := m["metadata"].(map[string]any)
	annotations, _ := meta["annotations"].(map[string]any)
	for _, a := range lighthouseLoadAnnotations {
		if _, ok := annotations[a]; ok {
			p := "metadata.annotations." + a
			ck.errorf(p, "%s: %s: Lighthouse loads steps or tasks from elsewhere for this annotation; bosun does not — inline them", ref, p)
		}
	}
	spec, _ := m["spec"].(map[string]any)
	ps, _ := spec["pipelineSpec"].(map[string]any)
	for _, list := range []string{"tasks", "finally"} {
		tasks, _ := ps[list].([]any)
		for i, t := range tasks {
			task, _ := t.(map[string]any)
			taskName, _ := task["name"].(string)
			ts, _ := task["taskSpec"].(map[string]any)
			base := fmt.Sprintf("spec.pipelineSpec.%s[%d].taskSpec", list, i)
			if tmpl, ok := ts["stepTemplate"].(map[string]any); ok {
				l.checkUses(ck, ref, tmpl, base+".stepTemplate.image", fmt.Sprintf("task %q stepTemplate", taskName))
			}
			steps, _ := ts["steps"].([]any)
			for j, s := range steps {
				step, _ := s.(map[string]any)
				stepName, _ := step["name"].(string)
				l.checkUses(ck, ref, step, fmt.Sprintf("%s.steps[%d].image", base, j), fmt.Sprintf("task %q step %d %q", taskName, j, stepName))
			}
		}
	}
}

// checkUses reports obj's image if it is a Lighthouse "uses:" reference.
func (l *inRepoLoader) checkUses(ck *checker, ref jobRef, obj map[string]any, p, what string) {
	image, _ := obj["image"].(string)
	if !strings.HasPrefix(image, "uses:") {
		return
	}
	ck.errorf(p, "%s: %s: %s: image %q: uses: is Lighthouse's remote step syntax; bosun does not resolve it yet — inline the step", ref, p, what, image)
}

// decodeRunSpec decodes a checked source PipelineRun and returns its spec as Tekton v1,
// converted with Tekton's own conversion from v1beta1.
func decodeRunSpec(m map[string]any, apiVersion string) (*pipelinev1.PipelineRunSpec, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if apiVersion == "tekton.dev/v1" {
		var pr pipelinev1.PipelineRun
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &pr); err != nil {
			return nil, err
		}
		return &pr.Spec, nil
	}
	var pr pipelinev1beta1.PipelineRun
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &pr); err != nil {
		return nil, err
	}
	var spec pipelinev1.PipelineRunSpec
	meta := metav1.ObjectMeta{}
	if err := pr.Spec.ConvertTo(context.Background(), &spec, &meta); err != nil {
		return nil, fmt.Errorf("convert the PipelineRun from tekton.dev/v1beta1 to v1: %w", err)
	}
	return &spec, nil
}

// toGeneric turns a value into generic JSON, as the checker takes it.
func toGeneric(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &out)
	return out, err
}

// attachSources points the run spec of jobs read from source files at those files' lines:
// the job's YAML mapping gets a pipeline_run_spec key whose value is the source's spec, so
// that validation finds the lines of its fields, and relocate names the file. pre and post
// are file's jobs, by their index in the file.
func (l *inRepoLoader) attachSources(file string, pre []Presubmit, post []Postsubmit) {
	for _, sj := range l.sources {
		var pos *position
		switch {
		case sj.jobFile != file || sj.specKey == nil || sj.spec == nil:
			continue
		case sj.kind == presubmitKind && sj.index < len(pre):
			pos = &pre[sj.index].pos
		case sj.kind == postsubmitKind && sj.index < len(post):
			pos = &post[sj.index].pos
		default:
			continue
		}
		node := &yamlv3.Node{Kind: yamlv3.MappingNode, Line: pos.line}
		if pos.node != nil {
			node.Content = append(node.Content, pos.node.Content...)
		}
		key := &yamlv3.Node{Kind: yamlv3.ScalarNode, Value: "pipeline_run_spec", Line: sj.specKey.Line}
		node.Content = append(node.Content, key, sj.spec)
		pos.node = node
		fields := make(map[string]int, len(pos.fields)+1)
		for k, v := range pos.fields {
			fields[k] = v
		}
		fields["pipeline_run_spec"] = sj.specKey.Line
		pos.fields = fields
	}
}
