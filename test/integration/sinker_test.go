package integration

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	prowv1client "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/typed/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/sinker"
)

// sinkerEnv is one sinker test's namespaces: ProwJobs and same-namespace runs in jobs, runs
// of jobs that run elsewhere in runs.
type sinkerEnv struct {
	t          *testing.T
	ctx        context.Context
	jobs, runs string
	cfg        *config.Config
}

func newSinkerEnv(t *testing.T, sinkerYAML string) *sinkerEnv {
	t.Helper()
	n := namespaceSeq.Add(1)
	s := &sinkerEnv{
		t:    t,
		ctx:  logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar()),
		jobs: fmt.Sprintf("it-%d", n), runs: fmt.Sprintf("it-%d-runs", n),
	}
	for _, ns := range []string{s.jobs, s.runs} {
		if err := env.Cluster.CreateNamespace(s.ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.LoadBytes("config.yaml", []byte(fmt.Sprintf("prowjob_namespace: %s\npod_namespace: %s\n%s", s.jobs, s.runs, sinkerYAML)))
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	return s
}

// job creates a ProwJob and then writes its status (the status subresource drops a status
// given on create). started and completed are ages; completed 0 leaves the job pending.
// The agent is "kubernetes" so that bosun's running pipeline reconciler leaves these jobs
// alone; the sinker does not look at the agent.
func (s *sinkerEnv) job(name string, typ prowjobsv1.ProwJobType, job string, started, completed time.Duration) *prowjobsv1.ProwJob {
	s.t.Helper()
	pj := &prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.jobs, Labels: map[string]string{prowjobsv1.JobLabel: job}},
		Spec:       prowjobsv1.ProwJobSpec{Type: typ, Job: job, Agent: "kubernetes", Namespace: s.runs},
	}
	created, err := env.ProwJobs.ProwV1().ProwJobs(s.jobs).Create(s.ctx, pj, metav1.CreateOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	now := time.Now()
	created.Status = prowjobsv1.ProwJobStatus{StartTime: metav1.NewTime(now.Add(-started)), State: prowjobsv1.PendingState}
	if completed > 0 {
		done := metav1.NewTime(now.Add(-completed))
		created.Status.CompletionTime = &done
		created.Status.State = prowjobsv1.SuccessState
	}
	updated, err := env.ProwJobs.ProwV1().ProwJobs(s.jobs).UpdateStatus(s.ctx, created, metav1.UpdateOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	return updated
}

// run creates the PipelineRun of the ProwJob named job (which may not exist) in namespace,
// the way the pipeline reconciler labels it, with an owner reference when owner is given,
// then marks it finished completed ago (0: still running).
func (s *sinkerEnv) run(namespace, job string, owner *prowjobsv1.ProwJob, completed time.Duration) *pipelinev1.PipelineRun {
	s.t.Helper()
	pr := &pipelinev1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: job, Namespace: namespace,
			Labels:      map[string]string{prowjobsv1.ProwJobIDLabel: job},
			Annotations: map[string]string{prowjobsv1.ProwJobNamespaceAnnotation: s.jobs},
		},
		Spec: pipelinev1.PipelineRunSpec{PipelineRef: &pipelinev1.PipelineRef{Name: "p"}},
	}
	if owner != nil {
		pr.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, prowjobsv1.SchemeGroupVersion.WithKind("ProwJob"))}
	}
	runs := env.Tekton.TektonV1().PipelineRuns(namespace)
	created, err := runs.Create(s.ctx, pr, metav1.CreateOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	if completed == 0 {
		return created
	}
	start, done := metav1.NewTime(time.Now().Add(-completed-time.Minute)), metav1.NewTime(time.Now().Add(-completed))
	created.Status.StartTime, created.Status.CompletionTime = &start, &done
	created.Status.SetCondition(&apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue, Reason: "Succeeded"})
	updated, err := runs.UpdateStatus(s.ctx, created, metav1.UpdateOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	return updated
}

// objects lists the ProwJobs and PipelineRuns of both namespaces as "job ns/name" and
// "run ns/name", sorted.
func (s *sinkerEnv) objects() []string {
	s.t.Helper()
	var out []string
	pjs, err := env.ProwJobs.ProwV1().ProwJobs(s.jobs).List(s.ctx, metav1.ListOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, pj := range pjs.Items {
		out = append(out, "job "+pj.Namespace+"/"+pj.Name)
	}
	for _, ns := range []string{s.jobs, s.runs} {
		prs, err := env.Tekton.TektonV1().PipelineRuns(ns).List(s.ctx, metav1.ListOptions{})
		if err != nil {
			s.t.Fatal(err)
		}
		for _, pr := range prs.Items {
			out = append(out, "run "+pr.Namespace+"/"+pr.Name)
		}
	}
	slices.Sort(out)
	return out
}

func (s *sinkerEnv) clients(pjs prowjobclientset.Interface) sinker.Clients {
	if pjs == nil {
		pjs = env.ProwJobs
	}
	return sinker.Clients{ProwJobs: pjs, Tekton: env.Tekton}
}

func names(keys []types.NamespacedName) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.String())
	}
	slices.Sort(out)
	return out
}

// TestSinkerCollectsOldJobsAndRuns runs sinker passes against the real apiserver: a dry run
// that deletes nothing, then a real one. There is no kube-controller-manager here, so no
// garbage collector: every run that is gone was deleted by the sinker itself.
func TestSinkerCollectsOldJobsAndRuns(t *testing.T) {
	s := newSinkerEnv(t, "sinker: {max_pipelinerun_age: 1h, dry_run: true}\n")
	day := 24 * time.Hour

	old := s.job("old", prowjobsv1.PresubmitJob, "unit", 8*day, 8*day)
	s.run(s.jobs, "old", old, 8*day) // same namespace: owner reference
	s.job("old-elsewhere", prowjobsv1.PostsubmitJob, "publish", 9*day, 9*day)
	s.run(s.runs, "old-elsewhere", nil, 9*day) // another namespace: annotation only
	young := s.job("young", prowjobsv1.PresubmitJob, "unit", 2*time.Hour, time.Hour)
	s.run(s.jobs, "young", young, time.Hour)
	running := s.job("running", prowjobsv1.PresubmitJob, "unit", 10*day, 0)
	s.run(s.jobs, "running", running, 0)
	s.job("nightly-1", prowjobsv1.PeriodicJob, "nightly", 10*day, 10*day)
	s.run(s.runs, "nightly-1", nil, 10*day)
	s.job("nightly-2", prowjobsv1.PeriodicJob, "nightly", 9*day, 9*day)
	s.run(s.runs, "nightly-2", nil, 9*day)
	s.run(s.runs, "orphan-old", nil, 2*time.Hour)
	s.run(s.runs, "orphan-young", nil, 10*time.Minute)

	before := s.objects()
	wantJobs := []string{s.jobs + "/nightly-1", s.jobs + "/old", s.jobs + "/old-elsewhere"}
	wantRuns := []string{s.jobs + "/old", s.runs + "/nightly-1", s.runs + "/old-elsewhere", s.runs + "/orphan-old"}
	slices.Sort(wantRuns)

	// Dry run: reports everything, deletes nothing.
	report, err := sinker.Clean(s.ctx, time.Now(), s.cfg, s.clients(nil))
	if err != nil {
		t.Fatalf("dry-run Clean: %v", err)
	}
	if !report.DryRun || !slices.Equal(names(report.ProwJobs), wantJobs) || !slices.Equal(names(report.PipelineRuns), wantRuns) {
		t.Errorf("dry-run report = %+v, want dry run of jobs %v and runs %v", report, wantJobs, wantRuns)
	}
	if after := s.objects(); !slices.Equal(before, after) {
		t.Errorf("dry run changed objects:\nbefore %v\nafter  %v", before, after)
	}

	// The real pass.
	s.cfg.Sinker.DryRun = false
	report, err = sinker.Clean(s.ctx, time.Now(), s.cfg, s.clients(nil))
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if report.DryRun || !slices.Equal(names(report.ProwJobs), wantJobs) || !slices.Equal(names(report.PipelineRuns), wantRuns) {
		t.Errorf("report = %+v, want jobs %v and runs %v", report, wantJobs, wantRuns)
	}
	want := []string{
		"job " + s.jobs + "/nightly-2", // the newest periodic run, though old
		"job " + s.jobs + "/running",   // incomplete
		"job " + s.jobs + "/young",
		"run " + s.jobs + "/running",
		"run " + s.jobs + "/young",
		"run " + s.runs + "/nightly-2",
		"run " + s.runs + "/orphan-young",
	}
	slices.Sort(want)
	if got := s.objects(); !slices.Equal(got, want) {
		t.Errorf("objects left:\n got %v\nwant %v", got, want)
	}

	// A second pass finds nothing more to do.
	report, err = sinker.Clean(s.ctx, time.Now(), s.cfg, s.clients(nil))
	if err != nil || len(report.ProwJobs)+len(report.PipelineRuns) != 0 {
		t.Errorf("second pass: report %+v, error %v; want nothing deleted", report, err)
	}
}

// TestSinkerSparesRecreatedProwJob re-creates an expired ProwJob under the same name after
// the sinker listed it: the apiserver refuses the delete on the UID precondition and the
// new job stays.
func TestSinkerSparesRecreatedProwJob(t *testing.T) {
	s := newSinkerEnv(t, "")
	old := s.job("reused", prowjobsv1.PresubmitJob, "unit", 9*24*time.Hour, 8*24*time.Hour)
	var recreated *prowjobsv1.ProwJob
	recreate := func() {
		if recreated != nil {
			return
		}
		if err := env.ProwJobs.ProwV1().ProwJobs(s.jobs).Delete(s.ctx, old.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		recreated = s.job("reused", prowjobsv1.PresubmitJob, "unit", 9*24*time.Hour, 8*24*time.Hour)
	}

	report, err := sinker.Clean(s.ctx, time.Now(), s.cfg, s.clients(listHook{Interface: env.ProwJobs, afterList: recreate}))
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if len(report.ProwJobs) != 0 {
		t.Errorf("report lists %v, want nothing deleted", report.ProwJobs)
	}
	got, err := env.ProwJobs.ProwV1().ProwJobs(s.jobs).Get(s.ctx, "reused", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the re-created job is gone: %v", err)
	}
	if got.UID != recreated.UID || got.UID == old.UID {
		t.Errorf("job UID = %s, want the re-created job's %s (the old one was %s)", got.UID, recreated.UID, old.UID)
	}
}

// listHook is a ProwJob clientset that calls afterList after each successful List.
type listHook struct {
	prowjobclientset.Interface
	afterList func()
}

func (c listHook) ProwV1() prowv1client.ProwV1Interface {
	return listHookV1{ProwV1Interface: c.Interface.ProwV1(), afterList: c.afterList}
}

type listHookV1 struct {
	prowv1client.ProwV1Interface
	afterList func()
}

func (c listHookV1) ProwJobs(namespace string) prowv1client.ProwJobInterface {
	return listHookJobs{ProwJobInterface: c.ProwV1Interface.ProwJobs(namespace), afterList: c.afterList}
}

type listHookJobs struct {
	prowv1client.ProwJobInterface
	afterList func()
}

func (c listHookJobs) List(ctx context.Context, opts metav1.ListOptions) (*prowjobsv1.ProwJobList, error) {
	list, err := c.ProwJobInterface.List(ctx, opts)
	if err == nil {
		c.afterList()
	}
	return list, err
}
