package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// limitedJob is the job whose runs the concurrency tests limit.
const limitedJob = "pull-widgets-e2e"

// named gives makeJob's job another name and UID, created sec seconds after jobCreated.
func named(name string, sec int) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		pj.Name = name
		pj.UID = types.UID("uid-" + name)
		pj.CreationTimestamp = metav1.NewTime(jobCreated.Add(time.Duration(sec) * time.Second))
	}
}

func withMaxConcurrency(n int) jobOption {
	return func(pj *prowjobsv1.ProwJob) {
		pj.Spec.Job = limitedJob
		pj.Spec.MaxConcurrency = n
	}
}

func withRepo(org, repo string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Refs.Org, pj.Spec.Refs.Repo = org, repo }
}

func withoutRefs() jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Refs = nil }
}

// startedJob marks the job's run as created.
func startedJob() jobOption {
	return withStatus(pendingStatus())
}

func completedJob() jobOption {
	s := pendingStatus()
	s.State = prowjobsv1.SuccessState
	s.CompletionTime = runCompleted.DeepCopy()
	return withStatus(s)
}

// repoCaps caps acme/widgets at n jobs.
func repoCaps(n int) repoLimits {
	return func(org, repo string) int {
		if org+"/"+repo == "acme/widgets" {
			return n
		}
		return 0
	}
}

var (
	jobKey  = jobLimitKey(limitedJob)
	repoKey = repoLimitKey("acme", "widgets")
)

func TestLimitsFor(t *testing.T) {
	tests := []struct {
		name    string
		job     *prowjobsv1.ProwJob
		repoMax repoLimits
		want    []limit
	}{{
		name:    "no limits",
		job:     makeJob(t),
		repoMax: repoCaps(0),
		want:    nil,
	}, {
		name: "no config",
		job:  makeJob(t),
		want: nil,
	}, {
		name: "job limit",
		job:  makeJob(t, withMaxConcurrency(2)),
		want: []limit{{key: jobKey, max: 2, waiting: "Waiting for a slot: job max_concurrency 2 reached"}},
	}, {
		name:    "repository limit",
		job:     makeJob(t),
		repoMax: repoCaps(5),
		want:    []limit{{key: repoKey, max: 5, waiting: "Waiting for a slot: acme/widgets max_concurrency_per_repo 5 reached"}},
	}, {
		name:    "both, the job's first",
		job:     makeJob(t, withMaxConcurrency(2)),
		repoMax: repoCaps(5),
		want: []limit{
			{key: jobKey, max: 2, waiting: "Waiting for a slot: job max_concurrency 2 reached"},
			{key: repoKey, max: 5, waiting: "Waiting for a slot: acme/widgets max_concurrency_per_repo 5 reached"},
		},
	}, {
		name:    "another repository",
		job:     makeJob(t, withRepo("acme", "gadgets")),
		repoMax: repoCaps(5),
		want:    nil,
	}, {
		name:    "a job without refs belongs to no repository",
		job:     makeJob(t, withoutRefs()),
		repoMax: func(string, string) int { return 5 },
		want:    nil,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := limitsFor(tc.job, tc.repoMax)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(limit{})); diff != "" {
				t.Errorf("limitsFor() (-want, +got):\n%s", diff)
			}
		})
	}
}

// claimOf is a claim of the limits keys by the job of that name, as named() gives it.
func claimOf(name string, keys ...string) (string, claim) {
	return name, claim{UID: types.UID("uid-" + name), Limits: keys}
}

func claimsOf(entries ...func() (string, claim)) claimSet {
	c := claimSet{}
	for _, e := range entries {
		name, cl := e()
		c[name] = cl
	}
	return c
}

func holding(name string, keys ...string) func() (string, claim) {
	return func() (string, claim) { return claimOf(name, keys...) }
}

// activeIn returns an activeJobs over jobs, indexed as the informer indexes them.
func activeIn(t *testing.T, jobs ...*prowjobsv1.ProwJob) activeJobs {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{limitIndex: indexLimitKeys})
	for _, pj := range jobs {
		if err := indexer.Add(pj); err != nil {
			t.Fatal(err)
		}
	}
	return indexedActiveJobs(indexer)
}

func TestBlockingLimit(t *testing.T) {
	jobLimit := func(n int) limit { return limit{key: jobKey, max: n} }
	repoLimit := func(n int) limit { return limit{key: repoKey, max: n} }
	// job<n> is a limited job created n seconds in.
	job := func(n int, opts ...jobOption) *prowjobsv1.ProwJob {
		return makeJob(t, append([]jobOption{named(fmt.Sprintf("job%d", n), n), withMaxConcurrency(2)}, opts...)...)
	}
	tests := []struct {
		name   string
		pj     *prowjobsv1.ProwJob
		limits []limit
		claims claimSet
		others []*prowjobsv1.ProwJob // besides pj, in the informer
		want   string                // the blocking limit's key; "" for none
	}{{
		name:   "free slots and nobody waiting",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		want:   "",
	}, {
		name:   "one slot held, one free",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job1", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob())},
		want:   "",
	}, {
		name:   "all slots held",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job1", jobKey), holding("job2", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob()), job(2)},
		want:   jobKey,
	}, {
		name:   "a claim by a job the informer has not seen yet counts",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job1", jobKey), holding("job9", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob())},
		want:   jobKey,
	}, {
		name:   "a run started without a claim (before the limit) counts",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job1", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob()), job(2, startedJob())},
		want:   jobKey,
	}, {
		name:   "complete jobs do not count",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		others: []*prowjobsv1.ProwJob{job(1, completedJob()), job(2, completedJob())},
		want:   "",
	}, {
		name:   "one slot free and an older job waiting: the older job goes first",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job1", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob()), job(3)},
		want:   jobKey,
	}, {
		name:   "two slots free and one older job waiting: both may go",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		others: []*prowjobsv1.ProwJob{job(3)},
		want:   "",
	}, {
		name:   "younger waiting jobs do not hold pj back",
		pj:     job(5),
		limits: []limit{jobLimit(1)},
		others: []*prowjobsv1.ProwJob{job(6), job(7)},
		want:   "",
	}, {
		name:   "the older job's claim is a slot, not a place in the line",
		pj:     job(5),
		limits: []limit{jobLimit(2)},
		claims: claimsOf(holding("job3", jobKey)),
		others: []*prowjobsv1.ProwJob{job(3)},
		want:   "",
	}, {
		name:   "runs of other jobs do not count for the job limit",
		pj:     job(5),
		limits: []limit{jobLimit(1)},
		others: []*prowjobsv1.ProwJob{makeJob(t, named("other", 1), startedJob())},
		want:   "",
	}, {
		name:   "the repository limit counts every job of the repository",
		pj:     job(5),
		limits: []limit{jobLimit(2), repoLimit(2)},
		claims: claimsOf(holding("other1", repoKey)),
		others: []*prowjobsv1.ProwJob{makeJob(t, named("other1", 1), startedJob()), makeJob(t, named("other2", 2), startedJob())},
		want:   repoKey,
	}, {
		name:   "jobs of other repositories do not count for the repository limit",
		pj:     job(5),
		limits: []limit{repoLimit(1)},
		others: []*prowjobsv1.ProwJob{makeJob(t, named("other1", 1), startedJob(), withRepo("acme", "gadgets"))},
		want:   "",
	}, {
		name:   "an older job waiting for its job slot keeps its place in the repository's line",
		pj:     makeJob(t, named("other5", 5)),
		limits: []limit{repoLimit(2)},
		claims: claimsOf(holding("job1", jobKey, repoKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob()), job(2)},
		want:   repoKey,
	}, {
		name:   "the job limit is reported before the repository's",
		pj:     job(5),
		limits: []limit{jobLimit(1), repoLimit(1)},
		claims: claimsOf(holding("job1", jobKey, repoKey)),
		others: []*prowjobsv1.ProwJob{job(1, startedJob())},
		want:   jobKey,
	}, {
		name:   "a limit pj holds already does not hold it back",
		pj:     job(5),
		limits: []limit{jobLimit(1), repoLimit(3)},
		claims: claimsOf(holding("job5", jobKey)),
		others: []*prowjobsv1.ProwJob{job(1)},
		want:   "",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			active := activeIn(t, append([]*prowjobsv1.ProwJob{tc.pj}, tc.others...)...)
			claims := tc.claims
			if claims == nil {
				claims = claimSet{}
			}
			got := ""
			if l := blockingLimit(tc.pj, tc.limits, claims, func(key string) []*prowjobsv1.ProwJob { return active(prowNS, key) }); l != nil {
				got = l.key
			}
			if got != tc.want {
				t.Errorf("blockingLimit() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWaitingHeads(t *testing.T) {
	jobs := []*prowjobsv1.ProwJob{
		makeJob(t, named("d", 3)),
		makeJob(t, named("a", 0), startedJob()),
		makeJob(t, named("c", 2)),
		makeJob(t, named("b", 2)),
		makeJob(t, named("e", 4)),
	}
	names := func(jobs []*prowjobsv1.ProwJob) []string {
		var out []string
		for _, pj := range jobs {
			out = append(out, pj.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"b", "c"}, names(waitingHeads(jobs, 2))); diff != "" {
		t.Errorf("waitingHeads(2) (-want, +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b", "c", "d", "e"}, names(waitingHeads(jobs, 10))); diff != "" {
		t.Errorf("waitingHeads(10) (-want, +got):\n%s", diff)
	}
}

func TestIndexLimitKeys(t *testing.T) {
	tests := []struct {
		name string
		job  *prowjobsv1.ProwJob
		want []string
	}{{
		name: "waiting job: under its job and its repository",
		job:  makeJob(t),
		want: []string{prowNS + "/job:" + jobSpec, prowNS + "/repo:acme/widgets"},
	}, {
		name: "running job",
		job:  makeJob(t, startedJob()),
		want: []string{prowNS + "/job:" + jobSpec, prowNS + "/repo:acme/widgets"},
	}, {
		name: "job without refs: under its job only",
		job:  makeJob(t, withoutRefs()),
		want: []string{prowNS + "/job:" + jobSpec},
	}, {
		name: "complete job: nowhere",
		job:  makeJob(t, completedJob()),
		want: nil,
	}, {
		name: "kubernetes job: nowhere",
		job:  makeJob(t, withAgent(prowjobsv1.KubernetesAgent)),
		want: nil,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := indexLimitKeys(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("indexLimitKeys() (-want, +got):\n%s", diff)
			}
		})
	}
}

func TestMarkWaiting(t *testing.T) {
	l := &limit{key: jobKey, max: 2, waiting: "Waiting for a slot: job max_concurrency 2 reached"}
	s := triggeredStatus()
	markWaiting(&s, l)
	if s.Description != l.waiting {
		t.Errorf("Description = %q, want %q", s.Description, l.waiting)
	}
	// Held back by another limit later: the description stays, so the job is not written again.
	markWaiting(&s, &limit{key: repoKey, max: 5, waiting: "Waiting for a slot: acme/widgets max_concurrency_per_repo 5 reached"})
	if s.Description != l.waiting {
		t.Errorf("Description = %q after a second limit, want it kept as %q", s.Description, l.waiting)
	}
}

func TestWaker(t *testing.T) {
	job := func(n int, opts ...jobOption) *prowjobsv1.ProwJob {
		return makeJob(t, append([]jobOption{named(fmt.Sprintf("job%d", n), n), withMaxConcurrency(2)}, opts...)...)
	}
	// In the informer: job1 and job2 run, job3..job5 wait, other1 (no job limit, same
	// repository) waits, and job0 completed.
	informer := []*prowjobsv1.ProwJob{
		job(1, startedJob()), job(2, startedJob()), job(3), job(4), job(5),
		makeJob(t, named("other1", 1)),
	}
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: prowNS, Name: name} }
	tests := []struct {
		name    string
		repoMax repoLimits
		event   func(h cache.ResourceEventHandler)
		want    []types.NamespacedName
	}{{
		name: "a run completes: the next two in the job's line",
		event: func(h cache.ResourceEventHandler) {
			h.OnUpdate(job(1, startedJob()), job(1, completedJob()))
		},
		want: []types.NamespacedName{key("job3"), key("job4")},
	}, {
		name:    "with a repository limit, the next in the repository's line too",
		repoMax: repoCaps(3),
		event: func(h cache.ResourceEventHandler) {
			h.OnUpdate(job(1, startedJob()), job(1, completedJob()))
		},
		want: []types.NamespacedName{key("job3"), key("job4"), key("other1"), key("job3"), key("job4")},
	}, {
		name: "a job starts: it no longer waits ahead of the others",
		event: func(h cache.ResourceEventHandler) {
			h.OnUpdate(job(3), job(3, startedJob()))
		},
		want: []types.NamespacedName{key("job4")},
	}, {
		name: "a waiting job is deleted",
		event: func(h cache.ResourceEventHandler) {
			h.OnDelete(job(3))
		},
		want: []types.NamespacedName{key("job4")},
	}, {
		name: "a waiting job's tombstone",
		event: func(h cache.ResourceEventHandler) {
			h.OnDelete(cache.DeletedFinalStateUnknown{Key: prowNS + "/job3", Obj: job(3)})
		},
		want: []types.NamespacedName{key("job4")},
	}, {
		name: "a complete job is deleted: it freed its slot when it completed",
		event: func(h cache.ResourceEventHandler) {
			h.OnDelete(job(0, completedJob()))
		},
		want: nil,
	}, {
		name: "a status change that frees nothing",
		event: func(h cache.ResourceEventHandler) {
			h.OnUpdate(job(1, startedJob()), job(1, startedJob(), func(pj *prowjobsv1.ProwJob) { pj.Status.Description = "running" }))
		},
		want: nil,
	}, {
		name: "a job without limits completes",
		event: func(h cache.ResourceEventHandler) {
			h.OnUpdate(makeJob(t, startedJob()), makeJob(t, completedJob()))
		},
		want: nil,
	}, {
		name: "a new job frees nothing",
		event: func(h cache.ResourceEventHandler) {
			h.OnAdd(job(6), false)
		},
		want: nil,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []types.NamespacedName
			w := &waker{
				repoMax: tc.repoMax,
				active:  activeIn(t, informer...),
				enqueue: func(k types.NamespacedName) { got = append(got, k) },
			}
			tc.event(w.handler())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Enqueued (-want, +got):\n%s", diff)
			}
		})
	}
}
