package didethr

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync/atomic"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/credentialflow/cflow/did"
)

// counting counts every call that reaches the chain.
type counting struct {
	Chain
	n *atomic.Uint64
}

func (c counting) CallContract(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error) {
	c.n.Add(1)
	return c.Chain.CallContract(ctx, msg, block)
}

func (c counting) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	c.n.Add(1)
	return c.Chain.FilterLogs(ctx, q)
}

func (c counting) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	c.n.Add(1)
	return c.Chain.HeaderByNumber(ctx, n)
}

type eventKind int

const (
	ownerChanged eventKind = iota + 1
	delegateChanged
	attributeChanged
)

// event is one ERC-1056 registry event of an identity.
type event struct {
	kind     eventKind
	block    uint64
	time     uint64 // block timestamp
	index    uint   // log index in the block
	owner    common.Address
	dtype    string // delegate type, zero bytes trimmed
	delegate common.Address
	name     string // attribute name, zero bytes trimmed
	value    []byte
	validTo  *big.Int
	previous uint64
}

// unavailable wraps a chain error as ledger_unavailable.
func unavailable(op string, net *Network, err error) error {
	return fmt.Errorf("%w: didethr: %s on chain %s: %w", did.ErrUnavailable, op, net.ChainID, err)
}

// history walks the identity's events from the block in changed(identity)
// back through each event's previousChange (did:ethr spec, "Enumerating
// Contract Events to build the DID Document") and returns them oldest first.
func (r *Resolver) history(ctx context.Context, c Chain, net *Network, identity common.Address, head *big.Int) ([]event, error) {
	out, err := c.CallContract(ctx, ethereum.CallMsg{To: &net.Registry, Data: r.abi.PackChanged(identity)}, head)
	if err != nil {
		return nil, unavailable("call changed("+identity.Hex()+")", net, err)
	}
	last, err := r.abi.UnpackChanged(out)
	if err != nil {
		return nil, unavailable("decode changed("+identity.Hex()+")", net, err)
	}
	topics := [][]common.Hash{
		{
			r.abi.GetABI().Events["DIDOwnerChanged"].ID,
			r.abi.GetABI().Events["DIDDelegateChanged"].ID,
			r.abi.GetABI().Events["DIDAttributeChanged"].ID,
		},
		{common.BytesToHash(identity.Bytes())},
	}
	var events []event
	block := last.Uint64()
	if !last.IsUint64() {
		return nil, unavailable("changed("+identity.Hex()+")", net, errors.New("block number overflows"))
	}
	for block != 0 {
		b := new(big.Int).SetUint64(block)
		logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{
			FromBlock: b, ToBlock: b, Addresses: []common.Address{net.Registry}, Topics: topics,
		})
		if err != nil {
			return nil, unavailable(fmt.Sprintf("get logs of block %d", block), net, err)
		}
		sort.Slice(logs, func(i, j int) bool { return logs[i].Index > logs[j].Index }) // newest first
		next := uint64(0)
		found := false
		for i := range logs {
			lg := &logs[i]
			if lg.Removed || lg.Address != net.Registry || lg.BlockNumber != block {
				continue
			}
			ev, err := r.decode(lg)
			if err != nil {
				continue // not one of ours (a contract with a colliding topic)
			}
			found = true
			events = append(events, ev)
			if len(events) > r.max {
				return nil, fmt.Errorf("%w: more than %d events for %s", ErrHistoryTooLong, r.max, identity.Hex())
			}
			// Several changes in one block all point back to that block
			// except the first, whose previousChange leads to the block before.
			if ev.previous < block {
				next = ev.previous
			}
		}
		if !found {
			// changed() or a previousChange names a block without our events:
			// the node is inconsistent (or mid-reorg). Refuse to guess.
			return nil, unavailable(fmt.Sprintf("history of %s", identity.Hex()), net,
				fmt.Errorf("block %d has no registry event for it", block))
		}
		block = next
	}
	// Oldest first.
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	// Block timestamps: logs from recent nodes carry them; fetch the rest.
	times := map[uint64]uint64{}
	for i := range events {
		ev := &events[i]
		if ev.time != 0 {
			times[ev.block] = ev.time
			continue
		}
		t, ok := times[ev.block]
		if !ok {
			h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(ev.block))
			if err != nil {
				return nil, unavailable(fmt.Sprintf("header %d", ev.block), net, err)
			}
			t = h.Time
			times[ev.block] = t
		}
		ev.time = t
	}
	return events, nil
}

// decode turns a registry log into an event.
func (r *Resolver) decode(lg *types.Log) (event, error) {
	if len(lg.Topics) == 0 {
		return event{}, errors.New("no topics")
	}
	ev := event{block: lg.BlockNumber, time: lg.BlockTimestamp, index: lg.Index}
	evs := r.abi.GetABI().Events
	switch lg.Topics[0] {
	case evs["DIDOwnerChanged"].ID:
		e, err := r.abi.UnpackDIDOwnerChangedEvent(lg)
		if err != nil {
			return ev, err
		}
		ev.kind, ev.owner, ev.previous = ownerChanged, e.Owner, u64(e.PreviousChange)
	case evs["DIDDelegateChanged"].ID:
		e, err := r.abi.UnpackDIDDelegateChangedEvent(lg)
		if err != nil {
			return ev, err
		}
		ev.kind, ev.dtype, ev.delegate, ev.validTo, ev.previous = delegateChanged, trim32(e.DelegateType), e.Delegate, e.ValidTo, u64(e.PreviousChange)
	case evs["DIDAttributeChanged"].ID:
		e, err := r.abi.UnpackDIDAttributeChangedEvent(lg)
		if err != nil {
			return ev, err
		}
		ev.kind, ev.name, ev.value, ev.validTo, ev.previous = attributeChanged, trim32(e.Name), e.Value, e.ValidTo, u64(e.PreviousChange)
	default:
		return ev, errors.New("unknown topic")
	}
	return ev, nil
}

// u64 saturates: a previousChange beyond uint64 cannot be a real block.
func u64(n *big.Int) uint64 {
	if n == nil || n.Sign() < 0 {
		return 0
	}
	if !n.IsUint64() {
		return ^uint64(0)
	}
	return n.Uint64()
}

// trim32 turns a bytes32 name into a string, dropping the zero padding.
func trim32(b [32]byte) string {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return string(b[:n])
}
