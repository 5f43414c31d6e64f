package store

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dgraph-io/badger/v4"
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
	raceExactlyOnce(t, b, 20, 8, func(key string) error {
		_, err := b.Take(key)
		return err
	})
}

// raceExactlyOnce creates a key per round and lets n goroutines consume it
// with take at once: exactly one must succeed, the others get ErrNotFound.
func raceExactlyOnce(t *testing.T, b Bucket, rounds, n int, take func(key string) error) {
	t.Helper()
	for round := range rounds {
		key := fmt.Sprintf("n%d", round)
		if err := b.Create(key, []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		var wins, misses atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := take(key); {
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
		if wins.Load() != 1 || int(misses.Load()) != n-1 {
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

// tree maps every file under dir to its contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A store whose MANIFEST went missing is refused, byte for byte untouched;
// badger would otherwise open it empty and delete its tables.
func TestOpenMissingManifest(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	if err := db.Bucket("k").Put("holder", []byte("key material")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // flushes the memtable to a table
		t.Fatal(err)
	}
	man := filepath.Join(dir, badger.ManifestFilename)
	saved, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(man); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	var ssts, vlogs int
	for p := range before {
		ssts += btoi(strings.HasSuffix(p, ".sst"))
		vlogs += btoi(strings.HasSuffix(p, ".vlog"))
	}
	if ssts == 0 || vlogs == 0 {
		t.Fatalf("want tables and value logs on disk, have %d and %d", ssts, vlogs)
	}
	for range 2 { // a second try must find the same files
		db, err := Open(dir, Options{})
		if !errors.Is(err, ErrCorrupt) {
			if db != nil {
				db.Close()
			}
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
		for _, want := range []string{"no MANIFEST", "nothing was changed", dir} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not say %q", err, want)
			}
		}
	}
	if after := tree(t, dir); !maps.Equal(before, after) {
		t.Fatalf("files changed by a refused Open: %d before, %d after", len(before), len(after))
	}
	// With the MANIFEST back, everything is there.
	if err := os.WriteFile(man, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	db = open(t, dir)
	defer db.Close()
	if v, err := db.Bucket("k").Get("holder"); err != nil || string(v) != "key material" {
		t.Fatalf("after restoring the MANIFEST: %q, %v", v, err)
	}
}

func TestOpenManifestGuard(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  error
	}{
		{"ok/missing directory", nil, nil},
		{"ok/empty directory", []string{}, nil},
		{"ok/other files only", []string{"README", "LOCK", "00001.mem"}, nil},
		{"fail/table without manifest", []string{"000001.sst"}, ErrCorrupt},
		{"fail/value log without manifest", []string{"000001.vlog", "KEYREGISTRY"}, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			if tc.files != nil {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.want != nil {
				_, err := Open(dir, Options{})
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err := checkManifest(dir); err != nil {
				t.Fatalf("checkManifest = %v", err)
			}
		})
	}
	// In memory there is no directory to check.
	db, err := Open(filepath.Join(t.TempDir(), "x"), Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A second Open of a store in use (in this process or another: badger
// takes an flock on the directory) fails fast with ErrLocked, not badger's
// text, and succeeds once the first is closed.
func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) || err.Error() != "store: in use by another process: "+dir {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	db.Close()
	open(t, dir).Close()
}

// TestBatch checks the group commit: concurrent calls share transactions
// yet each behaves as if it had committed alone, in some order.
func TestBatch(t *testing.T) {
	errRefused := errors.New("refused")
	t.Run("ok/take-exactly-once", func(t *testing.T) {
		db := open(t, t.TempDir())
		defer db.Close()
		b := db.Bucket("nonce")
		raceExactlyOnce(t, b, 10, 16, func(key string) error {
			return db.Batch(func(tx Tx) error {
				if _, err := tx.Get(b, key); err != nil {
					return err
				}
				return tx.Delete(b, key)
			})
		})
	})
	t.Run("ok/failed-call-leaves-the-others", func(t *testing.T) {
		db := open(t, t.TempDir())
		defer db.Close()
		b := db.Bucket("b")
		var wg sync.WaitGroup
		errs := make([]error, 64)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Batch(func(tx Tx) error {
					switch i % 3 {
					case 1: // refuses before writing
						return errRefused
					case 2: // writes, then refuses: none of it may stay
						if err := tx.Put(b, fmt.Sprintf("k%02d", i), []byte("x"), 0); err != nil {
							return err
						}
						return errRefused
					}
					return tx.Put(b, fmt.Sprintf("k%02d", i), []byte("v"), 0)
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			want := error(nil)
			if i%3 != 0 {
				want = errRefused
			}
			if !errors.Is(err, want) {
				t.Errorf("call %d: error %v, want %v", i, err, want)
			}
			_, gerr := b.Get(fmt.Sprintf("k%02d", i))
			if stored := gerr == nil; stored != (i%3 == 0) {
				t.Errorf("call %d: stored %v", i, stored)
			}
		}
	})
	t.Run("ok/sees-earlier-calls", func(t *testing.T) {
		db := open(t, t.TempDir())
		defer db.Close()
		b := db.Bucket("ctr")
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Batch(func(tx Tx) error {
					raw, err := tx.Get(b, "n")
					if err != nil && !errors.Is(err, ErrNotFound) {
						return err
					}
					return tx.Put(b, "n", append(raw, '+'), 0)
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		raw, err := b.Get("n")
		if err != nil || len(raw) != 50 {
			t.Fatalf("counter %q (%d), %v; want 50", raw, len(raw), err)
		}
	})
	t.Run("ok/durable-across-reopen", func(t *testing.T) {
		dir := t.TempDir()
		db := open(t, dir)
		b := db.Bucket("b")
		if err := db.Batch(func(tx Tx) error { return tx.Put(b, "k", []byte("v"), 0) }); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = open(t, dir)
		defer db.Close()
		if v, err := db.Bucket("b").Get("k"); err != nil || string(v) != "v" {
			t.Fatalf("after reopen: %q, %v", v, err)
		}
	})
	t.Run("fail/closed", func(t *testing.T) {
		db := open(t, t.TempDir())
		db.Close()
		if err := db.Batch(func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
			t.Fatalf("Batch after Close: %v, want ErrClosed", err)
		}
	})
}

func BenchmarkBatch(b *testing.B) {
	db, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bk := db.Bucket("b")
	var n atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprint(n.Add(1))
			if err := db.Batch(func(tx Tx) error { return tx.Put(bk, k, []byte("v"), 0) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
