package multikey_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"reflect"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/did/multikey"
)

func TestEncodeDecode(t *testing.T) {
	// did:key test vector: seed 0x00…00 (w3c-ccg/did-method-key ed25519-x25519.json).
	seed := make([]byte, 32)
	pub := ed25519.NewKeyFromSeed(seed).Public()
	mk, err := multikey.Encode(pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"; mk != want {
		t.Fatalf("Encode = %s, want %s", mk, want)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k1, _ := secp256k1.GeneratePrivateKey()
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for name, k := range map[string]any{
		"ok/ed25519": pub, "ok/p256": &p256.PublicKey, "ok/p384": &p384.PublicKey,
		"ok/secp256k1": k1.PubKey().ToECDSA(), "ok/x25519": x.PublicKey(),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := multikey.Encode(k)
			if err != nil {
				t.Fatal(err)
			}
			got, err := multikey.Decode(s)
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := k.(*ecdsa.PublicKey); ok {
				g := got.(*ecdsa.PublicKey)
				if g.Curve != e.Curve || g.X.Cmp(e.X) != 0 || g.Y.Cmp(e.Y) != 0 {
					t.Fatalf("Decode(Encode(k)) = %v, want %v", g, e)
				}
				return
			}
			if !reflect.DeepEqual(got, k) {
				t.Fatalf("Decode(Encode(k)) = %v, want %v", got, k)
			}
		})
	}
}

func TestDecodeFail(t *testing.T) {
	b58 := func(b ...byte) string { s, _ := multibase.Encode(multibase.Base58BTC, b); return s }
	ed := append([]byte{0xed, 0x01}, make([]byte, 32)...)
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"fail/empty", "", multikey.ErrMalformed},
		{"fail/base64url", "uAO0B", multikey.ErrMalformed},
		{"fail/bad-base58", "z0OIl", multikey.ErrMalformed},
		{"fail/no-varint", b58(0x80), multikey.ErrMalformed},
		{"fail/non-minimal-varint", b58(append([]byte{0xed, 0x81, 0x00}, make([]byte, 32)...)...), multikey.ErrMalformed},
		{"fail/ed25519-short", b58(ed[:33]...), multikey.ErrMalformed},
		{"fail/ed25519-long", b58(append(ed, 0)...), multikey.ErrMalformed},
		{"fail/x25519-short", b58(0xec, 0x01, 1, 2, 3), multikey.ErrMalformed},
		{"fail/p256-off-curve", b58(append([]byte{0x80, 0x24, 0x02}, bytes.Repeat([]byte{0xff}, 32)...)...), multikey.ErrMalformed},
		{"fail/secp256k1-garbage", b58(append([]byte{0xe7, 0x01, 0x05}, make([]byte, 32)...)...), multikey.ErrMalformed},
		{"fail/p521", b58(0x82, 0x24, 0x02, 0x01), multikey.ErrUnsupported},
		{"fail/bls12381-g2", b58(0xeb, 0x01, 0x01), multikey.ErrUnsupported},
		{"fail/rsa", b58(0x85, 0x24, 0x30), multikey.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := multikey.Decode(tc.in)
			if !errors.Is(err, tc.want) || k != nil {
				t.Fatalf("Decode(%q) = %v, %v; want %v", tc.in, k, err, tc.want)
			}
		})
	}
}

func TestEncodeFail(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecdhP256, _ := p256.ECDH()
	off := &ecdsa.PublicKey{Curve: elliptic.P256(), X: p256.X, Y: p256.X}
	for _, tc := range []struct {
		name string
		in   any
		want error
	}{
		{"fail/ed25519-private", ed25519.NewKeyFromSeed(make([]byte, 32)), multikey.ErrUnsupported},
		{"fail/ed25519-short", ed25519.PublicKey(make([]byte, 31)), multikey.ErrMalformed},
		{"fail/ecdsa-off-curve", off, multikey.ErrMalformed},
		{"fail/ecdsa-nil", &ecdsa.PublicKey{}, multikey.ErrMalformed},
		{"fail/ecdh-p256", ecdhP256.PublicKey(), multikey.ErrUnsupported},
		{"fail/ecdsa-p224", func() any { k, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader); return &k.PublicKey }(), multikey.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := multikey.Encode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Encode = %q, %v; want %v", s, err, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Add("zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
	f.Add("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
	f.Add("z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := multikey.Decode(s)
		if err != nil {
			return
		}
		// Whatever decodes must encode again (compressed, so not always to s).
		if _, err := multikey.Encode(k); err != nil {
			t.Fatalf("Decode(%q) gave %T that does not encode: %v", s, k, err)
		}
	})
}
