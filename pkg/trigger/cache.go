package trigger

import "sync"

// boundedCache keeps values under string keys, at most size entries and, when maxBytes is
// set, at most that many bytes by sizeOf; the oldest entries go first. The values it keeps
// are answers that never change (a head commit's changed files, a blob by its id), so
// entries need no expiry, only a bound.
type boundedCache[V any] struct {
	mu       sync.Mutex
	values   map[string]V
	order    []string // ring of keys in insertion order
	next     int
	bytes    int64
	maxBytes int64
	sizeOf   func(V) int64
}

func newBoundedCache[V any](size int, maxBytes int64, sizeOf func(V) int64) *boundedCache[V] {
	return &boundedCache[V]{values: make(map[string]V, size), order: make([]string, size), maxBytes: maxBytes, sizeOf: sizeOf}
}

func (c *boundedCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[key]
	return v, ok
}

// set keeps v under key, replacing what key held.
func (c *boundedCache[V]) set(key string, v V) {
	c.mu.Lock()
	if old, ok := c.values[key]; ok {
		if c.sizeOf != nil {
			c.bytes += c.sizeOf(v) - c.sizeOf(old)
		}
		c.values[key] = v
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.put(key, v)
}

// put keeps v under key unless key is there already or v alone is over the byte bound.
func (c *boundedCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.values[key]; ok {
		return
	}
	var size int64
	if c.sizeOf != nil {
		size = c.sizeOf(v)
		if c.maxBytes > 0 && size > c.maxBytes {
			return
		}
	}
	for {
		c.evictLocked()
		if c.maxBytes <= 0 || c.bytes+size <= c.maxBytes || len(c.values) == 0 {
			break
		}
		c.next = (c.next + 1) % len(c.order)
	}
	c.order[c.next] = key
	c.next = (c.next + 1) % len(c.order)
	c.values[key] = v
	c.bytes += size
}

// evictLocked frees the ring slot at next.
func (c *boundedCache[V]) evictLocked() {
	old := c.order[c.next]
	if old == "" {
		return
	}
	if v, ok := c.values[old]; ok {
		if c.sizeOf != nil {
			c.bytes -= c.sizeOf(v)
		}
		delete(c.values, old)
	}
	c.order[c.next] = ""
}
