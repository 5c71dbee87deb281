package main

// The plugins linked into the hook; each registers itself in init.
import (
	_ "github.com/bosun-ci/bosun/pkg/plugins/trigger"
)
