package gateway

import (
	"crypto"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
)

// KeySource hands out the gateway's token-signing key and the set of public
// keys that verify its tokens. It is the seam for key material shared by
// replicas; KMSKeys is the single-node default.
type KeySource interface {
	SigningKey() (crypto.Signer, jwk.Key, error)
	PublicKeys() (jwk.Set, error)
}

// Rotator is a KeySource whose signing key can be replaced on command.
type Rotator interface {
	Rotate() error
}

// Key rotation defaults.
const (
	DefaultKeyRotation = 24 * time.Hour
	// AcceptableSkew is the clock skew allowed on access token exp/nbf.
	AcceptableSkew = 5 * time.Second
)

// KeyOptions tune a KMSKeys ring.
type KeyOptions struct {
	// RotateEvery is the age at which RotateIfDue replaces the signing key
	// (default DefaultKeyRotation; negative: never on schedule).
	RotateEvery time.Duration
	// Retain is how long a replaced key stays in the JWKS: at least the
	// longest token lifetime plus skew, so every token it signed expires
	// first (default DefaultTokenTTL + AcceptableSkew).
	Retain time.Duration
	Now    func() time.Time
}

// KMSKeys is a ring of Ed25519 signing keys kept in kms: the current one
// signs, replaced ones stay published until their tokens have expired.
// The ring survives restarts.
type KMSKeys struct {
	meta store.Bucket
	kms  *kms.Manager
	opts KeyOptions

	mu   sync.RWMutex
	ring []ringKey // oldest first; the last one signs

	cached      jwk.Set // PublicKeys, valid before cachedUntil; cleared by rotate
	cachedUntil time.Time
}

type ringEntry struct {
	ID      string    `json:"id"` // kms key id
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitzero"`
}

type ringKey struct {
	ringEntry
	signer crypto.Signer
	pub    jwk.Key
}

var (
	_ KeySource = (*KMSKeys)(nil)
	_ Rotator   = (*KMSKeys)(nil)
)

const (
	signingKeyName = "signing-key" // the single key of earlier versions
	keyRingName    = "key-ring"
)

// NewKMSKeys loads the key ring, or creates it with one key. A data dir from
// before rotation (one "signing-key") becomes a ring of that key.
func NewKMSKeys(db *store.DB, keys *kms.Manager, opts ...KeyOptions) (*KMSKeys, error) {
	k := &KMSKeys{meta: db.Bucket("gateway"), kms: keys}
	if len(opts) > 0 {
		k.opts = opts[0]
	}
	if k.opts.RotateEvery == 0 {
		k.opts.RotateEvery = DefaultKeyRotation
	}
	if k.opts.Retain <= 0 {
		k.opts.Retain = DefaultTokenTTL + AcceptableSkew
	}
	if k.opts.Now == nil {
		k.opts.Now = time.Now
	}
	var entries []ringEntry
	err := k.meta.GetJSON(keyRingName, &entries)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if id, gerr := k.meta.Get(signingKeyName); gerr == nil {
			entries = []ringEntry{{ID: string(id), Created: k.opts.Now().UTC()}}
		} else if !errors.Is(gerr, store.ErrNotFound) {
			return nil, fmt.Errorf("gateway: load key id: %w", gerr)
		}
	case err != nil:
		return nil, fmt.Errorf("gateway: load key ring: %w", err)
	}
	for _, e := range entries {
		rk, err := k.load(e)
		if err != nil {
			return nil, err
		}
		k.ring = append(k.ring, rk)
	}
	if len(k.ring) == 0 {
		if err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *KMSKeys) load(e ringEntry) (ringKey, error) {
	signer, err := k.kms.Signer(e.ID)
	if err != nil {
		return ringKey{}, fmt.Errorf("gateway: key %s: %w", e.ID, err)
	}
	pub, err := jwk.FromRaw(signer.Public())
	if err != nil {
		return ringKey{}, fmt.Errorf("gateway: %w", err)
	}
	// kid = RFC 7638 thumbprint, so it changes exactly when the key does.
	if err := jwk.AssignKeyID(pub); err != nil {
		return ringKey{}, fmt.Errorf("gateway: %w", err)
	}
	for name, v := range map[string]any{jwk.AlgorithmKey: jwa.EdDSA, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(name, v); err != nil {
			return ringKey{}, fmt.Errorf("gateway: %w", err)
		}
	}
	return ringKey{ringEntry: e, signer: signer, pub: pub}, nil
}

// Rotate makes a new signing key current; the previous one stays published
// for Retain, then leaves the ring.
func (k *KMSKeys) Rotate() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rotate()
}

func (k *KMSKeys) rotate() error {
	now := k.opts.Now().UTC()
	id, _, err := k.kms.Create(kms.Ed25519)
	if err != nil {
		return fmt.Errorf("gateway: create key: %w", err)
	}
	rk, err := k.load(ringEntry{ID: id, Created: now})
	if err != nil {
		return err
	}
	ring := make([]ringKey, 0, len(k.ring)+1)
	for i, old := range k.ring {
		if i == len(k.ring)-1 {
			old.Retired = now
		}
		if !old.Retired.IsZero() && !now.Before(old.Retired.Add(k.opts.Retain)) {
			continue // every token it signed has expired
		}
		ring = append(ring, old)
	}
	ring = append(ring, rk)
	entries := make([]ringEntry, len(ring))
	for i, r := range ring {
		entries[i] = r.ringEntry
	}
	if err := k.meta.PutJSON(keyRingName, entries); err != nil {
		return fmt.Errorf("gateway: save key ring: %w", err)
	}
	k.ring, k.cached = ring, nil
	return nil
}

// RotateIfDue rotates when the signing key is older than RotateEvery and
// reports whether it did.
func (k *KMSKeys) RotateIfDue() (bool, error) {
	if k.opts.RotateEvery < 0 {
		return false, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.ring[len(k.ring)-1]
	if k.opts.Now().Sub(cur.Created) < k.opts.RotateEvery {
		return false, nil
	}
	return true, k.rotate()
}

// SigningKey returns the current key.
func (k *KMSKeys) SigningKey() (crypto.Signer, jwk.Key, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	cur := k.ring[len(k.ring)-1]
	return cur.signer, cur.pub, nil
}

// PublicKeys returns the JWKS: the current key and every replaced key whose
// tokens may still be valid.
func (k *KMSKeys) PublicKeys() (jwk.Set, error) {
	now := k.opts.Now()
	k.mu.RLock()
	if c := k.cached; c != nil && now.Before(k.cachedUntil) {
		k.mu.RUnlock()
		return c, nil
	}
	k.mu.RUnlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	// The set changes only on rotation or when a retired key's time is up.
	until := now.Add(time.Hour)
	for _, r := range k.ring {
		if end := r.Retired.Add(k.opts.Retain); !r.Retired.IsZero() && now.Before(end) && end.Before(until) {
			until = end
		}
	}
	set := jwk.NewSet()
	for _, r := range k.ring {
		if !r.Retired.IsZero() && !now.Before(r.Retired.Add(k.opts.Retain)) {
			continue
		}
		if err := set.AddKey(r.pub); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	k.cached, k.cachedUntil = set, until
	return set, nil
}
