package pipeline

// Concurrency limits.
//
// A job is subject to up to two limits: its own max_concurrency (spec.max_concurrency, counted
// over the ProwJobs of the same spec.job) and its repository's max_concurrency_per_repo
// (config.yaml's tekton section, counted over the ProwJobs whose refs name that repository,
// whatever their job). Both count within the job's namespace. A job counts from the moment
// it claims its slots until it is complete (any final state, aborted included) or deleted.
//
// A job over a limit waits in triggered with no PipelineRun at all, as Prow's plank holds
// pods back, rather than with a run created with spec.status PipelineRunPending: a held-back
// run would be one more object per job for Tekton to watch and for `tkn pipelinerun list` to
// show, and starting it would take a second write. Its description says what it waits for.
//
// Slots are claimed in the apiserver (claims.go), so that no limit is exceeded whichever
// replica, or how many, reconcile the jobs: the claim is a resource-version guarded update of
// one ConfigMap per namespace, holding every claim, so that a job's job slot and repository
// slot are taken together in one write, never one without the other. Waiting jobs start in
// creation order: a job may claim a slot of a limit only if fewer older jobs wait under that
// limit than the limit has free slots. Every replica's informer sees every job, even where
// leader election splits the reconciling, so all replicas agree on the order.
//
// Jobs without limits never touch the claims: their path costs no extra request.

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// waitingPrefix starts the description of a job held back by a limit.
const waitingPrefix = "Waiting for a slot: "

// limit is one cap a job is subject to.
type limit struct {
	// key names what is counted, within the job's namespace: "job:<spec.job>" or
	// "repo:<org>/<repo>". Claims record it.
	key string
	// max is how many jobs under key may hold a slot at once.
	max int
	// waiting is the job's description while this limit holds it back.
	waiting string
}

func jobLimitKey(job string) string { return "job:" + job }

func repoLimitKey(org, repo string) string { return "repo:" + org + "/" + repo }

// repoLimits returns how many jobs of a repository may run at once; 0 means no cap.
type repoLimits func(org, repo string) int

// limitsFor returns the limits pj is subject to, in the order they are checked: its job's,
// then its repository's. Jobs without limits get none.
func limitsFor(pj *prowjobsv1.ProwJob, repoMax repoLimits) []limit {
	var limits []limit
	if n := pj.Spec.MaxConcurrency; n > 0 {
		limits = append(limits, limit{
			key:     jobLimitKey(pj.Spec.Job),
			max:     n,
			waiting: fmt.Sprintf("%sjob max_concurrency %d reached", waitingPrefix, n),
		})
	}
	if refs := pj.Spec.Refs; refs != nil && repoMax != nil {
		if n := repoMax(refs.Org, refs.Repo); n > 0 {
			limits = append(limits, limit{
				key:     repoLimitKey(refs.Org, refs.Repo),
				max:     n,
				waiting: fmt.Sprintf("%s%s/%s max_concurrency_per_repo %d reached", waitingPrefix, refs.Org, refs.Repo, n),
			})
		}
	}
	return limits
}

// markWaiting says in the job's description which limit holds it back. A job already
// described as waiting keeps its description, so that a waiting job is written once, not
// each time the limit that holds it back changes.
func markWaiting(s *prowjobsv1.ProwJobStatus, l *limit) {
	if !strings.HasPrefix(s.Description, waitingPrefix) {
		s.Description = l.waiting
	}
}

// started reports whether a job's PipelineRun was created: from then on the job runs, for
// the limits, until it completes.
func started(pj *prowjobsv1.ProwJob) bool { return pj.Status.PendingTime != nil }

// limitIndex indexes the ProwJob informer's active tekton-pipeline jobs by
// "<namespace>/<limit key>", under every limit key they could be subject to, so that the
// jobs under a limit are found without a scan of every job. Complete jobs are left out: they
// count for no limit, and a busy job's history would otherwise grow each lookup.
const limitIndex = "bosun-pipeline-limit"

func indexLimitKeys(obj interface{}) ([]string, error) {
	pj, ok := obj.(*prowjobsv1.ProwJob)
	if !ok || pj.Spec.Agent != prowjobsv1.TektonAgent || pj.Complete() {
		return nil, nil
	}
	keys := []string{pj.Namespace + "/" + jobLimitKey(pj.Spec.Job)}
	if refs := pj.Spec.Refs; refs != nil {
		keys = append(keys, pj.Namespace+"/"+repoLimitKey(refs.Org, refs.Repo))
	}
	return keys, nil
}

// activeJobs lists the jobs of a namespace under a limit key that are not complete, as the
// informer sees them.
type activeJobs func(namespace, key string) []*prowjobsv1.ProwJob

// indexedActiveJobs reads activeJobs from an informer's indexer that has limitIndex.
func indexedActiveJobs(indexer cache.Indexer) activeJobs {
	return func(namespace, key string) []*prowjobsv1.ProwJob {
		objs, err := indexer.ByIndex(limitIndex, namespace+"/"+key)
		if err != nil {
			// Only a missing index fails, which NewController rules out.
			return nil
		}
		jobs := make([]*prowjobsv1.ProwJob, 0, len(objs))
		for _, obj := range objs {
			if pj, ok := obj.(*prowjobsv1.ProwJob); ok {
				jobs = append(jobs, pj)
			}
		}
		return jobs
	}
}

// blockingLimit returns the first of limits that holds pj back, or nil if pj may take a slot
// of each. claims are the jobs holding slots, pruned of those that no longer count; active
// lists the informer's active jobs under a limit key.
//
// Under each limit, the occupied slots are the claims of that limit plus jobs whose run
// started without a claim (before the limit was configured). pj may take one if fewer older
// jobs wait for that limit than slots are free: the older ones are served first, whichever
// replica reconciles them, and jobs that wait for another of their limits hold their place
// in the line.
func blockingLimit(pj *prowjobsv1.ProwJob, limits []limit, claims claimSet, active func(key string) []*prowjobsv1.ProwJob) *limit {
	for i := range limits {
		l := &limits[i]
		if claims.holds(pj.Name, pj.UID, l.key) {
			continue
		}
		occupied, older := claims.count(l.key), 0
		for _, o := range active(l.key) {
			switch {
			case o.Name == pj.Name, claims.holdsName(o.Name, l.key):
			case started(o):
				occupied++
			case prowjobsv1.CreatedBefore(o, pj):
				older++
			}
		}
		if older+occupied >= l.max {
			return l
		}
	}
	return nil
}

// waitingHeads returns the jobs under a limit of max slots that are next in line: the
// oldest max of those that have not started. Only they can take a slot that frees, since a
// job needs fewer than max older jobs waiting ahead of it.
func waitingHeads(active []*prowjobsv1.ProwJob, max int) []*prowjobsv1.ProwJob {
	waiting := make([]*prowjobsv1.ProwJob, 0, len(active))
	for _, pj := range active {
		if !started(pj) {
			waiting = append(waiting, pj)
		}
	}
	slices.SortFunc(waiting, func(a, b *prowjobsv1.ProwJob) int {
		switch {
		case prowjobsv1.CreatedBefore(a, b):
			return -1
		case prowjobsv1.CreatedBefore(b, a):
			return 1
		}
		return 0
	})
	return waiting[:min(max, len(waiting))]
}

// frees reports whether a change of a job may let a waiting job under its limits start: it
// completed (its slot frees, lazily, at the next claim) or its run started (it no longer
// waits ahead of younger jobs).
func frees(old, cur *prowjobsv1.ProwJob) bool {
	return (!old.Complete() && cur.Complete()) || (!started(old) && started(cur))
}

// waker brings waiting jobs back to the work queue when a slot may have freed. Every
// replica's informer sees every change, so the replica that owns a waiting job hears of it
// even if another replica reconciled the change.
type waker struct {
	repoMax repoLimits
	active  activeJobs
	enqueue func(types.NamespacedName)
}

// handler returns the informer event handler. Creations free nothing, so only updates and
// deletions wake anyone.
func (w *waker) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj interface{}) {
			old, ok1 := oldObj.(*prowjobsv1.ProwJob)
			cur, ok2 := newObj.(*prowjobsv1.ProwJob)
			if ok1 && ok2 && frees(old, cur) {
				w.wake(cur)
			}
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			// A complete job already freed its slot when it completed.
			if pj, ok := obj.(*prowjobsv1.ProwJob); ok && !pj.Complete() {
				w.wake(pj)
			}
		},
	}
}

// wake enqueues the jobs next in line under each of pj's limits.
func (w *waker) wake(pj *prowjobsv1.ProwJob) {
	if pj.Spec.Agent != prowjobsv1.TektonAgent {
		return
	}
	for _, l := range limitsFor(pj, w.repoMax) {
		for _, next := range waitingHeads(w.active(pj.Namespace, l.key), l.max) {
			if next.Name != pj.Name {
				w.enqueue(types.NamespacedName{Namespace: next.Namespace, Name: next.Name})
			}
		}
	}
}
