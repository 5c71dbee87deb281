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

// Package all links every bosun plugin in: each plugin package registers itself with
// plugins.Default in init. It is the one list of plugins, blank-imported both by the hook
// binary (cmd/hook) and by the tests that run the hook (test/framework), so the tests run
// the plugins that ship. A new plugin is added here and nowhere else.
package all

import (
	_ "github.com/bosun-ci/bosun/pkg/plugins/approve"
	_ "github.com/bosun-ci/bosun/pkg/plugins/assign"
	_ "github.com/bosun-ci/bosun/pkg/plugins/help"
	_ "github.com/bosun-ci/bosun/pkg/plugins/hold"
	_ "github.com/bosun-ci/bosun/pkg/plugins/label"
	_ "github.com/bosun-ci/bosun/pkg/plugins/lgtm"
	_ "github.com/bosun-ci/bosun/pkg/plugins/lifecycle"
	_ "github.com/bosun-ci/bosun/pkg/plugins/trigger"
	_ "github.com/bosun-ci/bosun/pkg/plugins/updateconfig"
)
