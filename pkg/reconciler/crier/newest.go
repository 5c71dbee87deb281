package crier

import (
	"fmt"

	"k8s.io/client-go/tools/cache"

	prowjobsv1 "github.com/bosun-ci/bosun/pkg/apis/prowjobs/v1"
)

// statusIndex indexes the ProwJob informer's reportable jobs by the commit status they
// write: namespace, repository, commit and context.
const statusIndex = "bosun-crier-status"

func statusKey(pj *prowjobsv1.ProwJob) string {
	refs := pj.Spec.Refs
	return fmt.Sprintf("%s/%s/%s@%s#%s", pj.Namespace, refs.Org, refs.Repo, refs.HeadSHA(), pj.Spec.Context)
}

func indexStatusKeys(obj interface{}) ([]string, error) {
	pj, ok := obj.(*prowjobsv1.ProwJob)
	if !ok || pj.Spec.Refs == nil || pj.Spec.Context == "" {
		return nil, nil
	}
	return []string{statusKey(pj)}, nil
}

// supersededBy returns a newer job (prowjobsv1.CreatedBefore) that writes the same commit
// status as pj, if the indexer knows one. GitHub shows a context's latest status, so a
// superseded run's result posted after its successor's pending (the abort of the older of
// two racing /test runs, say) would show the pull request a failure while the survivor
// runs: the reporter leaves such a run unreported. A nil indexer knows no job.
func supersededBy(indexer cache.Indexer, pj *prowjobsv1.ProwJob) (*prowjobsv1.ProwJob, error) {
	if indexer == nil {
		return nil, nil
	}
	objs, err := indexer.ByIndex(statusIndex, statusKey(pj))
	if err != nil {
		return nil, fmt.Errorf("look up the jobs writing %s: %w", statusKey(pj), err)
	}
	for _, obj := range objs {
		other, ok := obj.(*prowjobsv1.ProwJob)
		if ok && other.UID != pj.UID && prowjobsv1.CreatedBefore(pj, other) {
			return other, nil
		}
	}
	return nil, nil
}
