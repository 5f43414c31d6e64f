// Package ledgeranchors reads status list anchors from StatusAnchor
// contracts (internal/ledger/contracts/StatusAnchor.sol) on the chains a
// verifier is connected to: the statuscheck.Anchors of cmd/cflow.
//
// A status list names its anchor (chain, contract, account) in its signed
// credentialSubject.anchor, and statuscheck reads it only if the verifier
// trusts that slot (statuscheck.AnchorTrust). This package additionally
// reads a contract only if its code is exactly our StatusAnchor's deployed
// code, so even a misconfigured trust cannot point at a contract that
// answers each verifier differently. It owns no policy: statuscheck
// decides which slots count and what a missing or different anchor means.
package ledgeranchors

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// DefaultTimeout bounds one History call (a few eth_calls and log queries).
const DefaultTimeout = 10 * time.Second

// Chain is one chain the verifier can read: a client and its chain id.
type Chain struct {
	ID     *big.Int
	Client ledger.Client
}

// Reader reads anchors on a fixed set of chains; it implements
// statuscheck.Anchors and is safe for concurrent use.
type Reader struct {
	chains  map[string]ledger.Client // "eip155:<id>" →
	timeout time.Duration

	mu      sync.Mutex
	checked map[string]bool // chain + contract whose code was verified
}

var _ statuscheck.Anchors = (*Reader)(nil)

// New returns a Reader over chains; a later chain with the same id
// replaces an earlier one.
func New(chains ...Chain) *Reader {
	r := &Reader{chains: map[string]ledger.Client{}, timeout: DefaultTimeout, checked: map[string]bool{}}
	for _, c := range chains {
		r.chains[CAIP2(c.ID)] = c.Client
	}
	return r
}

// CAIP2 is the chain id as lists name it: "eip155:<id>".
func CAIP2(id *big.Int) string { return "eip155:" + id.String() }

// History implements statuscheck.Anchors.
func (r *Reader) History(ctx context.Context, ref statuscheck.AnchorRef, listURL string, since time.Time) ([]statuscheck.AnchorVersion, error) {
	c, ok := r.chains[ref.Chain]
	if !ok {
		return nil, fmt.Errorf("ledgeranchors: %w: %s", statuscheck.ErrUnknownChain, ref.Chain)
	}
	if !common.IsHexAddress(ref.Contract) || !common.IsHexAddress(ref.Account) {
		return nil, fmt.Errorf("ledgeranchors: %w: bad address in %+v", statuscheck.ErrNotAnchored, ref)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	a := ledger.NewStatusAnchor(c, common.HexToAddress(ref.Contract), nil)
	if err := r.checkCode(ctx, ref.Chain, a); err != nil {
		return nil, err
	}
	recs, err := a.History(ctx, common.HexToAddress(ref.Account), ledger.AnchorKey(listURL), since)
	if err != nil {
		return nil, fmt.Errorf("ledgeranchors: %s on %s: %w", listURL, ref.Chain, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("ledgeranchors: %w: %s by %s at %s on %s", statuscheck.ErrNotAnchored, listURL, ref.Account, ref.Contract, ref.Chain)
	}
	out := make([]statuscheck.AnchorVersion, len(recs))
	for i, rec := range recs {
		out[i] = statuscheck.AnchorVersion{Hash: rec.Hash, At: rec.Time}
	}
	return out, nil
}

// checkCode verifies once per contract that it runs our StatusAnchor code.
func (r *Reader) checkCode(ctx context.Context, chain string, a *ledger.StatusAnchor) error {
	k := chain + "/" + a.Address().Hex()
	r.mu.Lock()
	ok := r.checked[k]
	r.mu.Unlock()
	if ok {
		return nil
	}
	if err := a.CheckCode(ctx); err != nil {
		if errors.Is(err, ledger.ErrNotStatusAnchor) {
			return fmt.Errorf("ledgeranchors: %w: %v", statuscheck.ErrNotAnchored, err)
		}
		return fmt.Errorf("ledgeranchors: %w", err)
	}
	r.mu.Lock()
	r.checked[k] = true
	r.mu.Unlock()
	return nil
}
