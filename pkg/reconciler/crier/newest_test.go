package crier

import (
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	prowjobfake "github.com/bosun-ci/bosun/pkg/client/clientset/versioned/fake"
)

func TestSupersededRunsAreNotReported(t *testing.T) {
	// Two /test unit raced: the older run was aborted after the newer one had posted
	// pending. Posting the abort would show the pull request a failure while the
	// survivor runs.
	ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
	older := makeJob(t, prowjobsv1.AbortedState, func(pj *prowjobsv1.ProwJob) { pj.Status.Description = "Aborted by trigger plugin." })
	newer := makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
		pj.Name, pj.UID = "newer", types.UID("b1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b")
		pj.CreationTimestamp = metav1.NewTime(jobCreated.Add(time.Second))
	})
	otherCommit := makeJob(t, prowjobsv1.PendingState, func(pj *prowjobsv1.ProwJob) {
		pj.Name, pj.UID = "other-commit", types.UID("c1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b")
		pj.CreationTimestamp = metav1.NewTime(jobCreated.Add(2 * time.Second))
		pj.Spec.Refs.Pulls[0].SHA = baseSHA
	})
	tests := []struct {
		name      string
		jobs      []*prowjobsv1.ProwJob
		reconcile *prowjobsv1.ProwJob
		wantPosts int
	}{
		{name: "the older run, with a newer one for the context: not posted", jobs: []*prowjobsv1.ProwJob{older, newer}, reconcile: older, wantPosts: 0},
		{name: "the newer run: posted", jobs: []*prowjobsv1.ProwJob{older, newer}, reconcile: newer, wantPosts: 1},
		{name: "a newer run on another commit does not count", jobs: []*prowjobsv1.ProwJob{older, otherCommit}, reconcile: older, wantPosts: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{statusIndex: indexStatusKeys})
			for _, pj := range tc.jobs {
				if err := indexer.Add(pj.DeepCopy()); err != nil {
					t.Fatal(err)
				}
			}
			gh := &recordingGitHub{}
			r := &Reconciler{github: gh, prowJobClient: prowjobfake.NewSimpleClientset(tc.reconcile.DeepCopy()), jobs: indexer}
			if err := r.ReconcileKind(ctx, tc.reconcile.DeepCopy()); err != nil {
				t.Fatalf("ReconcileKind() = %v", err)
			}
			if len(gh.calls) != tc.wantPosts {
				t.Errorf("%d statuses posted (%+v), want %d", len(gh.calls), gh.calls, tc.wantPosts)
			}
		})
	}
}
