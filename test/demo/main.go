// Command demo runs bosun's core loop end to end on this machine: a local etcd +
// kube-apiserver with the ProwJob and Tekton CRDs, the GitHub API emulator, and the hook and
// controller binaries as processes. It sends a signed pull_request webhook and a /test all
// comment for a sample repository with two presubmits and prints what happened. It leaves
// nothing running.
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
