package adversarial

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/internal/jsonld"
)

// TestReview2RDFCPoisonGraph: RDFC-1.0 (URDNA2015) needs Hash N-Degree
// Quads for every group of blank nodes with equal first-degree hashes and
// tries every permutation of each group of related nodes. JSON-LD makes a
// blank node of every nested object without an id, so a ~1.3 KB credential
// whose subject holds two objects with nine identical children each cost
// about a minute of CPU in json-gold's Normalize (ten children: ~10 min)
// on POST /v1/credentials/verify, which needs no authentication, and for an
// ldp_vc inside a presentation at /v1/gateway/token. Fixed: internal/jsonld
// refuses, before canonicalizing, a dataset with more equal blank nodes than
// jsonld.MaxEquivalentBlankNodes (RDFC-1.0 §4.4, poison graphs) with
// jsonld_too_complex.
func TestReview2RDFCPoisonGraph(t *testing.T) {
	s := start(t, "")
	h := newHolder(t)
	bs := []any{}
	for i := 0; i < 2; i++ {
		cs := []any{}
		for j := 0; j < 9; j++ {
			cs = append(cs, map[string]any{"https://schema.org/name": "x"})
		}
		bs = append(bs, map[string]any{"https://schema.org/knows": cs})
	}
	sig, _ := multibase.Encode(multibase.Base58BTC, ed25519.Sign(h.priv, []byte("not the real hash")))
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
		"type":              []any{"VerifiableCredential"},
		"issuer":            h.DID,
		"credentialSubject": map[string]any{"https://schema.org/knows": bs},
		"proof": map[string]any{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
			"verificationMethod": h.Kid, "proofPurpose": "assertionMethod", "proofValue": sig},
	}
	body := mustJSON(t, map[string]any{"verifiableCredential": doc})
	if len(body) > 2000 {
		t.Fatalf("document is %d bytes", len(body))
	}
	c := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("POST", s.URL+"/v1/credentials/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	st := time.Now()
	r, err := c.Do(req)
	if err != nil {
		t.Fatalf("a %d-byte credential kept /v1/credentials/verify busy for over %v (%v); want a quick refusal", len(body), time.Since(st).Round(time.Second), err)
	}
	defer r.Body.Close()
	var prob struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	if err := json.NewDecoder(r.Body).Decode(&prob); err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusUnprocessableEntity || prob.Code != jsonld.CodeTooComplex {
		t.Fatalf("status %s code %q (%s); want 422 %s", r.Status, prob.Code, prob.Detail, jsonld.CodeTooComplex)
	}
	// 18 equal children: refused by the equal-blank-node limit.
	if want := fmt.Sprintf("18 blank nodes (objects without an id) that cannot be told apart; RDF canonicalization accepts at most %d", jsonld.MaxEquivalentBlankNodes); !strings.Contains(prob.Detail, want) {
		t.Fatalf("detail %q does not name the limit (%q)", prob.Detail, want)
	}
}
