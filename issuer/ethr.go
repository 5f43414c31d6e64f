package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
)

// MethodEthr is the profile method of issuers whose DID lives on the ledger.
const MethodEthr = didethr.Method

// DefaultKeepOldKey is how long a rotated-out key stays valid when a
// credential it signed has no expiry (validUntil / exp): such a credential
// would otherwise pin the old key forever.
const DefaultKeepOldKey = 365 * 24 * time.Hour

// ErrNoLedger: the server has no ledger it can write to.
var ErrNoLedger = errors.New("issuer: no ledger for did:ethr (the server runs with --ledger off, or its ledger has no transaction key)")

// EthrConfig wires did:ethr issuer profiles to a ledger.
type EthrConfig struct {
	// Controller writes ERC-1056 changes; the ledger's account pays gas, the
	// profile's controller key (secp256k1, in kms) signs them.
	Controller *didethr.Controller
	// Resolver reads the registry without a cache: it finds the id the
	// resolver gives a key just published.
	Resolver did.Resolver
	// OnChange is told every DID whose document this service changed, so a
	// resolution cache can drop it.
	OnChange func(did string)
	// KeepOldKey replaces DefaultKeepOldKey.
	KeepOldKey time.Duration
	Logger     *slog.Logger
	// Now is the clock of rotation deadlines; default the service's.
	Now func() time.Time
}

// EthrKey is one signing key an ethr profile has published.
type EthrKey struct {
	KeyID              string    `json:"keyId"` // kms
	VerificationMethod string    `json:"verificationMethod,omitempty"`
	Attribute          string    `json:"attribute,omitempty"` // did/pub/… name; empty for the controller key
	Value              []byte    `json:"value,omitempty"`
	PublishedAt        time.Time `json:"publishedAt,omitzero"`
	// RevokeAt is when a rotated-out key is revoked on the ledger; zero
	// while it is the current key.
	RevokeAt  time.Time `json:"revokeAt,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// EthrRecord is what an ethr profile keeps beside its Profile.
type EthrRecord struct {
	ProfileID       string         `json:"profileId"`
	Address         common.Address `json:"address"`
	ControllerKeyID string         `json:"controllerKeyId"`
	Keys            []EthrKey      `json:"keys"`
}

type ethrIssuers struct {
	cfg     EthrConfig
	records store.Bucket
	mu      sync.Mutex // one ledger change sequence at a time
}

// EnableEthr turns on did:ethr profiles (CreateProfile with method "ethr",
// RotateKey).
func (s *Service) EnableEthr(db *store.DB, cfg EthrConfig) error {
	if cfg.Controller == nil || cfg.Resolver == nil {
		return errors.New("issuer: EnableEthr needs a Controller and a Resolver")
	}
	if cfg.KeepOldKey <= 0 {
		cfg.KeepOldKey = DefaultKeepOldKey
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = s.now
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func(string) {}
	}
	s.ethr.Store(&ethrIssuers{cfg: cfg, records: db.Bucket("issuer-ethr")})
	return nil
}

// EthrRecord returns the ledger record of an ethr profile.
func (s *Service) EthrRecord(profileID string) (*EthrRecord, error) {
	e := s.ethr.Load()
	if e == nil {
		return nil, ErrNoLedger
	}
	var rec EthrRecord
	if err := e.records.GetJSON(profileID, &rec); err != nil {
		return nil, fmt.Errorf("issuer: ethr record %s: %w", profileID, err)
	}
	return &rec, nil
}

// createEthrProfile makes a did:ethr issuer: a secp256k1 controller key
// whose address is the identity, and, for Ed25519 and P-256, a signing key
// published as a did/pub/<alg>/veriKey attribute (did:ethr spec, "Create
// (Register)" needs no transaction; "Update" for the key). A secp256k1
// profile signs ES256K with the controller key itself (#controller).
func (s *Service) createEthrProfile(ctx context.Context, req CreateProfileRequest, name string) (*Profile, error) {
	e := s.ethr.Load()
	if e == nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, ErrNoLedger)
	}
	kt := kms.Ed25519
	if req.KeyType != "" {
		var err error
		if kt, err = kms.ParseKeyType(req.KeyType); err != nil {
			return nil, fmt.Errorf("%w: keyType %q (want Ed25519, P-256 or secp256k1)", ErrInvalidRequest, req.KeyType)
		}
	}
	ctrlID, ctrlPub, err := s.keys.Create(kms.Secp256k1)
	if err != nil {
		return nil, fmt.Errorf("issuer: create controller key: %w", err)
	}
	addr, err := ethAddress(ctrlPub)
	if err != nil {
		return nil, err
	}
	d := e.cfg.Controller.DID(addr)
	p := &Profile{
		ID: uuid.NewString(), Name: name, Method: MethodEthr, KeyType: string(kt), DID: d,
		Formats: Formats, CreatedAt: s.now().UTC(), Suspension: req.Suspension,
	}
	rec := &EthrRecord{ProfileID: p.ID, Address: addr, ControllerKeyID: ctrlID}
	e.mu.Lock()
	defer e.mu.Unlock()
	if kt == kms.Secp256k1 {
		p.KeyID, p.VerificationMethod = ctrlID, d+"#controller"
		rec.Keys = []EthrKey{{KeyID: ctrlID, VerificationMethod: p.VerificationMethod, PublishedAt: p.CreatedAt}}
	} else {
		k, err := s.publishEthrKey(ctx, e, rec, kt)
		if err != nil {
			return nil, err
		}
		rec.Keys = []EthrKey{*k}
		p.KeyID, p.VerificationMethod = k.KeyID, k.VerificationMethod
	}
	if err := e.records.PutJSON(p.ID, rec); err != nil {
		return nil, fmt.Errorf("issuer: save ethr record: %w", err)
	}
	if err := s.profiles.PutJSON(p.ID, p); err != nil {
		return nil, fmt.Errorf("issuer: save profile: %w", err)
	}
	s.remember(p)
	e.cfg.OnChange(d)
	return p, nil
}

// publishEthrKey creates a key of type kt in kms, publishes it for the
// identity of rec and returns it with the verification method id the
// resolver gives it.
func (s *Service) publishEthrKey(ctx context.Context, e *ethrIssuers, rec *EthrRecord, kt kms.KeyType) (*EthrKey, error) {
	keyID, pub, err := s.keys.Create(kt)
	if err != nil {
		return nil, fmt.Errorf("issuer: create key: %w", err)
	}
	owner := kmsOwner{keys: s.keys, id: rec.ControllerKeyID, addr: rec.Address}
	name, value, _, err := e.cfg.Controller.PublishKey(ctx, owner, rec.Address, pub, didethr.VeriKey, didethr.Forever)
	if err != nil {
		return nil, fmt.Errorf("issuer: publish key of %s: %w", e.cfg.Controller.DID(rec.Address), err)
	}
	vm, err := findMethod(ctx, e.cfg.Resolver, e.cfg.Controller.DID(rec.Address), pub)
	if err != nil {
		return nil, err
	}
	return &EthrKey{KeyID: keyID, VerificationMethod: vm, Attribute: name, Value: value, PublishedAt: e.cfg.Now().UTC()}, nil
}

// findMethod returns the id of d's assertionMethod whose key is pub: did:ethr
// numbers keys by their place in the registry's history, so the id is read
// back rather than predicted.
func findMethod(ctx context.Context, r did.Resolver, d string, pub crypto.PublicKey) (string, error) {
	res, err := r.Resolve(ctx, d)
	if err != nil {
		return "", fmt.Errorf("issuer: resolve %s: %w", d, err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for _, vm := range res.Document.Methods(did.AssertionMethod) {
		k, err := vm.PublicKey()
		if err != nil {
			continue
		}
		if eq, ok := k.(equaler); ok && eq.Equal(pub) {
			return vm.ID, nil
		}
	}
	return "", fmt.Errorf("issuer: the key just published is not an assertionMethod of %s", d)
}

// ethAddress is the Ethereum address of a secp256k1 public key from kms.
func ethAddress(pub crypto.PublicKey) (common.Address, error) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return common.Address{}, fmt.Errorf("issuer: controller key is %T, not secp256k1", pub)
	}
	raw := make([]byte, 65)
	raw[0] = 4
	k.X.FillBytes(raw[1:33])
	k.Y.FillBytes(raw[33:])
	return common.BytesToAddress(gethcrypto.Keccak256(raw[1:])[12:]), nil
}

// kmsOwner signs ERC-1056 meta-transaction digests with a secp256k1 key
// kept in kms.
type kmsOwner struct {
	keys *kms.Manager
	id   string
	addr common.Address
}

var _ didethr.OwnerSigner = kmsOwner{}

func (o kmsOwner) Address() common.Address { return o.addr }

// SignDigest returns the 65-byte [R || S || V] signature with V in {0, 1}
// that ecrecover (and the registry's *Signed functions) expect. kms hands
// out the key as an *ecdsa.PrivateKey on decred's curve; go-ethereum signs
// with its own curve type, so the scalar is carried over and wiped after.
func (o kmsOwner) SignDigest(_ context.Context, digest [32]byte) ([]byte, error) {
	signer, err := o.keys.Signer(o.id)
	if err != nil {
		return nil, fmt.Errorf("issuer: controller key: %w", err)
	}
	k, ok := signer.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("issuer: controller key is %T, not secp256k1", signer)
	}
	scalar := k.D.FillBytes(make([]byte, 32))
	defer clear(scalar)
	gk, err := gethcrypto.ToECDSA(scalar)
	if err != nil {
		return nil, fmt.Errorf("issuer: controller key: %w", err)
	}
	defer gk.D.SetInt64(0)
	return gethcrypto.Sign(digest[:], gk)
}
