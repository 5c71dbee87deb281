package crier

import (
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Retry delays of failed reports. The work queue's own backoff grows without a useful cap
// (5 ms doubling to 16 minutes), so after half a minute of GitHub errors the statuses came
// minutes late; a report is retried on its own schedule instead.
const (
	defaultRetryBase = time.Second
	defaultRetryMax  = 30 * time.Second
	// maxTracked bounds the jobs whose failures are counted; past it the counts start over,
	// which only makes some retries come sooner.
	maxTracked = 100_000
)

// backoff is the delay before each job's next report attempt: base after the first failure,
// doubling with each further one up to max, less a random part of up to half so that jobs
// that failed together spread their retries out. A success starts a job over, and, since it
// shows GitHub answers again, wakes every job still waiting: when an outage ends, the first
// retry that gets through (the spread makes one come soon) brings the others with it,
// instead of each waiting out its own delay of up to max.
type backoff struct {
	base, max time.Duration

	mu       sync.Mutex
	failures map[types.UID]int
	// waiting are the jobs waiting out a delay, by UID.
	waiting map[types.UID]types.NamespacedName
}

// next counts a failure of the job's report and returns how long to wait before the next.
func (b *backoff) next(uid types.UID, key types.NamespacedName) time.Duration {
	base, ceiling := b.base, b.max
	if base <= 0 {
		base = defaultRetryBase
	}
	if ceiling <= 0 {
		ceiling = defaultRetryMax
	}
	b.mu.Lock()
	if b.failures == nil || len(b.failures) >= maxTracked {
		b.failures = map[types.UID]int{}
	}
	if b.waiting == nil || len(b.waiting) >= maxTracked {
		b.waiting = map[types.UID]types.NamespacedName{}
	}
	n := b.failures[uid]
	b.failures[uid] = n + 1
	b.waiting[uid] = key
	b.mu.Unlock()
	delay := ceiling
	if n < 32 && base<<n < ceiling && base<<n > 0 {
		delay = base << n
	}
	return delay - time.Duration(rand.Int64N(int64(delay)/2+1))
}

// succeeded starts the job's delays over and returns the jobs that were waiting, which may
// try again now; they start over too.
func (b *backoff) succeeded(uid types.UID) []types.NamespacedName {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, uid)
	delete(b.waiting, uid)
	if len(b.waiting) == 0 {
		return nil
	}
	keys := make([]types.NamespacedName, 0, len(b.waiting))
	for other, key := range b.waiting {
		keys = append(keys, key)
		delete(b.failures, other)
	}
	clear(b.waiting)
	return keys
}

// forget drops the job: it needs no report any more.
func (b *backoff) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, uid)
	delete(b.waiting, uid)
}
