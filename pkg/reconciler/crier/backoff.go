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
// doubling with each further one up to max, less a random part of up to a fifth so that
// jobs that failed together do not all retry together. A success starts a job over.
type backoff struct {
	base, max time.Duration

	mu       sync.Mutex
	failures map[types.UID]int
}

// next counts a failure of the job's report and returns how long to wait before the next.
func (b *backoff) next(uid types.UID) time.Duration {
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
	n := b.failures[uid]
	b.failures[uid] = n + 1
	b.mu.Unlock()
	delay := ceiling
	if n < 32 && base<<n < ceiling && base<<n > 0 {
		delay = base << n
	}
	return delay - time.Duration(rand.Int64N(int64(delay)/5+1))
}

// forget starts the job's delays over.
func (b *backoff) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, uid)
}
