package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelinefake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	pipelinelisters "github.com/tektoncd/pipeline/pkg/client/listers/pipeline/v1"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	clocktesting "k8s.io/utils/clock/testing"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/buildcluster"
)

const (
	jobName = "5f0c7d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6"
	jobUID  = types.UID("0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a")
	jobSpec = "pull-widgets-unit"
	buildID = "1790000000000000001"
	prowNS  = "prow"
	runNS   = "test-pods"
)

var (
	// jobCreated is when the hook created the ProwJob; runCreated, runStarted and
	// runCompleted are the PipelineRun's own times; clockNow is the reconciler's clock, later
	// than all of them so that a status dated from the clock shows up in a diff.
	jobCreated   = metav1.NewTime(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	runCreated   = metav1.NewTime(time.Date(2026, 3, 3, 10, 0, 2, 0, time.UTC))
	runStarted   = metav1.NewTime(time.Date(2026, 3, 3, 10, 0, 5, 0, time.UTC))
	runCompleted = metav1.NewTime(time.Date(2026, 3, 3, 10, 7, 30, 0, time.UTC))
	clockNow     = time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)

	pipelineRunsResource = pipelinev1.SchemeGroupVersion.WithResource("pipelineruns")
)

// Messages Tekton puts on a PipelineRun's Succeeded condition.
const (
	msgRunning   = "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0"
	msgSucceeded = "Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0"
	msgFailed    = "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 0"
)

// jobOption changes a ProwJob built by makeJob.
type jobOption func(*prowjobsv1.ProwJob)

// makeJob returns a presubmit tekton-pipeline ProwJob as the apiserver returns it right
// after the hook created it: no status (the status subresource drops it on create), the
// build id in its label, and its PipelineRun to go into another namespace.
func makeJob(t *testing.T, opts ...jobOption) *prowjobsv1.ProwJob {
	t.Helper()
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:              jobName,
			Namespace:         prowNS,
			UID:               jobUID,
			CreationTimestamp: jobCreated,
			Labels: map[string]string{
				prowjobsv1.CreatedByProwLabel: "true",
				prowjobsv1.TypeLabel:          string(prowjobsv1.PresubmitJob),
				prowjobsv1.JobLabel:           jobSpec,
				prowjobsv1.BuildIDLabel:       buildID,
			},
		},
		Spec: prowjobsv1.ProwJobSpec{
			Type:      prowjobsv1.PresubmitJob,
			Agent:     prowjobsv1.TektonAgent,
			Namespace: runNS,
			Job:       jobSpec,
			Context:   jobSpec,
			Report:    true,
			Refs: &prowjobsv1.Refs{
				Org:     "acme",
				Repo:    "widgets",
				BaseRef: "main",
				BaseSHA: "9b2e4f7a1c3d5e6f8091a2b3c4d5e6f708192a3b",
				Pulls:   []prowjobsv1.Pull{{Number: 42, Author: "alice", SHA: "3f1c8a9e2b7d4c6f8a0e1b2c3d4e5f6a7b8c9d0e"}},
			},
			PipelineRunSpec: &pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "go-unit"}},
		},
	}
	for _, opt := range opts {
		opt(pj)
	}
	return pj
}

func withStatus(s prowjobsv1.ProwJobStatus) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Status = s }
}

func withAgent(a prowjobsv1.ProwJobAgent) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Agent = a }
}

func withoutRunSpec() jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.PipelineRunSpec = nil }
}

// triggeredStatus is the status InitializeStatus gives makeJob's job.
func triggeredStatus() prowjobsv1.ProwJobStatus {
	return prowjobsv1.ProwJobStatus{
		StartTime:   jobCreated,
		State:       prowjobsv1.TriggeredState,
		Description: prowjobsv1.DescriptionJobTriggered,
		BuildID:     buildID,
	}
}

// pendingStatus is the status of a job whose run was created and has not reported yet.
func pendingStatus() prowjobsv1.ProwJobStatus {
	s := triggeredStatus()
	s.State = prowjobsv1.PendingState
	s.Description = prowjobsv1.DescriptionScheduling
	s.PendingTime = runCreated.DeepCopy()
	return s
}

// runOption changes a PipelineRun built by makeRun.
type runOption func(*pipelinev1.PipelineRun)

// makeRun returns the PipelineRun of makeJob's job as the apiserver holds it: named after
// the job, in the job's spec.namespace, carrying the job's id label.
func makeRun(t *testing.T, opts ...runOption) *pipelinev1.PipelineRun {
	t.Helper()
	pr := &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{
			Name:              jobName,
			Namespace:         runNS,
			CreationTimestamp: runCreated,
			Labels: map[string]string{
				prowjobsv1.ProwJobIDLabel: jobName,
				prowjobsv1.BuildIDLabel:   buildID,
			},
			Annotations: map[string]string{prowjobsv1.ProwJobNamespaceAnnotation: prowNS},
		},
		Spec: pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "go-unit"}},
	}
	for _, opt := range opts {
		opt(pr)
	}
	return pr
}

// withCondition sets the run's Succeeded condition the way Tekton does.
func withCondition(status corev1.ConditionStatus, reason, message string) runOption {
	return func(pr *pipelinev1.PipelineRun) {
		pr.Status.Conditions = duckv1.Conditions{{
			Type:    apis.ConditionSucceeded,
			Status:  status,
			Reason:  reason,
			Message: message,
		}}
	}
}

func withStartTime(ts metav1.Time) runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.Status.StartTime = ts.DeepCopy() }
}

func withCompletionTime(ts metav1.Time) runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.Status.CompletionTime = ts.DeepCopy() }
}

func withLabel(key, value string) runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.Labels[key] = value }
}

func withoutLabel(key string) runOption {
	return func(pr *pipelinev1.PipelineRun) { delete(pr.Labels, key) }
}

// testReconciler is a Reconciler over fakes, with the fakes at hand.
type testReconciler struct {
	*Reconciler
	// tekton is the default (local) build cluster's apiserver; clusters holds them all.
	tekton   *pipelinefake.Clientset
	clusters fakeClusters
	clock    *clocktesting.FakeClock
}

// newReconciler builds a Reconciler whose default build cluster, the local one, has a
// lister that has seen the runs in seen and an apiserver that holds the runs in stored; the
// two are independent, as an informer's cache and the apiserver are. Creates through the
// fake are stamped with runCreated, as the apiserver stamps creationTimestamp.
func newReconciler(t *testing.T, seen, stored []*pipelinev1.PipelineRun) *testReconciler {
	t.Helper()
	local := newFakeCluster(t, buildcluster.DefaultCluster, true, seen, stored)
	clusters := fakeClusters{local.name: local}
	clk := clocktesting.NewFakeClock(clockNow)
	return &testReconciler{
		Reconciler: &Reconciler{
			clusters: clusters,
			clock:    clk,
		},
		tekton:   local.tekton,
		clusters: clusters,
		clock:    clk,
	}
}

// fakeCluster is a build cluster over a fake clientset and a lister seeded by hand.
type fakeCluster struct {
	name   string
	local  bool
	tekton *pipelinefake.Clientset
	lister pipelinelisters.PipelineRunLister
	// namespaces are the job namespaces; nil means every namespace.
	namespaces []string
	// notSynced makes HasSynced false, as for an unreachable cluster.
	notSynced bool
}

var _ buildcluster.Client = (*fakeCluster)(nil)

func newFakeCluster(t *testing.T, name string, local bool, seen, stored []*pipelinev1.PipelineRun) *fakeCluster {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, pr := range seen {
		if err := indexer.Add(pr); err != nil {
			t.Fatalf("Seeding the lister with %s: %v", pr.Name, err)
		}
	}
	objects := make([]runtime.Object, 0, len(stored))
	for _, pr := range stored {
		objects = append(objects, pr)
	}
	tekton := pipelinefake.NewSimpleClientset(objects...)
	tekton.PrependReactor("create", "pipelineruns", func(action clienttesting.Action) (bool, runtime.Object, error) {
		pr := action.(clienttesting.CreateAction).GetObject().(*pipelinev1.PipelineRun).DeepCopy()
		pr.CreationTimestamp = runCreated
		if err := tekton.Tracker().Create(action.GetResource(), pr, action.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, pr, nil
	})
	return &fakeCluster{name: name, local: local, tekton: tekton, lister: pipelinelisters.NewPipelineRunLister(indexer)}
}

func (c *fakeCluster) Name() string    { return c.name }
func (c *fakeCluster) Local() bool     { return c.local }
func (c *fakeCluster) HasSynced() bool { return !c.notSynced }

func (c *fakeCluster) PipelineRuns(namespace string) (buildcluster.PipelineRuns, error) {
	if namespace == "" || (c.namespaces != nil && !slices.Contains(c.namespaces, namespace)) {
		return buildcluster.PipelineRuns{}, &buildcluster.NamespaceError{Namespace: namespace, Watched: c.namespaces}
	}
	return buildcluster.PipelineRuns{Lister: c.lister.PipelineRuns(namespace), Client: c.tekton.TektonV1().PipelineRuns(namespace)}, nil
}

// fakeClusters are build clusters by name.
type fakeClusters map[string]*fakeCluster

func (f fakeClusters) Cluster(name string) (buildcluster.Client, error) {
	if c, ok := f[buildcluster.NameOf(name)]; ok {
		return c, nil
	}
	known := make([]string, 0, len(f))
	for n := range f {
		known = append(known, n)
	}
	slices.Sort(known)
	return nil, &buildcluster.UnknownClusterError{Name: name, Known: known}
}

// failCreates makes every PipelineRun create fail with err.
func failCreates(cs *pipelinefake.Clientset, err error) {
	cs.PrependReactor("create", "pipelineruns", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, err
	})
}

// describeActions renders client actions as "verb resource namespace/name".
func describeActions(t *testing.T, actions []clienttesting.Action) []string {
	t.Helper()
	var out []string
	for _, a := range actions {
		var name string
		switch a := a.(type) {
		case clienttesting.CreateAction:
			m, err := meta.Accessor(a.GetObject())
			if err != nil {
				t.Fatalf("Create action without metadata: %v", err)
			}
			name = m.GetName()
		case clienttesting.UpdateAction:
			m, err := meta.Accessor(a.GetObject())
			if err != nil {
				t.Fatalf("Update action without metadata: %v", err)
			}
			name = m.GetName()
		case clienttesting.GetAction:
			name = a.GetName()
		case clienttesting.PatchAction:
			name = a.GetName()
		case clienttesting.DeleteAction:
			name = a.GetName()
		}
		out = append(out, fmt.Sprintf("%s %s %s/%s", a.GetVerb(), a.GetResource().Resource, a.GetNamespace(), name))
	}
	return out
}

var (
	createRun = "create pipelineruns " + runNS + "/" + jobName
	getRun    = "get pipelineruns " + runNS + "/" + jobName
)

func TestReconcileKind(t *testing.T) {
	internal := apierrors.NewInternalError(errors.New("etcdserver: leader changed"))
	timeout := apierrors.NewTimeoutError("request did not complete within 60s", 1)
	invalid := apierrors.NewInvalid(pipelinev1.SchemeGroupVersion.WithKind("PipelineRun").GroupKind(), jobName, nil)
	forbidden := apierrors.NewForbidden(pipelineRunsResource.GroupResource(), jobName, errors.New("exceeded quota: runs"))
	noNamespace := apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, runNS)

	startFailed := func(desc string) prowjobsv1.ProwJobStatus {
		s := triggeredStatus()
		s.State = prowjobsv1.ErrorState
		s.Description = desc
		now := metav1.NewTime(clockNow)
		s.PendingTime = &now
		s.CompletionTime = &now
		return s
	}
	disappeared := pendingStatus()
	disappeared.State = prowjobsv1.ErrorState
	disappeared.Description = fmt.Sprintf("start pipeline: PipelineRun %s/%s disappeared", runNS, jobName)
	disappeared.CompletionTime = &metav1.Time{Time: clockNow}

	runningStatus := pendingStatus()
	runningStatus.Description = msgRunning

	notOurs := fmt.Sprintf("start pipeline: PipelineRun %s/%s belongs to another job", runNS, jobName)
	notOursPending := startFailed(notOurs)
	notOursPending.PendingTime = runCreated.DeepCopy() // kept from the pending job
	completed := pendingStatus()
	completed.State = prowjobsv1.SuccessState
	completed.Description = msgSucceeded
	completed.CompletionTime = runCompleted.DeepCopy()

	tests := []struct {
		name   string
		job    *prowjobsv1.ProwJob
		seen   []*pipelinev1.PipelineRun // in the lister
		stored []*pipelinev1.PipelineRun // in the apiserver
		// createErr makes the create of the run fail.
		createErr   error
		wantStatus  prowjobsv1.ProwJobStatus
		wantErr     func(error) bool // nil: no error wanted
		wantActions []string
	}{{
		name:        "new job is initialized from its build-id label and gets its run, pending from the run's creation",
		job:         makeJob(t),
		wantStatus:  pendingStatus(),
		wantActions: []string{createRun},
	}, {
		name:        "run in the apiserver but not the lister (retry after a lost create response): no second run",
		job:         makeJob(t),
		stored:      []*pipelinev1.PipelineRun{makeRun(t)},
		wantStatus:  pendingStatus(),
		wantActions: []string{createRun, getRun},
	}, {
		name:        "run in the apiserver but not the lister for a triggered job (restart before the status write)",
		job:         makeJob(t, withStatus(triggeredStatus())),
		stored:      []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning), withStartTime(runStarted))},
		wantStatus:  runningStatus,
		wantActions: []string{createRun, getRun},
	}, {
		name:        "pending job whose run the informer has not seen yet is not marked error: status mirrors the apiserver's run",
		job:         makeJob(t, withStatus(pendingStatus())),
		stored:      []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning), withStartTime(runStarted))},
		wantStatus:  runningStatus,
		wantActions: []string{getRun},
	}, {
		name:        "pending job whose run is gone from lister and apiserver ends in error",
		job:         makeJob(t, withStatus(pendingStatus())),
		wantStatus:  disappeared,
		wantActions: []string{getRun},
	}, {
		name:        "pending job whose run the lister has: no apiserver call",
		job:         makeJob(t, withStatus(pendingStatus())),
		seen:        []*pipelinev1.PipelineRun{makeRun(t)},
		stored:      []*pipelinev1.PipelineRun{makeRun(t)},
		wantStatus:  pendingStatus(),
		wantActions: nil,
	}, {
		name:        "create rejected as invalid: job error, no retry",
		job:         makeJob(t, withStatus(triggeredStatus())),
		createErr:   invalid,
		wantStatus:  startFailed("start pipeline: " + invalid.Error()),
		wantActions: []string{createRun},
	}, {
		name:        "create forbidden: job error, no retry",
		job:         makeJob(t, withStatus(triggeredStatus())),
		createErr:   forbidden,
		wantStatus:  startFailed("start pipeline: " + forbidden.Error()),
		wantActions: []string{createRun},
	}, {
		name:        "run namespace missing: job error, no retry",
		job:         makeJob(t, withStatus(triggeredStatus())),
		createErr:   noNamespace,
		wantStatus:  startFailed("start pipeline: " + noNamespace.Error()),
		wantActions: []string{createRun},
	}, {
		name:        "job without a pipeline_run_spec: job error, nothing created",
		job:         makeJob(t, withStatus(triggeredStatus()), withoutRunSpec()),
		wantStatus:  startFailed(fmt.Sprintf("start pipeline: job %q has no pipeline_run_spec", jobSpec)),
		wantActions: nil,
	}, {
		name:        "create fails with a 500: retried, status unchanged",
		job:         makeJob(t, withStatus(triggeredStatus())),
		createErr:   internal,
		wantStatus:  triggeredStatus(),
		wantErr:     apierrors.IsInternalError,
		wantActions: []string{createRun},
	}, {
		name:        "create times out: retried, status unchanged",
		job:         makeJob(t, withStatus(triggeredStatus())),
		createErr:   timeout,
		wantStatus:  triggeredStatus(),
		wantErr:     apierrors.IsTimeout,
		wantActions: []string{createRun},
	}, {
		name:        "completed job is left alone",
		job:         makeJob(t, withStatus(completed)),
		wantStatus:  completed,
		wantActions: nil,
	}, {
		name:        "completed job is left alone even if its run changed",
		job:         makeJob(t, withStatus(completed)),
		seen:        []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionFalse, "Failed", msgFailed))},
		wantStatus:  completed,
		wantActions: nil,
	}, {
		name:        "kubernetes agent job is left alone, not even initialized",
		job:         makeJob(t, withAgent(prowjobsv1.KubernetesAgent)),
		wantStatus:  prowjobsv1.ProwJobStatus{},
		wantActions: nil,
	}, {
		name:        "jenkins agent job is left alone",
		job:         makeJob(t, withAgent(prowjobsv1.JenkinsAgent), withStatus(triggeredStatus())),
		wantStatus:  triggeredStatus(),
		wantActions: nil,
	}, {
		name:        "run with the job's name but no id label is not adopted",
		job:         makeJob(t, withStatus(triggeredStatus())),
		seen:        []*pipelinev1.PipelineRun{makeRun(t, withoutLabel(prowjobsv1.ProwJobIDLabel), withCondition(corev1.ConditionTrue, "Succeeded", msgSucceeded))},
		wantStatus:  startFailed(notOurs),
		wantActions: nil,
	}, {
		name:        "run with the job's name and another job's id label is not adopted",
		job:         makeJob(t, withStatus(pendingStatus())),
		seen:        []*pipelinev1.PipelineRun{makeRun(t, withLabel(prowjobsv1.ProwJobIDLabel, "another-job"), withCondition(corev1.ConditionTrue, "Succeeded", msgSucceeded))},
		wantStatus:  notOursPending,
		wantActions: nil,
	}, {
		name:        "foreign run found only in the apiserver after AlreadyExists is not adopted",
		job:         makeJob(t),
		stored:      []*pipelinev1.PipelineRun{makeRun(t, withoutLabel(prowjobsv1.ProwJobIDLabel))},
		wantStatus:  startFailed(notOurs),
		wantActions: []string{createRun, getRun},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReconciler(t, tc.seen, tc.stored)
			if tc.createErr != nil {
				failCreates(r.tekton, tc.createErr)
			}
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			pj := tc.job.DeepCopy()

			err := r.ReconcileKind(ctx, pj)

			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("ReconcileKind() = %v, want nil", err)
			case tc.wantErr != nil && (err == nil || !tc.wantErr(err)):
				t.Errorf("ReconcileKind() = %v, want a retryable error of the create's kind", err)
			case tc.wantErr != nil && controller.IsPermanentError(err):
				t.Errorf("ReconcileKind() = %v, a permanent error, want it retried", err)
			}
			if diff := cmp.Diff(tc.wantStatus, pj.Status); diff != "" {
				t.Errorf("Status (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantActions, describeActions(t, r.tekton.Actions())); diff != "" {
				t.Errorf("Tekton client actions (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.job.Spec, pj.Spec); diff != "" {
				t.Errorf("ReconcileKind changed the spec (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestReconcileKindCreatesRun(t *testing.T) {
	r := newReconciler(t, nil, nil)
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	pj := makeJob(t)

	if err := r.ReconcileKind(ctx, pj); err != nil {
		t.Fatalf("ReconcileKind() = %v", err)
	}

	obj, err := r.tekton.Tracker().Get(pipelineRunsResource, runNS, jobName)
	if err != nil {
		t.Fatalf("The run was not created: %v", err)
	}
	pr := obj.(*pipelinev1.PipelineRun)
	type identity struct {
		Namespace, Name, IDLabel, BuildIDLabel, NamespaceAnnotation string
	}
	want := identity{
		Namespace:           runNS,
		Name:                jobName,
		IDLabel:             jobName,
		BuildIDLabel:        buildID,
		NamespaceAnnotation: prowNS,
	}
	got := identity{
		Namespace:           pr.Namespace,
		Name:                pr.Name,
		IDLabel:             pr.Labels[prowjobsv1.ProwJobIDLabel],
		BuildIDLabel:        pr.Labels[prowjobsv1.BuildIDLabel],
		NamespaceAnnotation: pr.Annotations[prowjobsv1.ProwJobNamespaceAnnotation],
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Created run (-want, +got):\n%s", diff)
	}
}

func TestReconcileKindMirrorsRun(t *testing.T) {
	withState := func(state prowjobsv1.ProwJobState, desc string, completion *metav1.Time) prowjobsv1.ProwJobStatus {
		s := pendingStatus()
		s.State = state
		s.Description = desc
		s.CompletionTime = completion
		return s
	}
	tests := []struct {
		name       string
		run        *pipelinev1.PipelineRun
		wantStatus prowjobsv1.ProwJobStatus
	}{{
		name:       "no condition yet: pending scheduling",
		run:        makeRun(t),
		wantStatus: withState(prowjobsv1.PendingState, prowjobsv1.DescriptionScheduling, nil),
	}, {
		name:       "Unknown before start: pending with Tekton's message",
		run:        makeRun(t, withCondition(corev1.ConditionUnknown, "Started", "")),
		wantStatus: withState(prowjobsv1.PendingState, "Started", nil),
	}, {
		name:       "Unknown: pending running with Tekton's message",
		run:        makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning), withStartTime(runStarted)),
		wantStatus: withState(prowjobsv1.PendingState, msgRunning, nil),
	}, {
		name: "True: success at the run's completion time",
		run: makeRun(t, withCondition(corev1.ConditionTrue, "Succeeded", msgSucceeded),
			withStartTime(runStarted), withCompletionTime(runCompleted)),
		wantStatus: withState(prowjobsv1.SuccessState, msgSucceeded, runCompleted.DeepCopy()),
	}, {
		name: "False: failure at the run's completion time",
		run: makeRun(t, withCondition(corev1.ConditionFalse, "Failed", msgFailed),
			withStartTime(runStarted), withCompletionTime(runCompleted)),
		wantStatus: withState(prowjobsv1.FailureState, msgFailed, runCompleted.DeepCopy()),
	}, {
		name: "False after cancel: aborted (stopped on purpose, not failed) with Tekton's message",
		run: makeRun(t, withCondition(corev1.ConditionFalse, "Cancelled", "PipelineRun \""+jobName+"\" was cancelled"),
			withStartTime(runStarted), withCompletionTime(runCompleted)),
		wantStatus: withState(prowjobsv1.AbortedState, "PipelineRun \""+jobName+"\" was cancelled", runCompleted.DeepCopy()),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReconciler(t, []*pipelinev1.PipelineRun{tc.run}, []*pipelinev1.PipelineRun{tc.run})
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			pj := makeJob(t, withStatus(pendingStatus()))

			if err := r.ReconcileKind(ctx, pj); err != nil {
				t.Fatalf("ReconcileKind() = %v", err)
			}
			if diff := cmp.Diff(tc.wantStatus, pj.Status); diff != "" {
				t.Errorf("Status (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string(nil), describeActions(t, r.tekton.Actions())); diff != "" {
				t.Errorf("Tekton client actions (-want, +got):\n%s", diff)
			}
		})
	}
}

// TestReconcileKindIsDeterministic checks that two reconciles of the same job against the
// same run compute the same status whatever the clock says: the ProwJob's own event and the
// PipelineRun's race, and only if they agree does the second find nothing to write.
func TestReconcileKindIsDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		job    *prowjobsv1.ProwJob
		seen   []*pipelinev1.PipelineRun
		stored []*pipelinev1.PipelineRun
	}{{
		name: "new job, run created by the first reconcile",
		job:  makeJob(t),
	}, {
		name: "new job, run seen",
		job:  makeJob(t),
		seen: []*pipelinev1.PipelineRun{makeRun(t)},
	}, {
		name: "pending job, run running",
		job:  makeJob(t, withStatus(pendingStatus())),
		seen: []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning), withStartTime(runStarted))},
	}, {
		name:   "pending job, run only in the apiserver",
		job:    makeJob(t, withStatus(pendingStatus())),
		stored: []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning), withStartTime(runStarted))},
	}, {
		name: "pending job, run succeeded",
		job:  makeJob(t, withStatus(pendingStatus())),
		seen: []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionTrue, "Succeeded", msgSucceeded),
			withStartTime(runStarted), withCompletionTime(runCompleted))},
	}, {
		name: "triggered job, run failed",
		job:  makeJob(t, withStatus(triggeredStatus())),
		seen: []*pipelinev1.PipelineRun{makeRun(t, withCondition(corev1.ConditionFalse, "Failed", msgFailed),
			withStartTime(runStarted), withCompletionTime(runCompleted))},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReconciler(t, tc.seen, tc.stored)
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())

			first := tc.job.DeepCopy()
			if err := r.ReconcileKind(ctx, first); err != nil {
				t.Fatalf("First ReconcileKind() = %v", err)
			}
			r.clock.Step(90 * time.Second)

			// The racing reconcile, from the same cached job.
			racing := tc.job.DeepCopy()
			if err := r.ReconcileKind(ctx, racing); err != nil {
				t.Fatalf("Racing ReconcileKind() = %v", err)
			}
			if diff := cmp.Diff(first.Status, racing.Status); diff != "" {
				t.Errorf("Racing reconcile status (-first, +racing):\n%s", diff)
			}

			// The next reconcile, from the job with the first status written.
			next := first.DeepCopy()
			if err := r.ReconcileKind(ctx, next); err != nil {
				t.Fatalf("Next ReconcileKind() = %v", err)
			}
			if diff := cmp.Diff(first.Status, next.Status); diff != "" {
				t.Errorf("Next reconcile status (-first, +next):\n%s", diff)
			}
		})
	}
}
