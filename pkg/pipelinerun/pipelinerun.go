// Package pipelinerun builds the Tekton objects the pipeline reconciler creates for a ProwJob.
// Everything here is a pure function of the ProwJob, so a retried or restarted reconcile
// builds the same PipelineRun. It imports nothing of bosun but the ProwJob API, so the
// config loader can check a job's pipeline_run_spec on the PipelineRun bosun would create
// without depending on the reconciler.
package pipelinerun

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// Names of the parameters injected into every PipelineRun, the Prow downward API.
const (
	ParamCI          = "CI"
	ParamJobName     = "JOB_NAME"
	ParamJobType     = "JOB_TYPE"
	ParamProwJobID   = "PROW_JOB_ID"
	ParamBuildID     = "BUILD_ID"
	ParamJobSpec     = "JOB_SPEC"
	ParamRepoOwner   = "REPO_OWNER"
	ParamRepoName    = "REPO_NAME"
	ParamSrcHost     = "SRC_HOST"
	ParamSrcBase     = "SRC_BASE"
	ParamPullBaseRef = "PULL_BASE_REF"
	ParamPullBaseSHA = "PULL_BASE_SHA"
	ParamPullRefs    = "PULL_REFS"
	ParamPullNumber  = "PULL_NUMBER"
	ParamPullPullSHA = "PULL_PULL_SHA"
	ParamPullHeadRef = "PULL_HEAD_REF"
	ParamPullTitle   = "PULL_TITLE"
)

const defaultSrcHost = "github.com"

// Options are the controller's settings that shape every PipelineRun.
type Options struct {
	// CloneTask is the Task that PROW_IMPLICIT_GIT_REF and PROW_EXTRA_GIT_REF_<n> tasks
	// become; empty means DefaultCloneTask.
	CloneTask string
	// DefaultTimeout is the pipeline timeout of runs whose job sets none; zero leaves it to
	// Tekton's default.
	DefaultTimeout time.Duration
}

// MakePipelineRun builds the PipelineRun that runs a tekton-pipeline ProwJob: same name, in
// spec.namespace, carrying the job's labels and annotations plus its id and build id, and
// the job's PipelineRunSpec with the Prow parameters appended, the clone placeholders of an
// inline pipeline rewritten into the clone Task, and the default pipeline timeout.
func MakePipelineRun(pj *prowjobsv1.ProwJob, opts Options) (*pipelinev1.PipelineRun, error) {
	spec := pj.Spec.RunSpec()
	if spec == nil {
		return nil, fmt.Errorf("job %q has no pipeline_run_spec", pj.Spec.Job)
	}
	if pj.Spec.Namespace == "" {
		return nil, fmt.Errorf("job %q has no namespace", pj.Spec.Job)
	}
	params, err := Params(pj)
	if err != nil {
		return nil, err
	}

	labels := make(map[string]string, len(pj.Labels)+2)
	for k, v := range pj.Labels {
		labels[k] = v
	}
	labels[prowjobsv1.ProwJobIDLabel] = pj.Name
	labels[prowjobsv1.BuildIDLabel] = prowjobsv1.LabelValue(pj.Status.BuildID)
	annotations := make(map[string]string, len(pj.Annotations)+1)
	for k, v := range pj.Annotations {
		annotations[k] = v
	}
	annotations[prowjobsv1.ProwJobNamespaceAnnotation] = pj.Namespace

	pr := &pipelinev1.PipelineRun{
		TypeMeta: metav1.TypeMeta{APIVersion: pipelinev1.SchemeGroupVersion.String(), Kind: "PipelineRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        pj.Name,
			Namespace:   pj.Spec.Namespace,
			Labels:      labels,
			Annotations: annotations,
		},
		Spec: *spec.DeepCopy(),
	}
	if pj.Namespace == pj.Spec.Namespace {
		// Same namespace: let Kubernetes' garbage collector delete the run with its job.
		pr.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(pj, prowjobsv1.SchemeGroupVersion.WithKind("ProwJob"))}
	}
	pr.Spec.Params = mergeParams(pr.Spec.Params, params)
	if err := rewriteCloneTasks(pj, pr.Spec.PipelineSpec, opts.CloneTask); err != nil {
		return nil, err
	}
	defaultPipelineTimeout(&pr.Spec, opts.DefaultTimeout)
	return pr, nil
}

// mergeParams appends the injected params, replacing any param of the same name the job
// spec set itself: the job cannot lie about its own identity.
func mergeParams(own, injected pipelinev1.Params) pipelinev1.Params {
	names := make(map[string]bool, len(injected))
	for _, p := range injected {
		names[p.Name] = true
	}
	out := make(pipelinev1.Params, 0, len(own)+len(injected))
	for _, p := range own {
		if !names[p.Name] {
			out = append(out, p)
		}
	}
	return append(out, injected...)
}

// jobSpec is the JSON document Prow passes as JOB_SPEC.
type jobSpec struct {
	Type             prowjobsv1.ProwJobType       `json:"type,omitempty"`
	Job              string                       `json:"job,omitempty"`
	BuildID          string                       `json:"buildid,omitempty"`
	ProwJobID        string                       `json:"prowjobid,omitempty"`
	Refs             *prowjobsv1.Refs             `json:"refs,omitempty"`
	ExtraRefs        []prowjobsv1.Refs            `json:"extra_refs,omitempty"`
	DecorationConfig *prowjobsv1.DecorationConfig `json:"decoration_config,omitempty"`
}

// Params returns the Prow downward-API parameters for a job, in a stable order.
func Params(pj *prowjobsv1.ProwJob) (pipelinev1.Params, error) {
	spec, err := json.Marshal(jobSpec{
		Type:             pj.Spec.Type,
		Job:              pj.Spec.Job,
		BuildID:          pj.Status.BuildID,
		ProwJobID:        pj.Name,
		Refs:             pj.Spec.Refs,
		ExtraRefs:        pj.Spec.ExtraRefs,
		DecorationConfig: pj.Spec.DecorationConfig,
	})
	if err != nil {
		return nil, fmt.Errorf("encode JOB_SPEC: %w", err)
	}
	ps := pipelinev1.Params{
		param(ParamCI, "true"),
		param(ParamJobName, pj.Spec.Job),
		param(ParamJobType, string(pj.Spec.Type)),
		param(ParamProwJobID, pj.Name),
		param(ParamBuildID, pj.Status.BuildID),
		param(ParamJobSpec, string(spec)),
	}
	refs := pj.Spec.Refs
	if pj.Spec.Type == prowjobsv1.PeriodicJob || refs == nil {
		return ps, nil
	}
	ps = append(ps,
		param(ParamRepoOwner, refs.Org),
		param(ParamRepoName, refs.Repo),
		param(ParamSrcHost, srcHost(refs)),
		param(ParamSrcBase, srcBase(refs)),
		param(ParamPullBaseRef, refs.BaseRef),
		param(ParamPullBaseSHA, refs.BaseSHA),
		param(ParamPullRefs, PullRefs(refs)),
	)
	if pj.Spec.Type == prowjobsv1.PresubmitJob && len(refs.Pulls) > 0 {
		pull := refs.Pulls[0]
		ps = append(ps,
			param(ParamPullNumber, strconv.Itoa(pull.Number)),
			param(ParamPullPullSHA, pull.SHA),
			param(ParamPullHeadRef, pull.HeadRef),
			param(ParamPullTitle, pull.Title),
		)
	}
	return ps, nil
}

// PullRefs renders refs as Prow's PULL_REFS: "base_ref:base_sha,num:sha[:ref],...".
func PullRefs(refs *prowjobsv1.Refs) string {
	var b strings.Builder
	b.WriteString(refs.BaseRef)
	if refs.BaseSHA != "" {
		b.WriteString(":" + refs.BaseSHA)
	}
	for _, p := range refs.Pulls {
		b.WriteString(fmt.Sprintf(",%d:%s", p.Number, p.SHA))
		if p.Ref != "" {
			b.WriteString(":" + p.Ref)
		}
	}
	return b.String()
}

func srcHost(refs *prowjobsv1.Refs) string {
	if refs.RepoLink == "" {
		return defaultSrcHost
	}
	u, err := url.Parse(refs.RepoLink)
	if err != nil || u.Host == "" {
		return defaultSrcHost
	}
	return u.Host
}

// srcBase is the repository's path under SRC_HOST: the path of repo_link, else org/repo.
func srcBase(refs *prowjobsv1.Refs) string {
	if u, err := url.Parse(refs.RepoLink); err == nil && u.Host != "" {
		if p := strings.Trim(u.Path, "/"); p != "" {
			return p
		}
	}
	return refs.Org + "/" + refs.Repo
}

func param(name, value string) pipelinev1.Param {
	return pipelinev1.Param{Name: name, Value: *pipelinev1.NewStructuredValues(value)}
}
