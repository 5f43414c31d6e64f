package wallet

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/internal/kms"
)

// DefaultEthrNetwork is the chain of wallet did:ethr DIDs unless told
// otherwise: the embedded dev chain `cflow serve` runs (chain id 1337).
const DefaultEthrNetwork = "0x539"

// CreateEthrDID generates a secp256k1 key in the wallet and returns the
// did:ethr DID of its address on network (a chain id as 0x-hex, or
// "mainnet"). Nothing is written to any ledger: an address nobody has
// changed in the registry resolves to a document whose only key is that
// address (#controller, EcdsaSecp256k1RecoveryMethod2020), so the DID works
// without gas or a transaction (did:ethr spec, "Create (Register)").
// Presentations are signed ES256K; verifiers recover the key from the
// signature and compare its address.
func (w *Wallet) CreateEthrDID(network string) (string, error) {
	chain, err := ethrChain(network)
	if err != nil {
		return "", err
	}
	keyID, pub, err := w.kms.Create(kms.Secp256k1)
	if err != nil {
		return "", fmt.Errorf("wallet: create DID: %w", err)
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return "", fmt.Errorf("wallet: create DID: secp256k1 key is %T", pub)
	}
	raw := make([]byte, 65)
	raw[0] = 4
	k.X.FillBytes(raw[1:33])
	k.Y.FillBytes(raw[33:])
	addr := common.BytesToAddress(gethcrypto.Keccak256(raw[1:])[12:])
	d := didethr.DIDForAddress(chain, addr)
	e := DIDEntry{DID: d, Method: didethr.Method, KeyType: kms.Secp256k1, VerificationMethod: d + "#controller", KeyID: keyID, CreatedAt: w.now().UTC()}
	return d, w.storeDID(e)
}

func ethrChain(network string) (*big.Int, error) {
	switch n := strings.ToLower(network); {
	case n == "" || n == "mainnet":
		return big.NewInt(1), nil
	case strings.HasPrefix(n, "0x") && len(n) > 2 && len(n) <= 18:
		if c, ok := new(big.Int).SetString(n[2:], 16); ok && c.Sign() > 0 {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: did:ethr network %q (a chain id as 0x-hex, or mainnet)", ErrUnsupported, network)
}
