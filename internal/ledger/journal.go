package ledger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// journal is the durable record of transactions we signed and sent but have
// not seen mined. Every "sent" line is fsynced before the transaction leaves
// the process, so a transaction a caller may have been told about is never
// lost: on the next start the pending ones are re-sent. "done" lines are not
// fsynced: losing one only costs a harmless re-send that the node rejects as
// known or as nonce-too-low.
type journal struct {
	mu      sync.Mutex
	path    string
	f       *os.File                      // nil: memory only
	pending map[uint64]*types.Transaction // nonce → latest variant sent
}

type journalEntry struct {
	Op    string        `json:"op"` // "sent" | "done"
	Nonce uint64        `json:"nonce"`
	Raw   hexutil.Bytes `json:"raw,omitempty"`
}

// openJournal replays path (if any), compacts it to the pending entries and
// opens it for appending. An empty path gives a memory-only journal.
func openJournal(path string) (*journal, error) {
	j := &journal{path: path, pending: map[uint64]*types.Transaction{}}
	if path == "" {
		return j, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("ledger: read journal %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // a line torn by a crash mid-write; the entry never counted
		}
		switch e.Op {
		case "sent":
			tx := new(types.Transaction)
			if err := tx.UnmarshalBinary(e.Raw); err != nil {
				continue
			}
			j.pending[e.Nonce] = tx
		case "done":
			delete(j.pending, e.Nonce)
		}
	}
	var buf bytes.Buffer
	for _, tx := range j.list() {
		line, err := entryLine("sent", tx)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
	}
	if err := writeFileSync(path, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: open journal %s: %w", path, err)
	}
	j.f = f
	return j, nil
}

func entryLine(op string, tx *types.Transaction) ([]byte, error) {
	e := journalEntry{Op: op, Nonce: tx.Nonce()}
	if op == "sent" {
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("ledger: journal: encode tx: %w", err)
		}
		e.Raw = raw
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("ledger: journal: %w", err)
	}
	return append(b, '\n'), nil
}

// sent records tx durably before it is handed to the node.
func (j *journal) sent(tx *types.Transaction) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending[tx.Nonce()] = tx
	if j.f == nil {
		return nil
	}
	line, err := entryLine("sent", tx)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("ledger: journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("ledger: journal %s: %w", j.path, err)
	}
	return nil
}

// done forgets the transaction with this nonce (mined, or abandoned before
// it reached the node).
func (j *journal) done(tx *types.Transaction) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.pending, tx.Nonce())
	if j.f == nil {
		return
	}
	if line, err := entryLine("done", tx); err == nil {
		_, _ = j.f.Write(line)
	}
}

// doneUpTo forgets every pending transaction with a nonce <= n: account
// nonces are used in order, so once n is mined all below it are too.
func (j *journal) doneUpTo(n uint64) {
	for _, tx := range j.Pending() {
		if tx.Nonce() <= n {
			j.done(tx)
		}
	}
}

// get returns the pending transaction with this nonce, if any.
func (j *journal) get(nonce uint64) *types.Transaction {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.pending[nonce]
}

// list returns the pending transactions in nonce order.
func (j *journal) list() []*types.Transaction {
	out := make([]*types.Transaction, 0, len(j.pending))
	for _, tx := range j.pending {
		out = append(out, tx)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Nonce() < out[b].Nonce() })
	return out
}

// Pending returns the transactions not yet seen mined, in nonce order.
func (j *journal) Pending() []*types.Transaction {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.list()
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
