package jsonld_test

import (
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld"
)

// BenchmarkCanonicalize compares a @context of URLs (processed once, then
// cached) with the same context plus an empty inline object, which bypasses
// the active-context cache and is processed on every call.
func BenchmarkCanonicalize(b *testing.B) {
	p := jsonld.New(jsonld.WithExampleContexts())
	for _, bc := range []struct {
		name string
		ctx  []any
	}{
		{"cached-context", []any{"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"}},
		{"uncached-context", []any{"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2", map[string]any{}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			doc := readJSON(b, "vc-di-eddsa/TestVectors/unsigned.json")
			doc["@context"] = bc.ctx
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.CanonicalizeRDFC(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
