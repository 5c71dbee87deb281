package sinker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// now is the time every plan test runs at.
var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

const (
	day = 24 * time.Hour
	// jobNamespace is where the test ProwJobs live; runNamespace where their runs do by
	// default, so runs reach their job through the namespace annotation.
	jobNamespace = "ci"
	runNamespace = "test-pods"
)

type jobOption func(*prowjobsv1.ProwJob)

// makeJob returns a presubmit "unit" in jobNamespace, created and started 30 days before
// now and not complete; options change that.
func makeJob(name string, opts ...jobOption) prowjobsv1.ProwJob {
	created := metav1.NewTime(now.Add(-30 * day))
	pj := prowjobsv1.ProwJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: jobNamespace, UID: types.UID("uid-" + name), CreationTimestamp: created},
		Spec:       prowjobsv1.ProwJobSpec{Type: prowjobsv1.PresubmitJob, Job: "unit", Agent: prowjobsv1.TektonAgent, Namespace: runNamespace},
		Status:     prowjobsv1.ProwJobStatus{StartTime: created, State: prowjobsv1.PendingState},
	}
	for _, o := range opts {
		o(&pj)
	}
	return pj
}

// completed marks a job successful, finished ago before now.
func completed(ago time.Duration) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		t := metav1.NewTime(now.Add(-ago))
		pj.Status.CompletionTime = &t
		pj.Status.State = prowjobsv1.SuccessState
	}
}

// created sets when a job was created and started.
func created(ago time.Duration) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		pj.CreationTimestamp = metav1.NewTime(now.Add(-ago))
		pj.Status.StartTime = pj.CreationTimestamp
	}
}

// started sets only a job's start time.
func started(ago time.Duration) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Status.StartTime = metav1.NewTime(now.Add(-ago)) }
}

func withState(s prowjobsv1.ProwJobState) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Status.State = s }
}

func ofType(typ prowjobsv1.ProwJobType, job string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Type, pj.Spec.Job = typ, job }
}

func periodic(job string) jobOption { return ofType(prowjobsv1.PeriodicJob, job) }

func inJobNamespace(ns string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Namespace = ns }
}

type runOption func(*pipelinev1.PipelineRun)

// makeRun returns the run of ProwJob jobNamespace/job, named like it, in namespace, created
// 30 days before now and not complete.
func makeRun(namespace, job string, opts ...runOption) pipelinev1.PipelineRun {
	pr := pipelinev1.PipelineRun{ObjectMeta: metav1.ObjectMeta{
		Name: job, Namespace: namespace, UID: types.UID("uid-run-" + namespace + "-" + job),
		CreationTimestamp: metav1.NewTime(now.Add(-30 * day)),
		Labels:            map[string]string{prowjobsv1.ProwJobIDLabel: job},
		Annotations:       map[string]string{prowjobsv1.ProwJobNamespaceAnnotation: jobNamespace},
	}}
	for _, o := range opts {
		o(&pr)
	}
	return pr
}

func runCompleted(ago time.Duration) runOption {
	return func(pr *pipelinev1.PipelineRun) {
		t := metav1.NewTime(now.Add(-ago))
		pr.Status.CompletionTime = &t
	}
}

func runCreated(ago time.Duration) runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.CreationTimestamp = metav1.NewTime(now.Add(-ago)) }
}

func runOfJobIn(ns string) runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.Annotations[prowjobsv1.ProwJobNamespaceAnnotation] = ns }
}

func noAnnotation() runOption {
	return func(pr *pipelinev1.PipelineRun) { pr.Annotations = nil }
}

// describe flattens a plan into execution order: each job's runs, then the job, then the
// orphaned runs.
func describe(p plan) []string {
	var out []string
	for _, j := range p.jobs {
		for _, r := range j.runs {
			out = append(out, "run "+describeRun(r))
		}
		out = append(out, "job "+j.key.String())
	}
	for _, r := range p.orphans {
		out = append(out, "orphan "+describeRun(r))
	}
	return out
}

// describeRun is a run's namespace and name, after its cluster if that is not the default.
func describeRun(d deletion) string {
	if d.cluster == config.DefaultCluster {
		return d.key.String()
	}
	return d.cluster + ":" + d.key.String()
}

// onDefault lists runs as all in the default cluster.
func onDefault(runs []pipelinev1.PipelineRun) runListing {
	return runListing{byCluster: map[string][]pipelinev1.PipelineRun{config.DefaultCluster: runs}}
}

func sinkerConfig(maxJobAge, maxRunAge time.Duration) config.Sinker {
	s := config.Sinker{MaxProwJobAge: &metav1.Duration{Duration: maxJobAge}}
	if maxRunAge > 0 {
		s.MaxPipelineRunAge = &metav1.Duration{Duration: maxRunAge}
	}
	return s
}

func TestMakePlan(t *testing.T) {
	week := 7 * day
	tests := []struct {
		name string
		cfg  config.Sinker
		// allNamespaces lists jobs in every namespace instead of jobNamespace alone.
		allNamespaces bool
		jobs          []prowjobsv1.ProwJob
		runs          []pipelinev1.PipelineRun
		want          []string
	}{{
		name: "nothing to do",
		cfg:  sinkerConfig(week, day),
	}, {
		name: "completed jobs older than max_prowjob_age go, with their runs",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("old", completed(8*day)), makeJob("young", completed(6*day))},
		runs: []pipelinev1.PipelineRun{makeRun(runNamespace, "old", runCompleted(8*day)), makeRun(runNamespace, "young", runCompleted(6*day))},
		want: []string{"run test-pods/old", "job ci/old"},
	}, {
		name: "a job exactly max_prowjob_age old stays",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("edge", completed(week)), makeJob("past", completed(week+time.Second))},
		want: []string{"job ci/past"},
	}, {
		name: "max_prowjob_age is configurable",
		cfg:  sinkerConfig(time.Hour, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("a", completed(2*time.Hour)), makeJob("b", completed(30*time.Minute))},
		want: []string{"job ci/a"},
	}, {
		name: "age counts from completion, not creation",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("long-running", created(20*day), completed(day))},
	}, {
		name: "a finished job without a completion time ages from its creation",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("old", created(8*day), withState(prowjobsv1.FailureState)),
			makeJob("young", created(6*day), withState(prowjobsv1.ErrorState)),
		},
		want: []string{"job ci/old"},
	}, {
		name: "incomplete jobs stay however old, and so do their runs",
		cfg:  sinkerConfig(week, day),
		jobs: []prowjobsv1.ProwJob{
			makeJob("scheduling", withState(prowjobsv1.SchedulingState)),
			makeJob("triggered", withState(prowjobsv1.TriggeredState)),
			makeJob("pending", withState(prowjobsv1.PendingState)),
			makeJob("periodic", periodic("nightly"), withState(prowjobsv1.PendingState)),
		},
		runs: []pipelinev1.PipelineRun{makeRun(runNamespace, "pending", runCompleted(20*day))},
	}, {
		name: "every terminal state counts as complete",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("success", completed(8*day)),
			makeJob("failure", completed(8*day), withState(prowjobsv1.FailureState)),
			makeJob("aborted", completed(8*day), withState(prowjobsv1.AbortedState)),
			makeJob("error", completed(8*day), withState(prowjobsv1.ErrorState)),
		},
		want: []string{"job ci/aborted", "job ci/error", "job ci/failure", "job ci/success"},
	}, {
		name: "the newest completed run of each periodic stays however old",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("nightly-1", periodic("nightly"), created(12*day), completed(11*day)),
			makeJob("nightly-2", periodic("nightly"), created(10*day), completed(9*day)),
			makeJob("weekly-1", periodic("weekly"), created(30*day), completed(29*day)),
		},
		runs: []pipelinev1.PipelineRun{makeRun(runNamespace, "nightly-1"), makeRun(runNamespace, "nightly-2")},
		want: []string{"run test-pods/nightly-1", "job ci/nightly-1"},
	}, {
		name: "a newer periodic run that is still running does not count as the newest",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("nightly-1", periodic("nightly"), created(12*day), completed(11*day)),
			makeJob("nightly-2", periodic("nightly"), created(10*day), completed(9*day)),
			makeJob("nightly-3", periodic("nightly"), created(time.Hour)),
		},
		want: []string{"job ci/nightly-1"},
	}, {
		name: "the newest periodic run is the one that started last, not the one that finished last",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("slow", periodic("nightly"), created(12*day), completed(8*day)),
			makeJob("fast", periodic("nightly"), created(10*day), completed(9*day)),
		},
		want: []string{"job ci/slow"},
	}, {
		name: "the start time orders periodic runs before the creation time",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("a", periodic("nightly"), created(12*day), started(9*day), completed(8*day)),
			makeJob("b", periodic("nightly"), created(11*day), started(11*day), completed(8*day)),
		},
		want: []string{"job ci/b"},
	}, {
		name: "periodic runs that started together: the last name stays",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("a", periodic("nightly"), created(10*day), completed(9*day)),
			makeJob("b", periodic("nightly"), created(10*day), completed(9*day)),
		},
		want: []string{"job ci/a"},
	}, {
		name: "presubmits, postsubmits and batches keep no newest run",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{
			makeJob("pre", ofType(prowjobsv1.PresubmitJob, "unit"), completed(8*day)),
			makeJob("post", ofType(prowjobsv1.PostsubmitJob, "publish"), completed(8*day)),
			makeJob("batch", ofType(prowjobsv1.BatchJob, "unit"), completed(8*day)),
		},
		want: []string{"job ci/batch", "job ci/post", "job ci/pre"},
	}, {
		name: "runs in the job's namespace and in others go with it, the job last",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("old", completed(8*day))},
		runs: []pipelinev1.PipelineRun{
			makeRun(jobNamespace, "old", noAnnotation()),
			makeRun("elsewhere", "old"),
			makeRun(runNamespace, "old"),
		},
		want: []string{"run ci/old", "run elsewhere/old", "run test-pods/old", "job ci/old"},
	}, {
		name: "a run in another namespace without the annotation is not the job's",
		cfg:  sinkerConfig(week, 0),
		jobs: []prowjobsv1.ProwJob{makeJob("old", completed(8*day))},
		runs: []pipelinev1.PipelineRun{makeRun(runNamespace, "old", noAnnotation())},
		want: []string{"job ci/old"},
	}, {
		name: "orphaned runs older than max_pipelinerun_age go",
		cfg:  sinkerConfig(week, day),
		jobs: []prowjobsv1.ProwJob{makeJob("running"), makeJob("young", completed(time.Hour))},
		runs: []pipelinev1.PipelineRun{
			makeRun(runNamespace, "running"),
			makeRun(runNamespace, "young", runCompleted(2*day)),
			makeRun(runNamespace, "orphan-old", runCompleted(2*day)),
			makeRun(runNamespace, "orphan-young", runCompleted(time.Hour)),
			makeRun(jobNamespace, "orphan-same-ns", noAnnotation(), runCompleted(2*day)),
		},
		want: []string{"orphan ci/orphan-same-ns", "orphan test-pods/orphan-old"},
	}, {
		name: "an orphan's age counts from its completion, else its creation",
		cfg:  sinkerConfig(week, day),
		runs: []pipelinev1.PipelineRun{
			makeRun(runNamespace, "finished-recently", runCreated(5*day), runCompleted(time.Hour)),
			makeRun(runNamespace, "never-finished", runCreated(2*day)),
			makeRun(runNamespace, "just-created", runCreated(time.Minute)),
		},
		want: []string{"orphan test-pods/never-finished"},
	}, {
		name: "without max_pipelinerun_age orphans stay",
		cfg:  sinkerConfig(week, 0),
		runs: []pipelinev1.PipelineRun{makeRun(runNamespace, "orphan", runCompleted(30*day))},
	}, {
		name: "runs of ProwJobs in namespaces that were not listed are not orphans",
		cfg:  sinkerConfig(week, day),
		runs: []pipelinev1.PipelineRun{
			makeRun(runNamespace, "other-team", runOfJobIn("other"), runCompleted(30*day)),
			makeRun("other", "other-team-same-ns", noAnnotation(), runCompleted(30*day)),
		},
	}, {
		name:          "listing every namespace makes every run without a job an orphan",
		cfg:           sinkerConfig(week, day),
		allNamespaces: true,
		jobs:          []prowjobsv1.ProwJob{makeJob("other-old", inJobNamespace("other"), completed(8*day))},
		runs: []pipelinev1.PipelineRun{
			makeRun(runNamespace, "other-old", runOfJobIn("other")),
			makeRun(runNamespace, "other-team", runOfJobIn("other"), runCompleted(30*day)),
		},
		want: []string{"run test-pods/other-old", "job other/other-old", "orphan test-pods/other-team"},
	}, {
		name:          "periodics keep one run per namespace",
		cfg:           sinkerConfig(week, 0),
		allNamespaces: true,
		jobs: []prowjobsv1.ProwJob{
			makeJob("a-1", periodic("nightly"), created(12*day), completed(11*day)),
			makeJob("a-2", periodic("nightly"), created(10*day), completed(9*day)),
			makeJob("b-1", periodic("nightly"), inJobNamespace("other"), created(12*day), completed(11*day)),
		},
		want: []string{"job ci/a-1"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := jobNamespace
			if tc.allNamespaces {
				ns = metav1.NamespaceAll
			}
			got := describe(makePlan(now, ns, tc.cfg, tc.jobs, onDefault(tc.runs)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestMakePlanCarriesUIDs(t *testing.T) {
	jobs := []prowjobsv1.ProwJob{makeJob("old", completed(8*day))}
	runs := []pipelinev1.PipelineRun{makeRun(runNamespace, "old"), makeRun(runNamespace, "orphan", runCompleted(2*day))}
	p := makePlan(now, jobNamespace, sinkerConfig(7*day, day), jobs, onDefault(runs))
	if len(p.jobs) != 1 || len(p.jobs[0].runs) != 1 || len(p.orphans) != 1 {
		t.Fatalf("plan = %v, want one job with one run and one orphan", describe(p))
	}
	for _, c := range []struct {
		d    deletion
		want types.UID
		res  Resource
	}{
		{p.jobs[0].deletion, "uid-old", ProwJobs},
		{p.jobs[0].runs[0], "uid-run-test-pods-old", PipelineRuns},
		{p.orphans[0], "uid-run-test-pods-orphan", PipelineRuns},
	} {
		if c.d.uid != c.want || c.d.resource != c.res {
			t.Errorf("%s: uid %q resource %q, want %q %q", c.d.key, c.d.uid, c.d.resource, c.want, c.res)
		}
		if c.d.reason == "" {
			t.Errorf("%s: no reason", c.d.key)
		}
	}
}
