package statuscheck_test

import (
	"context"
	"testing"

	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// BenchmarkCheckCached is the status check of a credential whose list is
// in the cache: parse the entry, find the list, read the bit.
func BenchmarkCheckCached(b *testing.B) {
	iss := newKey(b)
	const url = "https://issuer.example/v1/status/1"
	body := iss.sign(b, listDoc(url, iss.did, "revocation", encoded(b, status.MinEntries, 3)))
	c := newChecker(b, statuscheck.Config{Fetcher: statuscheck.FetcherFunc(func(context.Context, string) ([]byte, error) {
		return []byte(body), nil
	})})
	cred := credential(b, iss.did, entry(url, "revocation", 94567))
	ctx := context.Background()
	if err := c.CheckStatus(ctx, cred); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CheckStatus(ctx, cred); err != nil {
			b.Fatal(err)
		}
	}
}
