package didjwk_test

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/resolvertest"
)

type example struct {
	Name   string          `json:"name"`
	DID    string          `json:"did"`
	DIDURL string          `json:"did_url"`
	JWK    json.RawMessage `json:"decoded_jwk"`
	Doc    json.RawMessage `json:"did_document_as_published"`
}

func examples(t testing.TB) []example {
	t.Helper()
	b, err := os.ReadFile("../../test/vectors/did-jwk/examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Examples []example }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Examples) != 2 {
		t.Fatalf("%d examples, want 2", len(v.Examples))
	}
	return v.Examples
}

func jwkDID(jwk string) string {
	return "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(jwk))
}

func resolve(t *testing.T, s string) *did.Document {
	t.Helper()
	res, err := didjwk.Resolver{}.Resolve(context.Background(), s)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", s, err)
	}
	return res.Document
}

// relationships lists which of the five relationships name "#0".
func relationships(doc *did.Document) map[did.Purpose]bool {
	out := map[did.Purpose]bool{}
	for _, p := range []did.Purpose{did.Authentication, did.AssertionMethod, did.KeyAgreement, did.CapabilityInvocation, did.CapabilityDelegation} {
		if _, err := doc.Method(doc.ID+"#0", p); err == nil {
			out[p] = true
		}
	}
	return out
}

var (
	allFive = map[did.Purpose]bool{did.Authentication: true, did.AssertionMethod: true, did.KeyAgreement: true, did.CapabilityInvocation: true, did.CapabilityDelegation: true}
	signing = map[did.Purpose]bool{did.Authentication: true, did.AssertionMethod: true, did.CapabilityInvocation: true, did.CapabilityDelegation: true}
	agreeOK = map[did.Purpose]bool{did.KeyAgreement: true}
)

func TestSpecExamples(t *testing.T) {
	for _, ex := range examples(t) {
		t.Run("ok/"+ex.Name, func(t *testing.T) {
			doc := resolve(t, ex.DID)
			// The published document, with its erratum fixed: the P-256
			// authentication entry reads "did:jwk:$eyJ…#0" (see SOURCES.md).
			var want did.Document
			if err := json.Unmarshal(ex.Doc, &want); err != nil {
				t.Fatal(err)
			}
			for i, r := range want.Authentication {
				want.Authentication[i].ID = strings.Replace(r.ID, "did:jwk:$", "did:jwk:", 1)
			}
			if ex.Name == "P-256" && (len(want.Authentication) != 1 || want.Authentication[0].ID != ex.DIDURL) {
				t.Fatalf("erratum not where SOURCES.md says: %v", want.Authentication)
			}
			// publicKeyJwk is compared as JSON values, not bytes.
			gotJWK, wantJWK := doc.VerificationMethod[0].PublicKeyJwk, want.VerificationMethod[0].PublicKeyJwk
			doc.VerificationMethod[0].PublicKeyJwk, want.VerificationMethod[0].PublicKeyJwk = nil, nil
			if !jsonEqual(t, gotJWK, wantJWK) || !jsonEqual(t, gotJWK, ex.JWK) {
				t.Errorf("publicKeyJwk = %s, want %s", gotJWK, wantJWK)
			}
			gotB, _ := json.Marshal(doc)
			wantB, _ := json.Marshal(&want)
			if string(gotB) != string(wantB) {
				t.Errorf("document:\n got %s\nwant %s", gotB, wantB)
			}
			doc.VerificationMethod[0].PublicKeyJwk = gotJWK
			vm, err := doc.Method(ex.DIDURL, relationshipOf(ex))
			if err != nil || vm.ID != ex.DIDURL {
				t.Fatalf("Method(%s) = %v, %v", ex.DIDURL, vm, err)
			}
			if _, err := vm.PublicKey(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func relationshipOf(ex example) did.Purpose {
	if ex.Name == "X25519" {
		return did.KeyAgreement
	}
	return did.AssertionMethod
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// The X25519 example's key is RFC 7748 §6.1 Bob's public key.
func TestX25519ExampleKey(t *testing.T) {
	doc := resolve(t, examples(t)[1].DID)
	k, err := doc.VerificationMethod[0].PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	x, ok := k.(*ecdh.PublicKey)
	if !ok || x.Curve() != ecdh.X25519() {
		t.Fatalf("key %T, want X25519", k)
	}
	const bob = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
	if got := hexOf(x.Bytes()); got != bob {
		t.Fatalf("key = %s, want %s", got, bob)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

const (
	p256X = "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0"
	p256Y = "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"
	edX   = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" // RFC 8037 A.2
	x255  = "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08" // RFC 8037 A.6
)

func TestUse(t *testing.T) {
	for _, tc := range []struct {
		name, jwk string
		want      map[did.Purpose]bool
	}{
		{"ok/p256-no-use", `{"kty":"EC","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"}`, allFive},
		{"ok/p256-sig", `{"kty":"EC","crv":"P-256","use":"sig","x":"` + p256X + `","y":"` + p256Y + `"}`, signing},
		{"ok/p256-enc", `{"kty":"EC","crv":"P-256","use":"enc","x":"` + p256X + `","y":"` + p256Y + `"}`, agreeOK},
		{"ok/ed25519-sig", `{"kty":"OKP","crv":"Ed25519","use":"sig","x":"` + edX + `"}`, signing},
		// Our narrowing of §2.2: Ed25519 never agrees keys, X25519 never signs.
		{"ok/ed25519-no-use", `{"kty":"OKP","crv":"Ed25519","x":"` + edX + `"}`, signing},
		{"ok/x25519-no-use", `{"kty":"OKP","crv":"X25519","x":"` + x255 + `"}`, agreeOK},
		{"ok/x25519-enc", `{"kty":"OKP","crv":"X25519","use":"enc","x":"` + x255 + `"}`, agreeOK},
		{"ok/kid-ignored", `{"kty":"OKP","crv":"Ed25519","kid":"abc","x":"` + edX + `"}`, signing},
		{"ok/USE-is-not-use", `{"kty":"EC","crv":"P-256","USE":"sig","x":"` + p256X + `","y":"` + p256Y + `"}`, allFive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := jwkDID(tc.jwk)
			doc := resolve(t, s)
			if got := relationships(doc); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("relationships = %v, want %v", got, tc.want)
			}
			if doc.VerificationMethod[0].ID != s+"#0" {
				t.Fatalf("method id %s", doc.VerificationMethod[0].ID)
			}
		})
	}
}

func TestResolveFail(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"fail/private-d", jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`), did.ErrInvalidDID},
		{"fail/private-d-empty", jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","d":""}`), did.ErrInvalidDID},
		{"fail/padded", jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"`+edX+`"}`) + "=", did.ErrInvalidDID},
		{"fail/std-base64", "did:jwk:" + base64.RawStdEncoding.EncodeToString([]byte(`{"kty":"OKP","crv":"Ed25519","x":"`+edX+`"}?`)), did.ErrInvalidDID},
		{"fail/dot", "did:jwk:eyJ.eyJ", did.ErrInvalidDID},
		{"fail/not-json", jwkDID(`not json`), did.ErrInvalidDID},
		{"fail/array", jwkDID(`[]`), did.ErrInvalidDID},
		{"fail/empty-object", jwkDID(`{}`), did.ErrInvalidDID},
		{"fail/oct", jwkDID(`{"kty":"oct","k":"AAAA"}`), did.ErrInvalidDID},
		{"fail/rsa", jwkDID(`{"kty":"RSA","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VWtDaR0_dI7nh4ueu5T0Ux6UY4r-K4N4TODUXYAXHp3JCvY7tw","e":"AQAB"}`), did.ErrInvalidDID},
		{"fail/ed25519-short", jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX[:40] + `"}`), did.ErrInvalidDID},
		{"fail/p256-off-curve", jwkDID(`{"kty":"EC","crv":"P-256","x":"` + p256X + `","y":"` + p256X + `"}`), did.ErrInvalidDID},
		{"fail/x25519-sig", jwkDID(`{"kty":"OKP","crv":"X25519","use":"sig","x":"` + x255 + `"}`), did.ErrInvalidDID},
		{"fail/ed25519-enc", jwkDID(`{"kty":"OKP","crv":"Ed25519","use":"enc","x":"` + edX + `"}`), did.ErrInvalidDID},
		{"fail/use-not-string", jwkDID(`{"kty":"OKP","crv":"Ed25519","use":1,"x":"` + edX + `"}`), did.ErrInvalidDID},
		{"fail/too-big", jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","pad":"` + strings.Repeat("a", didjwk.MaxJWKBytes) + `"}`), did.ErrInvalidDID},
		{"fail/fragment", examples(t)[0].DIDURL, did.ErrInvalidDID},
		{"fail/query", examples(t)[0].DID + "?versionId=1", did.ErrInvalidDID},
		{"fail/other-method", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", did.ErrMethodNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := didjwk.Resolver{}.Resolve(context.Background(), tc.in)
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("Resolve = %v, %v; want %v", res, err, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	// The spec's P-256 example DID is jwx's serialization of its key.
	k, err := did.PublicKeyFromJWK(examples(t)[0].JWK)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := didjwk.New(k); err != nil || s != examples(t)[0].DID {
		t.Fatalf("New(P-256 example) = %s, %v; want %s", s, err, examples(t)[0].DID)
	}

	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	k1, _ := secp256k1.GeneratePrivateKey()
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name string
		pub  crypto.PublicKey
		want map[did.Purpose]bool
	}{
		{"ok/ed25519", edPub, signing},
		{"ok/p256", &p256.PublicKey, allFive},
		{"ok/p384", &p384.PublicKey, allFive},
		{"ok/p521", &p521.PublicKey, allFive},
		{"ok/secp256k1", k1.PubKey().ToECDSA(), allFive},
		{"ok/x25519", x.PublicKey(), agreeOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := didjwk.New(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			doc := resolve(t, s)
			got, err := doc.VerificationMethod[0].PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			if eq, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(tc.pub) {
				t.Fatalf("resolved key %v, want %v", got, tc.pub)
			}
			if r := relationships(doc); !reflect.DeepEqual(r, tc.want) {
				t.Fatalf("relationships = %v, want %v", r, tc.want)
			}
			if again, _ := didjwk.New(tc.pub); again != s {
				t.Fatalf("New is not deterministic: %s vs %s", s, again)
			}
		})
	}
	for _, tc := range []struct {
		name string
		pub  any
	}{
		{"fail/ed25519-private", edPriv},
		{"fail/ecdsa-private", p256},
		{"fail/x25519-private", x},
		{"fail/ecdh-p256", func() any { e, _ := p256.ECDH(); return e.PublicKey() }()},
		{"fail/short-ed25519", ed25519.PublicKey(make([]byte, 31))},
		{"fail/bytes", []byte("secret")},
		{"fail/nil", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := didjwk.New(tc.pub); err == nil {
				t.Fatalf("New = %s, want an error", s)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	ex := examples(t)
	resolvertest.Run(t, didjwk.Resolver{}, resolvertest.Cases{
		Valid: []string{ex[0].DID, ex[1].DID, jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `"}`)},
		Invalid: []string{
			"did:jwk:", "did:jwk:e30", "did:jwk:" + strings.TrimPrefix(ex[0].DID, "did:jwk:") + "=",
			jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`),
		},
		OtherMethod: []string{"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"},
	})
}

func FuzzResolve(f *testing.F) {
	f.Add(jwkDID(`{"kty":"OKP","crv":"Ed25519","x":"` + edX + `"}`))
	f.Add(jwkDID(`{"kty":"EC","crv":"P-256","use":"enc","x":"` + p256X + `","y":"` + p256Y + `"}`))
	f.Add(jwkDID(`{"kty":"OKP","crv":"X25519","use":"enc","x":"` + x255 + `"}`))
	f.Add(jwkDID(`{"kty":"EC","crv":"secp256k1","x":"TEIJN9vnTq1EXMkqzo7yN_867-foKc2pREv45Fw_QA8","y":"9yiymlzdxKCiRbYq7p-ArRB-C1ytjHE-eb7RDTi6rVc"}`))
	f.Fuzz(func(t *testing.T, s string) {
		res, err := didjwk.Resolver{}.Resolve(context.Background(), s)
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
