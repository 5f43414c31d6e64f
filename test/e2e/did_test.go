package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/multiformats/go-multibase"
)

// resolution is a W3C DID Resolution result, as far as these tests read it.
type resolution struct {
	DIDDocument *struct {
		ID                 string `json:"id"`
		VerificationMethod []struct {
			ID                 string `json:"id"`
			Type               string `json:"type"`
			Controller         string `json:"controller"`
			PublicKeyMultibase string `json:"publicKeyMultibase"`
		} `json:"verificationMethod"`
		AssertionMethod []string `json:"assertionMethod"`
		Authentication  []string `json:"authentication"`
	} `json:"didDocument"`
	Metadata struct {
		Error string `json:"error"`
	} `json:"didResolutionMetadata"`
}

// ed25519Vectors returns DID → raw public key for every Ed25519 entry of
// the w3c-ccg did:key vectors (test/vectors/did-key/SOURCES.md).
func ed25519Vectors(t *testing.T) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile("../vectors/did-key/ed25519-x25519.json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]struct {
		VerificationKeyPair struct {
			Type            string `json:"type"`
			PublicKeyBase58 string `json:"publicKeyBase58"`
		} `json:"verificationKeyPair"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for d, e := range f {
		if e.VerificationKeyPair.Type != "Ed25519VerificationKey2018" {
			continue
		}
		_, pub, err := multibase.Decode("z" + e.VerificationKeyPair.PublicKeyBase58)
		if err != nil || len(pub) != 32 {
			t.Fatalf("%s: publicKeyBase58: %v", d, err)
		}
		out[d] = pub
	}
	if len(out) == 0 {
		t.Fatal("no Ed25519 vectors")
	}
	return out
}

// checkResolution asserts the document names did and carries pub as its
// one verification method did#<multibase>, for assertions and authentication.
func checkResolution(t *testing.T, body []byte, did string, pub []byte) {
	t.Helper()
	var res resolution
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	doc := res.DIDDocument
	if doc == nil || doc.ID != did || len(doc.VerificationMethod) != 1 {
		t.Fatalf("didDocument does not name %s with one method: %s", did, body)
	}
	vm := doc.VerificationMethod[0]
	wantID := did + "#" + strings.TrimPrefix(did, "did:key:")
	if vm.ID != wantID || vm.Controller != did {
		t.Errorf("method id %s controller %s, want %s and %s", vm.ID, vm.Controller, wantID, did)
	}
	_, key, err := multibase.Decode(vm.PublicKeyMultibase)
	// Multikey: 0xed 0x01 is the varint multicodec ed25519-pub.
	if err != nil || !bytes.Equal(key, append([]byte{0xed, 0x01}, pub...)) {
		t.Errorf("publicKeyMultibase %s does not hold the vector's key (%v)", vm.PublicKeyMultibase, err)
	}
	if len(doc.AssertionMethod) != 1 || doc.AssertionMethod[0] != wantID || len(doc.Authentication) != 1 || doc.Authentication[0] != wantID {
		t.Errorf("assertionMethod %v authentication %v, want [%s]", doc.AssertionMethod, doc.Authentication, wantID)
	}
}

// TestDIDResolve resolves the w3c-ccg Ed25519 did:key vectors with `cflow did
// resolve` and GET /1.0/identifiers/{did}, and checks the error codes.
func TestDIDResolve(t *testing.T) {
	t.Parallel()
	vectors := ed25519Vectors(t)
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--roles", "resolver")

	for _, d := range sortedKeys(vectors) {
		t.Run("ok/cli/"+d, func(t *testing.T) {
			r := mustCflow(t, nil, "did", "resolve", d)
			checkResolution(t, []byte(r.stdout), d, vectors[d])
		})
		t.Run("ok/http/"+d, func(t *testing.T) {
			r := get(t, base+"/1.0/identifiers/"+d)
			if r.status != http.StatusOK {
				t.Fatalf("GET: %s", r)
			}
			checkResolution(t, r.body, d, vectors[d])
		})
	}

	for _, tt := range []struct {
		name, did string
		exit      int
		status    int
		code      string
	}{
		{"fail/unknown-method", "did:example:1", 1, http.StatusNotImplemented, "METHOD_NOT_SUPPORTED"},
		{"fail/invalid-did:key", "did:key:zzz", 2, http.StatusBadRequest, "INVALID_DID"},
	} {
		t.Run(tt.name+"/cli", func(t *testing.T) {
			r := cflow(t, nil, nil, "did", "resolve", tt.did)
			var res resolution
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("stdout is not a resolution result: %v\n%s", err, r)
			}
			if r.code != tt.exit || res.DIDDocument != nil || res.Metadata.Error != tt.code {
				t.Errorf("exit %d error %q, want exit %d error %s\n%s", r.code, res.Metadata.Error, tt.exit, tt.code, r)
			}
		})
		t.Run(tt.name+"/http", func(t *testing.T) {
			r := get(t, base+"/1.0/identifiers/"+tt.did)
			var res resolution
			_ = json.Unmarshal(r.body, &res)
			p := r.json(t)
			if r.status != tt.status || p["type"] != "https://www.w3.org/ns/did#"+tt.code || res.Metadata.Error != tt.code {
				t.Errorf("got %s, want %d with type did#%s", r, tt.status, tt.code)
			}
		})
	}
}
