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
	"fmt"
	"regexp"
	"sort"
	"strings"

	"knative.dev/pkg/apis"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// Tekton v1 dropped or moved some fields of v1beta1's PipelineRunSpec. A migrating user's
// job that still has them would otherwise get a bare "unknown field"; these say where each
// went.
var (
	// v1beta1RunSpecFields are keys of a pipeline_run_spec itself.
	v1beta1RunSpecFields = map[string]string{
		"serviceAccountName":  "a Tekton v1beta1 field: in v1 it is taskRunTemplate.serviceAccountName",
		"podTemplate":         "a Tekton v1beta1 field: in v1 it is taskRunTemplate.podTemplate",
		"serviceAccountNames": "a Tekton v1beta1 field: in v1 each task's service account is taskRunSpecs[].serviceAccountName (with taskRunSpecs[].pipelineTaskName)",
		"timeout":             "a Tekton v1beta1 field: in v1 it is timeouts.pipeline",
		"resources":           "PipelineResources were removed from Tekton and v1 has no such field: use workspaces and Tasks instead (a PROW_IMPLICIT_GIT_REF task clones the job's code)",
		"trigger":             "removed from Tekton (v1alpha1's PipelineTrigger) and v1 has no such field: delete it",
	}
	// v1beta1TaskRunSpecFields are keys of an entry of a pipeline_run_spec's taskRunSpecs.
	v1beta1TaskRunSpecFields = map[string]string{
		"taskServiceAccountName": "a Tekton v1beta1 field: in v1 it is taskRunSpecs[].serviceAccountName",
		"taskPodTemplate":        "a Tekton v1beta1 field: in v1 it is taskRunSpecs[].podTemplate",
	}
	// runSpecPath matches the decoder path of a job's run spec, and taskRunSpecPath that of
	// one of its taskRunSpecs.
	runSpecPath     = regexp.MustCompile(`\]\.(pipeline_run_spec|tekton_pipeline_run_spec\.v1beta1)$`)
	taskRunSpecPath = regexp.MustCompile(`\]\.(pipeline_run_spec|tekton_pipeline_run_spec\.v1beta1)\.taskRunSpecs\[[0-9]+\]$`)
)

// v1beta1Field returns what to say about an unknown key at path that is a v1beta1-only
// field of a job's run spec, or "" if it is not one.
func v1beta1Field(path, key string) string {
	parent, ok := strings.CutSuffix(path, "."+key)
	if !ok {
		return ""
	}
	switch {
	case runSpecPath.MatchString(parent):
		return v1beta1RunSpecFields[key]
	case taskRunSpecPath.MatchString(parent):
		return v1beta1TaskRunSpecFields[key]
	}
	return ""
}

// Values the sample ProwJob of validateTektonRun is given where a real run would have the
// event's: any well-formed value will do, Tekton only sees that the params exist.
const (
	sampleProwJobName = "bosun-checkconfig"
	sampleBaseRef     = "main"
	sampleBaseSHA     = "0123456789abcdef0123456789abcdef01234567"
	samplePullSHA     = "89abcdef0123456789abcdef0123456789abcdef"
)

// validateTektonRun builds the PipelineRun that bosun's controller would create for a run
// of the job, with pipelinerun.MakePipelineRun, so that the Prow params bosun injects exist
// and clone placeholders are rewritten, and checks it as Tekton's admission webhook would:
// defaulted, then validated for create. Each of Tekton's errors becomes an error about the
// job's run spec, at the line of the field Tekton names where the file has it, in line
// order. It expects
// validateRunSpec to have passed.
func (c *Config) validateTektonRun(j *JobBase, repo string, ref jobRef) []error {
	field := "pipeline_run_spec"
	if j.PipelineRunSpec == nil {
		field = "tekton_pipeline_run_spec.v1beta1"
	}
	pj := sampleProwJob(j, ref.kind, repo, c.PodNamespace)
	pr, err := pipelinerun.MakePipelineRun(pj, pipelinerun.Options{
		CloneTask:      c.Tekton.CloneTask,
		DefaultTimeout: c.Tekton.DefaultTimeoutDuration(),
	})
	if err != nil {
		return []error{ref.wrap(field, err)}
	}
	ctx := apis.WithinCreate(context.Background())
	pr.SetDefaults(ctx)
	fe := pr.Validate(ctx)
	if fe == nil {
		return nil
	}
	var errs []lineError
	for _, e := range fe.Filter(apis.ErrorLevel).WrappedErrors() {
		var paths []string
		for _, p := range e.Paths {
			// Errors about the spec are the job's; metadata is bosun's own.
			if rest, ok := strings.CutPrefix(p, "spec."); ok {
				paths = append(paths, field+"."+rest)
			} else if p == "spec" {
				paths = append(paths, field)
			}
		}
		if len(paths) == 0 && len(e.Paths) > 0 {
			continue
		}
		if len(paths) == 0 {
			paths = []string{field}
		}
		msg := e.Message
		if e.Details != "" {
			msg += ": " + e.Details
		}
		at := ref.pos.atPath(paths[0])
		errs = append(errs, lineError{line: at.line, err: fmt.Errorf("%s: %s: %s: %s", at, ref, strings.Join(paths, ", "), msg)})
	}
	sort.SliceStable(errs, func(i, k int) bool { return errs[i].line < errs[k].line })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e.err
	}
	return out
}

// sampleProwJob is a ProwJob of the job as the controller would get it for some event:
// a pull request for a presubmit, a push for a postsubmit, a timer for a periodic.
func sampleProwJob(j *JobBase, kind jobKind, repo, podNamespace string) *prowjobsv1.ProwJob {
	namespace := podNamespace
	if j.Namespace != nil && *j.Namespace != "" {
		namespace = *j.Namespace
	}
	pj := &prowjobsv1.ProwJob{}
	pj.Name = sampleProwJobName
	pj.Namespace = namespace
	pj.Spec = prowjobsv1.ProwJobSpec{
		Agent:                 prowjobsv1.TektonAgent,
		Namespace:             namespace,
		Job:                   j.Name,
		ExtraRefs:             j.ExtraRefs,
		PipelineRunSpec:       j.PipelineRunSpec,
		TektonPipelineRunSpec: j.TektonPipelineRunSpec,
	}
	pj.Status.BuildID = "1"
	org, name, _ := strings.Cut(repo, "/")
	switch kind {
	case presubmitKind:
		pj.Spec.Type = prowjobsv1.PresubmitJob
		pj.Spec.Refs = &prowjobsv1.Refs{Org: org, Repo: name, BaseRef: sampleBaseRef, BaseSHA: sampleBaseSHA,
			Pulls: []prowjobsv1.Pull{{Number: 1, Author: "author", SHA: samplePullSHA, Title: "title", HeadRef: "head"}}}
	case postsubmitKind:
		pj.Spec.Type = prowjobsv1.PostsubmitJob
		pj.Spec.Refs = &prowjobsv1.Refs{Org: org, Repo: name, BaseRef: sampleBaseRef, BaseSHA: sampleBaseSHA}
	default:
		pj.Spec.Type = prowjobsv1.PeriodicJob
	}
	return pj
}
