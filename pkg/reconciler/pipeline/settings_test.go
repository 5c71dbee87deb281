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

package pipeline

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/bosun-ci/bosun/pkg/config"
	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

func TestSettingsFollowTheConfig(t *testing.T) {
	withTekton := func(tk config.Tekton) *config.Config { return &config.Config{Tekton: tk} }
	current := withTekton(config.Tekton{CloneTask: "acme-clone", DefaultTimeout: &metav1.Duration{Duration: time.Hour}})
	r := &Reconciler{config: func() *config.Config { return current }}

	want := settings{run: pipelinerun.Options{CloneTask: "acme-clone", DefaultTimeout: time.Hour}, cancelStatus: DefaultCancelStatus}
	if diff := cmp.Diff(want, r.settings(), cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("settings (-want, +got):\n%s", diff)
	}

	// A reloaded config is read by the next reconcile.
	current = withTekton(config.Tekton{CloneTask: "acme-clone-v2", CancelStatus: pipelinev1.PipelineRunSpecStatusCancelled})
	want = settings{run: pipelinerun.Options{CloneTask: "acme-clone-v2"}, cancelStatus: pipelinev1.PipelineRunSpecStatusCancelled}
	if diff := cmp.Diff(want, r.settings(), cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("settings after a reload (-want, +got):\n%s", diff)
	}

	// The Options' values win over the config's.
	r.runOptions = pipelinerun.Options{CloneTask: "override", DefaultTimeout: 2 * time.Hour}
	r.cancelStatus = pipelinev1.PipelineRunSpecStatusStoppedRunFinally
	want = settings{run: r.runOptions, cancelStatus: r.cancelStatus}
	if diff := cmp.Diff(want, r.settings(), cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("settings with overrides (-want, +got):\n%s", diff)
	}

	// Without a config, the defaults.
	r = &Reconciler{}
	want = settings{cancelStatus: DefaultCancelStatus}
	if diff := cmp.Diff(want, r.settings(), cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("settings without a config (-want, +got):\n%s", diff)
	}
}
