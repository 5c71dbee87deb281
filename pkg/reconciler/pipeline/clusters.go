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
	"time"

	"knative.dev/pkg/controller"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/buildcluster"
)

// notSyncedRetry is how long a job waits to be looked at again while its build cluster's
// informers have not synced (the cluster may be unreachable). The cluster's first sync also
// brings its jobs back at once (NewController's OnSynced).
const notSyncedRetry = 30 * time.Second

// runsOf returns the build cluster the job names and its PipelineRuns in the job's
// namespace. A cluster that is not configured and a namespace that is not a job namespace
// are the job's fault, permanent errors that isPermanent recognizes. A cluster whose
// informers have not synced yet is asked nothing: its lister knows nothing yet, and a
// request to a cluster that does not answer would hold a worker that the other clusters'
// jobs need; the job is requeued instead.
func (r *Reconciler) runsOf(pj *prowjobsv1.ProwJob) (buildcluster.Client, buildcluster.PipelineRuns, error) {
	cluster, err := r.clusters.Cluster(pj.Spec.Cluster)
	if err != nil {
		return nil, buildcluster.PipelineRuns{}, err
	}
	runs, err := cluster.PipelineRuns(pj.Spec.Namespace)
	if err != nil {
		return nil, buildcluster.PipelineRuns{}, err
	}
	if !cluster.HasSynced() {
		return nil, buildcluster.PipelineRuns{}, controller.NewRequeueAfter(notSyncedRetry)
	}
	return cluster, runs, nil
}
