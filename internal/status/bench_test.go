package status_test

import (
	"math/rand/v2"
	"testing"

	"github.com/credentialflow/cflow/internal/status"
)

// benchList is a MinEntries list with 1% of its entries set at random, the
// shape of a revocation list in use; the seed is fixed so runs compare.
func benchList(b *testing.B) *status.List {
	b.Helper()
	l, err := status.New(status.MinEntries)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range status.MinEntries / 100 {
		if err := l.Set(r.IntN(status.MinEntries), true); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

func BenchmarkGet(b *testing.B) {
	enc, err := benchList(b).Encode()
	if err != nil {
		b.Fatal(err)
	}
	l, err := status.Decode(enc)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var set int
	// A plain b.N loop: b.Loop would keep Get from being inlined into it,
	// and inlined is how callers see it.
	for i := range b.N {
		v, err := l.Get((i * 7919) & (status.MinEntries - 1))
		if err != nil {
			b.Fatal(err)
		}
		if v {
			set++
		}
	}
	_ = set
}

func BenchmarkSet(b *testing.B) {
	l := benchList(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := l.Set((i*7919)&(status.MinEntries-1), i&1 == 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode131072(b *testing.B) {
	for _, bc := range []struct {
		name string
		list func(*testing.B) *status.List
	}{
		{"empty", func(b *testing.B) *status.List { l, _ := status.New(status.MinEntries); return l }},
		{"1pct-set", benchList},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := bc.list(b)
			b.SetBytes(status.MinEntries / 8)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Encode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode131072(b *testing.B) {
	empty, _ := status.New(status.MinEntries)
	for _, bc := range []struct {
		name string
		list *status.List
	}{
		{"empty", empty},
		{"1pct-set", benchList(b)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			enc, err := bc.list.Encode()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(status.MinEntries / 8)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := status.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
