package jsonld

import (
	"testing"

	"github.com/piprate/json-gold/ld"
)

// TestHashNDegreeWork pins the estimate for small shapes so a change to it
// is a decision, not an accident.
func TestHashNDegreeWork(t *testing.T) {
	knows := func(children ...any) map[string]any { return map[string]any{"https://schema.org/knows": children} }
	leaf := func() map[string]any { return map[string]any{"https://schema.org/name": "x"} }
	tests := []struct {
		name    string
		subject map[string]any
		want    uint64
	}{
		{"ok/no-equal-nodes", knows(map[string]any{"https://schema.org/name": "a"}, map[string]any{"https://schema.org/name": "b"}), 0},
		// Each child's only related node, the parent, is unique: 1·1·2 each.
		{"ok/one-parent-six-children", knows(knows(leaf(), leaf(), leaf(), leaf(), leaf(), leaf())), 12},
		// Two components {parent, 3 children}: 4²·3!·(3 + 3!·3) each.
		{"ok/two-parents-three-children", knows(knows(leaf(), leaf(), leaf()), knows(leaf(), leaf(), leaf())), 4224},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := p.Expand(map[string]any{"@context": "https://www.w3.org/ns/credentials/v2",
				"type": "VerifiableCredential", "issuer": "did:example:1", "credentialSubject": tt.subject})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := ld.NewJsonLdApi().ToRDF(exp.nodes, p.opts)
			if err != nil {
				t.Fatal(err)
			}
			mentions := map[string][]*ld.Quad{}
			for _, g := range ds.Graphs {
				for _, q := range g {
					for _, n := range [...]ld.Node{q.Subject, q.Object, q.Graph} {
						if n != nil && ld.IsBlankNode(n) {
							mentions[n.GetValue()] = append(mentions[n.GetValue()], q)
						}
					}
				}
			}
			first := map[string][32]byte{}
			count := map[[32]byte]int{}
			for id, qs := range mentions {
				first[id] = firstDegreeKey(id, qs)
				count[first[id]]++
			}
			shared := map[string]bool{}
			for id, h := range first {
				if count[h] > 1 {
					shared[id] = true
				}
			}
			if got := hashNDegreeWork(mentions, first, shared); got != tt.want {
				t.Fatalf("work = %d, want %d", got, tt.want)
			}
		})
	}
}
