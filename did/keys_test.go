package did_test

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/credentialflow/cflow/did"
)

// RFC 8037 A.2 (Ed25519) and the did:key vector keys.
const (
	edJWK      = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	p256JWK    = `{"kty":"EC","crv":"P-256","x":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns","y":"efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"}`
	k1JWK      = `{"kty":"EC","crv":"secp256k1","x":"TEIJN9vnTq1EXMkqzo7yN_867-foKc2pREv45Fw_QA8","y":"9yiymlzdxKCiRbYq7p-ArRB-C1ytjHE-eb7RDTi6rVc"}`
	x25519JWK  = `{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}`
	edBase58   = "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS" // did:key seed 0 vector
	edVecHex   = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
	k1Base58   = "23o6Sau8NxxzXcgSc3PLcNxrzrZpbLeBn1izfv3jbKhuv"
	k1Hex      = "034c420937dbe74ead445cc92ace8ef237ff3aefe7e829cda9444bf8e45c3f400f" // k1JWK compressed
	x25519Mult = "z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F"
)

func TestPublicKey(t *testing.T) {
	edVec, _ := hex.DecodeString(edVecHex)
	for _, tc := range []struct {
		name    string
		vm      did.VerificationMethod
		want    any    // key type
		wantRaw []byte // for Ed25519
	}{
		{name: "ok/multikey-ed25519", vm: did.VerificationMethod{Type: did.TypeMultikey, PublicKeyMultibase: mkEd25519}, want: ed25519.PublicKey(nil), wantRaw: edVec},
		{name: "ok/multikey-p256", vm: did.VerificationMethod{Type: did.TypeMultikey, PublicKeyMultibase: mkP256}, want: (*ecdsa.PublicKey)(nil)},
		{name: "ok/multikey-x25519", vm: did.VerificationMethod{Type: did.TypeMultikey, PublicKeyMultibase: x25519Mult}, want: (*ecdh.PublicKey)(nil)},
		{name: "ok/ed25519-2020-multikey", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2020, PublicKeyMultibase: mkEd25519}, want: ed25519.PublicKey(nil), wantRaw: edVec},
		{name: "ok/ed25519-2020-raw-multibase", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2020, PublicKeyMultibase: "z" + edBase58}, want: ed25519.PublicKey(nil), wantRaw: edVec},
		{name: "ok/x25519-2020-multikey", vm: did.VerificationMethod{Type: did.TypeX25519KeyAgreementKey2020, PublicKeyMultibase: x25519Mult}, want: (*ecdh.PublicKey)(nil)},
		{name: "ok/ed25519-2018-base58", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2018, PublicKeyBase58: edBase58}, want: ed25519.PublicKey(nil), wantRaw: edVec},
		{name: "ok/secp256k1-2019-base58", vm: did.VerificationMethod{Type: did.TypeEcdsaSecp256k1Verification, PublicKeyBase58: k1Base58}, want: (*ecdsa.PublicKey)(nil)},
		{name: "ok/secp256k1-recovery-hex", vm: did.VerificationMethod{Type: did.TypeEcdsaSecp256k1Recovery2020, PublicKeyHex: k1Hex}, want: (*ecdsa.PublicKey)(nil)},
		{name: "ok/jwk-ed25519", vm: did.VerificationMethod{Type: did.TypeJsonWebKey2020, PublicKeyJwk: json.RawMessage(edJWK)}, want: ed25519.PublicKey(nil)},
		{name: "ok/jwk-any-type", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2018, PublicKeyJwk: json.RawMessage(edJWK)}, want: ed25519.PublicKey(nil)},
		{name: "ok/jwk-p256", vm: did.VerificationMethod{Type: did.TypeJsonWebKey, PublicKeyJwk: json.RawMessage(p256JWK)}, want: (*ecdsa.PublicKey)(nil)},
		{name: "ok/jwk-secp256k1", vm: did.VerificationMethod{Type: did.TypeJsonWebKey2020, PublicKeyJwk: json.RawMessage(k1JWK)}, want: (*ecdsa.PublicKey)(nil)},
		{name: "ok/jwk-x25519", vm: did.VerificationMethod{Type: did.TypeJsonWebKey2020, PublicKeyJwk: json.RawMessage(x25519JWK)}, want: (*ecdh.PublicKey)(nil)},
		{name: "fail/no-key", vm: did.VerificationMethod{Type: did.TypeMultikey}},
		{name: "fail/account-only", vm: did.VerificationMethod{Type: did.TypeEcdsaSecp256k1Recovery2020, BlockchainAccountID: "eip155:1:0xb9c5714089478a327f09197987f16f9e5d936e8a"}},
		{name: "fail/multikey-bad", vm: did.VerificationMethod{Type: did.TypeMultikey, PublicKeyMultibase: "z" + edBase58}},
		{name: "fail/multikey-not-base58", vm: did.VerificationMethod{Type: did.TypeMultikey, PublicKeyMultibase: "uAAAA"}},
		// A typed method must hold a key of its type.
		{name: "fail/ed25519-2020-holding-p256", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2020, PublicKeyMultibase: mkP256}},
		{name: "fail/x25519-2020-holding-ed25519", vm: did.VerificationMethod{Type: did.TypeX25519KeyAgreementKey2020, PublicKeyMultibase: mkEd25519}},
		{name: "fail/raw-bytes-unknown-type", vm: did.VerificationMethod{Type: "P256Key2021", PublicKeyBase58: "ekVhkcBFq3w7jULLkBVye6PwaTuMbhJYuzwFnNcgQAPV"}},
		{name: "fail/ed25519-2018-short", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2018, PublicKeyBase58: edBase58[:40]}},
		{name: "fail/bad-base58", vm: did.VerificationMethod{Type: did.TypeEd25519VerificationKey2018, PublicKeyBase58: "0OIl"}},
		{name: "fail/bad-hex", vm: did.VerificationMethod{Type: did.TypeEcdsaSecp256k1Recovery2020, PublicKeyHex: "zz"}},
		{name: "fail/jwk-private", vm: did.VerificationMethod{Type: did.TypeJsonWebKey2020, PublicKeyJwk: json.RawMessage(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vm.ID = "did:ex:a#k"
			k, err := tc.vm.PublicKey()
			if tc.want == nil {
				if !errors.Is(err, did.ErrKeyFormat) || k != nil {
					t.Fatalf("PublicKey() = %v, %v; want ErrKeyFormat", k, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(k) != reflect.TypeOf(tc.want) {
				t.Fatalf("key %T, want %T", k, tc.want)
			}
			if tc.vm.PublicKeyHex == k1Hex {
				want, _ := did.PublicKeyFromJWK(json.RawMessage(k1JWK))
				if !k.(*ecdsa.PublicKey).Equal(want) {
					t.Fatalf("hex key %v, want the JWK's %v", k, want)
				}
			}
			if tc.wantRaw != nil && !reflect.DeepEqual([]byte(k.(ed25519.PublicKey)), tc.wantRaw) {
				t.Fatalf("key %x, want %x", k, tc.wantRaw)
			}
		})
	}
}

func TestPublicKeyFromJWKFail(t *testing.T) {
	for _, tc := range []struct{ name, jwk string }{
		{"fail/not-json", `{`},
		{"fail/not-object", `[]`},
		{"fail/empty", `{}`},
		{"fail/private-d", `{"kty":"EC","crv":"P-256","x":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns","y":"efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM","d":"gPh-VvVS8MbvKQ9LSVVmfnxnKjHn4Tqj0bmbpehRlpc"}`},
		{"fail/private-d-null", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":null}`},
		{"fail/ed25519-31-bytes", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ"}`},
		{"fail/ed25519-empty-x", `{"kty":"OKP","crv":"Ed25519","x":""}`},
		{"fail/x25519-short", `{"kty":"OKP","crv":"X25519","x":"3p7bfXt9"}`},
		{"fail/p256-off-curve", `{"kty":"EC","crv":"P-256","x":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns","y":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns"}`},
		{"fail/p256-zero", `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`},
		{"fail/secp256k1-off-curve", `{"kty":"EC","crv":"secp256k1","x":"TEIJN9vnTq1EXMkqzo7yN_867-foKc2pREv45Fw_QA8","y":"TEIJN9vnTq1EXMkqzo7yN_867-foKc2pREv45Fw_QA8"}`},
		{"fail/secp256k1-short", `{"kty":"EC","crv":"secp256k1","x":"TEIJ","y":"9yiy"}`},
		{"fail/secp256k1-padded", `{"kty":"EC","crv":"secp256k1","x":"TEIJN9vnTq1EXMkqzo7yN_867-foKc2pREv45Fw_QA8=","y":"9yiymlzdxKCiRbYq7p-ArRB-C1ytjHE-eb7RDTi6rVc"}`},
		{"fail/unknown-curve", `{"kty":"EC","crv":"P-192","x":"AA","y":"AA"}`},
		{"fail/oct", `{"kty":"oct","k":"AAAA"}`},
		{"fail/rsa", `{"kty":"RSA","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VWtDaR0_dI7nh4ueu5T0Ux6UY4r-K4N4TODUXYAXHp3JCvY7tw","e":"AQAB"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k, err := did.PublicKeyFromJWK(json.RawMessage(tc.jwk)); err == nil || k != nil {
				t.Fatalf("PublicKeyFromJWK = %v, %v; want an error", k, err)
			}
		})
	}
	// Member names are case-sensitive (RFC 7517 §4): a shadowing "X" must
	// not replace the secp256k1 "x" (jwx, which reads the other curves,
	// folds case itself and refuses a "D" as a private key without "d").
	a, err := did.PublicKeyFromJWK(json.RawMessage(k1JWK))
	if err != nil {
		t.Fatal(err)
	}
	b, err := did.PublicKeyFromJWK(json.RawMessage(k1JWK[:len(k1JWK)-1] + `,"X":"AA"}`))
	if err != nil || !a.(*ecdsa.PublicKey).Equal(b) {
		t.Fatalf("X shadowed x: %v, %v", b, err)
	}
}
