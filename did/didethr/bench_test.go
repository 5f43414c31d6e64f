package didethr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
)

// benchIdentity writes n service changes for a fresh identity on the
// embedded chain and returns a resolver and its DID.
func benchIdentity(b *testing.B, n int) (*didethr.Resolver, string) {
	l := ledgertest.Embedded(b)
	c, err := didethr.NewController(l)
	if err != nil {
		b.Fatal(err)
	}
	k, _ := crypto.GenerateKey()
	s := didethr.KeySigner(k)
	for i := 0; i < n; i++ {
		if _, err := c.SetAttribute(context.Background(), s, s.Address(), "did/svc/Hub", []byte(fmt.Sprintf("https://hub.example/%d", i)), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	r, err := didethr.New(didethr.Options{}, didethr.NetworkOf(l))
	if err != nil {
		b.Fatal(err)
	}
	return r, didethr.DIDForAddress(l.ChainID, s.Address())
}

// BenchmarkResolveCold: an identity with 10 changes in its history, no
// cache; reports the chain calls one resolution takes.
func BenchmarkResolveCold(b *testing.B) {
	r, id := benchIdentity(b, 10)
	ctx := context.Background()
	before := r.RPCCalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Resolve(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.RPCCalls()-before)/float64(b.N), "rpc/op")
}

// BenchmarkResolveCached: the same identity behind did.Cache.
func BenchmarkResolveCached(b *testing.B) {
	r, id := benchIdentity(b, 10)
	cache := did.NewCache(r, did.CacheOptions{TTL: time.Hour})
	ctx := context.Background()
	if _, err := cache.Resolve(ctx, id); err != nil {
		b.Fatal(err)
	}
	before := r.RPCCalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cache.Resolve(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.RPCCalls()-before)/float64(b.N), "rpc/op")
}
