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
	"sync"
)

// Readiness tells a readiness probe whether the controller is ready: its ProwJob informers
// and every build cluster's PipelineRun informers have synced. The zero value is ready to
// use and not ready; Run updates it.
type Readiness struct {
	mu    sync.Mutex
	check func() error
}

var errNotStarted = errors.New("informers not synced yet")

// Check returns nil when the controller is ready, else why not.
func (r *Readiness) Check() error {
	r.mu.Lock()
	check := r.check
	r.mu.Unlock()
	if check == nil {
		return errNotStarted
	}
	return check()
}

// set makes Check call check from now on; nil means not ready. A nil Readiness ignores it.
func (r *Readiness) set(check func() error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.check = check
}
