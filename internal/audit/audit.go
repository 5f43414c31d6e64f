// Package audit owns the append-only, hash-chained audit log kept in the
// store: what happened (issuance, status change, verification, token
// decision), to whom, and why — never a secret, a key or a full credential.
// Each entry carries a sequence number and the SHA-256 of the previous
// entry, so `Verify` finds the first entry that was changed, removed or
// reordered. It does not decide what is audited; the role packages call
// Record where their events happen.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/credentialflow/cflow/internal/store"
)

// Event types.
const (
	TypeIssued       = "credential.issued"
	TypeStatus       = "credential.status"
	TypeVerifyCred   = "credential.verified"
	TypeVerifyPres   = "presentation.verified"
	TypeTokenGranted = "token.exchange"
)

// Decisions.
const (
	DecisionIssued  = "issued"
	DecisionAllow   = "allow"
	DecisionDeny    = "deny"
	DecisionChanged = "changed"
)

// Event is what a caller records. Only identifiers, types, the decision and
// codes go in: no claims, no credential, no token, no key.
type Event struct {
	Type            string   `json:"type"`
	Decision        string   `json:"decision"`
	Issuer          string   `json:"issuer,omitempty"` // issuer DID
	Holder          string   `json:"holder,omitempty"` // holder / subject DID
	CredentialIDs   []string `json:"credentialIds,omitempty"`
	CredentialTypes []string `json:"credentialTypes,omitempty"`
	Rule            string   `json:"rule,omitempty"`   // the policy rule that allowed or refused
	Code            string   `json:"code,omitempty"`   // the stable error code of a refusal
	Status          string   `json:"status,omitempty"` // e.g. revoked, suspended, active
	Scope           string   `json:"scope,omitempty"`
	Format          string   `json:"format,omitempty"`
}

// Entry is a stored event with its place in the chain.
type Entry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Event
	// Prev is the hex SHA-256 of the previous entry's stored body ("" for
	// the first entry).
	Prev string `json:"prev"`
	// Hash is the hex SHA-256 of this entry's stored body (not stored in
	// the body itself; filled when read).
	Hash string `json:"hash"`
}

// MaxBatch bounds how many appends share one transaction (and one fsync).
const MaxBatch = 256

// Sentinel errors.
var (
	// ErrBroken: the chain does not verify; the error is a *BrokenError.
	ErrBroken = errors.New("audit: chain broken")
	ErrClosed = errors.New("audit: log closed")
)

// BrokenError names the first entry that does not verify.
type BrokenError struct {
	Seq    uint64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: entry %d: %s", e.Seq, e.Reason)
}

func (e *BrokenError) Unwrap() error { return ErrBroken }

// Stored layout (bucket "audit"): key = the sequence number as 20 decimal
// digits (so keys sort in chain order), value = 32-byte SHA-256 of the body
// followed by the body (compact JSON of the Entry without Hash). Bucket
// "audit-head" key "head" = {"seq", "hash"} of the last entry, written in
// the same transaction, so a truncated log is noticed too.
const (
	bucketEntries = "audit"
	bucketHead    = "audit-head"
	headKey       = "head"
)

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func seqKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// Log appends to the audit chain. Appends from many goroutines are
// serialized by one writer that commits them in batches (one transaction,
// one fsync per batch), so the chain never forks and the cost of a sync
// write is shared.
type Log struct {
	db      *store.DB
	entries store.Bucket
	head    store.Bucket
	now     func() time.Time

	mu     sync.RWMutex // guards closed and sends on reqs
	closed bool
	reqs   chan *request
	done   chan struct{}
}

type request struct {
	ev  Event
	err chan error
}

// Open starts a Log over db. now may be nil (time.Now).
func Open(db *store.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	l := &Log{db: db, entries: db.Bucket(bucketEntries), head: db.Bucket(bucketHead), now: now,
		reqs: make(chan *request, MaxBatch), done: make(chan struct{})}
	go l.run()
	return l
}

// Record appends e and returns once it is committed (with sync writes when
// the store has them).
func (l *Log) Record(ctx context.Context, e Event) error {
	r := &request{ev: e, err: make(chan error, 1)}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	l.mu.RUnlock()
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		// The entry may still be written; the caller stops waiting.
		return ctx.Err()
	}
}

// Close stops the writer after the appends already queued; it does not
// close the store.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()
	<-l.done
	return nil
}

func (l *Log) run() {
	defer close(l.done)
	batch := make([]*request, 0, MaxBatch)
	for r := range l.reqs {
		batch = append(batch[:0], r)
	drain:
		for len(batch) < MaxBatch {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		err := l.write(batch)
		for _, r := range batch {
			r.err <- err
		}
	}
}

// write appends the batch in one transaction that reads and moves the head.
// A concurrent writer in another Log on the same store would conflict on
// the head key and retry, so sequence numbers stay unique and contiguous.
func (l *Log) write(batch []*request) error {
	now := l.now().UTC()
	// Batch (group commit) lets the batch share its commit and WAL sync
	// with other writers of the store, such as the gateway's nonce
	// consumption; it runs alone in a transaction if it fails after writing.
	err := l.db.Batch(func(tx store.Tx) error {
		h, err := readHead(tx.Get(l.head, headKey))
		if err != nil {
			return err
		}
		for _, r := range batch {
			e := Entry{Seq: h.Seq + 1, Time: now, Event: r.ev, Prev: h.Hash}
			val, sum, err := encode(e)
			if err != nil {
				return err
			}
			if err := tx.Put(l.entries, seqKey(e.Seq), val, 0); err != nil {
				return err
			}
			h = head{Seq: e.Seq, Hash: sum}
		}
		raw, err := json.Marshal(h)
		if err != nil {
			return err
		}
		return tx.Put(l.head, headKey, raw, 0)
	})
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// Append appends e inside tx, the transaction of a store.Batch call on
// the Log's store, so that the entry commits together with the caller's
// other writes (the gateway consumes a presentation's nonce and records
// the decision in one durable commit). Batch calls run one after the other
// in the store's single committer, as the Log's own appends do, so the
// chain stays linear; in any other transaction a concurrent append
// conflicts on the head and one of them is retried. The entry is durable
// when the Batch call returns nil.
func (l *Log) Append(tx store.Tx, e Event) error {
	h, err := readHead(tx.Get(l.head, headKey))
	if err != nil {
		return err
	}
	entry := Entry{Seq: h.Seq + 1, Time: l.now().UTC(), Event: e, Prev: h.Hash}
	val, sum, err := encode(entry)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(head{Seq: entry.Seq, Hash: sum})
	if err != nil {
		return err
	}
	if err := tx.Put(l.entries, seqKey(entry.Seq), val, 0); err != nil {
		return err
	}
	return tx.Put(l.head, headKey, raw, 0)
}

func readHead(raw []byte, err error) (head, error) {
	if errors.Is(err, store.ErrNotFound) {
		return head{}, nil
	}
	if err != nil {
		return head{}, err
	}
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		return head{}, fmt.Errorf("audit: head: %w", err)
	}
	return h, nil
}

// encode returns the stored value and the hex hash of the body.
func encode(e Entry) ([]byte, string, error) {
	e.Hash = ""
	body, err := json.Marshal(bodyOf(e))
	if err != nil {
		return nil, "", fmt.Errorf("audit: encode entry %d: %w", e.Seq, err)
	}
	sum := sha256.Sum256(body)
	val := make([]byte, 0, len(sum)+len(body))
	val = append(append(val, sum[:]...), body...)
	return val, hex.EncodeToString(sum[:]), nil
}

// body is Entry without Hash, as stored.
type body struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Event
	Prev string `json:"prev"`
}

func bodyOf(e Entry) body { return body{Seq: e.Seq, Time: e.Time, Event: e.Event, Prev: e.Prev} }

// decode checks one stored value against its own hash and parses it
// strictly (unknown members refused), so a changed byte anywhere in it is
// reported at this entry.
func decode(seq uint64, val []byte) (Entry, error) {
	if len(val) < sha256.Size {
		return Entry{}, &BrokenError{Seq: seq, Reason: "shorter than its hash"}
	}
	stored, raw := val[:sha256.Size], val[sha256.Size:]
	sum := sha256.Sum256(raw)
	if !bytes.Equal(sum[:], stored) {
		return Entry{}, &BrokenError{Seq: seq, Reason: "content does not match its hash (changed after it was written)"}
	}
	var b body
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Entry{}, &BrokenError{Seq: seq, Reason: "unreadable: " + err.Error()}
	}
	if b.Seq != seq {
		return Entry{}, &BrokenError{Seq: seq, Reason: fmt.Sprintf("stored under sequence %d but says %d", seq, b.Seq)}
	}
	return Entry{Seq: b.Seq, Time: b.Time, Event: b.Event, Prev: b.Prev, Hash: hex.EncodeToString(sum[:])}, nil
}

// Report is the outcome of a chain check that held.
type Report struct {
	Entries uint64 // how many entries were checked
	Head    string // hex hash of the last entry
}

// Verify walks the whole chain in sequence order. It returns a
// *BrokenError (errors.Is ErrBroken) naming the first entry whose hash,
// sequence number or link to its predecessor does not hold, or whose
// absence the head reveals.
func Verify(db *store.DB) (Report, error) {
	h, err := readHead(db.Bucket(bucketHead).Get(headKey))
	if err != nil {
		return Report{}, err
	}
	var (
		want uint64 = 1
		prev string
	)
	err = db.Bucket(bucketEntries).Each(0, func(key string, val []byte) error {
		seq, perr := strconv.ParseUint(key, 10, 64)
		if perr != nil || len(key) != 20 {
			return &BrokenError{Seq: want, Reason: fmt.Sprintf("foreign key %q in the log", key)}
		}
		if seq != want {
			return &BrokenError{Seq: want, Reason: fmt.Sprintf("missing (the next stored entry is %d)", seq)}
		}
		e, err := decode(seq, val)
		if err != nil {
			return err
		}
		if e.Prev != prev {
			return &BrokenError{Seq: seq, Reason: fmt.Sprintf("prev %.16s… does not match entry %d's hash %.16s…", e.Prev, seq-1, prev)}
		}
		prev, want = e.Hash, seq+1
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	last := want - 1
	switch {
	case h.Seq > last:
		return Report{}, &BrokenError{Seq: last + 1, Reason: fmt.Sprintf("missing (the head says the log ends at %d)", h.Seq)}
	case h.Seq < last:
		return Report{}, &BrokenError{Seq: h.Seq + 1, Reason: fmt.Sprintf("not covered by the head (which ends at %d)", h.Seq)}
	case h.Hash != prev:
		return Report{}, &BrokenError{Seq: last, Reason: "hash does not match the head"}
	}
	return Report{Entries: last, Head: prev}, nil
}

// Tail returns the last n entries (oldest first), each checked against its
// own hash; n <= 0 returns none.
func Tail(db *store.DB, n int) ([]Entry, error) {
	h, err := readHead(db.Bucket(bucketHead).Get(headKey))
	if err != nil || n <= 0 || h.Seq == 0 {
		return nil, err
	}
	first := uint64(1)
	if h.Seq > uint64(n) {
		first = h.Seq - uint64(n) + 1
	}
	entries := db.Bucket(bucketEntries)
	out := make([]Entry, 0, h.Seq-first+1)
	for seq := first; seq <= h.Seq; seq++ {
		val, err := entries.Get(seqKey(seq))
		if errors.Is(err, store.ErrNotFound) {
			return out, &BrokenError{Seq: seq, Reason: "missing"}
		}
		if err != nil {
			return out, fmt.Errorf("audit: read %d: %w", seq, err)
		}
		e, err := decode(seq, val)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}
