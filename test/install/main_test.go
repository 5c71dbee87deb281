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

package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bosun-ci/bosun/test/localcluster"
)

var (
	// cluster is one apiserver for the package, with the ProwJob, Tekton and ServiceMonitor
	// CRDs, and ServiceAccount tokens on, as a real cluster has them.
	cluster *localcluster.Cluster
	// repo is the repository root (charts/, config/).
	repo string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if repo, err = localcluster.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tektonCRDs, err := localcluster.TektonCRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		CRDPaths: []string{
			filepath.Join(repo, "charts/bosun/crds"),
			tektonCRDs,
			filepath.Join(repo, "test/install/testdata/servicemonitor-crd.yaml"),
		},
		ServiceAccounts: true,
		Logf:            func(f string, a ...any) { fmt.Printf(f+"\n", a...) },
	})
	if err != nil {
		if errors.Is(err, localcluster.ErrBinariesMissing) && os.Getenv(localcluster.RequireClusterEnv) == "" {
			fmt.Printf("SKIP install tests: %v\n", err)
			return 0
		}
		fmt.Fprintf(os.Stderr, "cannot start the local control plane: %v\n", err)
		return 1
	}
	defer cluster.Stop()
	return m.Run()
}
