// Command demo runs bosun's loop end to end on this machine: a one-node cluster (local etcd +
// kube-apiserver, containerd + kubelet + kube-scheduler, Tekton Pipelines' own controller),
// the GitHub API emulator, and the hook and controller binaries as processes. It sends a
// signed pull_request webhook and a /test comment for a sample repository whose pipelines
// really run (one passes, one fails with exit code 1), and prints the ProwJobs, the
// PipelineRuns with their logs, and the commit statuses. It leaves nothing running and no
// traces on the host. It needs root (containerd and the kubelet).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}
