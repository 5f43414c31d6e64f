package did

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a Resolver that remembers successful resolutions for a TTL.
// Versioned lookups (a DID URL with a query) are cached like any other key:
// a historical version never changes.
type Cache struct {
	next       Resolver
	ttl        time.Duration
	now        func() time.Time
	max        int
	serveStale bool

	mu      sync.RWMutex
	entries map[string]cacheEntry

	hits, misses atomic.Uint64
}

type cacheEntry struct {
	res     *Resolution
	expires time.Time
}

var _ Resolver = (*Cache)(nil)

// CacheOptions tune a Cache; zero values mean the documented defaults.
type CacheOptions struct {
	TTL        time.Duration    // default 5 minutes
	MaxEntries int              // default 10,000; the oldest half is dropped when full
	Now        func() time.Time // default time.Now
	// ServeStale answers with the expired cached document, marked Stale,
	// when the method reports ErrUnavailable.
	ServeStale bool
}

// NewCache wraps next with a TTL cache.
func NewCache(next Resolver, o CacheOptions) *Cache {
	if o.TTL == 0 {
		o.TTL = 5 * time.Minute
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 10_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache{next: next, ttl: o.TTL, now: o.Now, max: o.MaxEntries, serveStale: o.ServeStale, entries: map[string]cacheEntry{}}
}

// Resolve answers from the cache while fresh, otherwise asks the next resolver.
func (c *Cache) Resolve(ctx context.Context, s string) (*Resolution, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[s]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		c.count(true)
		return e.res, nil
	}
	c.count(false)
	res, err := c.next.Resolve(ctx, s)
	if err != nil {
		if ok && c.serveStale && errors.Is(err, ErrUnavailable) {
			stale := *e.res
			stale.DocumentMetadata.Stale = true
			return &stale, nil
		}
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		c.evictLocked(now)
	}
	c.entries[s] = cacheEntry{res: res, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return res, nil
}

func (c *Cache) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// Stats reports cache hits and misses since start.
func (c *Cache) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}

// evictLocked drops expired entries, then, if still full, about half the rest.
func (c *Cache) evictLocked(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max/2 {
			break
		}
		delete(c.entries, k)
	}
}
