// Package tekton holds the Tekton resources bosun ships for its PipelineRuns to use, as
// YAML to apply and, embedded, for Go callers such as tests.
package tekton

import _ "embed"

// GitCloneTask is git-clone.yaml: the bosun-git-clone Task that PROW_IMPLICIT_GIT_REF and
// PROW_EXTRA_GIT_REF_<n> pipeline tasks are rewritten to.
//
//go:embed git-clone.yaml
var GitCloneTask []byte

// CheckconfigTask is checkconfig.yaml: the bosun-checkconfig Task that validates a config
// repository as a presubmit.
//
//go:embed checkconfig.yaml
var CheckconfigTask []byte
