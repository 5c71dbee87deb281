package pipelinerun_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// clonePipeline is an inline pipeline that checks out the job's code and one extra
// repository, tests, and in finally checks out a second extra repository. Its clone task
// sets a url of its own, which bosun replaces, and a depth, which it keeps.
const clonePipeline = `
params:
- name: PULL_NUMBER
  default: "0"
workspaces:
- name: source
tasks:
- name: clone
  taskRef: {name: PROW_IMPLICIT_GIT_REF}
  params:
  - {name: depth, value: "50"}
  - {name: url, value: https://example.com/forged.git}
  workspaces:
  - {name: output, workspace: source}
- name: unit
  runAfter: [clone]
  taskRef: {name: go-test}
  params:
  - {name: url, value: not-a-clone-param}
  workspaces:
  - {name: source, workspace: source}
- name: lint
  runAfter: [clone]
  taskSpec:
    steps:
    - {name: lint, image: golangci/golangci-lint, script: golangci-lint run}
`

// withInlinePipeline replaces the job's pipelineRef with the pipeline given as YAML.
func withInlinePipeline(t *testing.T, spec string) pjOption {
	t.Helper()
	var ps pipelinev1.PipelineSpec
	if err := yaml.UnmarshalStrict([]byte(spec), &ps); err != nil {
		t.Fatalf("decode pipeline spec: %v", err)
	}
	return func(pj *prowjobsv1.ProwJob) {
		pj.Spec.PipelineRunSpec.PipelineRef = nil
		pj.Spec.PipelineRunSpec.PipelineSpec = ps.DeepCopy()
	}
}

// withExtraRefs sets the job's extra_refs.
func withExtraRefs(refs ...prowjobsv1.Refs) pjOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.ExtraRefs = refs }
}

// cloneTask is a pipeline task as bosun rewrites it: the clone Task with params.
func cloneTask(name, task string, workspace string, params ...pipelinev1.Param) pipelinev1.PipelineTask {
	return pipelinev1.PipelineTask{
		Name:       name,
		TaskRef:    &pipelinev1.TaskRef{Name: task, Kind: pipelinev1.NamespacedTaskKind},
		Params:     params,
		Workspaces: []pipelinev1.WorkspacePipelineTaskBinding{{Name: "output", Workspace: workspace}},
	}
}

// validatePipeline runs Tekton's own validation over the run's inline pipeline.
func validatePipeline(t *testing.T, pr *pipelinev1.PipelineRun) {
	t.Helper()
	ctx := context.Background()
	ps := pr.Spec.PipelineSpec.DeepCopy()
	ps.SetDefaults(ctx)
	if err := ps.Validate(ctx); err != nil {
		t.Errorf("the rewritten pipeline is not valid: %v", err)
	}
}

func TestMakePipelineRunRewritesImplicitGitRef(t *testing.T) {
	prRefs := "main:" + baseSHA + ",42:" + headSHA + ":refs/pull/42/head"
	tests := []struct {
		name string
		pj   *prowjobsv1.ProwJob
		opts pipelinerun.Options
		want pipelinev1.PipelineTask
	}{{
		name: "presubmit: the pull request head, and refs to merge",
		pj:   makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, clonePipeline)),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", "refs/pull/42/head"),
			stringParam("refs", prRefs)),
	}, {
		name: "presubmit whose pull has no ref: GitHub's head ref",
		pj: makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.Pulls[0].Ref = ""
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", "refs/pull/42/head"),
			stringParam("refs", "main:"+baseSHA+",42:"+headSHA)),
	}, {
		name: "batch: the base commit, and refs with every pull",
		pj: makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Type = prowjobsv1.BatchJob
			pj.Spec.Refs.Pulls = append(pj.Spec.Refs.Pulls, prowjobsv1.Pull{Number: 7, SHA: pushedSHA})
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", baseSHA),
			stringParam("refs", prRefs+",7:"+pushedSHA)),
	}, {
		name: "postsubmit: the pushed commit, no refs",
		pj:   makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline)),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", pushedSHA)),
	}, {
		name: "postsubmit without a base sha: the branch",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.BaseSHA = ""
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", "main")),
	}, {
		name: "clone_uri wins",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.CloneURI = "git@github.com:acme/widgets.git"
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "git@github.com:acme/widgets.git"),
			stringParam("revision", pushedSHA)),
	}, {
		name: "GitHub Enterprise repo_link",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.RepoLink = "https://ghe.example.com/platform/widgets/"
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://ghe.example.com/platform/widgets.git"),
			stringParam("revision", pushedSHA)),
	}, {
		name: "no repo_link: github.com",
		pj: makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.RepoLink = ""
		}),
		want: cloneTask("clone", "bosun-git-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", pushedSHA)),
	}, {
		name: "configured clone task",
		pj:   makeProwJob(t, prowjobsv1.PostsubmitJob, withInlinePipeline(t, clonePipeline)),
		opts: pipelinerun.Options{CloneTask: "acme-clone"},
		want: cloneTask("clone", "acme-clone", "source",
			stringParam("depth", "50"),
			stringParam("url", "https://github.com/acme/widgets.git"),
			stringParam("revision", pushedSHA)),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.pj.DeepCopy()
			pr := mustMakePipelineRunWith(t, tc.pj, tc.opts)

			// Only the clone task changes.
			want := before.Spec.PipelineRunSpec.PipelineSpec.DeepCopy()
			want.Tasks[0] = tc.want
			if diff := cmp.Diff(want, pr.Spec.PipelineSpec); diff != "" {
				t.Errorf("pipeline spec (-want, +got):\n%s", diff)
			}
			validatePipeline(t, pr)
			if diff := cmp.Diff(before, tc.pj); diff != "" {
				t.Errorf("MakePipelineRun modified its ProwJob (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestMakePipelineRunRewritesExtraGitRefs(t *testing.T) {
	const spec = `
workspaces:
- name: source
tasks:
- name: clone-infra
  taskRef: {name: PROW_EXTRA_GIT_REF_0}
  params:
  - {name: subdirectory, value: infra}
  workspaces:
  - {name: output, workspace: source}
- name: deploy
  runAfter: [clone-infra]
  taskRef: {name: deploy}
finally:
- name: clone-docs
  taskRef: {name: PROW_EXTRA_GIT_REF_1, kind: Task}
  workspaces:
  - {name: output, workspace: source}
- name: notify
  taskRef: {name: notify}
`
	pj := makeProwJob(t, prowjobsv1.PeriodicJob, withInlinePipeline(t, spec), withExtraRefs(
		prowjobsv1.Refs{Org: "acme", Repo: "infra", BaseRef: "main", BaseSHA: baseSHA},
		prowjobsv1.Refs{Org: "acme", Repo: "docs", RepoLink: "https://github.com/acme/docs", BaseRef: "release-1.2"},
	))
	pr := mustMakePipelineRun(t, pj)

	want := pj.Spec.PipelineRunSpec.PipelineSpec.DeepCopy()
	want.Tasks[0] = cloneTask("clone-infra", "bosun-git-clone", "source",
		stringParam("subdirectory", "infra"),
		stringParam("url", "https://github.com/acme/infra.git"),
		stringParam("revision", baseSHA))
	want.Finally[0] = cloneTask("clone-docs", "bosun-git-clone", "source",
		stringParam("url", "https://github.com/acme/docs.git"),
		stringParam("revision", "release-1.2"))
	if diff := cmp.Diff(want, pr.Spec.PipelineSpec); diff != "" {
		t.Errorf("pipeline spec (-want, +got):\n%s", diff)
	}
	validatePipeline(t, pr)
}

func TestMakePipelineRunLeavesReferencedPipelines(t *testing.T) {
	// A pipelineRef's tasks cannot be seen, let alone rewritten: the spec goes to Tekton as
	// the job wrote it, even for a job with refs.
	pj := makeProwJob(t, prowjobsv1.PresubmitJob)
	pr := mustMakePipelineRunWith(t, pj, pipelinerun.Options{CloneTask: "acme-clone"})
	if diff := cmp.Diff(pj.Spec.PipelineRunSpec.PipelineRef, pr.Spec.PipelineRef); diff != "" {
		t.Errorf("pipelineRef (-want, +got):\n%s", diff)
	}
	if pr.Spec.PipelineSpec != nil {
		t.Errorf("pipelineSpec = %+v, want none", pr.Spec.PipelineSpec)
	}
}

func TestMakePipelineRunCloneErrors(t *testing.T) {
	task := func(where, ref string) string {
		return "\n" + where + ":\n- name: checkout\n  taskRef: {name: " + ref + "}\n"
	}
	oneExtra := withExtraRefs(prowjobsv1.Refs{Org: "acme", Repo: "infra", BaseRef: "main"})
	tests := []struct {
		name    string
		pj      *prowjobsv1.ProwJob
		wantErr string
	}{{
		name:    "extra ref index out of range",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, task("tasks", "PROW_EXTRA_GIT_REF_1")), oneExtra),
		wantErr: `pipeline task "checkout": PROW_EXTRA_GIT_REF_1: the job has 1 extra_refs`,
	}, {
		name:    "extra ref in finally without extra_refs",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, task("finally", "PROW_EXTRA_GIT_REF_0"))),
		wantErr: `pipeline task "checkout": PROW_EXTRA_GIT_REF_0: the job has 0 extra_refs`,
	}, {
		name:    "extra ref without an index",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, task("tasks", "PROW_EXTRA_GIT_REF_")), oneExtra),
		wantErr: `pipeline task "checkout": PROW_EXTRA_GIT_REF_: want PROW_EXTRA_GIT_REF_<n> with n a 0-based index into extra_refs`,
	}, {
		name:    "extra ref with a signed index",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, task("tasks", "PROW_EXTRA_GIT_REF_+0")), oneExtra),
		wantErr: `pipeline task "checkout": PROW_EXTRA_GIT_REF_+0: want PROW_EXTRA_GIT_REF_<n> with n a 0-based index into extra_refs`,
	}, {
		name:    "extra ref with a name for an index",
		pj:      makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, task("tasks", "PROW_EXTRA_GIT_REF_infra")), oneExtra),
		wantErr: `pipeline task "checkout": PROW_EXTRA_GIT_REF_infra: want PROW_EXTRA_GIT_REF_<n> with n a 0-based index into extra_refs`,
	}, {
		name:    "implicit ref in a periodic without refs",
		pj:      makeProwJob(t, prowjobsv1.PeriodicJob, withInlinePipeline(t, task("tasks", "PROW_IMPLICIT_GIT_REF"))),
		wantErr: `pipeline task "checkout": PROW_IMPLICIT_GIT_REF: the job has no refs to clone`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := pipelinerun.MakePipelineRun(tc.pj, pipelinerun.Options{})
			if err == nil {
				t.Fatalf("MakePipelineRun() = %v, want error %q", pr.Name, tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("MakePipelineRun() error = %q, want %q", err, tc.wantErr)
			}
			if pr != nil {
				t.Errorf("MakePipelineRun() returned a PipelineRun along with its error")
			}
		})
	}
}

func TestMakePipelineRunDeclaredParams(t *testing.T) {
	// The pipeline declares PULL_NUMBER with a default and not PULL_BASE_SHA: the run gives
	// the declared one the job's value, and passes the undeclared one too, which Tekton
	// ignores.
	pj := makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, clonePipeline))
	pr := mustMakePipelineRun(t, pj)
	got := paramValues(t, pr.Spec.Params)
	if got["PULL_NUMBER"] != "42" {
		t.Errorf("PULL_NUMBER = %q, want the job's 42 over the pipeline's default", got["PULL_NUMBER"])
	}
	if got["PULL_BASE_SHA"] != baseSHA {
		t.Errorf("PULL_BASE_SHA = %q, want %s though the pipeline does not declare it", got["PULL_BASE_SHA"], baseSHA)
	}
	ctx := context.Background()
	run := pr.DeepCopy()
	run.SetDefaults(ctx)
	if err := run.Validate(ctx); err != nil {
		t.Errorf("PipelineRun.Validate() = %v", err)
	}
}

func TestMakePipelineRunGoldenInlinePipeline(t *testing.T) {
	pj := makeProwJob(t, prowjobsv1.PresubmitJob, withInlinePipeline(t, clonePipeline))
	pr := mustMakePipelineRunWith(t, pj, pipelinerun.Options{DefaultTimeout: 2 * time.Hour})
	got, err := yaml.Marshal(pr)
	if err != nil {
		t.Fatalf("yaml.Marshal(PipelineRun) error = %v", err)
	}
	compareGolden(t, got)
}
