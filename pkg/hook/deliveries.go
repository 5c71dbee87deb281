package hook

import (
	"sync"
	"time"
)

// DeliveryMemoryOptions bound the memory of handled deliveries.
type DeliveryMemoryOptions struct {
	// Size is how many delivery ids are kept (default 100,000, a few MB).
	Size int
	// TTL is how long an id is remembered (default one hour).
	TTL time.Duration
}

// deliveryMemory remembers recently handled X-GitHub-Delivery ids so that a redelivered
// event is answered without running plugins again. It is a fast path only: ProwJob names are
// derived from the delivery id, so a delivery this replica forgot (or another replica
// handled) still creates nothing twice.
type deliveryMemory struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	at    map[string]time.Time
	order []string // ring of ids in insertion order
	next  int
	now   func() time.Time
}

func newDeliveryMemory(o DeliveryMemoryOptions) *deliveryMemory {
	if o.Size <= 0 {
		o.Size = 100_000
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	return &deliveryMemory{size: o.Size, ttl: o.TTL, at: make(map[string]time.Time, o.Size), order: make([]string, o.Size), now: time.Now}
}

func (m *deliveryMemory) seen(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.at[id]
	return ok && m.now().Sub(t) < m.ttl
}

func (m *deliveryMemory) remember(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.at[id]; ok {
		m.at[id] = m.now()
		return
	}
	if old := m.order[m.next]; old != "" {
		delete(m.at, old)
	}
	m.order[m.next] = id
	m.next = (m.next + 1) % m.size
	m.at[id] = m.now()
}
