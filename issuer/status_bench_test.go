package issuer

import (
	"context"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/store"
)

var benchNoSync = os.Getenv("CFLOW_BENCH_NOSYNC") != ""

// benchService is a Service with status lists over a store with sync
// writes (the production setting), and one profile.
func benchService(b *testing.B) (*Service, *Profile, string) {
	b.Helper()
	dir := b.TempDir()
	db, err := store.Open(dir, store.Options{NoSync: benchNoSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	mk := make([]byte, kms.MasterKeySize)
	rand.Read(mk)
	keys, err := kms.New(db.Bucket("kms"), mk)
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, keys, nil)
	if err := s.EnableStatus(db, StatusConfig{BaseURL: "https://issuer.example"}); err != nil {
		b.Fatal(err)
	}
	p, err := s.CreateProfile(context.Background(), CreateProfileRequest{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s, p, dir
}

// allocateN allocates and records n credentials from 32 goroutines (the
// store groups concurrent commits into one fsync) and returns their ids.
func allocateN(b *testing.B, s *Service, p *Profile, n int) []string {
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				slot, err := s.status.allocate(context.Background(), p)
				if err != nil {
					b.Error(err)
					return
				}
				id := "urn:uuid:bench-" + strconv.Itoa(i)
				if err := s.recordIssued(Record{ID: id, ProfileID: p.ID, Issuer: p.DID}, slot); err != nil {
					b.Error(err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	return ids
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkStatusAllocate: draw an index and record it durably with the
// issuance record (one synced transaction each), 32 concurrent issuers.
// Signing is not included. Run with -benchtime=1000000x for the 1M figure.
func BenchmarkStatusAllocate(b *testing.B) {
	s, p, dir := benchService(b)
	b.ResetTimer()
	allocateN(b, s, p, b.N)
	b.StopTimer()
	b.ReportMetric(float64(dirSize(b, dir))/float64(b.N), "store-B/credential")
	b.ReportMetric(float64(len(s.StatusListIDs())), "lists")
}

// BenchmarkStatusRevoke: revoke b.N distinct credentials (each a synced
// transaction), 32 concurrent callers. -benchtime=100000x for the figure.
func BenchmarkStatusRevoke(b *testing.B) {
	s, p, _ := benchService(b)
	ids := allocateN(b, s, p, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				if _, err := s.SetStatus(context.Background(), ids[i], StatusChange{Purpose: PurposeRevocation, Value: true}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkStatusPublish: re-sign and store one 131,072-entry list with 1%
// of its bits set (encode, sign, store with sync).
func BenchmarkStatusPublish(b *testing.B) {
	s, p, _ := benchService(b)
	allocateN(b, s, p, 1)
	ll, ok := s.status.list(s.StatusListIDs()[0])
	if !ok {
		b.Fatal("no list")
	}
	for i := 0; i < status.MinEntries; i += 100 {
		ll.bits.Set(i, true)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ll.mu.Lock()
		ll.dirty = true
		ll.mu.Unlock()
		if n, err := s.PublishStatusLists(ctx); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
}
