package config

import (
	"fmt"
	"strings"
)

// AnyRepo is the max_concurrency_per_repo key whose limit applies to every repository that
// has no entry of its own.
const AnyRepo = "*"

// RepoMaxConcurrency returns how many jobs of org/repo may run at once: the repository's own
// entry in max_concurrency_per_repo, else the "*" entry; 0 means no cap. An entry of 0 lifts
// the "*" cap for that one repository. Keys are matched exactly, as GitHub spells the
// repository in its webhooks.
//
// A job runs, for this count, from the moment the controller decides to create its
// PipelineRun until the ProwJob is complete; jobs beyond the cap wait in triggered (see
// pkg/reconciler/pipeline, concurrency.go). Jobs without refs (most periodics) belong to no
// repository and only their own max_concurrency applies.
func (t *Tekton) RepoMaxConcurrency(org, repo string) int {
	if len(t.MaxConcurrencyPerRepo) == 0 {
		return 0
	}
	if n, ok := t.MaxConcurrencyPerRepo[org+"/"+repo]; ok {
		return n
	}
	return t.MaxConcurrencyPerRepo[AnyRepo]
}

// locate records the lines of max_concurrency_per_repo's keys in the decoded file, so that
// validate can point at them.
func (t *Tekton) locate(idx *fileIndex) {
	if idx == nil || idx.root == nil || len(t.MaxConcurrencyPerRepo) == 0 {
		return
	}
	t.lines = make(map[string]int, len(t.MaxConcurrencyPerRepo))
	for key := range t.MaxConcurrencyPerRepo {
		t.lines[key] = lineOfPath(idx.root, "tekton.max_concurrency_per_repo."+key)
	}
}

// validateConcurrency checks that every max_concurrency_per_repo key is "org/repo" or "*" and
// no limit is negative; file names the config in errors.
func (t *Tekton) validateConcurrency(file string) []error {
	var errs []error
	for _, key := range sortedKeys(t.MaxConcurrencyPerRepo) {
		at := position{file: file, line: t.lines[key]}
		if key != AnyRepo {
			org, repo, ok := strings.Cut(key, "/")
			if !ok || org == "" || repo == "" || strings.ContainsAny(repo, "/ \t") || strings.ContainsAny(org, " \t") {
				errs = append(errs, fmt.Errorf("%s: tekton.max_concurrency_per_repo: key %q: want \"org/repo\" or %q", at, key, AnyRepo))
				continue
			}
		}
		if n := t.MaxConcurrencyPerRepo[key]; n < 0 {
			errs = append(errs, fmt.Errorf("%s: tekton.max_concurrency_per_repo.%s: %d is negative", at, key, n))
		}
	}
	return errs
}
