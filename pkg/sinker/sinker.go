// Package sinker garbage-collects finished ProwJobs and their Tekton PipelineRuns, as
// Prow's sinker does for ProwJobs and pods.
//
// One pass (Clean) lists the ProwJobs of the ProwJob namespace and every PipelineRun
// labelled prow.k8s.io/id in each build cluster's job namespaces, decides what to delete
// with a pure function of those lists and the time (makePlan), and then deletes it
// (execute):
//
//   - complete ProwJobs older than sinker.max_prowjob_age, counted from their completion
//     time (their creation time if they have none), except the newest complete run of each
//     periodic; incomplete jobs are never deleted;
//   - with each such job, its PipelineRuns (found by the prow.k8s.io/id label and the
//     bosun.dev/prowjob-namespace annotation, in whichever build cluster), deleted
//     explicitly before the job. A job whose build cluster's runs could not be listed (the
//     cluster is unreachable) is kept for a later pass; the other clusters' jobs go on.
//     Runs in the job's own namespace of the controller's own cluster also carry an owner
//     reference, so Kubernetes' garbage collector would delete them with the job; bosun
//     deletes them anyway, because the garbage collector runs in kube-controller-manager,
//     which the local control plane (and some minimal installs) do not run, and because
//     runs in other namespaces or build clusters cannot carry an owner reference at all;
//   - when sinker.max_pipelinerun_age is set, orphaned PipelineRuns (their ProwJob gone)
//     older than that, counted from their completion (else creation) time.
//
// Every delete carries a UID precondition, so an object re-created under the same name
// after the lists were taken is never deleted; a delete that finds the object gone or
// re-created is not an error. Several replicas running passes at once are therefore safe,
// if wasteful. In dry-run mode a pass logs and counts what it would delete and deletes
// nothing. Run repeats passes every sinker.resync_period and counts deletions in
// bosun_sinker_deletions_total.
package sinker

import (
	"context"
	"errors"
	"fmt"
	"time"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelineclientset "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobclientset "github.com/bosun-ci/bosun/pkg/client/clientset/versioned"
	"github.com/bosun-ci/bosun/pkg/config"
)

// listPageSize bounds each list request, so that a pass over many thousands of objects
// does not ask the apiserver for all of them in one response.
const listPageSize = 500

// Clients are what the sinker reads and deletes with. It needs list and delete on
// ProwJobs in the ProwJob namespace and on PipelineRuns in each build cluster's job
// namespaces.
type Clients struct {
	ProwJobs prowjobclientset.Interface
	// Tekton lists and deletes the PipelineRuns of every namespace of the one cluster there
	// is, named "default", when Clusters is empty.
	Tekton pipelineclientset.Interface
	// Clusters, when set, are the build clusters whose PipelineRuns are listed and deleted
	// instead.
	Clusters []Cluster
}

// Cluster is one build cluster's PipelineRuns.
type Cluster struct {
	// Name is the cluster's name in jobs' spec.cluster.
	Name string
	// Namespaces are where its runs are listed, one list each; empty means every namespace
	// in one list.
	Namespaces []string
	// Tekton lists and deletes them.
	Tekton pipelineclientset.Interface
}

func (c Clients) clusters() []Cluster {
	if len(c.Clusters) > 0 {
		return c.Clusters
	}
	return []Cluster{{Name: config.DefaultCluster, Tekton: c.Tekton}}
}

// Report is what one pass deleted or, in a dry run, would have deleted, in deletion order.
// Objects found already gone or re-created when deleted are not listed.
type Report struct {
	DryRun       bool
	ProwJobs     []types.NamespacedName
	PipelineRuns []types.NamespacedName
}

// Clean runs one garbage collection pass over cfg.ProwJobNamespace with the settings of
// cfg.Sinker, taking now as the current time. It returns what it deleted even when it also
// returns an error: one failed delete does not stop the others.
func Clean(ctx context.Context, now time.Time, cfg *config.Config, c Clients) (Report, error) {
	// Runs first: a job created between the two lists then cannot make its new run look
	// orphaned, since the run can only be listed if the job already existed.
	clusters := c.clusters()
	runs, listErr := listRuns(ctx, clusters)
	jobs, err := listProwJobs(ctx, c.ProwJobs, cfg.ProwJobNamespace)
	if err != nil {
		return Report{DryRun: cfg.Sinker.DryRun}, errors.Join(listErr, err)
	}
	p := makePlan(now, cfg.ProwJobNamespace, cfg.Sinker, jobs, runs)
	e := executor{prowJobs: c.ProwJobs, tekton: map[string]pipelineclientset.Interface{}, dryRun: cfg.Sinker.DryRun}
	for _, cl := range clusters {
		e.tekton[cl.Name] = cl.Tekton
	}
	report, err := e.execute(ctx, p)
	return report, errors.Join(listErr, err)
}

// listRuns lists the runs of every cluster. A cluster that fails is left out and named in
// the listing's unlisted, with its error among those returned; the others are listed all
// the same.
func listRuns(ctx context.Context, clusters []Cluster) (runListing, error) {
	l := runListing{byCluster: map[string][]pipelinev1.PipelineRun{}, unlisted: map[string]bool{}}
	var errs []error
	for _, cl := range clusters {
		namespaces := cl.Namespaces
		if len(namespaces) == 0 {
			namespaces = []string{metav1.NamespaceAll}
		}
		var runs []pipelinev1.PipelineRun
		for _, ns := range namespaces {
			prs, err := listPipelineRuns(ctx, cl.Tekton, ns)
			if err != nil {
				errs = append(errs, fmt.Errorf("build cluster %q: %w", cl.Name, err))
				l.unlisted[cl.Name] = true
				break
			}
			runs = append(runs, prs...)
		}
		if !l.unlisted[cl.Name] {
			l.byCluster[cl.Name] = runs
		}
	}
	return l, errors.Join(errs...)
}

// listProwJobs lists the ProwJobs of a namespace ("" for all), page by page.
func listProwJobs(ctx context.Context, c prowjobclientset.Interface, namespace string) ([]prowjobsv1.ProwJob, error) {
	var out []prowjobsv1.ProwJob
	opts := metav1.ListOptions{Limit: listPageSize}
	for {
		list, err := c.ProwV1().ProwJobs(namespace).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list ProwJobs in %q: %w", namespace, err)
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// listPipelineRuns lists the PipelineRuns of a namespace ("" for all) that carry a ProwJob
// id, page by page.
func listPipelineRuns(ctx context.Context, c pipelineclientset.Interface, namespace string) ([]pipelinev1.PipelineRun, error) {
	var out []pipelinev1.PipelineRun
	opts := metav1.ListOptions{LabelSelector: prowjobsv1.ProwJobIDLabel, Limit: listPageSize}
	for {
		list, err := c.TektonV1().PipelineRuns(namespace).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list PipelineRuns in %q: %w", namespace, err)
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// executor carries out a plan.
type executor struct {
	prowJobs prowjobclientset.Interface
	// tekton are the build clusters' clients by name.
	tekton map[string]pipelineclientset.Interface
	dryRun bool
}

// outcome is what became of one delete.
type outcome int

const (
	deleted outcome = iota
	// gone: the object was already deleted, or a new one took its name.
	gone
	failed
)

// execute deletes what p lists: each job's runs, then the job if all of its runs are gone,
// then the orphans. Errors are joined; the report lists what was deleted.
func (e executor) execute(ctx context.Context, p plan) (Report, error) {
	r := Report{DryRun: e.dryRun}
	var errs []error
	record := func(d deletion) outcome {
		o, err := e.delete(ctx, d)
		switch o {
		case deleted:
			if d.resource == ProwJobs {
				r.ProwJobs = append(r.ProwJobs, d.key)
			} else {
				r.PipelineRuns = append(r.PipelineRuns, d.key)
			}
		case failed:
			errs = append(errs, err)
		}
		return o
	}
	for _, j := range p.jobs {
		runsGone := true
		for _, run := range j.runs {
			if record(run) == failed {
				runsGone = false
			}
		}
		if !runsGone {
			errs = append(errs, fmt.Errorf("keep ProwJob %s until its PipelineRuns are deleted", j.key))
			continue
		}
		record(j.deletion)
	}
	for _, d := range p.orphans {
		record(d)
	}
	logging.FromContext(ctx).Infow("Sinker pass done", "dryRun", e.dryRun,
		"prowJobsDeleted", len(r.ProwJobs), "pipelineRunsDeleted", len(r.PipelineRuns), "errors", len(errs))
	return r, errors.Join(errs...)
}

// delete deletes one object, guarded by its UID, or in a dry run only logs it.
func (e executor) delete(ctx context.Context, d deletion) (outcome, error) {
	logger := logging.FromContext(ctx).With("resource", string(d.resource), "namespace", d.key.Namespace, "name", d.key.Name, "reason", d.reason)
	if d.cluster != "" {
		logger = logger.With("cluster", d.cluster)
	}
	if e.dryRun {
		logger.Info("Dry run: would delete")
		return deleted, nil
	}
	uid := d.uid
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
	var err error
	switch d.resource {
	case ProwJobs:
		err = e.prowJobs.ProwV1().ProwJobs(d.key.Namespace).Delete(ctx, d.key.Name, opts)
	case PipelineRuns:
		tekton, ok := e.tekton[d.cluster]
		if !ok {
			return failed, fmt.Errorf("delete %s %s: no client for build cluster %q", d.resource, d.key, d.cluster)
		}
		err = tekton.TektonV1().PipelineRuns(d.key.Namespace).Delete(ctx, d.key.Name, opts)
	default:
		return failed, fmt.Errorf("unknown resource %q", d.resource)
	}
	switch {
	case err == nil:
		logger.Info("Deleted")
		return deleted, nil
	case apierrors.IsNotFound(err):
		logger.Debug("Already gone")
		return gone, nil
	case apierrors.IsConflict(err):
		// The UID precondition failed: another object now has this name.
		logger.Debug("Re-created since listed; left alone")
		return gone, nil
	default:
		if d.cluster != "" && d.cluster != config.DefaultCluster {
			return failed, fmt.Errorf("delete %s %s in build cluster %q: %w", d.resource, d.key, d.cluster, err)
		}
		return failed, fmt.Errorf("delete %s %s: %w", d.resource, d.key, err)
	}
}
