package v1

import (
	"unicode/utf8"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// Descriptions Prow's tekton agent uses when a condition carries no message.
const (
	DescriptionScheduling          = "scheduling"
	DescriptionInitializing        = "initializing"
	DescriptionRunning             = "running"
	DescriptionSucceeded           = "succeeded"
	DescriptionFailed              = "failed"
	DescriptionCancelled           = "cancelled"
	DescriptionMissingEnd          = "missing end condition"
	DescriptionUnknownStatus       = "unknown status"
	DescriptionJobTriggered        = "Job triggered."
	descriptionStartPipelinePrefix = "start pipeline: "
)

// maxDescriptionLen keeps descriptions short enough for GitHub's 140-character status limit
// once a reporter adds nothing; reporters still truncate.
const maxDescriptionLen = 140

// IsTerminal reports whether no further transition can happen from this state.
func (s ProwJobState) IsTerminal() bool {
	switch s {
	case SuccessState, FailureState, AbortedState, ErrorState:
		return true
	}
	return false
}

// MarkTriggered puts a new job in its initial state.
func (s *ProwJobStatus) MarkTriggered(now metav1.Time) {
	s.State = TriggeredState
	s.Description = DescriptionJobTriggered
	s.StartTime = now
}

// InitializeStatus gives a job created without a status its initial one. The status
// subresource makes the apiserver drop the status a client sends on create, so the hook
// creates jobs with one write and the controller fills this in, taking the build id from the
// job's label.
func (pj *ProwJob) InitializeStatus() {
	if pj.Status.State != "" {
		return
	}
	pj.Status.MarkTriggered(pj.CreationTimestamp)
	if pj.Status.BuildID == "" {
		pj.Status.BuildID = pj.Labels[BuildIDLabel]
	}
}

// MarkStartFailed records that the PipelineRun could not be created. The job ends in
// error so that the failure is reported instead of retried in a hot loop.
func (s *ProwJobStatus) MarkStartFailed(err error, now metav1.Time) {
	s.markDone(ErrorState, descriptionStartPipelinePrefix+err.Error(), now)
}

// MarkAborted ends the job as aborted with the given reason.
func (s *ProwJobStatus) MarkAborted(reason string, now metav1.Time) {
	s.markDone(AbortedState, reason, now)
}

// PropagatePipelineRunStatus mirrors a PipelineRun's Succeeded condition into the job's
// state, description and times, the way Prow's tekton agent does. A job that has already
// completed is left alone.
func (s *ProwJobStatus) PropagatePipelineRunStatus(prs *pipelinev1.PipelineRunStatus, now metav1.Time) {
	if s.CompletionTime != nil {
		return
	}
	state, desc := StateForPipelineRun(prs)
	if state.IsTerminal() {
		s.markDone(state, desc, now)
		return
	}
	if s.PendingTime == nil {
		s.PendingTime = &now
	}
	s.State = state
	s.Description = truncate(desc)
}

// StateForPipelineRun maps a PipelineRun status onto a ProwJob state and description.
func StateForPipelineRun(prs *pipelinev1.PipelineRunStatus) (ProwJobState, string) {
	c := prs.GetCondition(apis.ConditionSucceeded)
	if c == nil {
		if prs.CompletionTime != nil {
			return ErrorState, DescriptionMissingEnd
		}
		return PendingState, DescriptionScheduling
	}
	switch c.Status {
	case corev1.ConditionUnknown:
		if prs.StartTime == nil {
			return PendingState, describe(c, DescriptionInitializing)
		}
		return PendingState, describe(c, DescriptionRunning)
	case corev1.ConditionTrue:
		return SuccessState, describe(c, DescriptionSucceeded)
	case corev1.ConditionFalse:
		// Prow's agent reports every False as failure. A run Tekton reports cancelled was
		// stopped on purpose (bosun's abort, or `tkn pipelinerun cancel`): it did not fail.
		if c.Reason == pipelinev1.PipelineRunReasonCancelled.String() {
			return AbortedState, describe(c, DescriptionCancelled)
		}
		return FailureState, describe(c, DescriptionFailed)
	}
	return ErrorState, DescriptionUnknownStatus
}

func describe(c *apis.Condition, fallback string) string {
	if c.Message != "" {
		return c.Message
	}
	if c.Reason != "" {
		return c.Reason
	}
	return fallback
}

func (s *ProwJobStatus) markDone(state ProwJobState, desc string, now metav1.Time) {
	s.State = state
	s.Description = truncate(desc)
	if s.PendingTime == nil {
		s.PendingTime = &now
	}
	s.CompletionTime = &now
}

// truncate cuts s to at most maxDescriptionLen bytes on a rune boundary, so a message with
// multi-byte characters never ends in a broken one.
func truncate(s string) string {
	if len(s) <= maxDescriptionLen {
		return s
	}
	cut := maxDescriptionLen - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
