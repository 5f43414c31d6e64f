package e2e

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// vectorCase is one entry of test/vectors/did-jwt-vc/cases.json (tokens made
// by did-jwt-vc 4.0.16; see that folder's SOURCES.md).
type vectorCase struct {
	JWT    string `json:"jwt"`
	Expect string `json:"expect"`
	Issuer string `json:"issuer"`
	Holder string `json:"holder"`
}

// The presentations in cases.json are bound to these (SOURCES.md).
const (
	vectorChallenge = "nonce-123"
	vectorDomain    = "https://gateway.example"
)

// vectorWant maps each case to the code a correct verifier answers ("" =
// verified). A case added to the file without an entry here fails the test.
var vectorWant = map[string]string{
	"ed25519-valid":            "",
	"p256-valid":               "",
	"secp256k1-valid":          "",
	"vp-valid":                 "",
	"ed25519-expired":          "expired",
	"ed25519-notyet":           "not_yet_valid",
	"ed25519-tampered-payload": "signature_invalid",
	"alg-none":                 "alg_not_allowed",
	// An EdDSA header whose iss is a P-256 did:key: the algorithm does not
	// fit the key the DID names.
	"issuer-key-mismatch":   "alg_key_mismatch",
	"vp-holder-not-subject": "holder_mismatch",
}

func loadVectors(t *testing.T) map[string]vectorCase {
	t.Helper()
	raw, err := os.ReadFile("../vectors/did-jwt-vc/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]vectorCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for name := range f.Cases {
		if _, ok := vectorWant[name]; !ok {
			t.Errorf("case %s has no expected code in vectorWant", name)
		}
	}
	if len(f.Cases) != len(vectorWant) {
		t.Fatalf("cases.json has %d cases, vectorWant %d", len(f.Cases), len(vectorWant))
	}
	return f.Cases
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isPresentation(name string) bool { return len(name) > 3 && name[:3] == "vp-" }
