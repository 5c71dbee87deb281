// Package integration runs bosun's whole loop against a real kube-apiserver + etcd with the
// ProwJob and Tekton CRDs installed, bosun's controllers in-process, hooks served over HTTP
// and the GitHub API emulator. No Tekton controller runs here: the tests set PipelineRun
// conditions the way Tekton's controller does.
package integration

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/bosun-ci/bosun/test/framework"
)

var env *framework.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := zap.NewNop().Sugar()
	if os.Getenv("BOSUN_TEST_LOGS") != "" {
		zl, _ := zap.NewDevelopment()
		logger = zl.Sugar()
	}
	var err error
	env, err = framework.Start(ctx, framework.Options{Logger: logger, Logf: func(f string, a ...any) { fmt.Printf(f+"\n", a...) }})
	if err != nil {
		if framework.IsNoControlPlane(err) && !framework.ClusterRequired() {
			fmt.Printf("SKIP integration tests: %v\n", err)
			return 0
		}
		fmt.Fprintf(os.Stderr, "cannot start the local control plane: %v\n", err)
		return 1
	}
	defer env.Stop()
	return m.Run()
}
