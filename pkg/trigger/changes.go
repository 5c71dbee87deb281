package trigger

import (
	"context"
	"fmt"
	"sync"

	"github.com/bosun-ci/bosun/pkg/config"
)

// defaultChangesCacheSize bounds how many pull request heads' file lists are kept.
const defaultChangesCacheSize = 2000

// changesCache keeps the changed files of pull request heads. A head SHA's changes never
// change, so entries need no expiry, only a bound.
type changesCache struct {
	mu    sync.Mutex
	files map[string][]string
	order []string // ring of keys in insertion order
	next  int
}

func newChangesCache(size int) *changesCache {
	return &changesCache{files: make(map[string][]string, size), order: make([]string, size)}
}

func (c *changesCache) get(key string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	files, ok := c.files[key]
	return files, ok
}

func (c *changesCache) put(key string, files []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.files[key]; ok {
		return
	}
	if old := c.order[c.next]; old != "" {
		delete(c.files, old)
	}
	c.order[c.next] = key
	c.next = (c.next + 1) % len(c.order)
	c.files[key] = files
}

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
