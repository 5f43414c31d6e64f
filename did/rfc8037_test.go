package did_test

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/credentialflow/cflow/did"
)

// rfc8037 is test/vectors/rfc8037/rfc8037-appendix-a.json.
type rfc8037 struct {
	PrivateJWK json.RawMessage `json:"A.1_ed25519_private_jwk"`
	PublicJWK  json.RawMessage `json:"A.2_ed25519_public_jwk"`
	Thumbprint struct {
		SHA256Hex string `json:"sha256_hex"`
		B64URL    string `json:"thumbprint_b64url"`
	} `json:"A.3_jwk_thumbprint"`
	Signing struct {
		Payload string `json:"payload_utf8"`
		Compact string `json:"jws_compact"`
	} `json:"A.4_ed25519_signing"`
}

func loadRFC8037(t *testing.T) rfc8037 {
	t.Helper()
	b, err := os.ReadFile("../test/vectors/rfc8037/rfc8037-appendix-a.json")
	if err != nil {
		t.Fatal(err)
	}
	var v rfc8037
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// RFC 8037 Appendix A.2: the public JWK is the key of A.1's private key.
func TestRFC8037PublicJWK(t *testing.T) {
	v := loadRFC8037(t)
	pub, err := did.PublicKeyFromJWK(v.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		t.Fatalf("key %T, want ed25519.PublicKey", pub)
	}
	var priv struct{ D string }
	_ = json.Unmarshal(v.PrivateJWK, &priv)
	seed, err := base64.RawURLEncoding.DecodeString(priv.D)
	if err != nil {
		t.Fatal(err)
	}
	if !ed.Equal(ed25519.NewKeyFromSeed(seed).Public()) {
		t.Fatalf("A.2 key %x is not the public key of A.1's d", ed)
	}
	// The A.1 private JWK must not be accepted where a public key is expected.
	if _, err := did.PublicKeyFromJWK(v.PrivateJWK); err == nil {
		t.Fatal("A.1 private JWK accepted as a public key")
	}
}

// RFC 8037 Appendix A.3: the RFC 7638 thumbprint of the A.2 key.
func TestRFC8037Thumbprint(t *testing.T) {
	v := loadRFC8037(t)
	pub, err := did.PublicKeyFromJWK(v.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(tp); got != v.Thumbprint.SHA256Hex {
		t.Fatalf("thumbprint %s, want %s", got, v.Thumbprint.SHA256Hex)
	}
	if got := base64.RawURLEncoding.EncodeToString(tp); got != v.Thumbprint.B64URL {
		t.Fatalf("thumbprint %s, want %s", got, v.Thumbprint.B64URL)
	}
}

// RFC 8037 Appendix A.4/A.5: the Ed25519 JWS verifies with the A.2 key and
// fails once the payload changes.
func TestRFC8037JWS(t *testing.T) {
	v := loadRFC8037(t)
	pub, err := did.PublicKeyFromJWK(v.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify([]byte(v.Signing.Compact), jws.WithKey(jwa.EdDSA, pub))
	if err != nil {
		t.Fatalf("ok/A.5: %v", err)
	}
	if string(payload) != v.Signing.Payload {
		t.Fatalf("payload %q, want %q", payload, v.Signing.Payload)
	}
	parts := strings.Split(v.Signing.Compact, ".")
	for _, tc := range []struct{ name, jws string }{
		{"fail/payload-byte-changed", parts[0] + "." + base64.RawURLEncoding.EncodeToString(flipFirst([]byte(v.Signing.Payload))) + "." + parts[2]},
		{"fail/signature-byte-changed", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(flipFirst(mustB64(t, parts[2])))},
		{"fail/alg-none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := jws.Verify([]byte(tc.jws), jws.WithKey(jwa.EdDSA, pub)); err == nil {
				t.Fatalf("%s verified", tc.jws)
			}
		})
	}
	// Another Ed25519 key must not verify it either.
	other := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	if _, err := jws.Verify([]byte(v.Signing.Compact), jws.WithKey(jwa.EdDSA, other)); err == nil {
		t.Fatal("verified with the wrong key")
	}
}

func flipFirst(b []byte) []byte {
	out := append([]byte(nil), b...)
	out[0] ^= 0x01
	return out
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
