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
	"errors"
	"testing"

	"github.com/bosun-ci/bosun/pkg/config"
)

func TestInNamespace(t *testing.T) {
	c, err := config.LoadBytes("config.yaml", []byte("prowjob_namespace: from-config\npod_namespace: runs\n"))
	if err != nil {
		t.Fatal(err)
	}
	get := inNamespace(func() *config.Config { return c }, "from-flag")
	if got := get(); got.ProwJobNamespace != "from-flag" || got.PodNamespace != "runs" {
		t.Errorf("scoped config: prowjob_namespace %q pod_namespace %q, want from-flag and the config's runs", got.ProwJobNamespace, got.PodNamespace)
	}
	if c.ProwJobNamespace != "from-config" {
		t.Errorf("the config itself changed to %q", c.ProwJobNamespace)
	}
	if same := inNamespace(func() *config.Config { return c }, "from-config")(); same != c {
		t.Error("a config already in the namespace was copied")
	}
	if inNamespace(nil, "x") != nil {
		t.Error("no config became one")
	}
	if got := inNamespace(func() *config.Config { return nil }, "x")(); got != nil {
		t.Errorf("a nil config became %+v", got)
	}
}

func TestReadiness(t *testing.T) {
	var r Readiness
	if err := r.Check(); !errors.Is(err, errNotStarted) {
		t.Errorf("Check before Run = %v, want not started", err)
	}
	notSynced := errors.New("PipelineRun informers not synced: build01/ci")
	r.set(func() error { return notSynced })
	if err := r.Check(); !errors.Is(err, notSynced) {
		t.Errorf("Check = %v, want %v", err, notSynced)
	}
	r.set(func() error { return nil })
	if err := r.Check(); err != nil {
		t.Errorf("Check = %v, want ready", err)
	}
	r.set(nil)
	if err := r.Check(); err == nil {
		t.Error("Check after Run = ready, want not")
	}
	var none *Readiness
	none.set(func() error { return nil }) // a nil Readiness ignores it
}
