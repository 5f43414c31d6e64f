package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/store"
)

func openStore(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

var fixed = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return fixed }

// fill appends n token events from one goroutine.
func fill(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := range n {
		if err := l.Record(context.Background(), Event{Type: TypeTokenGranted, Decision: DecisionAllow,
			Holder: fmt.Sprintf("did:key:z%d", i), CredentialTypes: []string{"EmployeeCredential"}, Rule: "trust"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentAppendsMakeOneChain(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	l := Open(db, clock)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- l.Record(context.Background(), Event{Type: TypeVerifyPres, Decision: DecisionDeny, Code: "expired",
					Holder: fmt.Sprintf("did:key:w%d-%d", w, i)})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(db)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != writers*each {
		t.Fatalf("Entries = %d, want %d", rep.Entries, writers*each)
	}
	// Every holder appears exactly once: no append lost or doubled.
	all, err := Tail(db, writers*each+10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i+1, e.Seq)
		}
		if seen[e.Holder] {
			t.Fatalf("holder %s recorded twice", e.Holder)
		}
		seen[e.Holder] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct events, want %d", len(seen), writers*each)
	}
	if err := l.Record(context.Background(), Event{Type: TypeIssued}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Record after Close: %v", err)
	}
}

func TestChainSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db := openStore(t, dir)
	l := Open(db, clock)
	fill(t, l, 3)
	l.Close()
	db.Close()

	db = openStore(t, dir)
	defer db.Close()
	l = Open(db, clock)
	fill(t, l, 2)
	l.Close()
	rep, err := Verify(db)
	if err != nil || rep.Entries != 5 {
		t.Fatalf("Verify = %+v, %v; want 5 entries", rep, err)
	}
	got, err := Tail(db, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 || got[1].Prev != got[0].Hash {
		t.Fatalf("Tail(2) = %+v", got)
	}
}

func TestEntryContent(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	l := Open(db, clock)
	ev := Event{Type: TypeIssued, Decision: DecisionIssued, Issuer: "did:key:zIss", Holder: "did:key:zHol",
		CredentialIDs: []string{"urn:uuid:1"}, CredentialTypes: []string{"VerifiableCredential", "EmployeeCredential"}, Format: "jwt_vc_json"}
	if err := l.Record(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	l.Close()
	raw, err := db.Bucket(bucketEntries).Get(seqKey(1))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"time":"2025-01-02T03:04:05Z","type":"credential.issued","decision":"issued","issuer":"did:key:zIss","holder":"did:key:zHol","credentialIds":["urn:uuid:1"],"credentialTypes":["VerifiableCredential","EmployeeCredential"],"format":"jwt_vc_json","prev":""}`
	if got := string(raw[32:]); got != want {
		t.Fatalf("stored body\n got %s\nwant %s", got, want)
	}
	es, err := Tail(db, 1)
	if err != nil || len(es) != 1 || es[0].Event.Holder != "did:key:zHol" || len(es[0].Hash) != 64 {
		t.Fatalf("Tail = %+v, %v", es, err)
	}
}

func TestTail(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	if es, err := Tail(db, 5); err != nil || len(es) != 0 {
		t.Fatalf("empty log: %v, %v", es, err)
	}
	if rep, err := Verify(db); err != nil || rep.Entries != 0 {
		t.Fatalf("empty log verifies: %+v, %v", rep, err)
	}
	l := Open(db, clock)
	fill(t, l, 4)
	l.Close()
	for _, tc := range []struct {
		name  string
		n     int
		first uint64
		count int
	}{
		{"ok/fewer than stored", 2, 3, 2},
		{"ok/exactly", 4, 1, 4},
		{"ok/more than stored", 10, 1, 4},
		{"ok/zero", 0, 0, 0},
	} {
		es, err := Tail(db, tc.n)
		if err != nil || len(es) != tc.count || (tc.count > 0 && es[0].Seq != tc.first) {
			t.Errorf("%s: Tail(%d) = %d entries from %v, %v", tc.name, tc.n, len(es), es, err)
		}
	}
}

// TestTampering is the issue's bad input "an audit log with one byte
// changed", plus removals and reorders: Verify names the first broken entry.
func TestTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, db *store.DB)
		seq    uint64
		reason string
	}{
		{"fail/one byte of a body changed", func(t *testing.T, db *store.DB) {
			flip(t, db, 3, func(v []byte) { v[len(v)-10] ^= 0x01 })
		}, 3, "does not match its hash"},
		{"fail/one byte of a stored hash changed", func(t *testing.T, db *store.DB) {
			flip(t, db, 2, func(v []byte) { v[0] ^= 0x80 })
		}, 2, "does not match its hash"},
		{"fail/body and its hash rewritten", func(t *testing.T, db *store.DB) {
			rewrite(t, db, 2, func(e *Entry) { e.Holder = "did:key:zForged" })
		}, 3, "prev"},
		{"fail/middle entry deleted", func(t *testing.T, db *store.DB) {
			if err := db.Bucket(bucketEntries).Delete(seqKey(2)); err != nil {
				t.Fatal(err)
			}
		}, 2, "missing"},
		{"fail/last entry deleted", func(t *testing.T, db *store.DB) {
			if err := db.Bucket(bucketEntries).Delete(seqKey(5)); err != nil {
				t.Fatal(err)
			}
		}, 5, "head says"},
		{"fail/entries swapped", func(t *testing.T, db *store.DB) {
			b := db.Bucket(bucketEntries)
			v2, _ := b.Get(seqKey(2))
			v3, _ := b.Get(seqKey(3))
			_ = b.Put(seqKey(2), v3)
			_ = b.Put(seqKey(3), v2)
		}, 2, "sequence"},
		{"fail/entry forged at the end", func(t *testing.T, db *store.DB) {
			v, _ := db.Bucket(bucketEntries).Get(seqKey(5))
			_ = db.Bucket(bucketEntries).Put(seqKey(6), v)
		}, 6, "sequence"},
		{"fail/truncated value", func(t *testing.T, db *store.DB) {
			_ = db.Bucket(bucketEntries).Put(seqKey(4), []byte{1, 2, 3})
		}, 4, "shorter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t, t.TempDir())
			defer db.Close()
			l := Open(db, clock)
			fill(t, l, 5)
			l.Close()
			tc.edit(t, db)
			_, err := Verify(db)
			var be *BrokenError
			if !errors.Is(err, ErrBroken) || !errors.As(err, &be) {
				t.Fatalf("Verify = %v, want ErrBroken", err)
			}
			if be.Seq != tc.seq || !strings.Contains(be.Reason, tc.reason) {
				t.Fatalf("broken at %d (%s), want %d (%s)", be.Seq, be.Reason, tc.seq, tc.reason)
			}
		})
	}
}

func flip(t *testing.T, db *store.DB, seq uint64, f func([]byte)) {
	t.Helper()
	b := db.Bucket(bucketEntries)
	v, err := b.Get(seqKey(seq))
	if err != nil {
		t.Fatal(err)
	}
	f(v)
	if err := b.Put(seqKey(seq), v); err != nil {
		t.Fatal(err)
	}
}

// rewrite changes an entry and re-hashes it consistently: only the next
// entry's link gives it away.
func rewrite(t *testing.T, db *store.DB, seq uint64, f func(*Entry)) {
	t.Helper()
	b := db.Bucket(bucketEntries)
	v, err := b.Get(seqKey(seq))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decode(seq, v)
	if err != nil {
		t.Fatal(err)
	}
	f(&e)
	nv, _, err := encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(seqKey(seq), nv); err != nil {
		t.Fatal(err)
	}
}

func TestRecordHonoursContext(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	l := Open(db, clock)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := l.Record(ctx, Event{Type: TypeIssued})
	// Either it was queued before the check (nil) or refused with the cause.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Record on a cancelled context: %v", err)
	}
}

func TestStoreClosedFailsAppend(t *testing.T) {
	db := openStore(t, t.TempDir())
	l := Open(db, clock)
	defer l.Close()
	db.Close()
	if err := l.Record(context.Background(), Event{Type: TypeIssued}); err == nil {
		t.Fatal("append on a closed store succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	e := Entry{Seq: 1, Time: fixed, Event: Event{Type: TypeIssued, Holder: "did:key:z"}}
	v, _, _ := encode(e)
	f.Add(v)
	f.Add([]byte{})
	f.Add(append(make([]byte, 32), `{"seq":1}`...))
	f.Fuzz(func(t *testing.T, val []byte) {
		got, err := decode(1, val)
		if err != nil {
			if !errors.Is(err, ErrBroken) {
				t.Fatalf("decode error is not ErrBroken: %v", err)
			}
			return
		}
		// What decodes re-encodes to a value that decodes the same.
		again, _, err := encode(got)
		if err != nil {
			t.Fatal(err)
		}
		got2, err := decode(1, again)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(got2)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the entry:\n%s\n%s", a, b)
		}
	})
}

func BenchmarkRecord(b *testing.B) {
	db, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := Open(db, nil)
	defer l.Close()
	ev := Event{Type: TypeTokenGranted, Decision: DecisionAllow, Holder: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		CredentialIDs: []string{"urn:uuid:0d9ef0b2-3a8f-4b0b-9a7a-8c2f1b6f3a1e"}, CredentialTypes: []string{"VerifiableCredential", "EmployeeCredential"}, Rule: "trust"}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Record(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAppendInBatch: entries appended inside other writers' store.Batch
// transactions join the same linear chain as Record's, and an append whose
// transaction fails leaves nothing behind.
func TestAppendInBatch(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	l := Open(db, clock)
	other := db.Bucket("other")
	errRefused := errors.New("refused")
	const writers, each = 8, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				holder := fmt.Sprintf("did:key:w%d-%d", w, i)
				var err error
				switch {
				case w%2 == 0:
					err = l.Record(context.Background(), Event{Type: TypeIssued, Holder: holder})
				case i%5 == 0: // the caller's own write fails after the append
					err = db.Batch(func(tx store.Tx) error {
						if err := l.Append(tx, Event{Type: TypeTokenGranted, Holder: "lost:" + holder}); err != nil {
							return err
						}
						return errRefused
					})
					if !errors.Is(err, errRefused) {
						t.Errorf("failed batch: %v", err)
					}
					err = nil
				default:
					err = db.Batch(func(tx store.Tx) error {
						if err := tx.Put(other, holder, []byte{1}, 0); err != nil {
							return err
						}
						return l.Append(tx, Event{Type: TypeTokenGranted, Holder: holder})
					})
				}
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(db)
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(writers/2*each + writers/2*(each-each/5))
	if rep.Entries != want {
		t.Fatalf("Entries = %d, want %d", rep.Entries, want)
	}
	all, err := Tail(db, int(want))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if strings.HasPrefix(e.Holder, "lost:") {
			t.Fatalf("entry %d of a failed transaction was kept", e.Seq)
		}
		if e.Type == TypeTokenGranted {
			if _, err := other.Get(e.Holder); err != nil {
				t.Fatalf("entry %d committed without its transaction's other write: %v", e.Seq, err)
			}
		}
	}
}
