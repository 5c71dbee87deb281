package github

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCacheBounds(t *testing.T) {
	entry := func(key string, size int) *cacheEntry {
		return &cacheEntry{key: key, header: http.Header{}, body: []byte(strings.Repeat("x", size))}
	}
	tests := []struct {
		name     string
		opts     CacheOptions
		puts     []*cacheEntry
		touch    string // read after the puts but before the last one
		wantKeys []string
		wantGone []string
	}{{
		name:     "entries beyond MaxEntries evict the least recently used",
		opts:     CacheOptions{MaxEntries: 3},
		puts:     []*cacheEntry{entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1)},
		wantKeys: []string{"b", "c", "d"},
		wantGone: []string{"a"},
	}, {
		name:     "reading an entry keeps it",
		opts:     CacheOptions{MaxEntries: 3},
		puts:     []*cacheEntry{entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1)},
		touch:    "a",
		wantKeys: []string{"a", "c", "d"},
		wantGone: []string{"b"},
	}, {
		name:     "bytes beyond MaxBytes evict",
		opts:     CacheOptions{MaxEntries: 100, MaxBytes: 160}, // an entry may hold 10 bytes
		puts:     []*cacheEntry{entry("a", 10), entry("b", 10), entry("c", 10), entry("d", 10), entry("e", 10), entry("f", 10), entry("g", 10), entry("h", 10), entry("i", 10), entry("j", 10), entry("k", 10), entry("l", 10), entry("m", 10), entry("n", 10), entry("o", 10), entry("p", 10), entry("q", 10)},
		wantKeys: []string{"b", "q"},
		wantGone: []string{"a"},
	}, {
		name:     "an entry too big for its share is not kept",
		opts:     CacheOptions{MaxEntries: 100, MaxBytes: 160},
		puts:     []*cacheEntry{entry("a", 1), entry("big", 11)},
		wantKeys: []string{"a"},
		wantGone: []string{"big"},
	}, {
		name:     "replacing an entry keeps one",
		opts:     CacheOptions{MaxEntries: 2},
		puts:     []*cacheEntry{entry("a", 1), entry("b", 1), entry("a", 5)},
		wantKeys: []string{"a", "b"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(tc.opts)
			for i, e := range tc.puts {
				if i == len(tc.puts)-1 && tc.touch != "" {
					c.get(tc.touch)
				}
				c.put(e)
			}
			for _, k := range tc.wantKeys {
				if _, ok := c.get(k); !ok {
					t.Errorf("entry %q was evicted", k)
				}
			}
			for _, k := range tc.wantGone {
				if _, ok := c.get(k); ok {
					t.Errorf("entry %q is still there", k)
				}
			}
			if c.Len() > c.maxEntries || c.bytes > c.maxBytes {
				t.Errorf("cache holds %d entries and %d bytes, bounds %d and %d", c.Len(), c.bytes, c.maxEntries, c.maxBytes)
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		c := NewCache(CacheOptions{})
		if c.maxEntries != DefaultCacheEntries || c.maxBytes != DefaultCacheBytes {
			t.Errorf("bounds = %d entries, %d bytes; want %d, %d", c.maxEntries, c.maxBytes, DefaultCacheEntries, DefaultCacheBytes)
		}
	})
}

// TestCacheConcurrent is meant for -race: many clients share one small cache.
func TestCacheConcurrent(t *testing.T) {
	c := NewCache(CacheOptions{MaxEntries: 8})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprintf("k%d", (g+i)%16)
				if e, ok := c.get(key); ok && e.key != key {
					t.Errorf("get(%q) returned entry %q", key, e.key)
				}
				c.put(&cacheEntry{key: key, header: http.Header{}, body: []byte(key)})
				if i%7 == 0 {
					c.remove(key)
				}
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 8 {
		t.Errorf("Len() = %d, want at most 8", n)
	}
}

func TestCacheKey(t *testing.T) {
	req := func(url, auth, accept string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		return r
	}
	const pr = "https://api.github.com/repos/acme/widgets/pulls/1"
	tests := []struct {
		name     string
		identity string
		a, b     *http.Request
		wantSame bool
	}{
		{name: "same token, URL and Accept", a: req(pr, "Bearer one", "application/json"), b: req(pr, "Bearer one", "application/json"), wantSame: true},
		{name: "different tokens", a: req(pr, "Bearer one", ""), b: req(pr, "Bearer two", "")},
		{name: "token and none", a: req(pr, "Bearer one", ""), b: req(pr, "", "")},
		{name: "different Accept", a: req(pr, "Bearer one", "application/vnd.github.v3.diff"), b: req(pr, "Bearer one", "application/json")},
		{name: "different page", a: req(pr+"/files?page=1", "Bearer one", ""), b: req(pr+"/files?page=2", "Bearer one", "")},
		{name: "an App installation's rotated tokens", identity: "app 1 installation 2", a: req(pr, "token ghs_old", ""), b: req(pr, "token ghs_new", ""), wantSame: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := &cacheTransport{identity: tc.identity}
			ka, kb := ct.key(tc.a), ct.key(tc.b)
			if (ka == kb) != tc.wantSame {
				t.Errorf("keys equal = %v, want %v", ka == kb, tc.wantSame)
			}
			if strings.Contains(ka, "one") || strings.Contains(ka, "ghs_") {
				t.Errorf("key %q holds a token", ka)
			}
		})
	}
}

// TestCacheStore covers what the cache keeps of each kind of answer.
func TestCacheStore(t *testing.T) {
	const url = "https://api.github.com/repos/acme/widgets/pulls/1"
	etag := map[string]string{"ETag": `W/"abc"`}
	tests := []struct {
		name      string
		seed      bool // an entry exists before the request
		answer    answer
		wantKept  bool
		wantBody  string
		wantIfNot string // If-None-Match the request carried
	}{
		{name: "200 with an ETag is kept", answer: answer{status: 200, header: etag, body: "new"}, wantKept: true, wantBody: "new"},
		{name: "200 with Last-Modified is kept", answer: answer{status: 200, header: map[string]string{"Last-Modified": "Sun, 01 Mar 2026 12:00:00 GMT"}, body: "new"}, wantKept: true, wantBody: "new"},
		{name: "200 without validators is not", answer: answer{status: 200, body: "new"}, wantBody: "new"},
		{name: "304 serves the stored body", seed: true, answer: answer{status: 304, header: etag}, wantKept: true, wantBody: "old", wantIfNot: `W/"abc"`},
		{name: "404 drops the entry", seed: true, answer: answer{status: 404, body: "gone"}, wantBody: "gone", wantIfNot: `W/"abc"`},
		{name: "503 keeps the entry", seed: true, answer: answer{status: 503, body: "down"}, wantKept: true, wantBody: "down", wantIfNot: `W/"abc"`},
		{name: "too big to keep is passed whole", answer: answer{status: 200, header: etag, body: strings.Repeat("y", 100)}, wantBody: strings.Repeat("y", 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotIfNot string
			next := &scripted{script: []answer{tc.answer}, onRound: nil}
			cache := NewCache(CacheOptions{MaxBytes: 16 * 64}) // an entry may hold 64 bytes
			ct := &cacheTransport{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				gotIfNot = r.Header.Get("If-None-Match")
				return next.RoundTrip(r)
			}), cache: cache}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.seed {
				cache.put(&cacheEntry{key: ct.key(req), header: http.Header{"Etag": {`W/"abc"`}}, body: []byte("old")})
			}
			resp, err := ct.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			if tc.answer.status == 304 && resp.StatusCode != 200 {
				t.Errorf("status = %d, want the stored 200", resp.StatusCode)
			}
			if gotIfNot != tc.wantIfNot {
				t.Errorf("If-None-Match = %q, want %q", gotIfNot, tc.wantIfNot)
			}
			if _, kept := cache.get(ct.key(req)); kept != tc.wantKept {
				t.Errorf("entry kept = %v, want %v", kept, tc.wantKept)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
