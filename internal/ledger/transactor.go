package ledger

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TransactorOptions tune a Transactor; zero values mean the documented defaults.
type TransactorOptions struct {
	// PollInterval between receipt checks when no new-head subscription is
	// available (HTTP) and as a fallback otherwise. Default 50ms.
	PollInterval time.Duration
	// ResendAfter is how long a transaction may stay unmined before it is
	// re-sent with fees raised by 25%. Default 15s.
	ResendAfter time.Duration
	// MaxResends bounds the fee bumps of one Send; after that Send returns
	// ErrNotMined and the transaction stays in the journal. Default 8.
	MaxResends int
	// Confirmations a receipt needs before Send returns (1 = mined). Default 1.
	Confirmations uint64
	// JournalPath is the durable journal of sent transactions; empty keeps
	// it in memory only (nothing is re-sent after a restart).
	JournalPath string

	// afterMined runs before Send reports a receipt: the embedded chain
	// syncs its database there so a reported transaction survives kill -9.
	afterMined func(ctx context.Context, block uint64) error
}

// Transactor signs transactions with one account and gets them mined. Sends
// are serialised: each one is mined (or has failed) before the next nonce is
// used, which keeps nonce handling simple and gap-free at the cost of one
// transaction per block from this account.
type Transactor struct {
	c       Client
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
	signer  types.Signer
	o       TransactorOptions
	j       *journal

	mu     sync.Mutex // held for a whole Send
	cancel context.CancelFunc
	done   chan struct{}
}

// NewTransactor returns a Transactor for key on c. Transactions left pending
// in the journal by an earlier run are re-sent at once and awaited in the
// background; the first Send waits for them.
func NewTransactor(ctx context.Context, c Client, key *ecdsa.PrivateKey, o TransactorOptions) (*Transactor, error) {
	if o.PollInterval <= 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.ResendAfter <= 0 {
		o.ResendAfter = 15 * time.Second
	}
	if o.MaxResends <= 0 {
		o.MaxResends = 8
	}
	if o.Confirmations == 0 {
		o.Confirmations = 1
	}
	id, err := c.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: read chain id: %w", err)
	}
	j, err := openJournal(o.JournalPath)
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	t := &Transactor{
		c: c, key: key, from: crypto.PubkeyToAddress(key.PublicKey),
		chainID: id, signer: types.LatestSignerForChainID(id), o: o, j: j,
		cancel: cancel, done: make(chan struct{}),
	}
	pending := j.Pending()
	for _, tx := range pending {
		_ = t.c.SendTransaction(ctx, tx) // known / nonce too low are both fine here
	}
	t.mu.Lock()
	go func() {
		defer close(t.done)
		defer t.mu.Unlock()
		for _, tx := range pending {
			if latest, err := t.c.NonceAt(bg, t.from, nil); err == nil && latest > tx.Nonce() {
				t.j.doneUpTo(latest - 1) // mined, ours or a replacement
				continue
			}
			if _, err := t.await(bg, tx); err != nil && bg.Err() != nil {
				return
			}
		}
	}()
	return t, nil
}

// settle waits until transactions recovered from the journal are mined.
func (t *Transactor) settle() {
	t.mu.Lock()
	t.mu.Unlock() //nolint:staticcheck // an empty critical section is the point
}

// From is the account that signs and pays.
func (t *Transactor) From() common.Address { return t.from }

// ChainID is the chain the transactor signs for.
func (t *Transactor) ChainID() *big.Int { return new(big.Int).Set(t.chainID) }

// Pending lists the journal's transactions not yet seen mined.
func (t *Transactor) Pending() []*types.Transaction { return t.j.Pending() }

// Close stops background work and closes the journal. Pending transactions
// stay in the journal.
func (t *Transactor) Close() error {
	t.cancel()
	<-t.done
	return t.j.close()
}

// Send signs a transaction to `to` (nil: contract creation) carrying data,
// sends it and waits until it is mined. gas 0 means "estimate with a wide
// margin": eth_estimateGas under-prices ERC-1056 writes when the identity
// changed in the previous block. A reverted transaction returns its receipt
// and ErrReverted.
func (t *Transactor) Send(ctx context.Context, to *common.Address, data []byte, gas uint64) (*types.Receipt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if gas == 0 {
		est, err := t.c.EstimateGas(ctx, ethereum.CallMsg{From: t.from, To: to, Data: data})
		if err != nil {
			return nil, fmt.Errorf("ledger: estimate gas: %w", err)
		}
		gas = withMargin(est)
	}
	nonce, err := t.c.PendingNonceAt(ctx, t.from)
	if err != nil {
		return nil, fmt.Errorf("ledger: read nonce of %s: %w", t.from, err)
	}
	tx, err := t.sign(ctx, nonce, to, data, gas, nil)
	if err != nil {
		return nil, err
	}
	if err := t.j.sent(tx); err != nil {
		return nil, err
	}
	if err := t.c.SendTransaction(ctx, tx); err != nil && !benignSendError(err) {
		// The node refused it: it will never be mined, so it must not be
		// re-sent after a restart either.
		t.j.done(tx)
		return nil, fmt.Errorf("ledger: send tx %s: %w", tx.Hash(), err)
	}
	return t.await(ctx, tx)
}

// withMargin doubles the estimate, and adds at least 100k gas: unused gas is
// refunded, an out-of-gas failure is not.
func withMargin(est uint64) uint64 {
	return max(2*est, est+100_000)
}

// sign builds and signs a transaction; prev, if set, is the transaction it
// replaces, whose fees are raised by 25% (nodes require at least 10%).
func (t *Transactor) sign(ctx context.Context, nonce uint64, to *common.Address, data []byte, gas uint64, prev *types.Transaction) (*types.Transaction, error) {
	head, err := t.c.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("ledger: read head: %w", err)
	}
	var inner types.TxData
	if head.BaseFee == nil {
		price, err := t.c.SuggestGasPrice(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: suggest gas price: %w", err)
		}
		if prev != nil {
			price = maxBig(price, bump(prev.GasPrice()))
		}
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: price, Gas: gas, To: to, Data: data}
	} else {
		tip, err := t.c.SuggestGasTipCap(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: suggest gas tip: %w", err)
		}
		if tip.Sign() == 0 {
			tip = big.NewInt(1)
		}
		if prev != nil {
			tip = maxBig(tip, bump(prev.GasTipCap()))
		}
		feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
		if prev != nil {
			feeCap = maxBig(feeCap, bump(prev.GasFeeCap()))
		}
		inner = &types.DynamicFeeTx{ChainID: t.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: to, Data: data}
	}
	tx, err := types.SignNewTx(t.key, t.signer, inner)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign tx: %w", err)
	}
	return tx, nil
}

func bump(v *big.Int) *big.Int {
	out := new(big.Int).Mul(v, big.NewInt(5))
	out.Div(out, big.NewInt(4))
	return out.Add(out, big.NewInt(1))
}

func maxBig(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// benignSendError: the node already has this transaction (or a mined one
// with its nonce); waiting for the receipt tells which.
func benignSendError(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "already known") || strings.Contains(s, "known transaction") ||
		strings.Contains(s, "nonce too low")
}

// await waits for tx (or one of its fee-bumped replacements) to be mined.
func (t *Transactor) await(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	sent := []*types.Transaction{tx}
	last := time.Now()
	resends := 0

	heads := make(chan *types.Header, 16)
	if sub, err := t.c.SubscribeNewHead(ctx, heads); err == nil {
		defer sub.Unsubscribe()
	}
	tick := time.NewTicker(t.o.PollInterval)
	defer tick.Stop()

	for {
		rcpt, err := t.findReceipt(ctx, sent)
		if err != nil {
			return nil, err
		}
		if rcpt != nil {
			if err := t.confirm(ctx, rcpt); err != nil {
				return nil, err
			}
			t.j.doneUpTo(tx.Nonce())
			if rcpt.Status != types.ReceiptStatusSuccessful {
				return rcpt, fmt.Errorf("%w: %s in block %s", ErrReverted, rcpt.TxHash, rcpt.BlockNumber)
			}
			return rcpt, nil
		}
		if time.Since(last) >= t.o.ResendAfter {
			latest, err := t.c.NonceAt(ctx, t.from, nil)
			if err == nil && latest > tx.Nonce() {
				// The nonce is used. Give our receipts one more look before
				// concluding someone else used it.
				if rcpt, _ := t.findReceipt(ctx, sent); rcpt == nil {
					t.j.done(tx)
					return nil, fmt.Errorf("%w: nonce %d of %s", ErrReplaced, tx.Nonce(), t.from)
				}
				continue
			}
			if err == nil && latest < tx.Nonce() {
				t.repairGap(ctx, latest, tx.Nonce())
			}
			if resends >= t.o.MaxResends {
				return nil, fmt.Errorf("%w: %s after %d fee bumps", ErrNotMined, sent[len(sent)-1].Hash(), resends)
			}
			cur := sent[len(sent)-1]
			next, err := t.sign(ctx, cur.Nonce(), cur.To(), cur.Data(), cur.Gas(), cur)
			if err == nil {
				if err := t.j.sent(next); err != nil {
					return nil, err
				}
				if err := t.c.SendTransaction(ctx, next); err == nil || benignSendError(err) {
					sent = append(sent, next)
				}
			}
			resends++
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("ledger: wait for %s: %w", tx.Hash(), ctx.Err())
		case <-heads:
		case <-tick.C:
		}
	}
}

// findReceipt returns the receipt of whichever variant got mined, if any.
// Transport errors are not fatal: the node may come back.
func (t *Transactor) findReceipt(ctx context.Context, sent []*types.Transaction) (*types.Receipt, error) {
	for i := len(sent) - 1; i >= 0; i-- {
		rcpt, err := t.c.TransactionReceipt(ctx, sent[i].Hash())
		if err == nil && rcpt != nil {
			return rcpt, nil
		}
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("ledger: wait for %s: %w", sent[i].Hash(), ctx.Err())
		}
	}
	return nil, nil
}

// confirm waits for the configured confirmations and runs afterMined.
func (t *Transactor) confirm(ctx context.Context, rcpt *types.Receipt) error {
	block := rcpt.BlockNumber.Uint64()
	for t.o.Confirmations > 1 {
		n, err := t.c.BlockNumber(ctx)
		if err == nil && n+1 >= block+t.o.Confirmations {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ledger: confirm %s: %w", rcpt.TxHash, ctx.Err())
		case <-time.After(t.o.PollInterval):
		}
	}
	if t.o.afterMined != nil {
		if err := t.o.afterMined(ctx, block); err != nil {
			return fmt.Errorf("ledger: persist block %d: %w", block, err)
		}
	}
	return nil
}

// repairGap fills nonces [from, to) that the node does not have, so the
// waiting transaction can be mined: with our journalled transaction for that
// nonce if we have one, else with an empty self-transfer.
func (t *Transactor) repairGap(ctx context.Context, from, to uint64) {
	for n := from; n < to; n++ {
		if tx := t.j.get(n); tx != nil {
			_ = t.c.SendTransaction(ctx, tx)
			continue
		}
		self := t.from
		filler, err := t.sign(ctx, n, &self, nil, 21_000, nil)
		if err != nil {
			return
		}
		if err := t.j.sent(filler); err != nil {
			return
		}
		_ = t.c.SendTransaction(ctx, filler)
	}
}
