package v1_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// Fixed times for the tests; nothing here reads the clock.
var (
	started    = metav1.NewTime(time.Date(2026, 3, 3, 10, 15, 0, 0, time.UTC))
	firstSeen  = metav1.NewTime(time.Date(2026, 3, 3, 10, 15, 5, 0, time.UTC))
	reconciled = metav1.NewTime(time.Date(2026, 3, 3, 10, 20, 0, 0, time.UTC))
	later      = metav1.NewTime(time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC))
)

// prStatusOption shapes a PipelineRunStatus built by makePipelineRunStatus.
type prStatusOption func(*pipelinev1.PipelineRunStatus)

// makePipelineRunStatus builds a PipelineRunStatus with no conditions, then applies opts.
func makePipelineRunStatus(t *testing.T, opts ...prStatusOption) *pipelinev1.PipelineRunStatus {
	t.Helper()
	prs := &pipelinev1.PipelineRunStatus{}
	for _, o := range opts {
		o(prs)
	}
	return prs
}

// withSucceeded sets the Succeeded condition the way Tekton's reconciler does.
func withSucceeded(status corev1.ConditionStatus, reason, message string) prStatusOption {
	return func(prs *pipelinev1.PipelineRunStatus) {
		prs.SetCondition(&apis.Condition{
			Type:    apis.ConditionSucceeded,
			Status:  status,
			Reason:  reason,
			Message: message,
		})
	}
}

// withStartTime marks the run as started by Tekton.
func withStartTime(t metav1.Time) prStatusOption {
	return func(prs *pipelinev1.PipelineRunStatus) { prs.StartTime = &t }
}

// withCompletionTime marks the run as completed by Tekton.
func withCompletionTime(t metav1.Time) prStatusOption {
	return func(prs *pipelinev1.PipelineRunStatus) { prs.CompletionTime = &t }
}

// stateRows is COMPAT.md's "PipelineRun condition -> ProwJob state" table, shared by the
// tests of StateForPipelineRun and PropagatePipelineRunStatus.
var stateRows = []struct {
	name      string
	opts      []prStatusOption
	wantState prowjobsv1.ProwJobState
	wantDesc  string
}{{
	name:      "no conditions yet: scheduling",
	wantState: prowjobsv1.PendingState,
	wantDesc:  "scheduling",
}, {
	name:      "no conditions but started: still scheduling",
	opts:      []prStatusOption{withStartTime(started)},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "scheduling",
}, {
	name:      "no Succeeded condition but completed: missing end condition",
	opts:      []prStatusOption{withStartTime(started), withCompletionTime(reconciled)},
	wantState: prowjobsv1.ErrorState,
	wantDesc:  "missing end condition",
}, {
	name:      "unknown and not started: initializing",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionUnknown, "", "")},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "initializing",
}, {
	name:      "unknown and started: running",
	opts:      []prStatusOption{withStartTime(started), withSucceeded(corev1.ConditionUnknown, "", "")},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "running",
}, {
	name:      "unknown with a reason: the reason",
	opts:      []prStatusOption{withStartTime(started), withSucceeded(corev1.ConditionUnknown, "Running", "")},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "Running",
}, {
	name:      "unknown with a message: the message over the reason",
	opts:      []prStatusOption{withStartTime(started), withSucceeded(corev1.ConditionUnknown, "Running", "Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0")},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0",
}, {
	name:      "unknown, not started, with a reason: the reason",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionUnknown, "ResolvingPipelineRef", "")},
	wantState: prowjobsv1.PendingState,
	wantDesc:  "ResolvingPipelineRef",
}, {
	name:      "true: success with the message",
	opts:      []prStatusOption{withStartTime(started), withCompletionTime(reconciled), withSucceeded(corev1.ConditionTrue, "Succeeded", "Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0")},
	wantState: prowjobsv1.SuccessState,
	wantDesc:  "Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0",
}, {
	name:      "true with only a reason: the reason",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionTrue, "Completed", "")},
	wantState: prowjobsv1.SuccessState,
	wantDesc:  "Completed",
}, {
	name:      "true with neither: fallback",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionTrue, "", "")},
	wantState: prowjobsv1.SuccessState,
	wantDesc:  "succeeded",
}, {
	name:      "false: failure with the message",
	opts:      []prStatusOption{withStartTime(started), withCompletionTime(reconciled), withSucceeded(corev1.ConditionFalse, "Failed", "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 0")},
	wantState: prowjobsv1.FailureState,
	wantDesc:  "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 0",
}, {
	name:      "false, cancelled: aborted, not failure",
	opts:      []prStatusOption{withStartTime(started), withCompletionTime(reconciled), withSucceeded(corev1.ConditionFalse, "Cancelled", "PipelineRun \"x\" was cancelled")},
	wantState: prowjobsv1.AbortedState,
	wantDesc:  "PipelineRun \"x\" was cancelled",
}, {
	name:      "false with only a reason: the reason",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionFalse, "PipelineRunTimeout", "")},
	wantState: prowjobsv1.FailureState,
	wantDesc:  "PipelineRunTimeout",
}, {
	name:      "false with neither: fallback",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionFalse, "", "")},
	wantState: prowjobsv1.FailureState,
	wantDesc:  "failed",
}, {
	name:      "any other status: unknown status, whatever the message",
	opts:      []prStatusOption{withSucceeded(corev1.ConditionStatus("Maybe"), "Odd", "odd message")},
	wantState: prowjobsv1.ErrorState,
	wantDesc:  "unknown status",
}}

func TestStateForPipelineRun(t *testing.T) {
	for _, tc := range stateRows {
		t.Run(tc.name, func(t *testing.T) {
			gotState, gotDesc := prowjobsv1.StateForPipelineRun(makePipelineRunStatus(t, tc.opts...))
			if gotState != tc.wantState || gotDesc != tc.wantDesc {
				t.Errorf("StateForPipelineRun() = (%q, %q), want (%q, %q)", gotState, gotDesc, tc.wantState, tc.wantDesc)
			}
		})
	}
}

// triggeredStatus is a job as the trigger plugin creates it.
func triggeredStatus(t *testing.T) prowjobsv1.ProwJobStatus {
	t.Helper()
	var s prowjobsv1.ProwJobStatus
	s.MarkTriggered(started)
	s.BuildID = "1772532900000"
	return s
}

func timePtr(t metav1.Time) *metav1.Time { return &t }

func TestPropagatePipelineRunStatus(t *testing.T) {
	for _, tc := range stateRows {
		t.Run(tc.name, func(t *testing.T) {
			got := triggeredStatus(t)
			got.PropagatePipelineRunStatus(makePipelineRunStatus(t, tc.opts...), reconciled)

			want := triggeredStatus(t)
			want.State = tc.wantState
			want.Description = tc.wantDesc
			want.PendingTime = timePtr(reconciled)
			if tc.wantState.IsTerminal() {
				want.CompletionTime = timePtr(reconciled)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status after PropagatePipelineRunStatus (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestPropagatePipelineRunStatusSequence(t *testing.T) {
	// Each step reconciles the same job against a newer PipelineRun status.
	type step struct {
		opts []prStatusOption
		now  metav1.Time
	}
	tests := []struct {
		name  string
		steps []step
		want  prowjobsv1.ProwJobStatus
	}{{
		name: "pendingTime is set once, on the first pending reconcile",
		steps: []step{
			{now: firstSeen},
			{opts: []prStatusOption{withSucceeded(corev1.ConditionUnknown, "", "")}, now: reconciled},
			{opts: []prStatusOption{withStartTime(started), withSucceeded(corev1.ConditionUnknown, "Running", "")}, now: later},
		},
		want: prowjobsv1.ProwJobStatus{
			StartTime:   started,
			PendingTime: timePtr(firstSeen),
			State:       prowjobsv1.PendingState,
			Description: "Running",
			BuildID:     "1772532900000",
		},
	}, {
		name: "completion keeps the first pendingTime and stamps completionTime",
		steps: []step{
			{opts: []prStatusOption{withStartTime(started), withSucceeded(corev1.ConditionUnknown, "Running", "")}, now: firstSeen},
			{opts: []prStatusOption{withStartTime(started), withCompletionTime(reconciled), withSucceeded(corev1.ConditionTrue, "Succeeded", "")}, now: reconciled},
		},
		want: prowjobsv1.ProwJobStatus{
			StartTime:      started,
			PendingTime:    timePtr(firstSeen),
			CompletionTime: timePtr(reconciled),
			State:          prowjobsv1.SuccessState,
			Description:    "Succeeded",
			BuildID:        "1772532900000",
		},
	}, {
		name: "a completed job is never changed again",
		steps: []step{
			{opts: []prStatusOption{withSucceeded(corev1.ConditionFalse, "Failed", "step unit failed")}, now: reconciled},
			// A later, different status (say, the run was retried by hand) must not
			// rewrite history that has been reported.
			{opts: []prStatusOption{withSucceeded(corev1.ConditionTrue, "Succeeded", "all good")}, now: later},
			{now: later},
		},
		want: prowjobsv1.ProwJobStatus{
			StartTime:      started,
			PendingTime:    timePtr(reconciled),
			CompletionTime: timePtr(reconciled),
			State:          prowjobsv1.FailureState,
			Description:    "step unit failed",
			BuildID:        "1772532900000",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := triggeredStatus(t)
			for _, s := range tc.steps {
				got.PropagatePipelineRunStatus(makePipelineRunStatus(t, s.opts...), s.now)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status after %d reconciles (-want, +got):\n%s", len(tc.steps), diff)
			}
		})
	}
}

func TestPropagatePipelineRunStatusLeavesCompletedJobs(t *testing.T) {
	tests := []struct {
		name string
		mark func(*prowjobsv1.ProwJobStatus)
	}{{
		name: "aborted",
		mark: func(s *prowjobsv1.ProwJobStatus) { s.MarkAborted("Aborted by trigger plugin.", reconciled) },
	}, {
		name: "start failed",
		mark: func(s *prowjobsv1.ProwJobStatus) { s.MarkStartFailed(errors.New("boom"), reconciled) },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := triggeredStatus(t)
			tc.mark(&got)
			want := *got.DeepCopy()
			got.PropagatePipelineRunStatus(makePipelineRunStatus(t, withSucceeded(corev1.ConditionTrue, "Succeeded", "")), later)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("completed job changed by PropagatePipelineRunStatus (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestPropagatePipelineRunStatusTruncatesDescription(t *testing.T) {
	long := strings.Repeat("x", 300)
	got := triggeredStatus(t)
	got.PropagatePipelineRunStatus(makePipelineRunStatus(t, withSucceeded(corev1.ConditionFalse, "Failed", long)), reconciled)
	want := strings.Repeat("x", 137) + "..."
	if got.Description != want {
		t.Errorf("Description = %q (%d bytes), want %q (%d bytes)", got.Description, len(got.Description), want, len(want))
	}
}

func TestMarkTriggered(t *testing.T) {
	var got prowjobsv1.ProwJobStatus
	got.MarkTriggered(started)
	want := prowjobsv1.ProwJobStatus{
		StartTime:   started,
		State:       prowjobsv1.TriggeredState,
		Description: "Job triggered.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarkTriggered() status (-want, +got):\n%s", diff)
	}
}

func TestMarkStartFailed(t *testing.T) {
	tests := []struct {
		name    string
		pending *metav1.Time
		err     error
		want    prowjobsv1.ProwJobStatus
	}{{
		name: "never pending: pendingTime and completionTime are now",
		err:  errors.New(`pipelineruns.tekton.dev "x" is forbidden: exceeded quota`),
		want: prowjobsv1.ProwJobStatus{
			StartTime:      started,
			PendingTime:    timePtr(reconciled),
			CompletionTime: timePtr(reconciled),
			State:          prowjobsv1.ErrorState,
			Description:    `start pipeline: pipelineruns.tekton.dev "x" is forbidden: exceeded quota`,
			BuildID:        "1772532900000",
		},
	}, {
		name:    "already pending: pendingTime is kept",
		pending: timePtr(firstSeen),
		err:     errors.New(`namespace "ci" not found`),
		want: prowjobsv1.ProwJobStatus{
			StartTime:      started,
			PendingTime:    timePtr(firstSeen),
			CompletionTime: timePtr(reconciled),
			State:          prowjobsv1.ErrorState,
			Description:    `start pipeline: namespace "ci" not found`,
			BuildID:        "1772532900000",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := triggeredStatus(t)
			got.PendingTime = tc.pending
			got.MarkStartFailed(tc.err, reconciled)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MarkStartFailed() status (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestMarkAborted(t *testing.T) {
	got := triggeredStatus(t)
	got.MarkAborted("Aborted by trigger plugin.", reconciled)
	want := prowjobsv1.ProwJobStatus{
		StartTime:      started,
		PendingTime:    timePtr(reconciled),
		CompletionTime: timePtr(reconciled),
		State:          prowjobsv1.AbortedState,
		Description:    "Aborted by trigger plugin.",
		BuildID:        "1772532900000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarkAborted() status (-want, +got):\n%s", diff)
	}
}

func TestIsTerminal(t *testing.T) {
	tests := []struct {
		state prowjobsv1.ProwJobState
		want  bool
	}{
		{state: prowjobsv1.SchedulingState, want: false},
		{state: prowjobsv1.TriggeredState, want: false},
		{state: prowjobsv1.PendingState, want: false},
		{state: prowjobsv1.SuccessState, want: true},
		{state: prowjobsv1.FailureState, want: true},
		{state: prowjobsv1.AbortedState, want: true},
		{state: prowjobsv1.ErrorState, want: true},
		{state: "", want: false},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			if got := tc.state.IsTerminal(); got != tc.want {
				t.Errorf("%q.IsTerminal() = %t, want %t", tc.state, got, tc.want)
			}
		})
	}
}

func TestLabelValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{{
		name: "short value unchanged",
		in:   "pull-widgets-unit",
		want: "pull-widgets-unit",
	}, {
		name: "empty",
		in:   "",
		want: "",
	}, {
		name: "exactly 63 characters unchanged",
		in:   strings.Repeat("a", 63),
		want: strings.Repeat("a", 63),
	}, {
		name: "cut to 63 characters",
		in:   strings.Repeat("a", 70),
		want: strings.Repeat("a", 63),
	}, {
		name: "trailing separators trimmed after the cut",
		in:   strings.Repeat("a", 60) + "._-" + "bcd",
		want: strings.Repeat("a", 60),
	}, {
		name: "trailing separators trimmed on a short value",
		in:   "ci/e2e.-_",
		want: "ci/e2e",
	}, {
		name: "separators inside are kept",
		in:   "a.b_c-d",
		want: "a.b_c-d",
	}, {
		name: "only separators",
		in:   "-._",
		want: "",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := prowjobsv1.LabelValue(tc.in)
			if got != tc.want {
				t.Errorf("LabelValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if len(got) > 63 {
				t.Errorf("LabelValue(%q) is %d characters, over the 63 allowed", tc.in, len(got))
			}
		})
	}
}

func TestInitializeStatus(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 3, 3, 10, 15, 3, 0, time.UTC))
	tests := []struct {
		name   string
		labels map[string]string
		status prowjobsv1.ProwJobStatus
		want   prowjobsv1.ProwJobStatus
	}{{
		name:   "status dropped on create: triggered at creation, build id from the label",
		labels: map[string]string{prowjobsv1.BuildIDLabel: "116164716265473792"},
		want: prowjobsv1.ProwJobStatus{
			StartTime:   created,
			State:       prowjobsv1.TriggeredState,
			Description: "Job triggered.",
			BuildID:     "116164716265473792",
		},
	}, {
		name: "no build id label: none",
		want: prowjobsv1.ProwJobStatus{
			StartTime:   created,
			State:       prowjobsv1.TriggeredState,
			Description: "Job triggered.",
		},
	}, {
		name:   "existing status is left alone",
		labels: map[string]string{prowjobsv1.BuildIDLabel: "116164716265473792"},
		status: prowjobsv1.ProwJobStatus{
			StartTime:   started,
			PendingTime: timePtr(firstSeen),
			State:       prowjobsv1.PendingState,
			Description: "running",
			BuildID:     "42",
		},
		want: prowjobsv1.ProwJobStatus{
			StartTime:   started,
			PendingTime: timePtr(firstSeen),
			State:       prowjobsv1.PendingState,
			Description: "running",
			BuildID:     "42",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pj := &prowjobsv1.ProwJob{
				ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: created, Labels: tc.labels},
				Status:     tc.status,
			}
			pj.InitializeStatus()
			if diff := cmp.Diff(tc.want, pj.Status); diff != "" {
				t.Errorf("status after InitializeStatus (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	// 47 three-byte runes are 141 bytes, over GitHub's 140; a plain byte cut at 137 would
	// split the 46th rune.
	msg := strings.Repeat("€", 47)
	var s prowjobsv1.ProwJobStatus
	s.PropagatePipelineRunStatus(makePipelineRunStatus(t, withSucceeded(corev1.ConditionFalse, "Failed", msg)), metav1.Now())
	if !utf8.ValidString(s.Description) || len(s.Description) > 140 || !strings.HasSuffix(s.Description, "...") {
		t.Errorf("description %q (%d bytes) is not a whole-rune cut within 140 bytes", s.Description, len(s.Description))
	}
}
