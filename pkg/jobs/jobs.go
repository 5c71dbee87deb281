// Package jobs turns a configured job plus the refs of an event into a ProwJob. It is pure:
// no clients, no clock, so the trigger plugin, tests and later horologium build jobs the
// same way.
package jobs

import (
	"crypto/rand"
	"encoding/binary"
	"path"
	"strconv"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// nameSpace seeds the name-based UUIDs of ProwJobs; any fixed UUID would do, it only has to
// never change.
var nameSpace = uuid.MustParse("5b0e2f0a-1d43-4c1e-9a7e-b05a7c1f00d1")

// Options carry what an event adds to a job beyond its config and refs.
type Options struct {
	// EventGUID is the X-GitHub-Delivery id of the event; it keys the job's name unless
	// NameKey is set, and fills the event-GUID label.
	EventGUID string
	// NameKey, when set, keys the job's name instead of EventGUID: the trigger names the
	// automatic runs of a pull request head after the pull request, so that every event and
	// every resync that would run them arrives at the same names.
	NameKey string
	// Now is the job's start time.
	Now time.Time
	// Retest marks jobs created by /retest.
	Retest bool
	// ExtraLabels are added to the job's labels.
	ExtraLabels map[string]string
}

// Name returns the ProwJob name for a job run caused by one event: a UUID derived from the
// event's delivery id, the job and the commit. GitHub redelivers an event with the same
// delivery id, and two hook replicas may see the same delivery; both then produce the same
// name and the apiserver refuses the second create, so no job is ever doubled.
func Name(eventGUID, job, sha string) string {
	return uuid.NewSHA1(nameSpace, []byte(eventGUID+"\x00"+job+"\x00"+sha)).String()
}

// NewPresubmit builds the ProwJob for a presubmit on the pull request in refs.
func NewPresubmit(cfg *config.Config, job config.Presubmit, refs prowjobsv1.Refs, o Options) *prowjobsv1.ProwJob {
	key := o.EventGUID
	if o.NameKey != "" {
		key = o.NameKey
	}
	pj := newProwJob(cfg, job.JobBase, prowjobsv1.PresubmitJob, &refs, Name(key, job.Name, refs.HeadSHA()), o)
	pj.Spec.Context = job.Context
	pj.Spec.Report = !job.SkipReport
	pj.Spec.RerunCommand = job.RerunCommand
	if job.Optional {
		pj.Labels[prowjobsv1.IsOptionalLabel] = "true"
	}
	pj.Labels[prowjobsv1.ContextLabel] = prowjobsv1.LabelValue(job.Context)
	pj.Annotations[prowjobsv1.ContextLabel] = job.Context
	fixLabelValues(pj.Labels)
	return pj
}

// NewPostsubmit builds the ProwJob for a postsubmit on the pushed commit in refs.
func NewPostsubmit(cfg *config.Config, job config.Postsubmit, refs prowjobsv1.Refs, o Options) *prowjobsv1.ProwJob {
	pj := newProwJob(cfg, job.JobBase, prowjobsv1.PostsubmitJob, &refs, Name(o.EventGUID, job.Name, refs.HeadSHA()), o)
	pj.Spec.Context = job.Context
	pj.Spec.Report = !job.SkipReport
	pj.Labels[prowjobsv1.ContextLabel] = prowjobsv1.LabelValue(job.Context)
	pj.Annotations[prowjobsv1.ContextLabel] = job.Context
	fixLabelValues(pj.Labels)
	return pj
}

// newProwJob builds what every kind of job shares. refs is nil for periodics, which then
// get no refs labels.
func newProwJob(cfg *config.Config, job config.JobBase, typ prowjobsv1.ProwJobType, refs *prowjobsv1.Refs, name string, o Options) *prowjobsv1.ProwJob {
	labels := map[string]string{}
	for k, v := range job.Labels {
		labels[k] = v
	}
	for k, v := range o.ExtraLabels {
		labels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range job.Annotations {
		annotations[k] = v
	}
	labels[prowjobsv1.CreatedByProwLabel] = "true"
	labels[prowjobsv1.TypeLabel] = string(typ)
	labels[prowjobsv1.JobLabel] = prowjobsv1.LabelValue(job.Name)
	annotations[prowjobsv1.JobLabel] = job.Name
	if refs != nil {
		labels[prowjobsv1.OrgLabel] = prowjobsv1.LabelValue(refs.Org)
		labels[prowjobsv1.RepoLabel] = prowjobsv1.LabelValue(refs.Repo)
		labels[prowjobsv1.BaseRefLabel] = prowjobsv1.LabelValue(refs.BaseRef)
		if len(refs.Pulls) > 0 {
			labels[prowjobsv1.PullLabel] = strconv.Itoa(refs.Pulls[0].Number)
		}
	}
	if o.EventGUID != "" {
		labels[prowjobsv1.EventGUIDLabel] = prowjobsv1.LabelValue(o.EventGUID)
	}
	if o.Retest {
		labels[prowjobsv1.RetestLabel] = "true"
	}

	namespace := cfg.PodNamespace
	if job.Namespace != nil && *job.Namespace != "" {
		namespace = *job.Namespace
	}
	var runSpec = job.RunSpec()
	pj := &prowjobsv1.ProwJob{
		TypeMeta: metav1.TypeMeta{APIVersion: prowjobsv1.SchemeGroupVersion.String(), Kind: "ProwJob"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   cfg.ProwJobNamespace,
			Labels:      labels,
			Annotations: annotations,
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type:             typ,
			Agent:            prowjobsv1.TektonAgent,
			Cluster:          job.Cluster,
			Namespace:        namespace,
			Job:              job.Name,
			Refs:             refs.DeepCopy(),
			ExtraRefs:        copyRefs(job.ExtraRefs),
			MaxConcurrency:   job.MaxConcurrency,
			DecorationConfig: job.DecorationConfig,
			ReporterConfig:   job.ReporterConfig,
			RerunAuthConfig:  job.RerunAuthConfig,
			Hidden:           job.Hidden,
			JobQueueName:     job.JobQueueName,
		},
	}
	if runSpec != nil {
		pj.Spec.PipelineRunSpec = runSpec.DeepCopy()
	}
	// The apiserver drops the status on create (status subresource): the build id travels
	// in a label and the controller initializes the status from it. The status is filled
	// here too so the object is complete for anyone who does not go through the apiserver.
	buildID := NewBuildID(o.Now)
	pj.Labels[prowjobsv1.BuildIDLabel] = buildID
	pj.Status.MarkTriggered(metav1.NewTime(o.Now))
	pj.Status.BuildID = buildID
	return pj
}

// copyRefs deep-copies extra_refs so that the job does not share them with the config.
func copyRefs(refs []prowjobsv1.Refs) []prowjobsv1.Refs {
	if refs == nil {
		return nil
	}
	out := make([]prowjobsv1.Refs, len(refs))
	for i := range refs {
		refs[i].DeepCopyInto(&out[i])
	}
	return out
}

// fixLabelValues makes every label value one the apiserver accepts, as Prow does: a value
// such as "ci/e2e" or "release/1.2" is replaced by its last path element, and a label whose
// value is still invalid (a ".github" repository) is dropped. Annotations keep the full
// values.
func fixLabelValues(labels map[string]string) {
	for k, v := range labels {
		if len(validation.IsValidLabelValue(v)) == 0 {
			continue
		}
		if base := path.Base(v); len(validation.IsValidLabelValue(base)) == 0 {
			labels[k] = base
			continue
		}
		delete(labels, k)
	}
}

// NewBuildID returns a numeric build id that grows with time, like Prow's: milliseconds
// since the epoch followed by 16 random bits, so ids sort by start time and two jobs
// started in the same millisecond still differ.
func NewBuildID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(uint64(now.UnixMilli())<<16|uint64(binary.BigEndian.Uint16(b[:])), 10)
}
