package v1

import "strings"

// Label and annotation keys Prow puts on ProwJobs and their runs; tools such as
// `tkn pipelinerun list -l prow.k8s.io/job=<job>` and Prow's own dashboards select on them.
const (
	CreatedByProwLabel = "created-by-prow"
	TypeLabel          = "prow.k8s.io/type"
	JobLabel           = "prow.k8s.io/job"
	ContextLabel       = "prow.k8s.io/context"
	OrgLabel           = "prow.k8s.io/refs.org"
	RepoLabel          = "prow.k8s.io/refs.repo"
	BaseRefLabel       = "prow.k8s.io/refs.base_ref"
	PullLabel          = "prow.k8s.io/refs.pull"
	IsOptionalLabel    = "prow.k8s.io/is-optional"
	RetestLabel        = "prow.k8s.io/retest"
	ProwJobIDLabel     = "prow.k8s.io/id"
	BuildIDLabel       = "prow.k8s.io/build-id"
	// EventGUIDLabel carries the X-GitHub-Delivery id of the event that created the job.
	EventGUIDLabel = "event-GUID"

	// ProwJobNamespaceAnnotation is set on PipelineRuns so a run in another namespace can
	// be traced back to its ProwJob (owner references cannot cross namespaces).
	ProwJobNamespaceAnnotation = "bosun.dev/prowjob-namespace"
)

// maxLabelValueLen is the Kubernetes limit on label values.
const maxLabelValueLen = 63

// LabelValue cuts a value to a valid label value length the way Prow does: at most 63
// characters, with trailing '.', '_' and '-' removed so the value still ends alphanumeric.
// Annotations keep the full value.
func LabelValue(v string) string {
	if len(v) > maxLabelValueLen {
		v = v[:maxLabelValueLen]
	}
	return strings.TrimRight(v, "._-")
}
