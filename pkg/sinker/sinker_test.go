package sinker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelinefake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	"go.uber.org/zap/zaptest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
	"github.com/bosun-ci/bosun/pkg/config"
)

// fakes are the fake clientsets behind a Clients.
type fakes struct {
	prowJobs *prowjobfake.Clientset
	tekton   *pipelinefake.Clientset
}

func (f fakes) clients() Clients { return Clients{ProwJobs: f.prowJobs, Tekton: f.tekton} }

func newFakes(jobs []prowjobsv1.ProwJob, runs []pipelinev1.PipelineRun) fakes {
	var pjObjs, prObjs []runtime.Object
	for i := range jobs {
		pjObjs = append(pjObjs, jobs[i].DeepCopy())
	}
	for i := range runs {
		prObjs = append(prObjs, runs[i].DeepCopy())
	}
	return fakes{prowJobs: prowjobfake.NewSimpleClientset(pjObjs...), tekton: pipelinefake.NewSimpleClientset(prObjs...)}
}

// remaining lists the objects left, as "job ns/name" and "run ns/name", sorted.
func (f fakes) remaining(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	pjs, err := f.prowJobs.ProwV1().ProwJobs(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prs, err := f.tekton.TektonV1().PipelineRuns(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pj := range pjs.Items {
		out = append(out, "job "+pj.Namespace+"/"+pj.Name)
	}
	for _, pr := range prs.Items {
		out = append(out, "run "+pr.Namespace+"/"+pr.Name)
	}
	slices.Sort(out)
	return out
}

// deletes lists the delete calls made on both clientsets, with their UID preconditions.
func (f fakes) deletes() []string {
	var out []string
	for _, a := range append(f.tekton.Actions(), f.prowJobs.Actions()...) {
		d, ok := a.(clienttesting.DeleteAction)
		if !ok {
			continue
		}
		uid := "<none>"
		if p := d.GetDeleteOptions().Preconditions; p != nil && p.UID != nil {
			uid = string(*p.UID)
		}
		out = append(out, fmt.Sprintf("%s %s/%s uid=%s", d.GetResource().Resource, d.GetNamespace(), d.GetName(), uid))
	}
	return out
}

func loadConfig(t *testing.T, sinker string) *config.Config {
	t.Helper()
	c, err := config.LoadBytes("config.yaml", []byte("prowjob_namespace: "+jobNamespace+"\n"+sinker))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	return logging.WithLogger(context.Background(), zaptest.NewLogger(t).Sugar())
}

func key(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

// world is a mix of what stays and what goes under the default seven days and an orphan
// age of one day.
func world() ([]prowjobsv1.ProwJob, []pipelinev1.PipelineRun) {
	return []prowjobsv1.ProwJob{
			makeJob("old", completed(8*day)),
			makeJob("young", completed(day)),
			makeJob("running"),
			makeJob("nightly-old", periodic("nightly"), created(20*day), completed(20*day)),
			makeJob("nightly-new", periodic("nightly"), created(10*day), completed(10*day)),
			makeJob("other-team", inJobNamespace("other"), completed(30*day)),
		}, []pipelinev1.PipelineRun{
			makeRun(jobNamespace, "old", noAnnotation()),
			makeRun(runNamespace, "young"),
			makeRun(runNamespace, "running"),
			makeRun(runNamespace, "nightly-old"),
			makeRun(runNamespace, "nightly-new"),
			makeRun(runNamespace, "orphan", runCompleted(2*day)),
			makeRun(runNamespace, "other-team", runOfJobIn("other")),
		}
}

func TestClean(t *testing.T) {
	jobs, runs := world()
	f := newFakes(jobs, runs)
	cfg := loadConfig(t, "sinker: {max_pipelinerun_age: 24h}\n")

	report, err := Clean(testContext(t), now, cfg, f.clients())
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	want := Report{
		ProwJobs:     []types.NamespacedName{key(jobNamespace, "nightly-old"), key(jobNamespace, "old")},
		PipelineRuns: []types.NamespacedName{key(runNamespace, "nightly-old"), key(jobNamespace, "old"), key(runNamespace, "orphan")},
	}
	if diff := cmp.Diff(want, report); diff != "" {
		t.Errorf("report (-want, +got):\n%s", diff)
	}
	wantDeletes := []string{
		"pipelineruns test-pods/nightly-old uid=uid-run-test-pods-nightly-old",
		"pipelineruns ci/old uid=uid-run-ci-old",
		"pipelineruns test-pods/orphan uid=uid-run-test-pods-orphan",
		"prowjobs ci/nightly-old uid=uid-nightly-old",
		"prowjobs ci/old uid=uid-old",
	}
	if diff := cmp.Diff(wantDeletes, f.deletes()); diff != "" {
		t.Errorf("delete calls (-want, +got):\n%s", diff)
	}
	wantLeft := []string{
		"job ci/nightly-new", "job ci/running", "job ci/young", "job other/other-team",
		"run test-pods/nightly-new", "run test-pods/other-team", "run test-pods/running", "run test-pods/young",
	}
	if diff := cmp.Diff(wantLeft, f.remaining(t)); diff != "" {
		t.Errorf("objects left (-want, +got):\n%s", diff)
	}
}

func TestCleanDryRunDeletesNothing(t *testing.T) {
	jobs, runs := world()
	f := newFakes(jobs, runs)
	before := f.remaining(t)
	cfg := loadConfig(t, "sinker: {max_pipelinerun_age: 24h, dry_run: true}\n")

	report, err := Clean(testContext(t), now, cfg, f.clients())
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	want := Report{
		DryRun:       true,
		ProwJobs:     []types.NamespacedName{key(jobNamespace, "nightly-old"), key(jobNamespace, "old")},
		PipelineRuns: []types.NamespacedName{key(runNamespace, "nightly-old"), key(jobNamespace, "old"), key(runNamespace, "orphan")},
	}
	if diff := cmp.Diff(want, report); diff != "" {
		t.Errorf("report (-want, +got):\n%s", diff)
	}
	if d := f.deletes(); len(d) != 0 {
		t.Errorf("dry run made delete calls: %v", d)
	}
	if diff := cmp.Diff(before, f.remaining(t)); diff != "" {
		t.Errorf("dry run changed objects (-before, +after):\n%s", diff)
	}
}

// failDelete makes deletes of one named object answer err.
func failDelete(name string, err error) clienttesting.ReactionFunc {
	return func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.(clienttesting.DeleteAction).GetName() == name {
			return true, nil, err
		}
		return false, nil, nil
	}
}

func TestCleanDeleteOutcomes(t *testing.T) {
	prGR := pipelinev1.Resource("pipelineruns")
	pjGR := prowjobsv1.Resource("prowjobs")
	tests := []struct {
		name string
		// runReactor and jobReactor, if set, answer deletes of PipelineRuns and ProwJobs.
		runReactor, jobReactor clienttesting.ReactionFunc
		want                   Report
		wantErr                string
		wantLeft               []string
	}{{
		name: "all deleted",
		want: Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "a"), key(jobNamespace, "b")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "a"), key(runNamespace, "b")}},
	}, {
		name:       "a run that failed to delete keeps its job for the next pass; the others go on",
		runReactor: failDelete("a", apierrors.NewInternalError(errors.New("etcd is down"))),
		want:       Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "b")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "b")}},
		wantErr:    "delete pipelineruns test-pods/a: Internal error occurred: etcd is down",
		wantLeft:   []string{"job ci/a", "run test-pods/a"},
	}, {
		name:       "a run already gone is not counted and its job still goes",
		runReactor: failDelete("a", apierrors.NewNotFound(prGR, "a")),
		want:       Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "a"), key(jobNamespace, "b")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "b")}},
		wantLeft:   []string{"run test-pods/a"},
	}, {
		name:       "a run re-created under the same name (UID precondition failed) is left alone",
		runReactor: failDelete("a", apierrors.NewConflict(prGR, "a", errors.New("Precondition failed: UID in precondition: uid-run-test-pods-a, UID in object meta: new"))),
		want:       Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "a"), key(jobNamespace, "b")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "b")}},
		wantLeft:   []string{"run test-pods/a"},
	}, {
		name:       "a job that failed to delete is reported",
		jobReactor: failDelete("b", apierrors.NewForbidden(pjGR, "b", errors.New("no RBAC"))),
		want:       Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "a")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "a"), key(runNamespace, "b")}},
		wantErr:    "delete prowjobs ci/b:",
		wantLeft:   []string{"job ci/b"},
	}, {
		name:       "a job already gone is not counted",
		jobReactor: failDelete("b", apierrors.NewNotFound(pjGR, "b")),
		want:       Report{ProwJobs: []types.NamespacedName{key(jobNamespace, "a")}, PipelineRuns: []types.NamespacedName{key(runNamespace, "a"), key(runNamespace, "b")}},
		wantLeft:   []string{"job ci/b"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakes(
				[]prowjobsv1.ProwJob{makeJob("a", completed(8*day)), makeJob("b", completed(8*day))},
				[]pipelinev1.PipelineRun{makeRun(runNamespace, "a"), makeRun(runNamespace, "b")},
			)
			if tc.runReactor != nil {
				f.tekton.PrependReactor("delete", "pipelineruns", tc.runReactor)
			}
			if tc.jobReactor != nil {
				f.prowJobs.PrependReactor("delete", "prowjobs", tc.jobReactor)
			}
			report, err := Clean(testContext(t), now, loadConfig(t, ""), f.clients())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Clean: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Clean error = %v, want one containing %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, report, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("report (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLeft, f.remaining(t), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("objects left (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestCleanListErrors(t *testing.T) {
	for _, resource := range []string{"prowjobs", "pipelineruns"} {
		t.Run(resource, func(t *testing.T) {
			f := newFakes([]prowjobsv1.ProwJob{makeJob("a", completed(8*day))}, nil)
			fail := func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewServiceUnavailable("try later")
			}
			if resource == "prowjobs" {
				f.prowJobs.PrependReactor("list", resource, fail)
			} else {
				f.tekton.PrependReactor("list", resource, fail)
			}
			report, err := Clean(testContext(t), now, loadConfig(t, ""), f.clients())
			if err == nil || !strings.Contains(err.Error(), "try later") {
				t.Errorf("Clean error = %v, want the list error", err)
			}
			if len(report.ProwJobs)+len(report.PipelineRuns) != 0 || len(f.deletes()) != 0 {
				t.Errorf("Clean deleted %v after a failed list", f.deletes())
			}
		})
	}
}

func TestCleanListsRunsByLabelAcrossNamespaces(t *testing.T) {
	f := newFakes(nil, []pipelinev1.PipelineRun{
		makeRun(runNamespace, "orphan", runCompleted(2*day)),
		{ObjectMeta: metav1.ObjectMeta{Name: "not-ours", Namespace: runNamespace, CreationTimestamp: metav1.NewTime(now.Add(-30 * day))}},
	})
	if _, err := Clean(testContext(t), now, loadConfig(t, "sinker: {max_pipelinerun_age: 1h}\n"), f.clients()); err != nil {
		t.Fatal(err)
	}
	for _, a := range f.tekton.Actions() {
		if l, ok := a.(clienttesting.ListAction); ok {
			if l.GetNamespace() != metav1.NamespaceAll || l.GetListRestrictions().Labels.String() != prowjobsv1.ProwJobIDLabel {
				t.Errorf("PipelineRuns listed in %q with selector %q, want every namespace and %q", l.GetNamespace(), l.GetListRestrictions().Labels, prowjobsv1.ProwJobIDLabel)
			}
		}
	}
	for _, a := range f.prowJobs.Actions() {
		if a.GetVerb() == "list" && a.GetNamespace() != jobNamespace {
			t.Errorf("ProwJobs listed in %q, want %q", a.GetNamespace(), jobNamespace)
		}
	}
	// Listed after checking the actions, since listing adds to them.
	if diff := cmp.Diff([]string{"run test-pods/not-ours"}, f.remaining(t)); diff != "" {
		t.Errorf("objects left (-want, +got):\n%s", diff)
	}
}

func TestTimeIsTakenFromNow(t *testing.T) {
	// The same world a day earlier: "old" is then seven days old, not older.
	jobs, runs := world()
	f := newFakes(jobs, runs)
	report, err := Clean(testContext(t), now.Add(-day), loadConfig(t, ""), f.clients())
	if err != nil {
		t.Fatal(err)
	}
	want := []types.NamespacedName{key(jobNamespace, "nightly-old")}
	if diff := cmp.Diff(want, report.ProwJobs); diff != "" {
		t.Errorf("ProwJobs deleted (-want, +got):\n%s", diff)
	}
}
