package crier

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"knative.dev/pkg/logging"
)

// LedgerConfigMap names the ConfigMap, in each ProwJob namespace, in which the reporter
// records the jobs whose pending status it posted and whose final state it has not yet
// recorded on the job (prev_report_states). It is what lets a restarted, upgraded or newly
// elected reporter skip re-posting pending for every running job, without a write to each
// job: the records of many jobs go into one write.
//
// Deleting it costs one repeated pending status per running job; nothing else depends on
// it.
const LedgerConfigMap = "bosun-crier-reported"

// ledgerKey is the binaryData key holding the jobs' UIDs, 16 bytes each, sorted.
const ledgerKey = "pending"

// Bounds of the ledger.
const (
	// maxLedgerEntries keeps the ConfigMap well under the apiserver's 1 MiB limit
	// (16 bytes an entry). A job reported past it is not recorded, and a restart re-posts
	// its pending status.
	maxLedgerEntries = 50_000
	// defaultFlushDelay gathers the records of this long into one write: a crash loses at
	// most the records of the last delay (those jobs get their pending status again).
	defaultFlushDelay = 250 * time.Millisecond
	// defaultPruneInterval is how often records of jobs that are gone are dropped.
	defaultPruneInterval = 5 * time.Minute
)

// ledgers are the ledgers of the namespaces a reporter reports jobs of.
type ledgers struct {
	configMaps func(namespace string) corev1client.ConfigMapInterface
	// exists reports the UIDs of the jobs of a namespace the reporter still sees; nil
	// turns pruning off.
	exists func(namespace string) (map[types.UID]bool, error)
	// flushDelay and pruneInterval default to defaultFlushDelay and defaultPruneInterval.
	flushDelay, pruneInterval time.Duration

	// flushers counts the background writers; each ends once its last records are written.
	// Nil means a WaitGroup of the ledgers' own.
	flushers *sync.WaitGroup
	// workersDone, when set, is closed once the reporter's workers stopped. The writers go
	// on after ctx ends until then: knative's workers finish the reports under way and
	// drain the queue after their context ended, and a record made then must be written
	// too, or a restart posts that job's pending status again. Nil ends the writers with
	// ctx.
	workersDone <-chan struct{}

	mu   sync.Mutex
	byNS map[string]*ledger
	// ctx ends the flushers.
	ctx context.Context
}

// start makes the ledgers write in the background until ctx ends, and write what is left
// then. Before start, or without it, records are written by Flush only.
func (l *ledgers) start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flushers == nil {
		l.flushers = &sync.WaitGroup{}
	}
	l.ctx = ctx
	for _, led := range l.byNS {
		l.runFlusher(led)
	}
}

// get returns the namespace's ledger, made on first use.
func (l *ledgers) get(namespace string) *ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	if led, ok := l.byNS[namespace]; ok {
		return led
	}
	if l.byNS == nil {
		l.byNS = map[string]*ledger{}
	}
	led := &ledger{
		client:  l.configMaps(namespace),
		known:   map[uidKey]bool{},
		adds:    map[uidKey]bool{},
		removes: map[uidKey]bool{},
		stale:   true,
		dirty:   make(chan struct{}, 1),
	}
	if l.exists != nil {
		led.exists = func() (map[types.UID]bool, error) { return l.exists(namespace) }
	}
	l.byNS[namespace] = led
	if l.ctx != nil {
		l.runFlusher(led)
	}
	return led
}

// markStale makes every ledger read the apiserver's copy before it next answers "not
// reported": another replica may have reported jobs this one now owns (a bucket promotion).
func (l *ledgers) markStale() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, led := range l.byNS {
		led.markStale()
	}
}

// Flush writes every ledger's unwritten records now.
func (l *ledgers) Flush(ctx context.Context) error {
	l.mu.Lock()
	all := make([]*ledger, 0, len(l.byNS))
	for _, led := range l.byNS {
		all = append(all, led)
	}
	l.mu.Unlock()
	for _, led := range all {
		if err := led.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (l *ledgers) runFlusher(led *ledger) {
	delay, prune := l.flushDelay, l.pruneInterval
	if delay <= 0 {
		delay = defaultFlushDelay
	}
	if prune <= 0 {
		prune = defaultPruneInterval
	}
	l.flushers.Add(1)
	go func() {
		defer l.flushers.Done()
		led.run(l.ctx, l.workersDone, delay, prune)
	}()
}

// ledger is one namespace's record of reported pending statuses (LedgerConfigMap).
type ledger struct {
	client corev1client.ConfigMapInterface
	exists func() (map[types.UID]bool, error)

	mu sync.Mutex
	// known is what the ledger holds as far as this process knows: the apiserver's copy
	// when last read or written, with the records not yet written.
	known map[uidKey]bool
	// adds and removes are the records not yet written.
	adds, removes map[uidKey]bool
	// stale says known must be read again before it answers "not reported".
	stale bool
	// resourceVersion is that of the copy known was last read from or written as; empty
	// when there is none yet.
	resourceVersion string
	// full says a record was dropped for lack of room; logged once.
	full bool
	// gone holds the UIDs a prune pass found missing; the next pass drops those still
	// missing (a job just created may not have reached this replica's informer yet).
	gone  map[uidKey]bool
	dirty chan struct{}
}

// uidKey is a job's UID as the ledger stores it (uidBytes).
type uidKey = [16]byte

// reported says whether the job's pending status was posted by this or another reporter.
func (l *ledger) reported(ctx context.Context, id types.UID) (bool, error) {
	uid := uidBytes(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known[uid] {
		return true, nil
	}
	if !l.stale {
		return false, nil
	}
	if err := l.readLocked(ctx); err != nil {
		return false, err
	}
	return l.known[uid], nil
}

// add records that the job's pending status was posted.
func (l *ledger) add(ctx context.Context, id types.UID) {
	uid := uidBytes(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known[uid] {
		return
	}
	if len(l.known) >= maxLedgerEntries {
		if !l.full {
			l.full = true
			logging.FromContext(ctx).Warnw("The reporter's ledger is full: a restart will post pending again for the jobs reported from now on",
				"configmap", LedgerConfigMap, "entries", len(l.known))
		}
		return
	}
	l.known[uid] = true
	l.adds[uid] = true
	delete(l.removes, uid)
	l.signal()
}

// remove drops the job's record: its final state is recorded on the job, or it is gone.
func (l *ledger) remove(id types.UID) {
	uid := uidBytes(id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known[uid] && !l.adds[uid] {
		return
	}
	delete(l.known, uid)
	delete(l.adds, uid)
	l.removes[uid] = true
	l.signal()
}

func (l *ledger) markStale() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stale = true
}

func (l *ledger) signal() {
	select {
	case l.dirty <- struct{}{}:
	default:
	}
}

// run writes the records a delay after they are made and prunes now and then until ctx
// ends; then it goes on writing, under a context of its own, until workersDone is closed
// (at once when it is nil), and writes what is left.
func (l *ledger) run(ctx context.Context, workersDone <-chan struct{}, delay, prune time.Duration) {
	log := logging.FromContext(ctx)
	pruneTicker := time.NewTicker(prune)
	defer pruneTicker.Stop()
	prunes := pruneTicker.C
	stopping := ctx.Done()
	// stopped is closed once there is nothing more to wait for before the last write.
	var stopped <-chan struct{}
	for {
		select {
		case <-stopping:
			// Records made from now on are the workers' last; pruning is over.
			stopping, prunes = nil, nil
			ctx = context.WithoutCancel(ctx)
			if workersDone == nil {
				closed := make(chan struct{})
				close(closed)
				stopped = closed
			} else {
				stopped = workersDone
			}
		case <-stopped:
			final, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := l.flush(final); err != nil {
				log.Warnw("Could not write the reporter's ledger before stopping", "error", err)
			}
			cancel()
			return
		case <-prunes:
			if err := l.prune(ctx); err != nil {
				log.Warnw("Could not prune the reporter's ledger", "error", err)
			}
		case <-l.dirty:
			// Gather what comes within the delay into one write.
			timer := time.NewTimer(delay)
			select {
			case <-stopping:
			case <-stopped:
			case <-timer.C:
			}
			timer.Stop()
			write, cancel := ctx, context.CancelFunc(func() {})
			if stopping == nil {
				// ctx no longer ends: bound each write while the workers finish.
				write, cancel = context.WithTimeout(ctx, 5*time.Second)
			}
			err := l.flush(write)
			cancel()
			if err != nil && ctx.Err() == nil {
				log.Warnw("Could not write the reporter's ledger; retrying", "error", err)
				l.signal()
			}
		}
	}
}

// prune drops the records of jobs missing from two passes in a row.
func (l *ledger) prune(ctx context.Context) error {
	if l.exists == nil {
		return nil
	}
	live, err := l.exists()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	alive := make(map[uidKey]bool, len(live))
	for id := range live {
		alive[uidBytes(id)] = true
	}
	gone := map[uidKey]bool{}
	for uid := range l.known {
		if alive[uid] {
			continue
		}
		if l.gone[uid] {
			delete(l.known, uid)
			delete(l.adds, uid)
			l.removes[uid] = true
			continue
		}
		gone[uid] = true
	}
	l.gone = gone
	if len(l.removes) > 0 {
		l.signal()
	}
	return nil
}

// flush writes the unwritten records into the apiserver's copy, merging with what other
// replicas wrote there.
func (l *ledger) flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.adds) == 0 && len(l.removes) == 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		if l.resourceVersion == "" {
			if err := l.readLocked(ctx); err != nil {
				return err
			}
		}
		err := l.writeLocked(ctx)
		if err == nil {
			return nil
		}
		if (!apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err)) || attempt >= 5 {
			return fmt.Errorf("write ConfigMap %s: %w", LedgerConfigMap, err)
		}
		// Another replica wrote meanwhile: read its copy and merge again.
		l.resourceVersion = ""
	}
}

// readLocked replaces known with the apiserver's copy plus the unwritten records.
func (l *ledger) readLocked(ctx context.Context) error {
	cm, err := l.client.Get(ctx, LedgerConfigMap, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cm = nil
	case err != nil:
		return fmt.Errorf("read ConfigMap %s: %w", LedgerConfigMap, err)
	}
	known := decodeUIDs(cm)
	for uid := range l.adds {
		known[uid] = true
	}
	for uid := range l.removes {
		delete(known, uid)
	}
	l.known, l.stale = known, false
	l.resourceVersion = "none"
	if cm != nil {
		l.resourceVersion = cm.ResourceVersion
	}
	return nil
}

// writeLocked writes known as the apiserver's copy, guarded by the version it was read as.
func (l *ledger) writeLocked(ctx context.Context) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:   LedgerConfigMap,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "bosun"},
		},
		BinaryData: map[string][]byte{ledgerKey: encodeUIDs(l.known)},
	}
	var (
		written *corev1.ConfigMap
		err     error
	)
	if l.resourceVersion == "none" {
		written, err = l.client.Create(ctx, cm, metav1.CreateOptions{})
	} else {
		cm.ResourceVersion = l.resourceVersion
		written, err = l.client.Update(ctx, cm, metav1.UpdateOptions{})
	}
	if err != nil {
		return err
	}
	l.resourceVersion = written.ResourceVersion
	clear(l.adds)
	clear(l.removes)
	return nil
}

// encodeUIDs packs UIDs as sorted 16-byte values.
func encodeUIDs(set map[uidKey]bool) []byte {
	vals := make([]uidKey, 0, len(set))
	for uid := range set {
		vals = append(vals, uid)
	}
	slices.SortFunc(vals, func(a, b uidKey) int { return bytes.Compare(a[:], b[:]) })
	out := make([]byte, 0, 16*len(vals))
	for _, v := range vals {
		out = append(out, v[:]...)
	}
	return out
}

// decodeUIDs unpacks what encodeUIDs packed; a ConfigMap of nil holds nothing.
func decodeUIDs(cm *corev1.ConfigMap) map[uidKey]bool {
	set := map[uidKey]bool{}
	if cm == nil {
		return set
	}
	data := cm.BinaryData[ledgerKey]
	for len(data) >= 16 {
		set[uidKey(data[:16])] = true
		data = data[16:]
	}
	return set
}

// uidBytes is a UID as 16 bytes: the UUID the apiserver made it from, or for a UID that is
// not one (only fakes make those) a UUID derived from it.
func uidBytes(uid types.UID) uidKey {
	if u, err := uuid.Parse(string(uid)); err == nil {
		return u
	}
	return uuid.NewSHA1(uuid.Nil, []byte(uid))
}
