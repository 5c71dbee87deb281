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

// Command controller runs bosun's ProwJob reconcilers: ProwJob -> PipelineRun with the status
// mirrored back, and the GitHub status reporter, which runs only when GitHub credentials (a
// token or a GitHub App) are configured.
//
// With --leader-elect several replicas can run. Each reconciler's ProwJobs are hashed into
// --leader-elect-buckets buckets, one coordination.k8s.io Lease each (bosun-pipeline.00-of-01,
// bosun-crier.00-of-01, ...), and only the holder of a bucket's Lease reconciles its jobs; the
// periodic and garbage-collection loops run in the holder of the bosun-controller-loops Lease.
// A replica that dies is replaced within --leader-elect-lease-duration plus
// --leader-elect-retry-period, and the new holder resyncs the bucket, so no job is left
// without its PipelineRun or its status. The Leases live in --leader-elect-namespace, which
// defaults to $SYSTEM_NAMESPACE, else $POD_NAMESPACE, else the pod's own namespace, else
// "default"; the service account needs get, create and update on leases there.
//
// The controller needs no cluster-wide permission when it is given namespaces: it watches
// the ProwJobs of --prowjob-namespace only, and the PipelineRuns of the --job-namespaces
// only, in its own cluster and in each build cluster of --build-cluster-kubeconfig (Prow's
// build clusters: a job's cluster: names a kubeconfig context). /healthz and /readyz are
// served on --probes-addr; /readyz passes once every informer has synced.
//
// pkg/controllermanager.RunBinary does the work, and docs/flags.md lists the flags.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/controllermanager"
)

func main() {
	var opts controllermanager.BinaryOptions
	opts.AddFlags(flag.CommandLine)
	flag.Parse()

	zl, err := zap.NewProduction()
	if err != nil {
		log.Fatalf("build logger: %v", err)
	}
	logger := zl.Sugar().Named("bosun-controller")
	ctx, stop := signal.NotifyContext(logging.WithLogger(context.Background(), logger), os.Interrupt, syscall.SIGTERM)
	err = controllermanager.RunBinary(ctx, opts)
	stop()
	if err != nil {
		logger.Fatalw("The controller failed", "error", err)
	}
	_ = zl.Sync()
}
