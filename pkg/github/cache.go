package github

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Cache defaults: 10,000 entries hold the open pull requests, file lists and label sets of a
// busy installation; the byte bound stops a few huge file lists from taking the memory.
const (
	DefaultCacheEntries = 10000
	DefaultCacheBytes   = 256 << 20
)

// maxEntryFraction: a single response larger than MaxBytes/maxEntryFraction is passed
// through and not stored, so one answer cannot flush the whole cache.
const maxEntryFraction = 16

// Outcomes of a GET that reached the cache, the values of the cache metric's result label.
const (
	cacheMiss        = "miss"        // nothing stored: sent unconditionally
	cacheRevalidated = "revalidated" // GitHub answered 304: served from the cache, free of rate limit
	cacheChanged     = "changed"     // stored, but GitHub sent something else: the entry is replaced or dropped
)

// CacheOptions bound a Cache. Zero fields mean the defaults.
type CacheOptions struct {
	// MaxEntries is the most responses kept. Zero means DefaultCacheEntries.
	MaxEntries int
	// MaxBytes is the most body bytes kept, over all entries. Zero means DefaultCacheBytes.
	MaxBytes int64
}

// Cache keeps GET responses that carry an ETag or Last-Modified, so a repeat GET can ask
// GitHub "has this changed?" and be answered 304, which costs no rate limit. It never answers
// from memory without asking: bosun must see a new head SHA the moment GitHub has it. It
// evicts the least recently used entry beyond its bounds and is safe for concurrent use; one
// Cache may be shared by several clients, whose entries stay apart (see cacheTransport).
type Cache struct {
	maxEntries int
	maxBytes   int64

	mu      sync.Mutex
	bytes   int64
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key    string
	header http.Header
	body   []byte
}

// NewCache returns an empty cache bounded by opts.
func NewCache(opts CacheOptions) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultCacheEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultCacheBytes
	}
	return &Cache{maxEntries: opts.MaxEntries, maxBytes: opts.MaxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// Len returns the number of stored responses.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// get returns the entry under key and marks it recently used. Entries are never modified
// after they are stored, so the caller may read one without the lock.
func (c *Cache) get(key string) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry), true
}

// put stores e, replacing any entry under its key, then evicts from the cold end until the
// bounds hold.
func (c *Cache) put(e *cacheEntry) {
	if int64(len(e.body)) > c.maxBytes/maxEntryFraction {
		c.remove(e.key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(e.key)
	c.entries[e.key] = c.order.PushFront(e)
	c.bytes += int64(len(e.body))
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.removeLocked(c.order.Back().Value.(*cacheEntry).key)
	}
}

func (c *Cache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
}

func (c *Cache) removeLocked(key string) {
	el, ok := c.entries[key]
	if !ok {
		return
	}
	c.order.Remove(el)
	delete(c.entries, key)
	c.bytes -= int64(len(el.Value.(*cacheEntry).body))
}

// cacheTransport makes GETs conditional on what the Cache holds and serves a 304 as the
// stored 200. It must sit below whatever sets Authorization, since entries are kept per
// identity: a response one token may read is never offered to another.
type cacheTransport struct {
	next  http.RoundTripper
	cache *Cache
	// identity names who is asking: a fixed name for an App installation, whose token
	// changes hourly but whose view of GitHub does not; empty means a hash of the request's
	// Authorization header.
	identity string
	// outcomes counts cache results; nil when metrics are off.
	outcomes *prometheus.CounterVec
}

// key is where req's response is stored: identity, Accept (GitHub varies the body by media
// type) and the full URL, query included, so each page of a list is its own entry. The
// Authorization header is hashed so no token sits in memory as a map key.
func (t *cacheTransport) key(req *http.Request) string {
	id := t.identity
	if id == "" {
		sum := sha256.Sum256([]byte(req.Header.Get("Authorization")))
		id = hex.EncodeToString(sum[:])
	}
	return id + "\x00" + req.Header.Get("Accept") + "\x00" + req.URL.String()
}

// RoundTrip implements http.RoundTripper.
func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A caller's own conditional request is its business; so are ranges.
	if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" ||
		req.Header.Get("If-Modified-Since") != "" || req.Header.Get("Range") != "" {
		return t.next.RoundTrip(req)
	}
	key := t.key(req)
	stored, ok := t.cache.get(key)
	send := req
	if ok {
		send = req.Clone(req.Context())
		if etag := stored.header.Get("ETag"); etag != "" {
			send.Header.Set("If-None-Match", etag)
		}
		if lm := stored.header.Get("Last-Modified"); lm != "" {
			send.Header.Set("If-Modified-Since", lm)
		}
	}
	resp, err := t.next.RoundTrip(send)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		t.count(cacheMiss)
	case resp.StatusCode == http.StatusNotModified:
		t.count(cacheRevalidated)
		return t.serveStored(req, resp, stored), nil
	default:
		t.count(cacheChanged)
	}
	return t.store(key, resp)
}

// serveStored answers req with the stored body as a 200, under the stored headers updated by
// the 304's (fresh rate limit figures, possibly a new ETag), and keeps that update.
func (t *cacheTransport) serveStored(req *http.Request, notModified *http.Response, stored *cacheEntry) *http.Response {
	_, _ = io.Copy(io.Discard, io.LimitReader(notModified.Body, drainLimit))
	notModified.Body.Close()

	header := stored.header.Clone()
	for k, v := range notModified.Header {
		if k == "Content-Length" || k == "Content-Type" || k == "Content-Encoding" {
			continue
		}
		header[k] = v
	}
	header.Set("Content-Length", strconv.Itoa(len(stored.body)))
	t.cache.put(&cacheEntry{key: stored.key, header: header, body: stored.body})

	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(stored.body)),
		ContentLength: int64(len(stored.body)),
		Request:       req,
		TLS:           notModified.TLS,
	}
}

// store keeps a 200 that carries a validator and drops the entry for anything else that is an
// answer about the resource (a 404 means it is gone). A 5xx says nothing about the resource,
// so the entry stays for the next try.
func (t *cacheTransport) store(key string, resp *http.Response) (*http.Response, error) {
	validated := resp.Header.Get("ETag") != "" || resp.Header.Get("Last-Modified") != ""
	if resp.StatusCode != http.StatusOK || !validated {
		if resp.StatusCode < 500 {
			t.cache.remove(key)
		}
		return resp, nil
	}
	limit := t.cache.maxBytes / maxEntryFraction
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if int64(len(body)) > limit {
		// Too big to keep: hand over what was read followed by the rest, unbuffered.
		resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(body), resp.Body), Closer: resp.Body}
		t.cache.remove(key)
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	t.cache.put(&cacheEntry{key: key, header: resp.Header.Clone(), body: body})
	return resp, nil
}

func (t *cacheTransport) count(result string) {
	if t.outcomes != nil {
		t.outcomes.WithLabelValues(result).Inc()
	}
}
