package didkey_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/did/multikey"
	"github.com/credentialflow/cflow/did/resolvertest"
)

const vectors = "../../test/vectors/did-key"

// keyBytes is how the tests compare keys: raw Ed25519/X25519 bytes, or the
// uncompressed SEC1 point of an EC key.
func keyBytes(t *testing.T, k crypto.PublicKey) []byte {
	t.Helper()
	switch k := k.(type) {
	case ed25519.PublicKey:
		return k
	case *ecdh.PublicKey:
		return k.Bytes()
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 1+2*size)
		out[0] = 4
		k.X.FillBytes(out[1 : 1+size])
		k.Y.FillBytes(out[1+size:])
		return out
	}
	t.Fatalf("unexpected key type %T", k)
	return nil
}

// vectorVM is a verification method as the vectors write it (older types).
type vectorVM struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	PublicKeyJwk json.RawMessage `json:"publicKeyJwk"`
	Base58       string          `json:"publicKeyBase58"`
}

// expected decodes the key the vector gives, independently of multikey:
// publicKeyJwk through did.PublicKeyFromJWK, publicKeyBase58 as raw bytes
// of the named curve.
func expected(t *testing.T, vm vectorVM, curve string) []byte {
	t.Helper()
	if len(vm.PublicKeyJwk) > 0 {
		k, err := did.PublicKeyFromJWK(vm.PublicKeyJwk)
		if err != nil {
			t.Fatalf("vector JWK %s: %v", vm.ID, err)
		}
		return keyBytes(t, k)
	}
	_, raw, err := multibase.Decode("z" + vm.Base58)
	if err != nil {
		t.Fatalf("vector base58 %s: %v", vm.ID, err)
	}
	switch curve {
	case "ed25519", "x25519":
		return raw
	case "secp256k1":
		k, err := secp256k1.ParsePubKey(raw)
		if err != nil {
			t.Fatalf("vector secp256k1 %s: %v", vm.ID, err)
		}
		return k.SerializeUncompressed()
	case "p256":
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), raw)
		if x == nil {
			t.Fatalf("vector P-256 %s: not a compressed point", vm.ID)
		}
		return elliptic.Marshal(elliptic.P256(), x, y) //nolint:staticcheck // test helper
	}
	t.Fatalf("no decoder for %s", curve)
	return nil
}

func load(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type want struct {
	key   []byte
	agree bool // keyAgreement only
}

// resolveKey resolves a did:key and returns its single method's key bytes,
// after checking the document shape our resolver promises.
func resolveKey(t *testing.T, s string, w want) {
	t.Helper()
	res, err := didkey.Resolver{}.Resolve(context.Background(), s)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", s, err)
	}
	doc := res.Document
	mb := strings.TrimPrefix(s, "did:key:")
	vmID := s + "#" + mb
	if len(doc.VerificationMethod) != 1 {
		t.Fatalf("%d verification methods, want 1", len(doc.VerificationMethod))
	}
	vm := doc.VerificationMethod[0]
	if vm.ID != vmID || vm.Type != did.TypeMultikey || vm.Controller != s || vm.PublicKeyMultibase != mb {
		t.Fatalf("verification method = %+v", vm)
	}
	k, err := vm.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if got := keyBytes(t, k); !bytes.Equal(got, w.key) {
		t.Fatalf("key = %x, want %x", got, w.key)
	}
	for _, p := range []did.Purpose{did.Authentication, did.AssertionMethod, did.CapabilityInvocation, did.CapabilityDelegation} {
		_, err := doc.Method(vmID, p)
		if w.agree && !errors.Is(err, did.ErrMethodNotAuthorized) {
			t.Errorf("X25519 key under %s: %v", p, err)
		}
		if !w.agree && err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	_, err = doc.Method(vmID, did.KeyAgreement)
	if w.agree != (err == nil) {
		t.Errorf("keyAgreement: agree=%v err=%v", w.agree, err)
	}
}

func TestEd25519X25519Vectors(t *testing.T) {
	var v map[string]struct {
		Verification vectorVM `json:"verificationKeyPair"`
		Agreement    vectorVM `json:"keyAgreementKeyPair"`
	}
	load(t, "ed25519-x25519.json", &v)
	if len(v) != 5 {
		t.Fatalf("%d vectors, want 5", len(v))
	}
	for s, e := range v {
		t.Run("ok/ed25519/"+s, func(t *testing.T) {
			resolveKey(t, s, want{key: expected(t, e.Verification, "ed25519")})
		})
		// The vectors' derived X25519 key is itself a did:key (§3.1.1 step 4).
		x := "did:key:" + e.Agreement.ID[strings.Index(e.Agreement.ID, "#")+1:]
		t.Run("ok/x25519/"+x, func(t *testing.T) {
			resolveKey(t, x, want{key: expected(t, e.Agreement, "x25519"), agree: true})
		})
	}
}

func TestX25519Vectors(t *testing.T) {
	var v struct {
		Docs map[string]struct {
			VM []vectorVM `json:"verificationMethod"`
		} `json:"didDocument"`
	}
	load(t, "x25519.json", &v)
	if len(v.Docs) != 4 {
		t.Fatalf("%d vectors, want 4", len(v.Docs))
	}
	for s, doc := range v.Docs {
		t.Run("ok/"+s, func(t *testing.T) {
			resolveKey(t, s, want{key: expected(t, doc.VM[0], "x25519"), agree: true})
		})
	}
}

func TestNISTVectors(t *testing.T) {
	var v map[string]struct {
		VM vectorVM `json:"verificationMethod"`
	}
	load(t, "nist-curves.json", &v)
	var p256, p384, p521 int
	for s, e := range v {
		switch {
		case strings.HasPrefix(s, "did:key:zDn"):
			p256++
			t.Run("ok/p256/"+s, func(t *testing.T) { resolveKey(t, s, want{key: expected(t, e.VM, "p256")}) })
		case strings.HasPrefix(s, "did:key:z82"):
			p384++
			t.Run("ok/p384/"+s, func(t *testing.T) { resolveKey(t, s, want{key: expected(t, e.VM, "")}) })
		case strings.HasPrefix(s, "did:key:z2J9"):
			// P-521 (multicodec 0x1202) is not in our key table.
			p521++
			t.Run("fail/p521/"+s, func(t *testing.T) { wantUnsupported(t, s) })
		default:
			t.Fatalf("unexpected vector %s", s)
		}
	}
	if p256 != 3 || p384 != 2 || p521 != 2 {
		t.Fatalf("P-256 %d, P-384 %d, P-521 %d vectors; want 3, 2, 2", p256, p384, p521)
	}
}

func TestSecp256k1Vectors(t *testing.T) {
	var v map[string]struct {
		VM vectorVM `json:"verificationKeyPair"`
	}
	load(t, "secp256k1.json", &v)
	if len(v) != 6 {
		t.Fatalf("%d vectors, want 6", len(v))
	}
	for s, e := range v {
		t.Run("ok/"+s, func(t *testing.T) { resolveKey(t, s, want{key: expected(t, e.VM, "secp256k1")}) })
	}
}

// The did-test-suite implementation report (Spruce) lists DIDs with their
// keys as JWKs.
func TestDIDTestSuiteVectors(t *testing.T) {
	var v struct {
		Executions []struct {
			Input struct {
				DID string `json:"did"`
			} `json:"input"`
			Output struct {
				Document *struct {
					VM []vectorVM `json:"verificationMethod"`
				} `json:"didDocument"`
				Meta struct {
					Error string `json:"error"`
				} `json:"didResolutionMetadata"`
			} `json:"output"`
		} `json:"executions"`
	}
	load(t, "did-test-suite/resolver-spruce-key.json", &v)
	var ok, bad int
	for _, e := range v.Executions {
		s := e.Input.DID
		if e.Output.Meta.Error == "invalidDid" {
			bad++
			t.Run("fail/"+s, func(t *testing.T) {
				_, err := didkey.Resolver{}.Resolve(context.Background(), s)
				if !errors.Is(err, did.ErrInvalidDID) || did.ErrorCode(err) != "INVALID_DID" {
					t.Fatalf("err = %v", err)
				}
			})
			continue
		}
		if e.Output.Document == nil {
			continue // the didDocumentStream execution repeats an earlier DID
		}
		ok++
		t.Run("ok/"+s, func(t *testing.T) { resolveKey(t, s, want{key: expected(t, e.Output.Document.VM[0], "")}) })
	}
	if ok != 3 || bad != 1 {
		t.Fatalf("%d ok, %d invalid executions; want 3, 1", ok, bad)
	}
}

func wantUnsupported(t *testing.T, s string) {
	t.Helper()
	res, err := didkey.Resolver{}.Resolve(context.Background(), s)
	if !errors.Is(err, did.ErrInvalidDID) || !errors.Is(err, multikey.ErrUnsupported) || res != nil {
		t.Fatalf("Resolve(%s) = %v, %v; want ErrInvalidDID and multikey.ErrUnsupported", s, res, err)
	}
}

func TestUnsupportedVectors(t *testing.T) {
	for _, f := range []string{"bls12381.json", "rsa.json"} {
		var v map[string]json.RawMessage
		load(t, f, &v)
		if len(v) == 0 {
			t.Fatalf("%s: no vectors", f)
		}
		for s := range v {
			t.Run("fail/"+f+"/"+s, func(t *testing.T) { wantUnsupported(t, s) })
		}
	}
}

func TestNewRoundTrip(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k1, _ := secp256k1.GeneratePrivateKey()
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name   string
		pub    crypto.PublicKey
		prefix string
	}{
		{"ok/ed25519", edPub, "did:key:z6Mk"},
		{"ok/p256", &p256.PublicKey, "did:key:zDn"},
		{"ok/p384", &p384.PublicKey, "did:key:z82"},
		{"ok/secp256k1", k1.PubKey().ToECDSA(), "did:key:zQ3s"},
		{"ok/x25519", x.PublicKey(), "did:key:z6LS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := didkey.New(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s, tc.prefix) {
				t.Fatalf("New = %s, want prefix %s", s, tc.prefix)
			}
			_, isX := tc.pub.(*ecdh.PublicKey)
			resolveKey(t, s, want{key: keyBytes(t, tc.pub), agree: isX})
		})
	}
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"fail/private-key", ed25519.NewKeyFromSeed(make([]byte, 32))},
		{"fail/short-ed25519", ed25519.PublicKey(make([]byte, 31))},
		{"fail/p256-ecdh", func() crypto.PublicKey { k, _ := p256.ECDH(); return k.PublicKey() }()},
		{"fail/nil", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := didkey.New(tc.pub); !errors.Is(err, multikey.ErrUnsupported) && !errors.Is(err, multikey.ErrMalformed) {
				t.Fatalf("New = %q, %v", s, err)
			}
		})
	}
}

func TestResolveFail(t *testing.T) {
	const ed = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"fail/query", ed + "?versionId=1", did.ErrInvalidDID},
		{"fail/path", ed + "/path", did.ErrInvalidDID},
		{"fail/colon", "did:key:z6Mk:x", did.ErrInvalidDID},
		{"fail/not-base58btc", "did:key:u7QE", did.ErrInvalidDID},
		{"fail/base58-zero", "did:key:z0", did.ErrInvalidDID},
		{"fail/truncated", ed[:len(ed)-2], did.ErrInvalidDID},
		{"fail/version-prefix", "did:key:1:" + strings.TrimPrefix(ed, "did:key:"), did.ErrInvalidDID},
		{"fail/not-a-did", "key:z6Mk", did.ErrInvalidDID},
		{"fail/other-method", "did:jwk:eyJ9", did.ErrMethodNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := didkey.Resolver{}.Resolve(context.Background(), tc.in)
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("Resolve(%q) = %v, %v; want %v", tc.in, res, err, tc.want)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	var valid []string
	for _, f := range []string{"ed25519-x25519.json", "secp256k1.json", "nist-curves.json"} {
		var v map[string]json.RawMessage
		load(t, f, &v)
		for s := range v {
			if !strings.HasPrefix(s, "did:key:z2J9") { // P-521 is refused
				valid = append(valid, s)
			}
		}
	}
	slices.Sort(valid)
	resolvertest.Run(t, didkey.Resolver{}, resolvertest.Cases{
		Valid: valid,
		Invalid: []string{
			"did:key;invalid", "did:key:", "did:key:z", "did:key:zzzz",
			"did:key:z6LSfoo", "did:key:zUC7K4ndUaGZgV7Cp2yJy6JtMoUHY6u7tkcSYUvPrEidqBmLCTLm",
		},
		OtherMethod: []string{"did:jwk:eyJrdHkiOiJPS1AifQ", "did:web:example.com"},
	})
}

func FuzzResolve(f *testing.F) {
	f.Add("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Add("did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
	f.Add("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
	f.Add("did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F")
	f.Fuzz(func(t *testing.T, s string) {
		res, err := didkey.Resolver{}.Resolve(context.Background(), s)
		if err != nil {
			return
		}
		if res.Document.ID != s {
			t.Fatalf("id %q for %q", res.Document.ID, s)
		}
		if _, err := res.Document.VerificationMethod[0].PublicKey(); err != nil {
			t.Fatalf("resolved %q but its key does not decode: %v", s, err)
		}
	})
}

func BenchmarkDidKeyResolve(b *testing.B) {
	const s = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (didkey.Resolver{}).Resolve(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
