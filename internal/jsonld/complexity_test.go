package jsonld_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld"
)

func credential(subject map[string]any) map[string]any {
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
		"type":              []any{"VerifiableCredential"},
		"issuer":            "did:example:issuer",
		"credentialSubject": subject,
	}
}

// equalChildren is the poison shape of the review: parents objects without
// ids under one subject, each holding children equal objects without ids.
func equalChildren(parents, children int) map[string]any {
	ps := []any{}
	for i := 0; i < parents; i++ {
		cs := []any{}
		for j := 0; j < children; j++ {
			cs = append(cs, map[string]any{"https://schema.org/name": "x"})
		}
		ps = append(ps, map[string]any{"https://schema.org/knows": cs})
	}
	return map[string]any{"https://schema.org/knows": ps}
}

// pairs is a binary tree of the given depth below the subject in which
// the two children of a node are equal and children of different nodes
// differ by a name: every group of equal blank nodes has two members, but
// the Hash N-Degree Quads work grows with every level.
func pairs(depth int) map[string]any { return pairNode(depth, "r", "r") }

func pairNode(depth int, name, tag string) map[string]any {
	n := map[string]any{"https://schema.org/name": name}
	if depth == 0 {
		return n
	}
	n["https://schema.org/knows"] = []any{pairNode(depth-1, tag, tag+".0"), pairNode(depth-1, tag, tag+".1")}
	return n
}

// distinct returns n objects without ids that differ by name.
func distinct(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"https://schema.org/name": fmt.Sprint("n", i)}
	}
	return out
}

func values(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprint("value ", i)
	}
	return out
}

func TestCanonicalizeLimits(t *testing.T) {
	p := jsonld.New()
	tests := []struct {
		name    string
		subject map[string]any
		want    string // "" = accepted
	}{
		{"ok/equivalent-at-limit", equalChildren(1, jsonld.MaxEquivalentBlankNodes), ""},
		{"fail/equivalent-over-limit", equalChildren(1, jsonld.MaxEquivalentBlankNodes+1), jsonld.CodeTooComplex},
		{"ok/two-parents-three-children", equalChildren(2, 3), ""},
		{"fail/review-poison-2x9", equalChildren(2, 9), jsonld.CodeTooComplex},
		// The credential and its subject are blank nodes too.
		{"ok/blank-nodes-at-limit", map[string]any{"https://schema.org/knows": distinct(jsonld.MaxBlankNodes - 2)}, ""},
		{"fail/blank-nodes-over-limit", map[string]any{"https://schema.org/knows": distinct(jsonld.MaxBlankNodes - 1)}, jsonld.CodeTooComplex},
		// type, issuer and credentialSubject are the other three statements.
		{"ok/quads-at-limit", map[string]any{"https://schema.org/name": values(jsonld.MaxQuads - 3)}, ""},
		{"fail/quads-over-limit", map[string]any{"https://schema.org/name": values(jsonld.MaxQuads - 2)}, jsonld.CodeTooComplex},
		{"fail/values-over-limit", map[string]any{"https://schema.org/name": values(jsonld.MaxQuads + 1)}, jsonld.CodeTooComplex},
		{"ok/pairs-depth-4", pairs(4), ""},
		{"fail/pairs-depth-5", pairs(5), jsonld.CodeTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.CanonicalizeRDFC(credential(tt.subject))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var je *jsonld.Error
			if !errors.As(err, &je) || je.Code != tt.want || !errors.Is(err, jsonld.ErrTooComplex) {
				t.Fatalf("err = %v, want code %s", err, tt.want)
			}
		})
	}
}

// TestVectorsWithinLimits: every JSON-LD document under test/vectors that
// canonicalizes at all stays within the limits.
func TestVectorsWithinLimits(t *testing.T) {
	p := jsonld.New(jsonld.WithExampleContexts())
	n := 0
	err := filepath.WalkDir(vectors, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc map[string]any
		if json.Unmarshal(raw, &doc) != nil || doc["@context"] == nil {
			return nil
		}
		delete(doc, "proof")
		_, err = p.CanonicalizeRDFC(doc)
		if errors.Is(err, jsonld.ErrTooComplex) {
			t.Errorf("%s: %v", path, err)
		}
		if err == nil {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d vectors canonicalized", n)
	}
}

// BenchmarkCanonicalizeLimits: the cost of refusing the review's poison
// graph, and of the most expensive accepted shapes at each limit.
func BenchmarkCanonicalizeLimits(b *testing.B) {
	p := jsonld.New()
	for _, bc := range []struct {
		name    string
		subject map[string]any
		refused bool
	}{
		{"refuse/poison-2x9", equalChildren(2, 9), true},
		{"refuse/quads", map[string]any{"https://schema.org/name": values(jsonld.MaxQuads + 1)}, true},
		{"accept/equivalent-at-limit", equalChildren(1, jsonld.MaxEquivalentBlankNodes), false},
		{"accept/pairs-depth-4", pairs(4), false},
		{"accept/blank-nodes-at-limit", map[string]any{"https://schema.org/knows": distinct(jsonld.MaxBlankNodes - 2)}, false},
		{"accept/quads-at-limit", map[string]any{"https://schema.org/name": values(jsonld.MaxQuads - 3)}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			doc := credential(bc.subject)
			for b.Loop() {
				if _, err := p.CanonicalizeRDFC(doc); (err != nil) != bc.refused {
					b.Fatal(err)
				}
			}
		})
	}
}
