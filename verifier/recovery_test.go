package verifier

import (
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

func TestCAIP10Address(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"ok/checksummed", "eip155:1337:0xA729FdA5651faF2EB71ed6a29A775825C8aedF22", "a729fda5651faf2eb71ed6a29a775825c8aedf22", true},
		{"ok/mainnet", "eip155:1:0xa729fda5651faf2eb71ed6a29a775825c8aedf22", "a729fda5651faf2eb71ed6a29a775825c8aedf22", true},
		{"fail/other-namespace", "bip122:000000000019d6689c085ae165831e93:128Lkh3S7CkDTBZ8W7BbpsN3YYizJMp8p6", "", false},
		{"fail/no-0x", "eip155:1:a729fda5651faf2eb71ed6a29a775825c8aedf22", "", false},
		{"fail/short", "eip155:1:0xa729fda5", "", false},
		{"fail/not-hex", "eip155:1:0xz729fda5651faf2eb71ed6a29a775825c8aedf22", "", false},
		{"fail/extra-part", "eip155:1:0xa729fda5651faf2eb71ed6a29a775825c8aedf22:x", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := caip10Address(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("caip10Address(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzCAIP10Address(f *testing.F) {
	f.Add("eip155:1337:0xA729FdA5651faF2EB71ed6a29A775825C8aedF22")
	f.Add("eip155:1:0x")
	f.Add("::")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := caip10Address(s)
		if ok && len(a) != 40 {
			t.Fatalf("accepted %q as %q", s, a)
		}
	})
}

// TestRecoverKey: an ES256K JWS verifies against an account holding only
// an address; another account, or another alg, does not.
func TestRecoverKey(t *testing.T) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := secp256k1.GeneratePrivateKey()
	tok, err := vcjose.SignClaims(map[string]any{"iss": "did:ethr:0x539:0xabc"}, k.ToECDSA(), "did:ethr:0x539:0xabc#controller", "JWT", "")
	if err != nil {
		t.Fatal(err)
	}
	account := func(p *secp256k1.PrivateKey) *did.VerificationMethod {
		return &did.VerificationMethod{ID: "did:ethr:0x539:0xabc#controller", Type: did.TypeEcdsaSecp256k1Recovery2020,
			BlockchainAccountID: "eip155:1337:0x" + ethAddress(p.PubKey())}
	}
	for _, tc := range []struct {
		name string
		vm   *did.VerificationMethod
		alg  string
		want string
	}{
		{"ok/recovered", account(k), "", ""},
		{"fail/other-account", account(other), "", vc.CodeSignatureInvalid},
		{"fail/bad-account", &did.VerificationMethod{ID: "x#controller", Type: did.TypeEcdsaSecp256k1Recovery2020, BlockchainAccountID: "eip155:1:0x12"}, "", vc.CodeKeyNotFound},
		{"fail/alg-not-ES256K", account(k), "EdDSA", vc.CodeAlgKeyMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := vcjose.Parse(tok)
			if err != nil {
				t.Fatal(err)
			}
			if tc.alg != "" {
				pt.Header.Alg = tc.alg
			}
			pub, err := methodKey(pt, tc.vm)
			if code := vc.CodeOf(err); code != tc.want {
				t.Fatalf("code = %q (%v), want %q", code, err, tc.want)
			}
			if err == nil {
				if err := pt.Verify(pub); err != nil {
					t.Fatalf("recovered key does not verify: %v", err)
				}
			}
		})
	}
}
