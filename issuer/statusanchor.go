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

// Anchorer records status list hashes on a ledger and reads them back.
// AnchorBatch writes every hash of one publish round in one transaction and
// returns once it is final; Latest returns the newest anchored hash of a
// list of issuer and when it was anchored, or ErrNotAnchored.
type Anchorer interface {
	AnchorBatch(ctx context.Context, lists []ListHash) error
	Latest(ctx context.Context, issuer, listID string) ([32]byte, time.Time, error)
}

// anchorPending anchors every published version not yet anchored, newest
// per list only (an older version no verifier can still be served is not
// worth gas). On failure they stay pending for the next round.
func (l *statusLists) anchorPending(ctx context.Context) error {
	if l.cfg.Anchorer == nil {
		return nil
	}
	l.anchorMu.Lock()
	defer l.anchorMu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	latest := map[string]int{}
	var batch []ListHash
	for _, h := range l.pending {
		if i, ok := latest[h.ListID]; ok {
			if h.Version > batch[i].Version {
				batch[i] = h
			}
			continue
		}
		latest[h.ListID] = len(batch)
		batch = append(batch, h)
	}
	if err := l.cfg.Anchorer.AnchorBatch(ctx, batch); err != nil {
		return fmt.Errorf("issuer: anchor %d status lists: %w", len(batch), err)
	}
	l.pending = l.pending[:0]
	for _, h := range batch {
		l.markAnchored(h)
	}
	return nil
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
