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

package sinker

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	pipelinefake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
	"github.com/bosun-ci/bosun/pkg/config"
)

const remote = "build01"

func onCluster(name string) jobOption {
	return func(pj *prowjobsv1.ProwJob) { pj.Spec.Cluster = name }
}

func TestMakePlanBuildClusters(t *testing.T) {
	jobs := []prowjobsv1.ProwJob{
		makeJob("local-old", completed(8*day)),
		makeJob("remote-old", onCluster(remote), completed(8*day)),
		makeJob("down-old", onCluster("down"), completed(8*day)),
		makeJob("unknown-old", onCluster("nowhere"), completed(8*day)),
	}
	tests := []struct {
		name string
		runs runListing
		want []string
	}{{
		name: "each job's runs are deleted in their cluster; orphans in every listed cluster",
		runs: runListing{byCluster: map[string][]pipelinev1.PipelineRun{
			config.DefaultCluster: {makeRun(runNamespace, "local-old")},
			remote:                {makeRun(runNamespace, "remote-old"), makeRun(runNamespace, "orphan", runCompleted(2*day))},
			"down":                {makeRun(runNamespace, "down-old")},
		}},
		want: []string{
			"run down:test-pods/down-old", "job ci/down-old",
			"run test-pods/local-old", "job ci/local-old",
			"run build01:test-pods/remote-old", "job ci/remote-old",
			"job ci/unknown-old",
			"orphan build01:test-pods/orphan",
		},
	}, {
		name: "a cluster that could not be listed keeps its jobs; the others go on",
		runs: runListing{
			byCluster: map[string][]pipelinev1.PipelineRun{
				config.DefaultCluster: {makeRun(runNamespace, "local-old")},
				remote:                {makeRun(runNamespace, "remote-old")},
			},
			unlisted: map[string]bool{"down": true},
		},
		want: []string{
			"run test-pods/local-old", "job ci/local-old",
			"run build01:test-pods/remote-old", "job ci/remote-old",
			"job ci/unknown-old",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(makePlan(now, jobNamespace, sinkerConfig(7*day, day), jobs, tc.runs))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want, +got):\n%s", diff)
			}
		})
	}
}

// TestCleanBuildClusters runs a pass over two clusters watched in two namespaces: runs are
// listed in each namespace of each cluster, never cluster-wide, and each is deleted where
// it is; a cluster whose list fails keeps its jobs.
func TestCleanBuildClusters(t *testing.T) {
	prowJobs := newFakes([]prowjobsv1.ProwJob{
		makeJob("local-old", completed(8*day)),
		makeJob("remote-old", onCluster(remote), completed(8*day)),
		makeJob("down-old", onCluster("down"), completed(8*day)),
	}, nil).prowJobs
	local := pipelinefake.NewSimpleClientset(ptr(makeRun(runNamespace, "local-old")))
	far := pipelinefake.NewSimpleClientset(ptr(makeRun("other", "remote-old")), ptr(makeRun("unwatched", "remote-old-copy")))
	down := pipelinefake.NewSimpleClientset()
	down.PrependReactor("list", "pipelineruns", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("cluster down")
	})
	namespaces := []string{runNamespace, "other"}
	clients := Clients{ProwJobs: prowJobs, Clusters: []Cluster{
		{Name: config.DefaultCluster, Namespaces: namespaces, Tekton: local},
		{Name: remote, Namespaces: namespaces, Tekton: far},
		{Name: "down", Namespaces: namespaces, Tekton: down},
	}}

	report, err := Clean(testContext(t), now, loadConfig(t, ""), clients)
	if err == nil || !strings.Contains(err.Error(), `build cluster "down"`) || !strings.Contains(err.Error(), "cluster down") {
		t.Errorf("Clean error = %v, want the down cluster's list error", err)
	}
	want := Report{
		ProwJobs:     []types.NamespacedName{key(jobNamespace, "local-old"), key(jobNamespace, "remote-old")},
		PipelineRuns: []types.NamespacedName{key(runNamespace, "local-old"), key("other", "remote-old")},
	}
	if diff := cmp.Diff(want, report); diff != "" {
		t.Errorf("report (-want, +got):\n%s", diff)
	}
	for name, cs := range map[string]*pipelinefake.Clientset{"local": local, remote: far, "down": down} {
		var lists, deletes []string
		for _, a := range cs.Actions() {
			switch a.GetVerb() {
			case "list":
				lists = append(lists, a.GetNamespace())
			case "delete":
				deletes = append(deletes, a.GetNamespace()+"/"+a.(clienttesting.DeleteAction).GetName())
			}
		}
		wantLists := namespaces
		var wantDeletes []string
		switch name {
		case "local":
			wantDeletes = []string{runNamespace + "/local-old"}
		case remote:
			wantDeletes = []string{"other/remote-old"}
		case "down":
			wantLists = namespaces[:1] // the first failure ends the cluster's listing
		}
		if diff := cmp.Diff(wantLists, lists); diff != "" {
			t.Errorf("%s: namespaces listed (-want, +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantDeletes, deletes); diff != "" {
			t.Errorf("%s: deletes (-want, +got):\n%s", name, diff)
		}
	}
}

func ptr(pr pipelinev1.PipelineRun) runtime.Object { return &pr }
