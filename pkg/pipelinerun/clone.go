package pipelinerun

import (
	"fmt"
	"strconv"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// Task names that stand for "check out this job's code", as in Prow: a pipeline task whose
// taskRef names one of them is rewritten into the clone Task.
const (
	// ImplicitGitRef stands for the job's own refs.
	ImplicitGitRef = "PROW_IMPLICIT_GIT_REF"
	// ExtraGitRefPrefix followed by a 0-based index stands for one of the job's extra_refs.
	ExtraGitRefPrefix = "PROW_EXTRA_GIT_REF_"
)

// DefaultCloneTask is the Task clone placeholders are rewritten to unless configured
// otherwise: bosun's own, shipped as tekton/git-clone.yaml.
const DefaultCloneTask = "bosun-git-clone"

// Parameters bosun sets on a rewritten clone task; tekton/git-clone.yaml declares them.
const (
	CloneParamURL      = "url"
	CloneParamRevision = "revision"
	CloneParamRefs     = "refs"
)

// rewriteCloneTasks replaces, in an inline pipeline spec, every task and finally task whose
// taskRef names a clone placeholder with a reference to the clone Task, its url, revision
// and refs params set from the job's refs. The task keeps its name, workspaces, runAfter
// and any other param.
//
// A pipeline given by pipelineRef is left alone: its tasks are not known without fetching
// it, and a placeholder in it reaches Tekton as a Task that does not exist.
func rewriteCloneTasks(pj *prowjobsv1.ProwJob, spec *pipelinev1.PipelineSpec, cloneTask string) error {
	if spec == nil {
		return nil
	}
	if cloneTask == "" {
		cloneTask = DefaultCloneTask
	}
	for _, tasks := range [][]pipelinev1.PipelineTask{spec.Tasks, spec.Finally} {
		for i := range tasks {
			t := &tasks[i]
			if t.TaskRef == nil || !isClonePlaceholder(t.TaskRef.Name) {
				continue
			}
			refs, err := placeholderRefs(pj, t.TaskRef.Name)
			if err != nil {
				return fmt.Errorf("pipeline task %q: %w", t.Name, err)
			}
			t.TaskRef = &pipelinev1.TaskRef{Name: cloneTask, Kind: pipelinev1.NamespacedTaskKind}
			t.Params = mergeParams(t.Params, CloneParams(refs))
		}
	}
	return nil
}

// isClonePlaceholder reports whether a taskRef name is one of Prow's clone placeholders.
func isClonePlaceholder(name string) bool {
	return name == ImplicitGitRef || strings.HasPrefix(name, ExtraGitRefPrefix)
}

// placeholderRefs returns the refs a clone placeholder stands for.
func placeholderRefs(pj *prowjobsv1.ProwJob, name string) (*prowjobsv1.Refs, error) {
	if name == ImplicitGitRef {
		if pj.Spec.Refs == nil {
			return nil, fmt.Errorf("%s: the job has no refs to clone", name)
		}
		return pj.Spec.Refs, nil
	}
	index := strings.TrimPrefix(name, ExtraGitRefPrefix)
	n, err := strconv.Atoi(index)
	if err != nil || n < 0 || strings.ContainsAny(index, "+-") {
		return nil, fmt.Errorf("%s: want %s<n> with n a 0-based index into extra_refs", name, ExtraGitRefPrefix)
	}
	if n >= len(pj.Spec.ExtraRefs) {
		return nil, fmt.Errorf("%s: the job has %d extra_refs", name, len(pj.Spec.ExtraRefs))
	}
	return &pj.Spec.ExtraRefs[n], nil
}

// CloneParams returns the clone Task's params for refs: the clone URL; the revision, which
// is the pull request's head for a single pull, else the base commit (or branch); and, when
// pulls are to be merged into the base, refs in PULL_REFS form.
func CloneParams(refs *prowjobsv1.Refs) pipelinev1.Params {
	ps := pipelinev1.Params{
		param(CloneParamURL, CloneURI(refs)),
		param(CloneParamRevision, revision(refs)),
	}
	if len(refs.Pulls) > 0 {
		ps = append(ps, param(CloneParamRefs, PullRefs(refs)))
	}
	return ps
}

// CloneURI returns where refs are cloned from: clone_uri, else repo_link ending in ".git",
// else https://<SRC_HOST>/<org>/<repo>.git.
func CloneURI(refs *prowjobsv1.Refs) string {
	switch {
	case refs.CloneURI != "":
		return refs.CloneURI
	case refs.RepoLink != "":
		link := strings.TrimSuffix(refs.RepoLink, "/")
		if strings.HasSuffix(link, ".git") {
			return link
		}
		return link + ".git"
	}
	return "https://" + srcHost(refs) + "/" + refs.Org + "/" + refs.Repo + ".git"
}

// revision is what a clone task checks out when it does not merge refs itself.
func revision(refs *prowjobsv1.Refs) string {
	if len(refs.Pulls) == 1 {
		p := refs.Pulls[0]
		if p.Ref != "" {
			return p.Ref
		}
		return fmt.Sprintf("refs/pull/%d/head", p.Number)
	}
	if refs.BaseSHA != "" {
		return refs.BaseSHA
	}
	return refs.BaseRef
}
