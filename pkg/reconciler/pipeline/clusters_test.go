/*
Copyright 2026 The bosun Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap/zaptest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/buildcluster"
)

const remoteCluster = "build01"

func withCluster(name string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Cluster = name }
}

func withRunNamespace(ns string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Namespace = ns }
}

// newClustersReconciler is newReconciler with a second, remote build cluster whose
// informer has seen and whose apiserver holds remoteRuns, and the job namespaces set to
// namespaces in both (nil: every namespace).
func newClustersReconciler(t *testing.T, remoteRuns []*pipelinev1.PipelineRun, namespaces []string) *testReconciler {
	t.Helper()
	r := newReconciler(t, nil, nil)
	r.clusters[remoteCluster] = newFakeCluster(t, remoteCluster, false, remoteRuns, remoteRuns)
	for _, c := range r.clusters {
		c.namespaces = namespaces
	}
	return r
}

func TestReconcileKindBuildClusters(t *testing.T) {
	startFailed := func(desc string) prowjobsv1.ProwJobStatus {
		s := triggeredStatus()
		now := metav1.NewTime(clockNow)
		s.State, s.Description, s.PendingTime, s.CompletionTime = prowjobsv1.ErrorState, desc, &now, &now
		return s
	}
	tests := []struct {
		name       string
		job        *prowjobsv1.ProwJob
		namespaces []string
		notSynced  string // a cluster whose informers have not synced
		wantStatus prowjobsv1.ProwJobStatus
		// wantLocal and wantRemote are the calls made on each cluster.
		wantLocal, wantRemote []string
		wantRequeue           bool
	}{{
		name:       "job naming a remote cluster gets its run there",
		job:        makeJob(t, withCluster(remoteCluster)),
		wantStatus: pendingStatus(),
		wantRemote: []string{createRun},
	}, {
		name:       "job naming no cluster runs in the default one",
		job:        makeJob(t),
		wantStatus: pendingStatus(),
		wantLocal:  []string{createRun},
	}, {
		name:       "job naming default runs in the default one",
		job:        makeJob(t, withCluster("default")),
		wantStatus: pendingStatus(),
		wantLocal:  []string{createRun},
	}, {
		name:       "unknown cluster: error naming it and the known ones, nothing created",
		job:        makeJob(t, withCluster("build02")),
		wantStatus: startFailed(`start pipeline: build cluster "build02" is not configured (known: build01, default)`),
	}, {
		name:       "namespace that is not a job namespace: error, nothing created",
		job:        makeJob(t, withCluster(remoteCluster), withRunNamespace("kube-system")),
		namespaces: []string{runNS, "other"},
		wantStatus: startFailed(`start pipeline: namespace "kube-system" is not one bosun runs jobs in (--job-namespaces=` + runNS + `,other)`),
	}, {
		name:       "job namespace: run created",
		job:        makeJob(t, withCluster(remoteCluster)),
		namespaces: []string{runNS, "other"},
		wantStatus: pendingStatus(),
		wantRemote: []string{createRun},
	}, {
		name:        "cluster not synced (unreachable): job waits, initialized, nothing asked of any cluster",
		job:         makeJob(t, withCluster(remoteCluster)),
		notSynced:   remoteCluster,
		wantStatus:  triggeredStatus(),
		wantRequeue: true,
	}, {
		name:       "another cluster not synced does not hold a job back",
		job:        makeJob(t),
		notSynced:  remoteCluster,
		wantStatus: pendingStatus(),
		wantLocal:  []string{createRun},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newClustersReconciler(t, nil, tc.namespaces)
			if tc.notSynced != "" {
				r.clusters[tc.notSynced].notSynced = true
			}
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			pj := tc.job.DeepCopy()

			err := r.ReconcileKind(ctx, pj)

			requeue, _ := controller.IsRequeueKey(err)
			switch {
			case tc.wantRequeue && !requeue:
				t.Errorf("ReconcileKind() = %v, want a requeue", err)
			case !tc.wantRequeue && err != nil:
				t.Errorf("ReconcileKind() = %v, want nil", err)
			}
			if diff := cmp.Diff(tc.wantStatus, pj.Status); diff != "" {
				t.Errorf("Status (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLocal, describeActions(t, r.tekton.Actions())); diff != "" {
				t.Errorf("local cluster calls (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemote, describeActions(t, r.clusters[remoteCluster].tekton.Actions())); diff != "" {
				t.Errorf("remote cluster calls (-want, +got):\n%s", diff)
			}
		})
	}
}

// A run in the job's own namespace is owned by the job, for Kubernetes' garbage collector,
// only in the controller's own cluster: the job does not exist in a remote one.
func TestReconcileKindOwnerReferenceOnlyLocally(t *testing.T) {
	for _, tc := range []struct {
		cluster   string
		wantOwned bool
	}{{cluster: "", wantOwned: true}, {cluster: remoteCluster, wantOwned: false}} {
		t.Run("cluster "+tc.cluster, func(t *testing.T) {
			r := newClustersReconciler(t, nil, nil)
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			pj := makeJob(t, withCluster(tc.cluster), withRunNamespace(prowNS))
			if err := r.ReconcileKind(ctx, pj); err != nil {
				t.Fatalf("ReconcileKind() = %v", err)
			}
			c := r.clusters[buildcluster.NameOf(tc.cluster)]
			obj, err := c.tekton.Tracker().Get(pipelineRunsResource, prowNS, jobName)
			if err != nil {
				t.Fatalf("The run was not created in cluster %q: %v", c.name, err)
			}
			pr := obj.(*pipelinev1.PipelineRun)
			if owned := len(pr.OwnerReferences) > 0; owned != tc.wantOwned {
				t.Errorf("owner references %v, want owned %v", pr.OwnerReferences, tc.wantOwned)
			}
			if pr.Labels[prowjobsv1.ProwJobIDLabel] != jobName || pr.Annotations[prowjobsv1.ProwJobNamespaceAnnotation] != prowNS {
				t.Errorf("run labels %v annotations %v: the job cannot be found from it", pr.Labels, pr.Annotations)
			}
		})
	}
}

func TestReconcileKindCancelsInTheJobsCluster(t *testing.T) {
	patchRun := "patch pipelineruns " + runNS + "/" + jobName
	running := makeRun(t, withCondition(corev1.ConditionUnknown, "Running", msgRunning))
	tests := []struct {
		name                  string
		job                   *prowjobsv1.ProwJob
		notSynced             bool
		wantLocal, wantRemote []string
		wantRequeue           bool
	}{{
		name:       "remote run cancelled in the remote cluster",
		job:        makeJob(t, withStatus(abortedStatus()), withCluster(remoteCluster)),
		wantRemote: []string{patchRun},
	}, {
		name: "job of an unknown cluster had no run: nothing to cancel",
		job:  makeJob(t, withStatus(abortedStatus()), withCluster("build02")),
	}, {
		name:        "cluster not synced: retried later",
		job:         makeJob(t, withStatus(abortedStatus()), withCluster(remoteCluster)),
		notSynced:   true,
		wantRequeue: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newClustersReconciler(t, []*pipelinev1.PipelineRun{running}, nil)
			r.clusters[remoteCluster].notSynced = tc.notSynced
			ctx := logging.WithLogger(t.Context(), zaptest.NewLogger(t).Sugar())
			err := r.ReconcileKind(ctx, tc.job.DeepCopy())
			if requeue, _ := controller.IsRequeueKey(err); requeue != tc.wantRequeue || (!requeue && err != nil) {
				t.Errorf("ReconcileKind() = %v, want requeue %v", err, tc.wantRequeue)
			}
			if diff := cmp.Diff(tc.wantLocal, describeActions(t, r.tekton.Actions())); diff != "" {
				t.Errorf("local cluster calls (-want, +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemote, describeActions(t, r.clusters[remoteCluster].tekton.Actions())); diff != "" {
				t.Errorf("remote cluster calls (-want, +got):\n%s", diff)
			}
		})
	}
}
