package ledger

// Status list anchors: the StatusAnchor contract (contracts/StatusAnchor.sol)
// holds, per writer account and per key, the latest SHA-256 a writer anchored
// and when; each anchoring emits an Anchored event that names the block of
// the writer's previous anchor of that key, so the history of one list is a
// chain of single-block log queries, newest first.
//
// This file knows hashes, keys and accounts, not status lists: the issuer
// (issuer/ledgeranchor.go) and the verifier (verifier/statuscheck) give them
// their meaning.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// Anchor errors callers branch on.
var (
	// ErrNotStatusAnchor: the address holds no code, or code that is not our
	// StatusAnchor (a contract of someone's choosing could answer each
	// verifier differently).
	ErrNotStatusAnchor = errors.New("ledger: not a StatusAnchor contract")
	// ErrBadAnchorHistory: the chain of Anchored events is broken (a node
	// that prunes logs, or a wrong contract).
	ErrBadAnchorHistory = errors.New("ledger: anchor history unreadable")
)

// StatusAnchorFile is where the address of the StatusAnchor contract a
// server writes to is remembered, in the ledger's data dir (beside
// registry.json).
const StatusAnchorFile = "statusanchor.json"

// MaxAnchorBatch bounds the entries of one anchor transaction: at ~30k gas
// per new entry, 500 entries stay well under the 30M block gas limit of the
// embedded chain and most public chains' per-transaction caps.
const MaxAnchorBatch = 500

// maxHistory bounds how many events History walks back.
const maxHistory = 256

// AnchorKey is the key a status list is anchored under: keccak256 of its
// URL (the list credential's id).
func AnchorKey(url string) [32]byte { return crypto.Keccak256Hash([]byte(url)) }

// AnchorEntry is one hash to anchor under one key.
type AnchorEntry struct {
	Key  [32]byte
	Hash [32]byte
}

// AnchorRecord is one anchored hash: its time (the block's timestamp) and
// block.
type AnchorRecord struct {
	Hash  [32]byte
	Time  time.Time
	Block uint64
}

// StatusAnchor reads (and, with a transactor, writes) one deployed
// StatusAnchor contract.
type StatusAnchor struct {
	c    Client
	addr common.Address
	abi  *contracts.StatusAnchor
	tx   *Transactor
}

// NewStatusAnchor returns a reader/writer for the contract at addr; tx may
// be nil (read only). It does not check the code: see CheckCode.
func NewStatusAnchor(c Client, addr common.Address, tx *Transactor) *StatusAnchor {
	return &StatusAnchor{c: c, addr: addr, abi: contracts.NewStatusAnchor(), tx: tx}
}

// Address is the contract's address.
func (a *StatusAnchor) Address() common.Address { return a.addr }

// Writer is the account this StatusAnchor writes from (zero when read only).
func (a *StatusAnchor) Writer() common.Address {
	if a.tx == nil {
		return common.Address{}
	}
	return a.tx.From()
}

// CheckCode fails with ErrNotStatusAnchor unless the code at the address is
// exactly our StatusAnchor's deployed code.
func (a *StatusAnchor) CheckCode(ctx context.Context) error {
	code, err := a.c.CodeAt(ctx, a.addr, nil)
	if err != nil {
		return fmt.Errorf("ledger: read code at %s: %w", a.addr, err)
	}
	if !bytes.Equal(code, common.FromHex(contracts.StatusAnchorRuntime())) {
		return fmt.Errorf("%w: %s (%d bytes of code)", ErrNotStatusAnchor, a.addr, len(code))
	}
	return nil
}

// Anchor records every entry as the writer's latest in one transaction and
// returns its receipt once mined (and, on the embedded chain, on disk).
func (a *StatusAnchor) Anchor(ctx context.Context, entries []AnchorEntry) (*types.Receipt, error) {
	if a.tx == nil {
		return nil, ErrReadOnly
	}
	if len(entries) == 0 || len(entries) > MaxAnchorBatch {
		return nil, fmt.Errorf("ledger: anchor %d entries (want 1 to %d)", len(entries), MaxAnchorBatch)
	}
	keys := make([][32]byte, len(entries))
	hashes := make([][32]byte, len(entries))
	for i, e := range entries {
		keys[i], hashes[i] = e.Key, e.Hash
	}
	to := a.addr
	rcpt, err := a.tx.Send(ctx, &to, a.abi.PackAnchor(keys, hashes), 0)
	if err != nil {
		return rcpt, fmt.Errorf("ledger: anchor %d entries at %s: %w", len(entries), a.addr, err)
	}
	return rcpt, nil
}

// Latest is writer's newest anchor of key, read at block (nil: the head);
// ok is false when writer never anchored it.
func (a *StatusAnchor) Latest(ctx context.Context, writer common.Address, key [32]byte, block *big.Int) (rec AnchorRecord, ok bool, err error) {
	out, err := a.c.CallContract(ctx, callMsg(a.addr, a.abi.PackLatest(writer, key)), block)
	if err != nil {
		return rec, false, fmt.Errorf("ledger: read anchor at %s: %w", a.addr, err)
	}
	l, err := a.abi.UnpackLatest(out)
	if err != nil {
		return rec, false, fmt.Errorf("ledger: read anchor at %s: %w", a.addr, err)
	}
	if l.Time == 0 {
		return rec, false, nil
	}
	out, err = a.c.CallContract(ctx, callMsg(a.addr, a.abi.PackChanged(writer, key)), block)
	if err != nil {
		return rec, false, fmt.Errorf("ledger: read anchor block at %s: %w", a.addr, err)
	}
	b, err := a.abi.UnpackChanged(out)
	if err != nil {
		return rec, false, fmt.Errorf("ledger: read anchor block at %s: %w", a.addr, err)
	}
	return AnchorRecord{Hash: l.Hash, Time: time.Unix(int64(l.Time), 0).UTC(), Block: b}, true, nil
}

// History returns writer's anchors of key, newest first: the latest, then
// each earlier one as long as the anchor that replaced it is not older than
// since (so the last record returned is the first one that was already
// current at since). It reads the state and the Anchored events at one
// block, so concurrent anchoring cannot tear the answer. No anchor: nil.
func (a *StatusAnchor) History(ctx context.Context, writer common.Address, key [32]byte, since time.Time) ([]AnchorRecord, error) {
	head, err := a.c.BlockNumber(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: read head: %w", err)
	}
	at := new(big.Int).SetUint64(head)
	latest, ok, err := a.Latest(ctx, writer, key, at)
	if err != nil || !ok {
		return nil, err
	}
	out := []AnchorRecord{latest}
	if latest.Time.Before(since) {
		return out, nil
	}
	// Walk the event chain back: each event gives the hash anchored in its
	// block and the block of the one before.
	block := latest.Block
	for block != 0 && len(out) < maxHistory {
		logs, err := a.c.FilterLogs(ctx, ethereum.FilterQuery{
			FromBlock: new(big.Int).SetUint64(block), ToBlock: new(big.Int).SetUint64(block),
			Addresses: []common.Address{a.addr},
			Topics: [][]common.Hash{
				{a.abi.GetABI().Events["Anchored"].ID},
				{common.BytesToHash(writer.Bytes())},
				{common.Hash(key)},
			},
		})
		if err != nil {
			return nil, fmt.Errorf("ledger: read anchor events of block %d: %w", block, err)
		}
		if len(logs) == 0 {
			return nil, fmt.Errorf("%w: no Anchored event in block %d", ErrBadAnchorHistory, block)
		}
		// Newest first within the block; the first (or only) event of the
		// block links to the previous block.
		var prev uint64
		for i := len(logs) - 1; i >= 0; i-- {
			ev, err := a.abi.UnpackAnchoredEvent(&logs[i])
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadAnchorHistory, err)
			}
			if i == len(logs)-1 && block == latest.Block && ev.Hash != latest.Hash {
				return nil, fmt.Errorf("%w: block %d's last event disagrees with the state", ErrBadAnchorHistory, block)
			}
			if i < len(logs)-1 || block != latest.Block {
				rec := AnchorRecord{Hash: ev.Hash, Time: time.Unix(int64(ev.Time), 0).UTC(), Block: block}
				// rec was replaced by the record before it in out.
				if out[len(out)-1].Time.Before(since) {
					return out, nil
				}
				out = append(out, rec)
			}
			prev = ev.PreviousBlock
		}
		if prev >= block && prev != 0 {
			return nil, fmt.Errorf("%w: block %d links forward to %d", ErrBadAnchorHistory, block, prev)
		}
		block = prev
	}
	return out, nil
}

// DeployStatusAnchor deploys StatusAnchor from t's account and returns its
// address once the deployment is mined.
func DeployStatusAnchor(ctx context.Context, t *Transactor) (common.Address, error) {
	rcpt, err := t.Send(ctx, nil, common.FromHex(contracts.StatusAnchorMetaData.Bin), anchorDeployGas)
	if err != nil {
		return common.Address{}, fmt.Errorf("ledger: deploy status anchor: %w", err)
	}
	return rcpt.ContractAddress, nil
}

// anchorDeployGas: the creation costs ~200k gas under Cancun rules; the
// margin covers forks that price code storage higher.
const anchorDeployGas = 1_500_000

// OpenStatusAnchor returns the StatusAnchor this ledger writes to, as
// remembered in dir/statusanchor.json for this chain; when there is none
// and the ledger can send transactions, it deploys one and remembers it
// (durably, before returning). A remembered address whose code is not
// StatusAnchor fails with ErrNotStatusAnchor. Read-only ledgers without a
// remembered contract get ErrReadOnly.
//
// A crash between the deployment being mined and the file being written
// leaves one unused contract behind; the next start deploys another.
func OpenStatusAnchor(ctx context.Context, l *Ledger, dir string) (*StatusAnchor, error) {
	path := filepath.Join(dir, StatusAnchorFile)
	var rec registryRecord
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("ledger: parse %s: %w", path, err)
		}
		if rec.ChainID != l.ChainID.Uint64() {
			return nil, fmt.Errorf("ledger: %s names chain %d, the ledger is chain %s", path, rec.ChainID, l.ChainID)
		}
		a := NewStatusAnchor(l.Client, rec.Address, l.Tx)
		if err := a.CheckCode(ctx); err != nil {
			return nil, err
		}
		return a, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("ledger: read %s: %w", path, err)
	}
	if l.Tx == nil {
		return nil, fmt.Errorf("%w: no status anchor contract recorded in %s to read", ErrReadOnly, dir)
	}
	addr, err := DeployStatusAnchor(ctx, l.Tx)
	if err != nil {
		return nil, err
	}
	raw, err = json.Marshal(registryRecord{Address: addr, ChainID: l.ChainID.Uint64()})
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: state dir %s: %w", dir, err)
	}
	if err := writeFileSync(path, append(raw, '\n'), 0o600); err != nil {
		return nil, err
	}
	return NewStatusAnchor(l.Client, addr, l.Tx), nil
}
