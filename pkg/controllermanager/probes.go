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
	"context"

	"knative.dev/pkg/logging"

	"github.com/bosun-ci/bosun/pkg/probes"
)

// readyCheckInformers names the readiness check of the informers in /readyz's answer.
const readyCheckInformers = "informers"

// serveProbes serves /healthz and /readyz on addr until ctx is done; /readyz passes once
// ready does. The check reads only the informers' own state, so probes cost no request.
func serveProbes(ctx context.Context, addr string, ready *Readiness) error {
	p := probes.New()
	p.AddReadyCheck(readyCheckInformers, func(context.Context) error { return ready.Check() })
	logging.FromContext(ctx).Infow("Serving probes", "addr", addr)
	return p.Serve(ctx, addr)
}
