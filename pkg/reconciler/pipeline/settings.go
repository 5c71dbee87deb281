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
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/bosun-ci/bosun/pkg/pipelinerun"
)

// settings are config.yaml's tekton settings as one reconcile uses them.
type settings struct {
	// run shapes a new PipelineRun: the clone Task and the default timeout.
	run pipelinerun.Options
	// cancelStatus is the spec.status an aborted job's run gets; never empty.
	cancelStatus pipelinev1.PipelineRunSpecStatus
}

// settings reads the tekton settings from the current config, so that a reloaded config
// applies from the next reconcile on. A value set in the reconciler's Options wins over the
// config's; what neither sets keeps bosun's and Tekton's defaults.
func (r *Reconciler) settings() settings {
	s := settings{run: r.runOptions, cancelStatus: r.cancelStatus}
	if r.config != nil {
		if c := r.config(); c != nil {
			if s.run.CloneTask == "" {
				s.run.CloneTask = c.Tekton.CloneTask
			}
			if s.run.DefaultTimeout == 0 {
				s.run.DefaultTimeout = c.Tekton.DefaultTimeoutDuration()
			}
			if s.cancelStatus == "" {
				s.cancelStatus = c.Tekton.CancelStatus
			}
		}
	}
	if s.cancelStatus == "" {
		s.cancelStatus = DefaultCancelStatus
	}
	return s
}
