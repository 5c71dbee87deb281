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

package controllermanager

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/buildcluster"
	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/sinker"
)

// newBuildClusters loads the build clusters' kubeconfigs and builds their clients and
// informers; nothing is asked of any cluster yet.
func newBuildClusters(ctx context.Context, cfg *rest.Config, o Options) (*buildcluster.Set, error) {
	configs, err := buildcluster.Configs(cfg, o.BuildClusterKubeconfigs)
	if err != nil {
		return nil, err
	}
	set, err := buildcluster.New(configs, buildcluster.Options{
		Namespaces:   o.JobNamespaces,
		ResyncPeriod: controller.GetResyncPeriod(ctx),
	})
	if err != nil {
		return nil, fmt.Errorf("build clusters: %w", err)
	}
	names := make([]string, 0, len(configs))
	for _, c := range configs {
		names = append(names, c.Name)
	}
	namespaces := o.JobNamespaces
	if len(namespaces) == 0 {
		namespaces = []string{"*"}
	}
	logging.FromContext(ctx).Infow("Build clusters", "clusters", names, "jobNamespaces", namespaces, "prowJobNamespace", o.ProwJobNamespace)
	return set, nil
}

// waitForClusters gives the build clusters up to grace (DefaultClusterSyncGrace if zero) to
// sync, so that the reconcilers start on caches that know the runs, and logs those that did
// not: they go on trying in the background and their jobs wait for them, while the other
// clusters' jobs run.
func waitForClusters(ctx context.Context, clusters *buildcluster.Set, grace time.Duration) {
	if grace <= 0 {
		grace = DefaultClusterSyncGrace
	}
	if pending := clusters.WaitForSync(ctx, grace); len(pending) > 0 && ctx.Err() == nil {
		logging.FromContext(ctx).Warnw("Build clusters not synced: their jobs wait until they are, the others run", "clusters", pending, "waited", grace)
	}
}

// sinkerClusters are the build clusters as the sinker lists and deletes their runs.
func sinkerClusters(clusters *buildcluster.Set) []sinker.Cluster {
	all := clusters.All()
	out := make([]sinker.Cluster, 0, len(all))
	for _, c := range all {
		out = append(out, sinker.Cluster{Name: c.Name(), Namespaces: c.Namespaces(), Tekton: c.Tekton()})
	}
	return out
}

// inNamespace returns get with the config's prowjob_namespace replaced by namespace, so
// that --prowjob-namespace wins for everything the controller does.
func inNamespace(get config.Getter, namespace string) config.Getter {
	if get == nil {
		return nil
	}
	return func() *config.Config {
		c := get()
		if c == nil || c.ProwJobNamespace == namespace {
			return c
		}
		scoped := *c
		scoped.ProwJobNamespace = namespace
		return &scoped
	}
}
