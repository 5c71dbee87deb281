package sinker

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

// Resource names one of the two kinds the sinker deletes; the values are the metric's
// resource label.
type Resource string

// The kinds the sinker deletes.
const (
	ProwJobs     Resource = "prowjobs"
	PipelineRuns Resource = "pipelineruns"
)

// deletion is one object the sinker decided to delete. The UID goes into the delete's
// preconditions, so an object re-created under the same name is never deleted.
type deletion struct {
	resource Resource
	// cluster is the build cluster of a PipelineRun; empty for a ProwJob.
	cluster string
	key     types.NamespacedName
	uid     types.UID
	// reason says why, for the log.
	reason string
}

// jobDeletion is a ProwJob to delete together with its PipelineRuns, which go first: a job
// whose runs could not all be deleted is kept, so the next pass still finds them through it.
type jobDeletion struct {
	deletion
	runs []deletion
}

// plan is what one pass deletes: expired ProwJobs with their runs, then orphaned runs.
type plan struct {
	jobs    []jobDeletion
	orphans []deletion
}

// runListing is what a pass found of the PipelineRuns: those of each build cluster that
// could be listed, by cluster name, and the clusters that could not be.
type runListing struct {
	byCluster map[string][]pipelinev1.PipelineRun
	unlisted  map[string]bool
}

// clusterRun is a PipelineRun and the build cluster it is in.
type clusterRun struct {
	cluster string
	run     *pipelinev1.PipelineRun
}

// clusterOf is the build cluster of a job's runs: its spec.cluster, "default" if empty.
func clusterOf(pj *prowjobsv1.ProwJob) string {
	if pj.Spec.Cluster == "" {
		return config.DefaultCluster
	}
	return pj.Spec.Cluster
}

// makePlan decides what to delete; it reads no clients and no clock. namespace is where
// ProwJobs were listed ("" for all namespaces): only runs whose ProwJob would live there are
// considered orphans, since the jobs of other namespaces were not looked at.
//
// A ProwJob is deleted when it is complete and older than cfg's max_prowjob_age, counted
// from its completion time (its creation time if it has none), unless it is the newest
// complete run of its periodic. Its PipelineRuns are deleted with it, in whatever build
// cluster and namespace they live. A job whose build cluster's runs could not be listed is
// kept until they can be, so that its runs are not left behind without a job to find them
// by. A run whose ProwJob no longer exists is deleted when max_pipelinerun_age is set and
// the run is older than that, counted from its completion time (its creation time if it has
// none).
func makePlan(now time.Time, namespace string, cfg config.Sinker, jobs []prowjobsv1.ProwJob, runs runListing) plan {
	runsOf := map[types.NamespacedName][]clusterRun{}
	clusters := make([]string, 0, len(runs.byCluster))
	for cluster := range runs.byCluster {
		clusters = append(clusters, cluster)
	}
	slices.Sort(clusters)
	for _, cluster := range clusters {
		prs := runs.byCluster[cluster]
		for i := range prs {
			if key, ok := prowJobOf(&prs[i]); ok {
				runsOf[key] = append(runsOf[key], clusterRun{cluster: cluster, run: &prs[i]})
			}
		}
	}

	var p plan
	maxJobAge := cfg.MaxProwJobAgeDuration()
	keep := newestPeriodics(jobs)
	existing := make(map[types.NamespacedName]bool, len(jobs))
	for i := range jobs {
		pj := &jobs[i]
		key := types.NamespacedName{Namespace: pj.Namespace, Name: pj.Name}
		existing[key] = true
		if !complete(pj) || keep[key] || runs.unlisted[clusterOf(pj)] {
			continue
		}
		age := now.Sub(jobFinished(pj).Time)
		if age <= maxJobAge {
			continue
		}
		reason := fmt.Sprintf("completed %s ago, max_prowjob_age is %s", age.Round(time.Second), maxJobAge)
		d := jobDeletion{deletion: deletion{resource: ProwJobs, key: key, uid: pj.UID, reason: reason}}
		for _, cr := range runsOf[key] {
			d.runs = append(d.runs, deletion{
				resource: PipelineRuns,
				cluster:  cr.cluster,
				key:      types.NamespacedName{Namespace: cr.run.Namespace, Name: cr.run.Name},
				uid:      cr.run.UID,
				reason:   "its ProwJob " + key.String() + " is deleted",
			})
		}
		sortDeletions(d.runs)
		p.jobs = append(p.jobs, d)
	}
	slices.SortFunc(p.jobs, func(a, b jobDeletion) int { return compareKeys(a.key, b.key) })

	if maxRunAge, ok := cfg.MaxPipelineRunAgeDuration(); ok {
		for key, prs := range runsOf {
			if existing[key] || (namespace != "" && key.Namespace != namespace) {
				continue
			}
			for _, cr := range prs {
				pr := cr.run
				age := now.Sub(runFinished(pr).Time)
				if age <= maxRunAge {
					continue
				}
				p.orphans = append(p.orphans, deletion{
					resource: PipelineRuns,
					cluster:  cr.cluster,
					key:      types.NamespacedName{Namespace: pr.Namespace, Name: pr.Name},
					uid:      pr.UID,
					reason:   fmt.Sprintf("its ProwJob %s is gone and it is %s old, max_pipelinerun_age is %s", key, age.Round(time.Second), maxRunAge),
				})
			}
		}
		sortDeletions(p.orphans)
	}
	return p
}

// prowJobOf returns the ProwJob a PipelineRun was created for: the one named by its
// prow.k8s.io/id label, in the namespace its bosun.dev/prowjob-namespace annotation names,
// or in its own namespace if it has no such annotation (then it can only have been owned
// through an owner reference, which does not cross namespaces). It is the mapping the
// pipeline reconciler uses.
func prowJobOf(pr *pipelinev1.PipelineRun) (types.NamespacedName, bool) {
	name := pr.Labels[prowjobsv1.ProwJobIDLabel]
	if name == "" {
		return types.NamespacedName{}, false
	}
	namespace := pr.Annotations[prowjobsv1.ProwJobNamespaceAnnotation]
	if namespace == "" {
		namespace = pr.Namespace
	}
	return types.NamespacedName{Namespace: namespace, Name: name}, true
}

// complete reports whether a job is finished: it has a completion time, or it is in a
// final state without one.
func complete(pj *prowjobsv1.ProwJob) bool {
	return pj.Complete() || pj.Status.State.IsTerminal()
}

// jobFinished is the time a job's age is counted from: its completion, else its creation.
func jobFinished(pj *prowjobsv1.ProwJob) metav1.Time {
	if pj.Status.CompletionTime != nil {
		return *pj.Status.CompletionTime
	}
	return pj.CreationTimestamp
}

// runFinished is the time a run's age is counted from: its completion, else its creation.
func runFinished(pr *pipelinev1.PipelineRun) metav1.Time {
	if pr.Status.CompletionTime != nil {
		return *pr.Status.CompletionTime
	}
	return pr.CreationTimestamp
}

// jobStarted orders the runs of one periodic: its start time, else its creation.
func jobStarted(pj *prowjobsv1.ProwJob) metav1.Time {
	if !pj.Status.StartTime.IsZero() {
		return pj.Status.StartTime
	}
	return pj.CreationTimestamp
}

// newestPeriodics returns, for each periodic job name and namespace, the complete run that
// started last (the name breaks ties), which the sinker keeps so that the dashboard always
// shows how each periodic last ended.
func newestPeriodics(jobs []prowjobsv1.ProwJob) map[types.NamespacedName]bool {
	type periodic struct{ namespace, job string }
	newest := map[periodic]*prowjobsv1.ProwJob{}
	for i := range jobs {
		pj := &jobs[i]
		if pj.Spec.Type != prowjobsv1.PeriodicJob || !complete(pj) {
			continue
		}
		k := periodic{namespace: pj.Namespace, job: pj.Spec.Job}
		if cur, ok := newest[k]; !ok || newer(pj, cur) {
			newest[k] = pj
		}
	}
	keep := make(map[types.NamespacedName]bool, len(newest))
	for _, pj := range newest {
		keep[types.NamespacedName{Namespace: pj.Namespace, Name: pj.Name}] = true
	}
	return keep
}

// newer reports whether a started after b, comparing names when they started together.
func newer(a, b *prowjobsv1.ProwJob) bool {
	ta, tb := jobStarted(a), jobStarted(b)
	if !ta.Equal(&tb) {
		return tb.Before(&ta)
	}
	return a.Name > b.Name
}

func sortDeletions(ds []deletion) {
	slices.SortFunc(ds, func(a, b deletion) int { return cmp.Or(cmp.Compare(a.cluster, b.cluster), compareKeys(a.key, b.key)) })
}

func compareKeys(a, b types.NamespacedName) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}
