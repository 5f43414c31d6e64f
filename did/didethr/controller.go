package didethr

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/multiformats/go-varint"

	"github.com/credentialflow/cflow/did/multikey"
	"github.com/credentialflow/cflow/internal/ledger"
)

// Key purposes of did/pub attributes and the two delegate types (did:ethr
// spec, "Key purposes", "Delegate Keys").
const (
	VeriKey = "veriKey" // assertionMethod
	SigAuth = "sigAuth" // authentication (and assertionMethod)
	Enc     = "enc"     // keyAgreement
)

// Forever as a validity means "until revoked": the registry stores the
// largest uint256 as validTo.
const Forever = time.Duration(math.MaxInt64)

// ErrNotOwner: the signer does not own the identity (or it is deactivated).
var ErrNotOwner = errors.New("didethr: signer is not the identity owner")

// OwnerSigner signs ERC-1056 meta-transaction digests for an identity's
// owner. SignDigest returns the 65-byte [R || S || V] signature with V in
// {0, 1}. kms implements it for secp256k1 keys; KeySigner wraps a key in
// memory for wallets and tests.
type OwnerSigner interface {
	Address() common.Address
	SignDigest(ctx context.Context, digest [32]byte) ([]byte, error)
}

type keySigner struct{ k *ecdsa.PrivateKey }

// KeySigner signs with a secp256k1 private key held in memory.
func KeySigner(k *ecdsa.PrivateKey) OwnerSigner { return keySigner{k} }

func (s keySigner) Address() common.Address { return ethcrypto.PubkeyToAddress(s.k.PublicKey) }

func (s keySigner) SignDigest(_ context.Context, d [32]byte) ([]byte, error) {
	return ethcrypto.Sign(d[:], s.k)
}

// Change is a registry write that made it into a block: its block number is
// the DID document's new versionId.
type Change struct {
	Block  uint64
	TxHash common.Hash
}

// Controller writes ERC-1056 changes for identities. The ledger's own
// account pays the gas; an identity owned by another key authorises each
// change with a signature (the registry's *Signed functions), so issuers
// need no ether.
type Controller struct {
	l  *ledger.Ledger
	mu sync.Mutex // a signed call's nonce is read, signed and spent as one step
}

// NewController writes through l, which must have a transactor.
func NewController(l *ledger.Ledger) (*Controller, error) {
	if l.Tx == nil {
		return nil, ledger.ErrReadOnly
	}
	return &Controller{l: l}, nil
}

// DID is the did:ethr DID of an address on the controller's chain.
func (c *Controller) DID(a common.Address) string { return DIDForAddress(c.l.ChainID, a) }

// SetAttribute publishes an attribute (did/pub/…, did/svc/…) valid for validity.
func (c *Controller) SetAttribute(ctx context.Context, owner OwnerSigner, identity common.Address, name string, value []byte, validity time.Duration) (Change, error) {
	n, err := name32(name)
	if err != nil {
		return Change{}, err
	}
	v, err := seconds(validity)
	if err != nil {
		return Change{}, err
	}
	return c.write(ctx, "setAttribute", owner, identity,
		func() []byte { return c.l.ABI.PackSetAttribute(identity, n, value, v) },
		func(sv uint8, r, s [32]byte) []byte {
			return c.l.ABI.PackSetAttributeSigned(identity, sv, r, s, n, value, v)
		},
		n[:], value, common.LeftPadBytes(v.Bytes(), 32))
}

// RevokeAttribute revokes an attribute; name and value must match the one set.
func (c *Controller) RevokeAttribute(ctx context.Context, owner OwnerSigner, identity common.Address, name string, value []byte) (Change, error) {
	n, err := name32(name)
	if err != nil {
		return Change{}, err
	}
	return c.write(ctx, "revokeAttribute", owner, identity,
		func() []byte { return c.l.ABI.PackRevokeAttribute(identity, n, value) },
		func(sv uint8, r, s [32]byte) []byte {
			return c.l.ABI.PackRevokeAttributeSigned(identity, sv, r, s, n, value)
		},
		n[:], value)
}

// AddDelegate adds a veriKey or sigAuth delegate address.
func (c *Controller) AddDelegate(ctx context.Context, owner OwnerSigner, identity common.Address, delegateType string, delegate common.Address, validity time.Duration) (Change, error) {
	t, err := name32(delegateType)
	if err != nil {
		return Change{}, err
	}
	v, err := seconds(validity)
	if err != nil {
		return Change{}, err
	}
	return c.write(ctx, "addDelegate", owner, identity,
		func() []byte { return c.l.ABI.PackAddDelegate(identity, t, delegate, v) },
		func(sv uint8, r, s [32]byte) []byte {
			return c.l.ABI.PackAddDelegateSigned(identity, sv, r, s, t, delegate, v)
		},
		t[:], delegate.Bytes(), common.LeftPadBytes(v.Bytes(), 32))
}

// RevokeDelegate revokes a delegate at once.
func (c *Controller) RevokeDelegate(ctx context.Context, owner OwnerSigner, identity common.Address, delegateType string, delegate common.Address) (Change, error) {
	t, err := name32(delegateType)
	if err != nil {
		return Change{}, err
	}
	return c.write(ctx, "revokeDelegate", owner, identity,
		func() []byte { return c.l.ABI.PackRevokeDelegate(identity, t, delegate) },
		func(sv uint8, r, s [32]byte) []byte {
			return c.l.ABI.PackRevokeDelegateSigned(identity, sv, r, s, t, delegate)
		},
		t[:], delegate.Bytes())
}

// ChangeOwner hands the identity to newOwner. The zero address deactivates
// the DID for good (did:ethr spec, "Delete (Revoke)").
func (c *Controller) ChangeOwner(ctx context.Context, owner OwnerSigner, identity, newOwner common.Address) (Change, error) {
	return c.write(ctx, "changeOwner", owner, identity,
		func() []byte { return c.l.ABI.PackChangeOwner(identity, newOwner) },
		func(sv uint8, r, s [32]byte) []byte {
			return c.l.ABI.PackChangeOwnerSigned(identity, sv, r, s, newOwner)
		},
		newOwner.Bytes())
}

// Deactivate sets the owner to 0x0.
func (c *Controller) Deactivate(ctx context.Context, owner OwnerSigner, identity common.Address) (Change, error) {
	return c.ChangeOwner(ctx, owner, identity, common.Address{})
}

// PublishKey publishes pub as a did/pub attribute for purpose (VeriKey,
// SigAuth or Enc) and returns the attribute written; RevokeAttribute with
// the same name and value removes it.
func (c *Controller) PublishKey(ctx context.Context, owner OwnerSigner, identity common.Address, pub crypto.PublicKey, purpose string, validity time.Duration) (name string, value []byte, ch Change, err error) {
	name, value, err = KeyAttribute(pub, purpose)
	if err != nil {
		return "", nil, Change{}, err
	}
	ch, err = c.SetAttribute(ctx, owner, identity, name, value, validity)
	return name, value, ch, err
}

// KeyAttribute is the did/pub attribute for a public key ("Known Key Types"):
// Ed25519 and X25519 as raw keys under their algorithm name, secp256k1 as a
// compressed point, and any other key we can encode (P-256, P-384) as a
// Multikey value (multicodec prefix + compressed point), which the spec asks
// for algorithms not in its table.
func KeyAttribute(pub crypto.PublicKey, purpose string) (name string, value []byte, err error) {
	switch purpose {
	case VeriKey, SigAuth, Enc:
	default:
		return "", nil, fmt.Errorf("didethr: key purpose %q, want veriKey, sigAuth or enc", purpose)
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if purpose == Enc {
			return "", nil, errors.New("didethr: an Ed25519 key cannot be a key agreement key")
		}
		return "did/pub/Ed25519/" + purpose + "/base58", []byte(k), nil
	case *ecdh.PublicKey:
		if k.Curve() != ecdh.X25519() || purpose != Enc {
			return "", nil, errors.New("didethr: only X25519 ECDH keys, for purpose enc")
		}
		return "did/pub/X25519/enc/base58", k.Bytes(), nil
	}
	if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve.Params().P.Cmp(ethcrypto.S256().Params().P) == 0 {
		// secp256k1 under any curve implementation (go-ethereum's or decred's).
		return "did/pub/Secp256k1/" + purpose + "/hex", ethcrypto.CompressPubkey(&ecdsa.PublicKey{Curve: ethcrypto.S256(), X: k.X, Y: k.Y}), nil
	}
	code, raw, err := multikey.ToCodec(pub)
	if err != nil {
		return "", nil, fmt.Errorf("didethr: %w", err)
	}
	return "did/pub/Multikey/" + purpose, append(varint.ToUvarint(uint64(code)), raw...), nil
}

// write sends one registry change: directly when the ledger account owns
// the identity, else as the *Signed variant authorised by owner.
func (c *Controller) write(ctx context.Context, fn string, owner OwnerSigner, identity common.Address,
	direct func() []byte, signed func(v uint8, r, s [32]byte) []byte, args ...[]byte) (Change, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reg := c.l.Registry
	cur, err := c.call(ctx, c.l.ABI.PackIdentityOwner(identity))
	if err != nil {
		return Change{}, err
	}
	curOwner, err := c.l.ABI.UnpackIdentityOwner(cur)
	if err != nil {
		return Change{}, fmt.Errorf("didethr: %s: decode identityOwner: %w", fn, err)
	}
	if curOwner != owner.Address() || curOwner == (common.Address{}) {
		return Change{}, fmt.Errorf("%w: %s is owned by %s, signer is %s", ErrNotOwner, identity.Hex(), curOwner.Hex(), owner.Address().Hex())
	}
	var data []byte
	if owner.Address() == c.l.Tx.From() {
		data = direct()
	} else {
		raw, err := c.call(ctx, c.l.ABI.PackNonce(curOwner))
		if err != nil {
			return Change{}, err
		}
		nonce, err := c.l.ABI.UnpackNonce(raw)
		if err != nil {
			return Change{}, fmt.Errorf("didethr: %s: decode nonce: %w", fn, err)
		}
		// keccak256(0x19 0x00 registry nonce identity fn args…), EIP-1056
		// "Signed" functions (abi.encodePacked).
		msg := [][]byte{{0x19, 0x00}, reg.Bytes(), common.LeftPadBytes(nonce.Bytes(), 32), identity.Bytes(), []byte(fn)}
		digest := ethcrypto.Keccak256Hash(append(msg, args...)...)
		sig, err := owner.SignDigest(ctx, digest)
		if err != nil {
			return Change{}, fmt.Errorf("didethr: %s: sign: %w", fn, err)
		}
		if len(sig) != 65 {
			return Change{}, fmt.Errorf("didethr: %s: signature is %d bytes, want 65", fn, len(sig))
		}
		var r, s [32]byte
		copy(r[:], sig[:32])
		copy(s[:], sig[32:64])
		v := sig[64]
		if v < 27 {
			v += 27
		}
		data = signed(v, r, s)
	}
	rcpt, err := c.l.Send(ctx, data)
	if err != nil {
		return Change{}, fmt.Errorf("didethr: %s for %s: %w", fn, identity.Hex(), err)
	}
	return Change{Block: rcpt.BlockNumber.Uint64(), TxHash: rcpt.TxHash}, nil
}

func (c *Controller) call(ctx context.Context, data []byte) ([]byte, error) {
	reg := c.l.Registry
	out, err := c.l.Client.CallContract(ctx, ethereum.CallMsg{To: &reg, Data: data}, nil)
	if err != nil {
		return nil, fmt.Errorf("didethr: call registry: %w", err)
	}
	return out, nil
}

func name32(s string) ([32]byte, error) {
	var b [32]byte
	if len(s) == 0 || len(s) > 32 {
		return b, fmt.Errorf("didethr: name %q must be 1 to 32 bytes (bytes32)", s)
	}
	copy(b[:], s)
	return b, nil
}

// seconds converts a validity to the registry's uint256 seconds; Forever is
// the largest uint256.
func seconds(d time.Duration) (*big.Int, error) {
	if d < time.Second {
		return nil, fmt.Errorf("didethr: validity %s is shorter than a second", d)
	}
	if d == Forever {
		return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)), nil
	}
	return big.NewInt(int64(d / time.Second)), nil
}
