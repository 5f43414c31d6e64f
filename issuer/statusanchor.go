package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ListHash is one published version of a status list, as anchored.
type ListHash struct {
	Issuer string // the issuer's DID
	// ListID is the status list credential's id: the URL it is served at
	// and the statusListCredential that credentials name. Verifiers know
	// only this, so it is the key on the ledger too.
	ListID      string
	Hash        [32]byte // SHA-256 of the served list credential (compact JWS bytes)
	Version     int
	PublishedAt time.Time
}

// ErrNotAnchored: the ledger holds no anchor for the list.
var ErrNotAnchored = errors.New("status list not anchored")

// AnchorProperty is the credentialSubject property of a status list
// credential that names where its versions are anchored (an AnchorRef).
// It is inside the signed payload: whoever relays the list cannot point a
// verifier at another anchor without breaking the issuer's signature.
const AnchorProperty = "anchor"

// AnchorRef names where a list's versions are anchored: a StatusAnchor
// contract on a chain, and the account whose slots hold this issuer's
// anchors (the server's ledger account, not the issuer's DID: did:key and
// did:jwk issuers have no on-chain identity).
type AnchorRef struct {
	// Chain is a CAIP-2 chain id, "eip155:<chainId>".
	Chain string
	// Contract and Account are 0x-prefixed, EIP-55 checksummed addresses.
	Contract string
	Account  string
}

// JSON is the AnchorProperty value.
func (r AnchorRef) JSON() map[string]any {
	return map[string]any{"chain": r.Chain, "contract": r.Contract, "account": r.Account}
}

// Anchorer records status list hashes on a ledger and reads them back.
// AnchorBatch writes every hash of one publish round in one transaction and
// returns once it is final; Latest returns the newest anchored hash of a
// list of issuer and when it was anchored, or ErrNotAnchored; Ref says
// where the anchors are, for the lists to name.
type Anchorer interface {
	AnchorBatch(ctx context.Context, lists []ListHash) error
	Latest(ctx context.Context, issuer, listID string) ([32]byte, time.Time, error)
	Ref() AnchorRef
}

func (l *statusLists) pendingCount() int {
	l.anchorMu.Lock()
	defer l.anchorMu.Unlock()
	return len(l.pending)
}

// anchor anchors fresh (versions about to be served) together with every
// earlier version whose anchoring failed, newest per list only (an older
// version no verifier can still be served is not worth gas), in one
// batch. On failure everything stays pending for the next round.
func (l *statusLists) anchor(ctx context.Context, fresh []ListHash) (bool, error) {
	l.anchorMu.Lock()
	defer l.anchorMu.Unlock()
	latest := map[string]int{}
	var batch []ListHash
	for _, h := range append(append([]ListHash{}, l.pending...), fresh...) {
		if i, ok := latest[h.ListID]; ok {
			if h.Version > batch[i].Version {
				batch[i] = h
			}
			continue
		}
		latest[h.ListID] = len(batch)
		batch = append(batch, h)
	}
	if len(batch) == 0 {
		return true, nil
	}
	if err := l.cfg.Anchorer.AnchorBatch(ctx, batch); err != nil {
		l.pending = batch
		return false, fmt.Errorf("issuer: anchor %d status lists: %w", len(batch), err)
	}
	l.pending = l.pending[:0]
	for _, h := range batch {
		l.markAnchored(h) // earlier versions already served; fresh ones are not stored yet
	}
	return true, nil
}

func (l *statusLists) markAnchored(h ListHash) {
	for _, ll := range l.snapshot() {
		ll.mu.Lock()
		if p := ll.published; p != nil && p.URL == h.ListID && p.Version == h.Version && !p.Anchored {
			cp := *p
			cp.Anchored = true
			if err := l.published.PutJSON(ll.rec.ID, &cp); err != nil {
				l.log.Error("status lists: mark anchored", "list", ll.rec.ID, "err", err)
			} else {
				ll.published = &cp
			}
		}
		ll.mu.Unlock()
	}
}

func (l *statusLists) snapshot() []*liveList {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]*liveList, 0, len(l.live))
	for _, ll := range l.live {
		out = append(out, ll)
	}
	return out
}
