package did_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
)

// clock is an injected time source the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newRemote(t *testing.T, n int) (*remote, []string) {
	r := &remote{docs: map[string]*did.Document{}}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("did:ex:%d", i)
		r.docs[id] = &did.Document{ID: id}
		ids = append(ids, id)
	}
	return r, ids
}

func TestCacheTTL(t *testing.T) {
	ctx := context.Background()
	r, ids := newRemote(t, 1)
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	c := did.NewCache(r, did.CacheOptions{TTL: time.Minute, Now: clk.Now})

	steps := []struct {
		name      string
		advance   time.Duration
		wantCalls int
	}{
		{"ok/first-miss", 0, 1},
		{"ok/hit", 30 * time.Second, 1},
		{"ok/hit-just-before-expiry", 30*time.Second - time.Nanosecond, 1},
		{"ok/miss-at-expiry", time.Nanosecond, 2},
		{"ok/hit-after-refresh", 59 * time.Second, 2},
		{"ok/miss-after-second-expiry", time.Second, 3},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		res, err := c.Resolve(ctx, ids[0])
		if err != nil || res.Document.ID != ids[0] {
			t.Fatalf("%s: Resolve = %v, %v", s.name, res, err)
		}
		if got := r.count(); got != s.wantCalls {
			t.Fatalf("%s: %d calls to the method, want %d", s.name, got, s.wantCalls)
		}
	}
	if hits, misses := c.Stats(); hits != 3 || misses != 3 {
		t.Fatalf("Stats() = %d hits, %d misses; want 3, 3", hits, misses)
	}
}

func TestCacheErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		serveStale bool
		cached     bool
		fail       error
		wantStale  bool
		wantErr    error
	}{
		{name: "ok/stale-on-unavailable", serveStale: true, cached: true, fail: did.ErrUnavailable, wantStale: true},
		{name: "fail/stale-off", serveStale: false, cached: true, fail: did.ErrUnavailable, wantErr: did.ErrUnavailable},
		{name: "fail/nothing-cached", serveStale: true, cached: false, fail: did.ErrUnavailable, wantErr: did.ErrUnavailable},
		{name: "fail/not-found-is-not-masked", serveStale: true, cached: true, fail: did.ErrNotFound, wantErr: did.ErrNotFound},
		{name: "fail/deactivated-is-not-masked", serveStale: true, cached: true, fail: did.ErrDeactivated, wantErr: did.ErrDeactivated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ids := newRemote(t, 1)
			clk := &clock{now: time.Unix(1_700_000_000, 0)}
			c := did.NewCache(r, did.CacheOptions{TTL: time.Minute, Now: clk.Now, ServeStale: tc.serveStale})
			if tc.cached {
				if _, err := c.Resolve(ctx, ids[0]); err != nil {
					t.Fatal(err)
				}
			}
			clk.Add(2 * time.Minute)
			r.set(tc.fail)
			res, err := c.Resolve(ctx, ids[0])
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || res != nil {
					t.Fatalf("Resolve = %v, %v; want %v", res, err, tc.wantErr)
				}
				return
			}
			if err != nil || res.Document.ID != ids[0] || res.DocumentMetadata.Stale != tc.wantStale {
				t.Fatalf("Resolve = %+v, %v; want stale=%v", res, err, tc.wantStale)
			}
			// Errors are not cached: once the registry is back, the next
			// call refreshes, and the cached entry was never marked stale.
			r.set(nil)
			res, err = c.Resolve(ctx, ids[0])
			if err != nil || res.DocumentMetadata.Stale {
				t.Fatalf("after recovery: %+v, %v", res, err)
			}
		})
	}
}

func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	r, ids := newRemote(t, 1000)
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	const max = 64
	c := did.NewCache(r, did.CacheOptions{TTL: time.Hour, MaxEntries: max, Now: clk.Now})
	for _, id := range ids {
		if _, err := c.Resolve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// Size is not exported: with the registry failing, a miss inserts
	// nothing, so the DIDs still answered are exactly the cache's entries.
	r.set(did.ErrNotFound)
	cached := 0
	for _, id := range ids {
		if _, err := c.Resolve(ctx, id); err == nil {
			cached++
		}
	}
	if cached < max/2 || cached > max {
		t.Fatalf("%d entries cached, want %d..%d", cached, max/2, max)
	}
	if _, err := c.Resolve(ctx, ids[len(ids)-1]); err != nil {
		t.Fatalf("the newest entry was evicted: %v", err)
	}
}

func TestCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	r, ids := newRemote(t, 50)
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	c := did.NewCache(r, did.CacheOptions{TTL: time.Second, MaxEntries: 16, Now: clk.Now, ServeStale: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := ids[(g*7+i)%len(ids)]
				switch i % 100 {
				case 10:
					clk.Add(time.Second)
				case 20:
					r.set(did.ErrUnavailable)
				case 30:
					r.set(nil)
				}
				res, err := c.Resolve(ctx, id)
				if err != nil {
					if !errors.Is(err, did.ErrUnavailable) {
						t.Error(err)
					}
					continue
				}
				if res.Document.ID != id {
					t.Errorf("Resolve(%s) = %s", id, res.Document.ID)
				}
			}
		}()
	}
	wg.Wait()
	hits, misses := c.Stats()
	if hits+misses != 8*500 {
		t.Fatalf("Stats() = %d + %d, want %d lookups", hits, misses, 8*500)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	ctx := context.Background()
	c := did.NewCache(didkey.Resolver{}, did.CacheOptions{})
	if _, err := c.Resolve(ctx, edDID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Resolve(ctx, edDID); err != nil {
			b.Fatal(err)
		}
	}
}
