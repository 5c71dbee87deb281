package v1

import (
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProwJobType says which kind of event a job runs for.
type ProwJobType string

// The job types Prow defines.
const (
	PresubmitJob  ProwJobType = "presubmit"
	PostsubmitJob ProwJobType = "postsubmit"
	PeriodicJob   ProwJobType = "periodic"
	BatchJob      ProwJobType = "batch"
)

// ProwJobState is the lifecycle state of a job.
type ProwJobState string

// The states Prow defines, in the order a job usually moves through them.
const (
	SchedulingState ProwJobState = "scheduling"
	TriggeredState  ProwJobState = "triggered"
	PendingState    ProwJobState = "pending"
	SuccessState    ProwJobState = "success"
	FailureState    ProwJobState = "failure"
	AbortedState    ProwJobState = "aborted"
	ErrorState      ProwJobState = "error"
)

// ProwJobAgent names the backend that runs a job.
type ProwJobAgent string

// The agents Prow defines; bosun runs TektonAgent jobs and leaves the others alone.
const (
	KubernetesAgent ProwJobAgent = "kubernetes"
	JenkinsAgent    ProwJobAgent = "jenkins"
	TektonAgent     ProwJobAgent = "tekton-pipeline"
)

// ProwJob is one run of a CI job. Its name is a UUID; its state mirrors the PipelineRun that
// runs it.
//
// +genclient
// +genreconciler:krshapedlogic=false
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=prowjobs,singular=prowjob,shortName=pj,scope=Namespaced
// +kubebuilder:subresource:status
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=https://github.com/kubernetes/test-infra/pull/8669"
// +kubebuilder:printcolumn:name="Job",type=string,JSONPath=`.spec.job`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProwJob struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProwJobSpec   `json:"spec,omitempty"`
	Status ProwJobStatus `json:"status,omitempty"`
}

// ProwJobSpec says what to run and for which refs. Field names follow Prow's JSON keys.
type ProwJobSpec struct {
	// +kubebuilder:validation:Enum=presubmit;postsubmit;periodic;batch
	Type ProwJobType `json:"type,omitempty"`
	// +kubebuilder:validation:Enum=kubernetes;jenkins;tekton-pipeline
	Agent ProwJobAgent `json:"agent,omitempty"`
	// Cluster is the alias of the build cluster the job runs in; bosun runs in its own.
	Cluster string `json:"cluster,omitempty"`
	// Namespace is where the PipelineRun is created.
	Namespace string `json:"namespace,omitempty"`
	// Job is the name of the job in the config.
	Job string `json:"job,omitempty"`
	// Refs is the code under test; unset for periodics.
	Refs *Refs `json:"refs,omitempty"`
	// ExtraRefs are further repositories to check out.
	ExtraRefs []Refs `json:"extra_refs,omitempty"`
	// Report asks the reporters (crier) to report this job.
	Report bool `json:"report,omitempty"`
	// Context is the commit status context.
	Context string `json:"context,omitempty"`
	// RerunCommand is the comment that reruns this job.
	RerunCommand string `json:"rerun_command,omitempty"`
	// MaxConcurrency caps how many runs of this job may be pending at once (0 = no cap).
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// ErrorOnEviction is kept for schema compatibility with Prow's kubernetes agent.
	ErrorOnEviction bool `json:"error_on_eviction,omitempty"`

	// PodSpec is used by Prow's kubernetes agent; bosun stores it untouched.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	PodSpec *corev1.PodSpec `json:"pod_spec,omitempty"`
	// PipelineRunSpec is the Tekton v1 PipelineRunSpec the tekton-pipeline agent runs.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	PipelineRunSpec *pipelinev1.PipelineRunSpec `json:"pipeline_run_spec,omitempty"`
	// TektonPipelineRunSpec is Prow's newer spelling; its v1beta1 key holds a v1 spec here.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	TektonPipelineRunSpec *TektonPipelineRunSpec `json:"tekton_pipeline_run_spec,omitempty"`

	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	DecorationConfig *DecorationConfig `json:"decoration_config,omitempty"`
	ReporterConfig   *ReporterConfig   `json:"reporter_config,omitempty"`
	RerunAuthConfig  *RerunAuthConfig  `json:"rerun_auth_config,omitempty"`
	// Hidden jobs are not shown on public dashboards.
	Hidden bool `json:"hidden,omitempty"`
	// JobQueueName groups jobs that share a concurrency queue.
	JobQueueName string `json:"job_queue_name,omitempty"`
}

// TektonPipelineRunSpec wraps a PipelineRunSpec under Prow's versioned key.
type TektonPipelineRunSpec struct {
	V1Beta1 *pipelinev1.PipelineRunSpec `json:"v1beta1,omitempty"`
}

// DecorationConfig holds the subset of Prow's decoration settings that bosun reads.
type DecorationConfig struct {
	Timeout          *metav1.Duration  `json:"timeout,omitempty"`
	GracePeriod      *metav1.Duration  `json:"grace_period,omitempty"`
	SkipCloning      *bool             `json:"skip_cloning,omitempty"`
	GCSConfiguration *GCSConfiguration `json:"gcs_configuration,omitempty"`
}

// GCSConfiguration says where a job's artifacts are uploaded.
type GCSConfiguration struct {
	Bucket       string `json:"bucket,omitempty"`
	PathPrefix   string `json:"path_prefix,omitempty"`
	PathStrategy string `json:"path_strategy,omitempty"`
	DefaultOrg   string `json:"default_org,omitempty"`
	DefaultRepo  string `json:"default_repo,omitempty"`
}

// ReporterConfig holds per-job reporter settings.
type ReporterConfig struct {
	Slack *SlackReporterConfig `json:"slack,omitempty"`
}

// SlackReporterConfig is Prow's per-job Slack reporting.
type SlackReporterConfig struct {
	Host              string         `json:"host,omitempty"`
	Channel           string         `json:"channel,omitempty"`
	JobStatesToReport []ProwJobState `json:"job_states_to_report,omitempty"`
	ReportTemplate    string         `json:"report_template,omitempty"`
	Report            *bool          `json:"report,omitempty"`
}

// RerunAuthConfig says who may rerun a job.
type RerunAuthConfig struct {
	AllowAnyone     bool             `json:"allow_anyone,omitempty"`
	GitHubTeamIDs   []int            `json:"github_team_ids,omitempty"`
	GitHubTeamSlugs []GitHubTeamSlug `json:"github_team_slugs,omitempty"`
	GitHubUsers     []string         `json:"github_users,omitempty"`
	GitHubOrgs      []string         `json:"github_orgs,omitempty"`
}

// GitHubTeamSlug names a team by its slug within an org.
type GitHubTeamSlug struct {
	Slug string `json:"slug"`
	Org  string `json:"org"`
}

// Refs describes the code a job runs against: a base ref and, for presubmits, pulls merged
// into it.
type Refs struct {
	Org      string `json:"org"`
	Repo     string `json:"repo"`
	RepoLink string `json:"repo_link,omitempty"`
	BaseRef  string `json:"base_ref,omitempty"`
	BaseSHA  string `json:"base_sha,omitempty"`
	BaseLink string `json:"base_link,omitempty"`
	Pulls    []Pull `json:"pulls,omitempty"`

	PathAlias      string `json:"path_alias,omitempty"`
	WorkDir        bool   `json:"workdir,omitempty"`
	CloneURI       string `json:"clone_uri,omitempty"`
	SkipSubmodules bool   `json:"skip_submodules,omitempty"`
	CloneDepth     int    `json:"clone_depth,omitempty"`
	SkipFetchHead  bool   `json:"skip_fetch_head,omitempty"`
}

// HeadSHA is the commit a job on these refs tests and reports on: the first pull's head for
// a presubmit, else the base commit.
func (r *Refs) HeadSHA() string {
	if len(r.Pulls) > 0 {
		return r.Pulls[0].SHA
	}
	return r.BaseSHA
}

// Pull is a pull request merged into the base ref for a presubmit.
type Pull struct {
	Number     int    `json:"number"`
	Author     string `json:"author"`
	SHA        string `json:"sha"`
	Title      string `json:"title,omitempty"`
	Ref        string `json:"ref,omitempty"`
	HeadRef    string `json:"head_ref,omitempty"`
	Link       string `json:"link,omitempty"`
	CommitLink string `json:"commit_link,omitempty"`
	AuthorLink string `json:"author_link,omitempty"`
}

// ProwJobStatus is where the job stands. JSON keys follow Prow (a mix of camelCase and
// snake_case).
type ProwJobStatus struct {
	StartTime      metav1.Time  `json:"startTime,omitempty"`
	PendingTime    *metav1.Time `json:"pendingTime,omitempty"`
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// +kubebuilder:validation:Enum=scheduling;triggered;pending;success;failure;aborted;error
	State       ProwJobState `json:"state,omitempty"`
	Description string       `json:"description,omitempty"`
	URL         string       `json:"url,omitempty"`
	// PodName is set by Prow's kubernetes agent; bosun leaves it empty.
	PodName string `json:"pod_name,omitempty"`
	BuildID string `json:"build_id,omitempty"`
	// PrevReportStates records, per reporter, the last state it reported, so that a state
	// is reported once.
	PrevReportStates map[string]ProwJobState `json:"prev_report_states,omitempty"`
}

// ProwJobList is a list of ProwJobs.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type ProwJobList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []ProwJob `json:"items"`
}

// Complete reports whether the job has reached a final state.
func (j *ProwJob) Complete() bool { return j.Status.CompletionTime != nil }

// RunSpec returns the PipelineRunSpec the job runs, whichever key it was given under.
func (s *ProwJobSpec) RunSpec() *pipelinev1.PipelineRunSpec {
	if s.PipelineRunSpec != nil {
		return s.PipelineRunSpec
	}
	if s.TektonPipelineRunSpec != nil {
		return s.TektonPipelineRunSpec.V1Beta1
	}
	return nil
}
