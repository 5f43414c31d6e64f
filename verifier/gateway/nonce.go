package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credentialflow/cflow/internal/store"
)

// Nonce errors.
var (
	ErrNonceUnknown = errors.New("nonce was not issued here or has expired")
	ErrNonceReused  = errors.New("nonce was already used")
)

// NonceStore issues one-time challenges. It is the seam for a store shared by
// several gateway replicas; the badger store is the single-node default.
type NonceStore interface {
	Issue(ctx context.Context, ttl time.Duration) (string, error)
	// Consume marks the nonce used; of concurrent callers exactly one succeeds.
	Consume(ctx context.Context, nonce string) error
}

// NonceSpender is a NonceStore that can consume a nonce in the same
// durable commit as other writes, so that an exchange records its
// decision and spends its nonce with one sync (see Gateway.Exchange).
type NonceSpender interface {
	// Check reports whether nonce could be consumed now (nil), was used
	// (ErrNonceReused) or is unknown or expired (ErrNonceUnknown),
	// without consuming it.
	Check(ctx context.Context, nonce string) error
	// Spend consumes nonce and runs also (may be nil) in the same
	// transaction; it refuses with ErrNonceReused or ErrNonceUnknown before
	// writing anything, fails whole if also fails, and returns once the
	// transaction is durable. Of concurrent callers exactly one succeeds.
	Spend(ctx context.Context, nonce string, also func(store.Tx) error) error
}

// BadgerNonces keeps nonces in the embedded store.
type BadgerNonces struct {
	db     *store.DB
	issued store.Bucket
	used   store.Bucket
}

var (
	_ NonceStore   = (*BadgerNonces)(nil)
	_ NonceSpender = (*BadgerNonces)(nil)
)

// NewBadgerNonces returns a nonce store in db.
func NewBadgerNonces(db *store.DB) *BadgerNonces {
	return &BadgerNonces{db: db, issued: db.Bucket("gw-nonce"), used: db.Bucket("gw-nonce-used")}
}

// Issue creates a random 128-bit nonce valid for ttl.
func (n *BadgerNonces) Issue(_ context.Context, ttl time.Duration) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("gateway: nonce: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	// The expiry travels with the entry so a used marker outlives it.
	exp := time.Now().Add(ttl).UTC().Format(time.RFC3339Nano)
	// 128 random bits do not collide; Batch shares the synced commit with
	// concurrent challenges and exchanges.
	if err := n.db.Batch(func(tx store.Tx) error { return tx.Put(n.issued, nonce, []byte(exp), ttl) }); err != nil {
		return "", fmt.Errorf("gateway: store nonce: %w", err)
	}
	return nonce, nil
}

// Consume moves the nonce from issued to used in one transaction. It
// returns only once that transaction is committed (synced), so an answer
// never goes out for a consumption a crash could undo. The transaction is
// a group commit (store.Batch): concurrent exchanges share one commit and
// one WAL sync, and since a batch runs its calls one after the other, of
// two calls for one nonce the second sees the first's move and is refused.
func (n *BadgerNonces) Consume(ctx context.Context, nonce string) error {
	return n.Spend(ctx, nonce, nil)
}

// Check reports whether nonce could be consumed now, without writing.
func (n *BadgerNonces) Check(_ context.Context, nonce string) error {
	if len(nonce) == 0 || len(nonce) > 128 {
		return ErrNonceUnknown
	}
	return n.db.View(func(tx store.Tx) error {
		_, err := n.state(tx, nonce)
		return err
	})
}

// state returns the expiry of an issued nonce, or why it cannot be used.
func (n *BadgerNonces) state(tx store.Tx, nonce string) ([]byte, error) {
	exp, err := tx.Get(n.issued, nonce)
	if errors.Is(err, store.ErrNotFound) {
		if _, uerr := tx.Get(n.used, nonce); uerr == nil {
			return nil, ErrNonceReused
		}
		return nil, ErrNonceUnknown
	}
	return exp, err
}

// Spend consumes nonce and runs also in the same group-committed
// transaction (see Consume).
func (n *BadgerNonces) Spend(_ context.Context, nonce string, also func(store.Tx) error) error {
	if len(nonce) == 0 || len(nonce) > 128 {
		return ErrNonceUnknown
	}
	return n.db.Batch(func(tx store.Tx) error {
		exp, err := n.state(tx, nonce)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if err := tx.Delete(n.issued, nonce); err != nil {
			return err
		}
		// Remember the use until well after the nonce would have expired.
		keep := time.Hour
		if t, perr := time.Parse(time.RFC3339Nano, string(exp)); perr == nil && time.Until(t) > 0 {
			keep += time.Until(t)
		}
		return tx.Put(n.used, nonce, []byte{1}, keep)
	})
}

// MemoryNonces keeps nonces in this process: for tests and single-process
// embedding. Replicas need one shared store (see the README).
type MemoryNonces struct {
	mu     sync.Mutex
	issued map[string]time.Time // nonce → expiry
	used   map[string]time.Time // nonce → forget after
	now    func() time.Time
}

var _ NonceStore = (*MemoryNonces)(nil)

// NewMemoryNonces returns an empty in-process nonce store.
func NewMemoryNonces() *MemoryNonces {
	return &MemoryNonces{issued: map[string]time.Time{}, used: map[string]time.Time{}, now: time.Now}
}

// Issue creates a random 128-bit nonce valid for ttl.
func (m *MemoryNonces) Issue(_ context.Context, ttl time.Duration) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("gateway: nonce: %w", err)
	}
	n := base64.RawURLEncoding.EncodeToString(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	m.issued[n] = m.now().Add(ttl)
	return n, nil
}

// Consume marks the nonce used; of concurrent callers exactly one succeeds.
func (m *MemoryNonces) Consume(_ context.Context, nonce string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.issued[nonce]
	if !ok || m.now().After(exp) {
		if _, used := m.used[nonce]; used {
			return ErrNonceReused
		}
		return ErrNonceUnknown
	}
	delete(m.issued, nonce)
	m.used[nonce] = exp.Add(time.Hour)
	return nil
}

func (m *MemoryNonces) sweep() {
	now := m.now()
	for n, exp := range m.issued {
		if now.After(exp) {
			delete(m.issued, n)
		}
	}
	for n, exp := range m.used {
		if now.After(exp) {
			delete(m.used, n)
		}
	}
}

// ErrReplayed is returned for a one-time identifier seen before.
var ErrReplayed = errors.New("identifier already used")

// JTIStore remembers one-time identifiers (DPoP proof jti, RFC 9449 §11.1)
// until they could no longer be accepted anyway. It is the seam for a store
// shared by replicas; BadgerJTIs is the single-node default.
type JTIStore interface {
	// Use records id until exp; ErrReplayed if it was recorded before.
	Use(ctx context.Context, id string, exp time.Time) error
}

// BadgerJTIs keeps identifiers in the embedded store with a TTL.
type BadgerJTIs struct{ b store.Bucket }

var _ JTIStore = BadgerJTIs{}

// NewBadgerJTIs returns a JTI store in db.
func NewBadgerJTIs(db *store.DB) BadgerJTIs { return BadgerJTIs{b: db.Bucket("gw-dpop-jti")} }

// Use records id; of concurrent callers exactly one succeeds.
func (s BadgerJTIs) Use(_ context.Context, id string, exp time.Time) error {
	ttl := time.Until(exp)
	if ttl < time.Second {
		ttl = time.Second
	}
	err := s.b.Create(id, []byte{1}, ttl)
	if errors.Is(err, store.ErrExists) {
		return ErrReplayed
	}
	if err != nil {
		return fmt.Errorf("gateway: jti store: %w", err)
	}
	return nil
}

// MemoryJTIs keeps identifiers in this process.
type MemoryJTIs struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

var _ JTIStore = (*MemoryJTIs)(nil)

// NewMemoryJTIs returns an empty in-process JTI store.
func NewMemoryJTIs() *MemoryJTIs { return &MemoryJTIs{seen: map[string]time.Time{}} }

// Use records id until exp.
func (m *MemoryJTIs) Use(_ context.Context, id string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if len(m.seen) > 10_000 {
		for k, e := range m.seen {
			if now.After(e) {
				delete(m.seen, k)
			}
		}
	}
	if e, ok := m.seen[id]; ok && now.Before(e) {
		return ErrReplayed
	}
	m.seen[id] = exp
	return nil
}
