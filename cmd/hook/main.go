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

// Command hook is bosun's webhook server: GitHub deliveries in, ProwJobs out. It serves
// webhooks on --addr, metrics on --metrics-addr and the Kubernetes probes on --probes-addr;
// pkg/hook.Run does the work, and docs/flags.md lists the flags.
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

	"github.com/bosun-ci/bosun/pkg/hook"

	// Every plugin, as the tests link them too.
	_ "github.com/bosun-ci/bosun/pkg/plugins/all"
)

func main() {
	var opts hook.RunOptions
	opts.AddFlags(flag.CommandLine)
	flag.Parse()

	zl, err := zap.NewProduction()
	if err != nil {
		log.Fatalf("build logger: %v", err)
	}
	logger := zl.Sugar().Named("bosun-hook")
	ctx, stop := signal.NotifyContext(logging.WithLogger(context.Background(), logger), os.Interrupt, syscall.SIGTERM)
	err = hook.Run(ctx, opts)
	stop()
	if err != nil {
		logger.Fatalw("The hook failed", "error", err)
	}
	_ = zl.Sync()
}
