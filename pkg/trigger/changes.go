package trigger

import (
	"context"
	"fmt"

	"github.com/bosun-ci/bosun/pkg/config"
)

// defaultChangesCacheSize bounds how many pull request heads' file lists are kept.
const defaultChangesCacheSize = 2000

// Changes returns a lazy, memoized reader of a pull request head's changed files: nothing
// is fetched unless a job's decision needs the files, and then once per head for every
// event and resync that asks.
func (t *Trigger) Changes(ctx context.Context, org, repo string, number int, sha string) config.ChangedFiles {
	key := fmt.Sprintf("%s/%s#%d@%s", org, repo, number, sha)
	return func() ([]string, error) {
		if files, ok := t.changes.get(key); ok {
			return files, nil
		}
		files, err := t.files.GetPullRequestFiles(ctx, org, repo, number)
		if err != nil {
			return nil, err
		}
		t.changes.put(key, files)
		return files, nil
	}
}
