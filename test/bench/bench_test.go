// Package bench measures bosun against the floor on a real local apiserver: how long a PR
// webhook takes to become a PipelineRun visible in the apiserver, next to two bare creates
// (a ProwJob and a PipelineRun) on the same apiserver, which is the least any such system
// can do; and how many GitHub API requests the hook makes per event, with and without its
// ETag cache. Run with `make bench`; figures are reported as benchmark metrics, never asserted.
package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/test/framework"
)

var env *framework.Env

func TestMain(m *testing.M) {
	flag.Parse()
	// `go test ./...` compiles and runs this package without -bench: start nothing then.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	logger := zap.NewNop().Sugar()
	if path := os.Getenv("BOSUN_BENCH_LOG"); path != "" {
		// Controller logs for a look at what a slow run was doing.
		cfg := zap.NewProductionConfig()
		cfg.OutputPaths = []string{path}
		if zl, err := cfg.Build(); err == nil {
			logger = zl.Sugar()
		}
	}
	env, err = framework.Start(ctx, framework.Options{Logger: logger})
	cancel()
	if err != nil {
		if framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			fmt.Printf("SKIP benchmarks: %v\n", err)
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "cannot start the local control plane: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Stop()
	os.Exit(code)
}
