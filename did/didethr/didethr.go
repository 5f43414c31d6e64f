// Package didethr resolves did:ethr DIDs (did:ethr method specification,
// decentralized-identity/ethr-did-resolver doc/did-method-spec.md) from an
// ERC-1056 registry on an Ethereum-compatible chain, including historical
// versions (versionId, versionTime), and writes to the registry for issuers
// (Controller). It owns the mapping from registry events to DID documents;
// chain connections come from internal/ledger.
package didethr

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/multikey"
	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// Method is the DID method name.
const Method = "ethr"

// Sentinel errors callers branch on (besides the did package's).
var (
	// ErrUnknownNetwork: the DID names a network this resolver has no chain
	// for. It is wrapped together with did.ErrMethodNotSupported.
	ErrUnknownNetwork = errors.New("didethr: unknown network")
	// ErrHistoryTooLong: the identity has more registry events than the
	// resolver is configured to walk (did:ethr spec, "Denial of Service").
	ErrHistoryTooLong = errors.New("didethr: event history too long")
)

// Chain is what resolution reads: eth_call, eth_getLogs and block headers.
// *ethclient.Client, the simulated backend's client and ledger.Client all
// satisfy it.
type Chain interface {
	CallContract(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
}

// Network is one chain with an ERC-1056 registry.
type Network struct {
	// ChainID goes into the DID (did:ethr:0x<hex>:…, none for mainnet) and
	// into CAIP-10 account ids.
	ChainID *big.Int
	// Names are extra DID network names for this chain ("sepolia", "dev").
	// "mainnet" is always chain 1.
	Names    []string
	Registry common.Address
	Chain    Chain
}

// NetworkOf describes an open ledger as a Network.
func NetworkOf(l *ledger.Ledger, names ...string) Network {
	return Network{ChainID: l.ChainID, Names: names, Registry: l.Registry, Chain: l.Client}
}

// Options tune a Resolver; zero values mean the documented defaults.
type Options struct {
	// Now is the clock that decides whether delegates and attributes are
	// still valid in a current (unversioned) resolution. Default time.Now.
	Now func() time.Time
	// MaxEvents bounds the registry events walked for one identity.
	// Default 10,000.
	MaxEvents int
}

// Resolver resolves did:ethr DIDs on the configured networks.
type Resolver struct {
	nets  map[string]*Network // by DID network segment: "0x1", "mainnet", names
	now   func() time.Time
	max   int
	abi   *contracts.EthereumDIDRegistry
	calls atomic.Uint64
}

var _ did.Resolver = (*Resolver)(nil)

// New returns a resolver for the given networks.
func New(o Options, networks ...Network) (*Resolver, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 10_000
	}
	r := &Resolver{nets: map[string]*Network{}, now: o.Now, max: o.MaxEvents, abi: contracts.NewEthereumDIDRegistry()}
	for i := range networks {
		n := networks[i]
		if n.ChainID == nil || n.ChainID.Sign() <= 0 || n.Chain == nil {
			return nil, fmt.Errorf("didethr: network %d: chain id and chain are required", i)
		}
		keys := append([]string{"0x" + n.ChainID.Text(16)}, n.Names...)
		if n.ChainID.Cmp(big.NewInt(1)) == 0 {
			keys = append(keys, "mainnet")
		}
		for _, k := range keys {
			if _, dup := r.nets[k]; dup {
				return nil, fmt.Errorf("didethr: network %q configured twice", k)
			}
			r.nets[k] = &n
		}
	}
	return r, nil
}

// RPCCalls is the number of chain calls made so far by all resolutions.
func (r *Resolver) RPCCalls() uint64 { return r.calls.Load() }

// DIDPrefix is "did:ethr:" for mainnet and "did:ethr:0x<chain id hex>:"
// otherwise (did:ethr spec, "Method Specific Identifier").
func DIDPrefix(chainID *big.Int) string {
	if chainID.Cmp(big.NewInt(1)) == 0 {
		return "did:ethr:"
	}
	return "did:ethr:0x" + chainID.Text(16) + ":"
}

// DIDForAddress is the DID of an Ethereum address on a chain, lowercase.
func DIDForAddress(chainID *big.Int, a common.Address) string {
	return DIDPrefix(chainID) + strings.ToLower(a.Hex())
}

// DIDForPublicKey is the public-key form of the DID of a secp256k1 key.
func DIDForPublicKey(chainID *big.Int, pub []byte) (string, error) {
	k, err := multikey.Secp256k1FromBytes(pub)
	if err != nil {
		return "", fmt.Errorf("didethr: %w", err)
	}
	return DIDPrefix(chainID) + "0x" + common.Bytes2Hex(crypto.CompressPubkey(k)), nil
}

// ID is a parsed did:ethr method-specific identifier.
type ID struct {
	Network string         // as written in the DID; "" means mainnet
	Address common.Address // the ERC-1056 identity
	PubKey  []byte         // compressed secp256k1 key for public-key DIDs, else nil
	NetKey  string         // the key into the network table ("0x1" for "")
}

// ParseID parses the method-specific id of a did:ethr DID:
//
//	ethr-specific-identifier = [ ethr-network ":" ] ethereum-address / public-key-hex
//	ethr-network = "mainnet" / "goerli" / network-chain-id
//	network-chain-id = "0x" *HEXDIG
//	ethereum-address = "0x" 40*HEXDIG
//	public-key-hex = "0x" 66*HEXDIG
//
// Hex digits are case-insensitive (did:ethr spec, "Method Specific Identifier").
func ParseID(msid string) (ID, error) {
	var id ID
	parts := strings.Split(msid, ":")
	switch len(parts) {
	case 1:
	case 2:
		id.Network = parts[0]
	default:
		return id, fmt.Errorf("%w: did:ethr:%s has more than one network segment", did.ErrInvalidDID, clip(msid))
	}
	ident := parts[len(parts)-1]
	id.NetKey = "0x1"
	if id.Network != "" {
		if id.Network == "" || id.Network == "0x" {
			return id, fmt.Errorf("%w: empty network in did:ethr:%s", did.ErrInvalidDID, clip(msid))
		}
		if strings.HasPrefix(id.Network, "0x") {
			n, ok := new(big.Int).SetString(id.Network[2:], 16)
			if !ok || n.Sign() <= 0 {
				return id, fmt.Errorf("%w: network %q is not a hex chain id", did.ErrInvalidDID, clip(id.Network))
			}
			id.NetKey = "0x" + n.Text(16)
		} else {
			id.NetKey = id.Network
		}
	}
	hexPart, ok := strings.CutPrefix(ident, "0x")
	if !ok || !isHex(hexPart) {
		return id, fmt.Errorf("%w: %q is not a 0x-prefixed hex address or public key", did.ErrInvalidDID, clip(ident))
	}
	switch len(hexPart) {
	case 40:
		id.Address = common.HexToAddress(hexPart)
		// EIP-55: a mixed-case address carries a checksum in its letter
		// case; one that does not match is a typo, not another address.
		// All-lowercase and all-uppercase addresses carry none.
		if hasLower, hasUpper := strings.ContainsAny(hexPart, "abcdef"), strings.ContainsAny(hexPart, "ABCDEF"); hasLower && hasUpper && id.Address.Hex()[2:] != hexPart {
			return id, fmt.Errorf("%w: address %q has a wrong EIP-55 checksum (mixed case must match; use all lowercase for none)", did.ErrInvalidDID, clip(ident))
		}
	case 66:
		raw := common.FromHex(hexPart)
		k, err := crypto.DecompressPubkey(raw)
		if err != nil {
			return id, fmt.Errorf("%w: %q is not a compressed secp256k1 key", did.ErrInvalidDID, clip(ident))
		}
		id.PubKey = raw
		id.Address = crypto.PubkeyToAddress(*k)
	default:
		return id, fmt.Errorf("%w: %q is neither a 20-byte address nor a 33-byte compressed key", did.ErrInvalidDID, clip(ident))
	}
	return id, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// version is what a DID URL query asks for (did:ethr spec, "Resolving DID
// URIs with query parameters").
type version struct {
	block    *uint64    // versionId
	at       *time.Time // versionTime
	original string
}

func parseVersion(q map[string][]string) (version, error) {
	var v version
	ids, times := q["versionId"], q["versionTime"]
	if len(ids) > 0 && len(times) > 0 {
		// The spec asks for invalidOptions; we report it as an invalid DID URL.
		return v, fmt.Errorf("%w: versionId and versionTime are mutually exclusive", did.ErrInvalidDID)
	}
	if len(ids) > 1 || len(times) > 1 {
		return v, fmt.Errorf("%w: repeated version parameter", did.ErrInvalidDID)
	}
	if len(ids) == 1 {
		n, err := strconv.ParseUint(ids[0], 10, 64)
		if err != nil {
			return v, fmt.Errorf("%w: versionId %q is not a block number", did.ErrInvalidDID, clip(ids[0]))
		}
		v.block = &n
	}
	if len(times) == 1 {
		// versionTime is a Unix timestamp in seconds or an ISO 8601 date-time.
		s := times[0]
		var t time.Time
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			t = time.Unix(n, 0)
		} else if t, err = time.Parse(time.RFC3339, s); err != nil {
			return v, fmt.Errorf("%w: versionTime %q is neither Unix seconds nor RFC 3339", did.ErrInvalidDID, clip(s))
		}
		v.at = &t
	}
	return v, nil
}

// Resolve resolves a did:ethr DID, optionally with ?versionId=<block> or
// ?versionTime=<time>.
func (r *Resolver) Resolve(ctx context.Context, s string) (*did.Resolution, error) {
	u, err := did.ParseURL(s)
	if err != nil {
		return nil, err
	}
	if u.Method != Method {
		return nil, fmt.Errorf("%w: did:%s given to the did:ethr resolver", did.ErrMethodNotSupported, u.Method)
	}
	if u.Path != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %s has a path or fragment, resolve its DID", did.ErrInvalidDID, clip(s))
	}
	id, err := ParseID(u.ID)
	if err != nil {
		return nil, err
	}
	v, err := parseVersion(u.Query)
	if err != nil {
		return nil, err
	}
	net, ok := r.nets[id.NetKey]
	if !ok {
		return nil, fmt.Errorf("%w: %w %q", did.ErrMethodNotSupported, ErrUnknownNetwork, id.Network)
	}
	return r.resolve(ctx, net, u.DID.String(), id, v)
}
