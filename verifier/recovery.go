package verifier

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// methodKey returns the public key that verifies t for vm. A method with a
// key representation gives it directly. An EcdsaSecp256k1RecoveryMethod2020
// that carries only a blockchainAccountId (the controller of a did:ethr
// address, or a veriKey/sigAuth delegate) names an Ethereum address, not a
// key: the key is recovered from the ES256K signature and must hash to that
// address (secp256k1recovery-2020 suite §"EcdsaSecp256k1RecoveryMethod2020";
// did:ethr spec, "Controller Address").
func methodKey(t *vcjose.Token, vm *did.VerificationMethod) (crypto.PublicKey, error) {
	pub, err := vm.PublicKey()
	if err == nil || vm.Type != did.TypeEcdsaSecp256k1Recovery2020 || vm.BlockchainAccountID == "" ||
		vm.PublicKeyJwk != nil || vm.PublicKeyHex != "" || vm.PublicKeyMultibase != "" || vm.PublicKeyBase58 != "" {
		if err != nil {
			return nil, vc.Wrap(vc.CodeKeyNotFound, err, "key of %s", vm.ID)
		}
		return pub, nil
	}
	return recoverKey(t, vm)
}

// recoverKey recovers the secp256k1 key that made t's ES256K signature and
// checks that its Ethereum address is the method's CAIP-10 account.
func recoverKey(t *vcjose.Token, vm *did.VerificationMethod) (crypto.PublicKey, error) {
	want, ok := caip10Address(vm.BlockchainAccountID)
	if !ok {
		return nil, vc.Errorf(vc.CodeKeyNotFound, "key of %s: blockchainAccountId %q is not an eip155 account", vm.ID, vm.BlockchainAccountID)
	}
	// ES256K (RFC 8812 §3.2) is the only alg whose key can be an address;
	// ES256K-R is not on the allow-list and never reaches here.
	if t.Header.Alg != "ES256K" {
		return nil, vc.Errorf(vc.CodeAlgKeyMismatch, "alg %s does not fit %s, an Ethereum account (ES256K only)", t.Header.Alg, vm.ID)
	}
	parts := strings.Split(t.Raw, ".")
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if len(parts) != 3 || err != nil || len(sig) != 64 {
		return nil, vc.Errorf(vc.CodeSignatureInvalid, "an ES256K signature is 64 bytes R||S (RFC 8812 §3.2)")
	}
	hash := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	var compact [65]byte
	copy(compact[1:], sig)
	// The JWS carries no recovery id: try each (SEC 1 v2 §4.1.6); at most
	// one key of the four hashes to the account.
	for code := byte(0); code < 4; code++ {
		compact[0] = 27 + code
		pub, _, err := secpecdsa.RecoverCompact(compact[:], hash[:])
		if err != nil {
			continue
		}
		if ethAddress(pub) == want {
			return pub.ToECDSA(), nil
		}
	}
	return nil, vc.Errorf(vc.CodeSignatureInvalid, "the ES256K signature was not made by the account of %s", vm.ID)
}

// caip10Address reads "eip155:<chain>:0x<40 hex>" (CAIP-10) into lower-case
// hex without 0x.
func caip10Address(s string) (string, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "eip155" {
		return "", false
	}
	a, ok := strings.CutPrefix(strings.ToLower(parts[2]), "0x")
	if _, err := hex.DecodeString(a); !ok || err != nil || len(a) != 40 {
		return "", false
	}
	return a, true
}

// ethAddress is the last 20 bytes of Keccak-256 of the uncompressed point
// without its 0x04 prefix (Ethereum Yellow Paper, appendix F).
func ethAddress(pub *secp256k1.PublicKey) string {
	h := sha3.NewLegacyKeccak256()
	h.Write(pub.SerializeUncompressed()[1:])
	return hex.EncodeToString(h.Sum(nil)[12:])
}
