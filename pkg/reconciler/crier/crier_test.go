package crier

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/github"
)

const (
	jobName    = "7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f"
	jobUID     = types.UID("e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b")
	prowNS     = "prow"
	org        = "acme"
	repo       = "widgets"
	jobContext = "pull-widgets-unit"
	baseSHA    = "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b"
	headSHA    = "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"
	jobURL     = "https://bosun.example.com/view/" + jobName
)

var (
	jobCreated = metav1.NewTime(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	jobEnded   = metav1.NewTime(time.Date(2026, 3, 3, 10, 7, 30, 0, time.UTC))
)

// statusCall is one CreateStatus call.
type statusCall struct {
	Org, Repo, SHA string
	Status         github.Status
}

// recordingGitHub records every CreateStatus call, failing them with err if it is set.
type recordingGitHub struct {
	calls []statusCall
	err   error
}

func (g *recordingGitHub) CreateStatus(_ context.Context, org, repo, sha string, s github.Status) error {
	g.calls = append(g.calls, statusCall{Org: org, Repo: repo, SHA: sha, Status: s})
	return g.err
}

var _ github.StatusCreator = (*recordingGitHub)(nil)

// jobOption changes a ProwJob built by makeJob.
type jobOption func(*prowjobsv1.ProwJob)

// makeJob returns a reportable presubmit on PR 42 in the given state, with the description
// and URL a reporter would show.
func makeJob(t *testing.T, state prowjobsv1.ProwJobState, opts ...jobOption) *prowjobsv1.ProwJob {
	t.Helper()
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:              jobName,
			Namespace:         prowNS,
			UID:               jobUID,
			CreationTimestamp: jobCreated,
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type:      prowjobsv1.PresubmitJob,
			Agent:     prowjobsv1.TektonAgent,
			Namespace: "test-pods",
			Job:       jobContext,
			Context:   jobContext,
			Report:    true,
			Refs: &prowjobsv1.Refs{
				Org:     org,
				Repo:    repo,
				BaseRef: "main",
				BaseSHA: baseSHA,
				Pulls:   []prowjobsv1.Pull{{Number: 42, Author: "alice", SHA: headSHA}},
			},
		},
		Status: prowjobsv1.ProwJobStatus{
			StartTime:   jobCreated,
			State:       state,
			Description: describe(state),
			URL:         jobURL,
		},
	}
	if state.IsTerminal() {
		pj.Status.CompletionTime = jobEnded.DeepCopy()
	}
	for _, opt := range opts {
		opt(pj)
	}
	return pj
}

// describe gives each state a distinct description, so a status posted with the wrong
// job's description shows up in a diff.
func describe(state prowjobsv1.ProwJobState) string {
	return "job is " + string(state)
}

func withReported(state prowjobsv1.ProwJobState) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		pj.Status.PrevReportStates = map[string]prowjobsv1.ProwJobState{ReporterName: state}
	}
}

func withType(typ prowjobsv1.ProwJobType) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Type = typ }
}

// posted is the status call expected for a job of makeJob's in the given state on sha.
func posted(state prowjobsv1.ProwJobState, ghState, sha string) statusCall {
	return statusCall{Org: org, Repo: repo, SHA: sha, Status: github.Status{
		State:       ghState,
		Context:     jobContext,
		Description: describe(state),
		TargetURL:   jobURL,
	}}
}

// reportPatch is the status patch that records state as reported.
func reportPatch(state prowjobsv1.ProwJobState) string {
	return `{"status":{"prev_report_states":{"github-reporter":"` + string(state) + `"}}}`
}

// step is one reconcile of a job, with the failures the fakes inject into it.
type step struct {
	job      *prowjobsv1.ProwJob
	ghErr    error
	patchErr error
	// restart replaces the Reconciler with a fresh one before the step, after the old one
	// wrote its ledger, as a stopping controller does; crash replaces it without that.
	restart, crash bool
	wantErr        bool
}

func TestReconcileKind(t *testing.T) {
	ghDown := errors.New("502 Bad Gateway")
	apiDown := errors.New("etcdserver: request timed out")
	tests := []struct {
		name  string
		steps []step
		// seed is the job the apiserver holds; steps[0].job if nil.
		seed         *prowjobsv1.ProwJob
		wantCalls    []statusCall
		wantPatches  []string
		wantInFlight map[types.UID]prowjobsv1.ProwJobState
		// wantRecorded is prev_report_states in the apiserver's job after the steps.
		wantRecorded map[string]prowjobsv1.ProwJobState
		// wantLedger, when not nil, is what the ledger ConfigMap holds at the end, after
		// the last reconciler wrote it.
		wantLedger []types.UID
	}{{
		name:         "triggered posts pending on the PR head, remembered in memory only",
		steps:        []step{{job: makeJob(t, prowjobsv1.TriggeredState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.TriggeredState, github.StatusPending, headSHA)},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.TriggeredState},
	}, {
		name:         "pending posts pending on the PR head, remembered in memory only",
		steps:        []step{{job: makeJob(t, prowjobsv1.PendingState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.PendingState, github.StatusPending, headSHA)},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.PendingState},
	}, {
		name: "pending after triggered is the same GitHub state: one call",
		steps: []step{
			{job: makeJob(t, prowjobsv1.TriggeredState)},
			{job: makeJob(t, prowjobsv1.PendingState)},
		},
		wantCalls:    []statusCall{posted(prowjobsv1.TriggeredState, github.StatusPending, headSHA)},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.PendingState},
	}, {
		name: "the same state twice: one call",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.PendingState)},
		},
		wantCalls:    []statusCall{posted(prowjobsv1.PendingState, github.StatusPending, headSHA)},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.PendingState},
	}, {
		name: "success after pending posts success and records it",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.SuccessState)},
		},
		seed: makeJob(t, prowjobsv1.SuccessState),
		wantCalls: []statusCall{
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
			posted(prowjobsv1.SuccessState, github.StatusSuccess, headSHA),
		},
		wantPatches:  []string{reportPatch(prowjobsv1.SuccessState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
	}, {
		name:         "success posts success and records it",
		steps:        []step{{job: makeJob(t, prowjobsv1.SuccessState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.SuccessState, github.StatusSuccess, headSHA)},
		wantPatches:  []string{reportPatch(prowjobsv1.SuccessState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
	}, {
		name:         "failure posts failure and records it",
		steps:        []step{{job: makeJob(t, prowjobsv1.FailureState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.FailureState, github.StatusFailure, headSHA)},
		wantPatches:  []string{reportPatch(prowjobsv1.FailureState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.FailureState},
	}, {
		name:         "aborted posts failure and records aborted",
		steps:        []step{{job: makeJob(t, prowjobsv1.AbortedState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.AbortedState, github.StatusFailure, headSHA)},
		wantPatches:  []string{reportPatch(prowjobsv1.AbortedState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.AbortedState},
	}, {
		name:         "error posts error and records it",
		steps:        []step{{job: makeJob(t, prowjobsv1.ErrorState)}},
		wantCalls:    []statusCall{posted(prowjobsv1.ErrorState, github.StatusError, headSHA)},
		wantPatches:  []string{reportPatch(prowjobsv1.ErrorState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.ErrorState},
	}, {
		name:         "final state already recorded: nothing posted",
		steps:        []step{{job: makeJob(t, prowjobsv1.SuccessState, withReported(prowjobsv1.SuccessState))}},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
	}, {
		name: "final state recorded elsewhere while pending was remembered: nothing posted, memory cleared",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.FailureState, withReported(prowjobsv1.FailureState))},
		},
		seed:         makeJob(t, prowjobsv1.FailureState, withReported(prowjobsv1.FailureState)),
		wantCalls:    []statusCall{posted(prowjobsv1.PendingState, github.StatusPending, headSHA)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.FailureState},
	}, {
		name:         "pending recorded by Prow's crier under the same key: nothing posted",
		steps:        []step{{job: makeJob(t, prowjobsv1.PendingState, withReported(prowjobsv1.PendingState))}},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.PendingState},
	}, {
		name: "a restart posts nothing again: the ledger says pending was posted",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.PendingState), restart: true},
			{job: makeJob(t, prowjobsv1.TriggeredState)},
		},
		wantCalls:    []statusCall{posted(prowjobsv1.PendingState, github.StatusPending, headSHA)},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.TriggeredState},
	}, {
		name: "after a restart the final state is posted once and the ledger forgets the job",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.SuccessState), restart: true},
			{job: makeJob(t, prowjobsv1.SuccessState, withReported(prowjobsv1.SuccessState)), restart: true},
		},
		seed: makeJob(t, prowjobsv1.SuccessState),
		wantCalls: []statusCall{
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
			posted(prowjobsv1.SuccessState, github.StatusSuccess, headSHA),
		},
		wantPatches:  []string{reportPatch(prowjobsv1.SuccessState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
		wantLedger:   []types.UID{},
	}, {
		name: "a crash before the ledger was written posts pending once more: the bounded price",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.PendingState), crash: true},
		},
		wantCalls: []statusCall{
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
		},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.PendingState},
	}, {
		name: "postsubmit reports on the base sha",
		steps: []step{{job: makeJob(t, prowjobsv1.SuccessState, withType(prowjobsv1.PostsubmitJob), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.Pulls = nil
		})}},
		wantCalls:    []statusCall{posted(prowjobsv1.SuccessState, github.StatusSuccess, baseSHA)},
		wantPatches:  []string{reportPatch(prowjobsv1.SuccessState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
	}, {
		name: "report=false: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.SuccessState, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Report = false
		})}},
	}, {
		name: "no context: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Context = ""
		})}},
	}, {
		name: "no state yet: nothing",
		steps: []step{{job: makeJob(t, "", func(pj *prowjobsv1.ProwJob) {
			pj.Status = prowjobsv1.ProwJobStatus{}
		})}},
	}, {
		name: "periodic: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.FailureState, withType(prowjobsv1.PeriodicJob), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs = nil
		})}},
	}, {
		name:  "periodic with refs: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.FailureState, withType(prowjobsv1.PeriodicJob))}},
	}, {
		name:  "batch: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.FailureState, withType(prowjobsv1.BatchJob))}},
	}, {
		name: "presubmit without refs: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs = nil
		})}},
	}, {
		name: "presubmit whose pull has no sha: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.Pulls[0].SHA = ""
		})}},
	}, {
		name: "postsubmit without base sha: nothing",
		steps: []step{{job: makeJob(t, prowjobsv1.SuccessState, withType(prowjobsv1.PostsubmitJob), func(pj *prowjobsv1.ProwJob) {
			pj.Spec.Refs.Pulls = nil
			pj.Spec.Refs.BaseSHA = ""
		})}},
	}, {
		name: "GitHub error on pending: error, nothing remembered, the retry posts again",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState), ghErr: ghDown, wantErr: true},
			{job: makeJob(t, prowjobsv1.PendingState)},
		},
		wantCalls: []statusCall{
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
		},
		wantInFlight: map[types.UID]prowjobsv1.ProwJobState{jobUID: prowjobsv1.PendingState},
	}, {
		name: "GitHub error on success: error, nothing recorded, the retry posts again",
		steps: []step{
			{job: makeJob(t, prowjobsv1.PendingState)},
			{job: makeJob(t, prowjobsv1.SuccessState), ghErr: ghDown, wantErr: true},
			{job: makeJob(t, prowjobsv1.SuccessState)},
		},
		seed: makeJob(t, prowjobsv1.SuccessState),
		wantCalls: []statusCall{
			posted(prowjobsv1.PendingState, github.StatusPending, headSHA),
			posted(prowjobsv1.SuccessState, github.StatusSuccess, headSHA),
			posted(prowjobsv1.SuccessState, github.StatusSuccess, headSHA),
		},
		wantPatches:  []string{reportPatch(prowjobsv1.SuccessState)},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.SuccessState},
	}, {
		name: "failed record of a final report: error, the retry posts again",
		steps: []step{
			{job: makeJob(t, prowjobsv1.FailureState), patchErr: apiDown, wantErr: true},
			{job: makeJob(t, prowjobsv1.FailureState)},
		},
		wantCalls: []statusCall{
			posted(prowjobsv1.FailureState, github.StatusFailure, headSHA),
			posted(prowjobsv1.FailureState, github.StatusFailure, headSHA),
		},
		wantPatches: []string{
			reportPatch(prowjobsv1.FailureState),
			reportPatch(prowjobsv1.FailureState),
		},
		wantRecorded: map[string]prowjobsv1.ProwJobState{ReporterName: prowjobsv1.FailureState},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seed := tc.seed
			if seed == nil {
				seed = tc.steps[0].job
			}
			client := prowjobfake.NewSimpleClientset(seed.DeepCopy())
			var patchErr error
			client.PrependReactor("patch", "prowjobs", func(clienttesting.Action) (bool, runtime.Object, error) {
				return patchErr != nil, nil, patchErr
			})
			gh := &recordingGitHub{}
			kube := kubefake.NewSimpleClientset()
			newReconciler := func() *Reconciler {
				return &Reconciler{github: gh, prowJobClient: client, ledgers: &ledgers{configMaps: kube.CoreV1().ConfigMaps}}
			}
			r := newReconciler()
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())

			for i, s := range tc.steps {
				if s.restart {
					if err := r.ledgers.Flush(ctx); err != nil {
						t.Fatalf("Step %d: write the ledger: %v", i, err)
					}
				}
				if s.restart || s.crash {
					r = newReconciler()
				}
				gh.err, patchErr = s.ghErr, s.patchErr
				err := r.ReconcileKind(ctx, s.job.DeepCopy())
				if gotErr := err != nil; gotErr != s.wantErr {
					t.Errorf("Step %d: ReconcileKind() = %v, want error: %t", i, err, s.wantErr)
				}
			}

			if diff := cmp.Diff(tc.wantCalls, gh.calls); diff != "" {
				t.Errorf("GitHub statuses (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPatches, statusPatches(t, client.Actions())); diff != "" {
				t.Errorf("ProwJob status patches (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantInFlight, inFlight(t, r)); diff != "" {
				t.Errorf("In-flight reports (-want, +got):\n%s", diff)
			}
			stored, err := client.ProwV1().ProwJobs(prowNS).Get(ctx, jobName, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("Get ProwJob: %v", err)
			}
			if diff := cmp.Diff(tc.wantRecorded, stored.Status.PrevReportStates); diff != "" {
				t.Errorf("Recorded prev_report_states (-want, +got):\n%s", diff)
			}
			if tc.wantLedger != nil {
				if err := r.ledgers.Flush(ctx); err != nil {
					t.Fatalf("write the ledger: %v", err)
				}
				if diff := cmp.Diff(tc.wantLedger, ledgerUIDs(t, kube, prowNS), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Ledger (-want, +got):\n%s", diff)
				}
			}
		})
	}
}

// ledgerUIDs returns the UIDs the namespace's ledger ConfigMap holds, as the UUIDs they
// are stored as.
func ledgerUIDs(t *testing.T, kube *kubefake.Clientset, namespace string) []types.UID {
	t.Helper()
	cm, err := kube.CoreV1().ConfigMaps(namespace).Get(t.Context(), LedgerConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get the ledger: %v", err)
	}
	var out []types.UID
	for uid := range decodeUIDs(cm) {
		out = append(out, types.UID(uuid.UUID(uid).String()))
	}
	slices.Sort(out)
	return out
}

// statusPatches returns the body of every ProwJob patch, failing on any other action or on
// a patch that is not a merge patch of the job's status.
func statusPatches(t *testing.T, actions []clienttesting.Action) []string {
	t.Helper()
	var out []string
	for _, a := range actions {
		p, ok := a.(clienttesting.PatchAction)
		if !ok {
			t.Errorf("Unexpected %s of %s", a.GetVerb(), a.GetResource().Resource)
			continue
		}
		if p.GetName() != jobName || p.GetNamespace() != prowNS {
			t.Errorf("Patch of %s/%s, want %s/%s", p.GetNamespace(), p.GetName(), prowNS, jobName)
		}
		if p.GetPatchType() != types.MergePatchType {
			t.Errorf("Patch type %q, want %q", p.GetPatchType(), types.MergePatchType)
		}
		if p.GetSubresource() != "status" {
			t.Errorf("Patch of subresource %q, want status", p.GetSubresource())
		}
		out = append(out, string(p.GetPatch()))
	}
	return out
}

// inFlight returns the states the reconciler remembers, nil if none.
func inFlight(t *testing.T, r *Reconciler) map[types.UID]prowjobsv1.ProwJobState {
	t.Helper()
	var out map[types.UID]prowjobsv1.ProwJobState
	r.inFlight.Range(func(k, v any) bool {
		if out == nil {
			out = map[types.UID]prowjobsv1.ProwJobState{}
		}
		out[k.(types.UID)] = v.(prowjobsv1.ProwJobState)
		return true
	})
	return out
}

func TestRecordReportedKeepsOtherReporters(t *testing.T) {
	pj := makeJob(t, prowjobsv1.FailureState, func(pj *prowjobsv1.ProwJob) {
		pj.Status.PrevReportStates = map[string]prowjobsv1.ProwJobState{"slackreporter": prowjobsv1.FailureState}
	})
	client := prowjobfake.NewSimpleClientset(pj.DeepCopy())
	r := &Reconciler{github: &recordingGitHub{}, prowJobClient: client}
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())

	if err := r.ReconcileKind(ctx, pj.DeepCopy()); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}

	stored, err := client.ProwV1().ProwJobs(prowNS).Get(ctx, jobName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Get ProwJob: %v", err)
	}
	want := pj.Status.DeepCopy()
	want.PrevReportStates[ReporterName] = prowjobsv1.FailureState
	if diff := cmp.Diff(*want, stored.Status); diff != "" {
		t.Errorf("Stored status (-want, +got):\n%s", diff)
	}
}

func TestGitHubState(t *testing.T) {
	tests := []struct {
		state prowjobsv1.ProwJobState
		want  string
	}{
		{state: "", want: github.StatusPending},
		{state: prowjobsv1.SchedulingState, want: github.StatusPending},
		{state: prowjobsv1.TriggeredState, want: github.StatusPending},
		{state: prowjobsv1.PendingState, want: github.StatusPending},
		{state: prowjobsv1.SuccessState, want: github.StatusSuccess},
		{state: prowjobsv1.FailureState, want: github.StatusFailure},
		{state: prowjobsv1.AbortedState, want: github.StatusFailure},
		{state: prowjobsv1.ErrorState, want: github.StatusError},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			if got := GitHubState(tc.state); got != tc.want {
				t.Errorf("GitHubState(%q) = %q, want %q", tc.state, got, tc.want)
			}
		})
	}
}
