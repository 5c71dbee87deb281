package main

// The plugins linked into the hook; each registers itself in init.
import (
	_ "github.com/bosun-ci/bosun/pkg/plugins/approve"
	_ "github.com/bosun-ci/bosun/pkg/plugins/assign"
	_ "github.com/bosun-ci/bosun/pkg/plugins/help"
	_ "github.com/bosun-ci/bosun/pkg/plugins/hold"
	_ "github.com/bosun-ci/bosun/pkg/plugins/label"
	_ "github.com/bosun-ci/bosun/pkg/plugins/lgtm"
	_ "github.com/bosun-ci/bosun/pkg/plugins/lifecycle"
	_ "github.com/bosun-ci/bosun/pkg/plugins/trigger"
)
