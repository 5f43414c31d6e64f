package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBucketBasics(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	a, b := db.Bucket("a"), db.Bucket("b")
	if err := a.Put("k", []byte("va")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put("k", []byte("vb")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		bucket Bucket
		key    string
		want   string
		err    error
	}{
		{"ok/a", a, "k", "va", nil},
		{"ok/buckets are separate", b, "k", "vb", nil},
		{"fail/missing", a, "nope", "", ErrNotFound},
		{"fail/prefix is not a key", a, "", "", ErrNotFound},
	} {
		got, err := tc.bucket.Get(tc.key)
		if !errors.Is(err, tc.err) || string(got) != tc.want {
			t.Errorf("%s: Get = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
	if err := a.Create("k", []byte("x"), 0); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over an existing key: %v", err)
	}
	if err := a.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete("k"); err != nil {
		t.Fatalf("deleting an absent key: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What was written survives a reopen.
	db = open(t, dir)
	defer db.Close()
	if got, err := db.Bucket("b").Get("k"); err != nil || string(got) != "vb" {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
	if _, err := db.Bucket("a").Get("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted key came back: %v", err)
	}
}

func TestJSONAndEach(t *testing.T) {
	db := open(t, t.TempDir())
	defer db.Close()
	b := db.Bucket("items")
	for i := range 5 {
		if err := b.PutJSON(fmt.Sprintf("k%d", i), map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	db.Bucket("other").Put("k9", []byte("{}"))
	var keys []string
	if err := b.Each(0, func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys) != "[k0 k1 k2 k3 k4]" {
		t.Fatalf("Each walked %v", keys)
	}
	n := 0
	b.Each(2, func(string, []byte) error { n++; return nil })
	if n != 2 {
		t.Fatalf("Each with limit 2 walked %d", n)
	}
	var v struct{ N int }
	if err := b.GetJSON("k3", &v); err != nil || v.N != 3 {
		t.Fatalf("GetJSON: %+v, %v", v, err)
	}
	b.Put("bad", []byte("{"))
	if err := b.GetJSON("bad", &v); err == nil {
		t.Fatal("GetJSON of invalid JSON succeeded")
	}
}

// Take is how nonces are consumed: of many concurrent takers exactly one wins.
func TestTakeExactlyOnce(t *testing.T) {
	db := open(t, t.TempDir())
	defer db.Close()
	b := db.Bucket("nonce")
	for round := range 20 {
		key := fmt.Sprintf("n%d", round)
		if err := b.Create(key, []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		var wins, misses atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.Take(key)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, ErrNotFound):
					misses.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || misses.Load() != 7 {
			t.Fatalf("round %d: %d winners, %d misses", round, wins.Load(), misses.Load())
		}
	}
}

func TestPing(t *testing.T) {
	db := open(t, t.TempDir())
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("Ping on a closed store succeeded")
	}
}
