package issuer

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/credentialflow/cflow/internal/ledger"
)

// LedgerAnchorer anchors status lists in a StatusAnchor contract
// (internal/ledger/contracts/StatusAnchor.sol) from the server's ledger
// account. The key of a list is keccak256 of its URL; the value is the
// SHA-256 of the list credential bytes as served. Every list signed in one
// publish round goes into one transaction (more only past
// ledger.MaxAnchorBatch lists).
type LedgerAnchorer struct {
	a       *ledger.StatusAnchor
	chainID *big.Int
	log     *slog.Logger
}

var _ Anchorer = (*LedgerAnchorer)(nil)

// NewLedgerAnchorer returns an Anchorer writing through a (which must have
// a transactor) on the chain chainID. logger may be nil.
func NewLedgerAnchorer(a *ledger.StatusAnchor, chainID *big.Int, logger *slog.Logger) *LedgerAnchorer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &LedgerAnchorer{a: a, chainID: new(big.Int).Set(chainID), log: logger}
}

// Ref names the chain, the contract and the writing account.
func (x *LedgerAnchorer) Ref() AnchorRef {
	return AnchorRef{
		Chain:    "eip155:" + x.chainID.String(),
		Contract: x.a.Address().Hex(),
		Account:  x.a.Writer().Hex(),
	}
}

// AnchorBatch anchors lists in one transaction per ledger.MaxAnchorBatch.
func (x *LedgerAnchorer) AnchorBatch(ctx context.Context, lists []ListHash) error {
	for len(lists) > 0 {
		n := min(len(lists), ledger.MaxAnchorBatch)
		entries := make([]ledger.AnchorEntry, n)
		for i, h := range lists[:n] {
			entries[i] = ledger.AnchorEntry{Key: ledger.AnchorKey(h.ListID), Hash: h.Hash}
		}
		start := time.Now()
		rcpt, err := x.a.Anchor(ctx, entries)
		if err != nil {
			return err
		}
		x.log.Info("status lists anchored", "lists", n, "tx", rcpt.TxHash.Hex(), "block", rcpt.BlockNumber,
			"gas", rcpt.GasUsed, "took", time.Since(start).Round(time.Millisecond))
		lists = lists[n:]
	}
	return nil
}

// Latest is the newest hash anchored for listID by this server's account.
// issuer is not needed: the writing account stands for every issuer of
// this server.
func (x *LedgerAnchorer) Latest(ctx context.Context, _ string, listID string) ([32]byte, time.Time, error) {
	rec, ok, err := x.a.Latest(ctx, x.a.Writer(), ledger.AnchorKey(listID), nil)
	if err != nil {
		return [32]byte{}, time.Time{}, err
	}
	if !ok {
		return [32]byte{}, time.Time{}, fmt.Errorf("%w: %s", ErrNotAnchored, listID)
	}
	return rec.Hash, rec.Time, nil
}
