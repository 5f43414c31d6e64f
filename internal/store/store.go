// Package store wraps an embedded badger database as named buckets of
// key/value pairs with transactions and per-entry TTLs. It owns durability
// settings (sync writes) and the small-memory tuning; it knows nothing of
// what the values mean.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrCorrupt means the directory holds data Open will not touch, such
	// as tables without the MANIFEST that lists them.
	ErrCorrupt = errors.New("store: damaged store")
	// ErrLocked means another process has the store open; it may be free
	// again soon.
	ErrLocked = errors.New("store: in use by another process")
	// ErrClosed is returned by Batch once Close has begun.
	ErrClosed = errors.New("store: closed")
)

// Options tune Open.
type Options struct {
	// InMemory keeps everything in memory (tests and throwaway demos only).
	InMemory bool
	// NoSync turns off fsync on commit. Off by default: nothing acknowledged
	// may be lost on kill -9.
	NoSync bool
	Logger *slog.Logger
}

// DB is an open store.
type DB struct {
	bdb *badger.DB

	mu     sync.RWMutex // guards closed and sends on calls
	closed bool
	calls  chan *batchCall
	done   chan struct{}
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, o Options) (*DB, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(!o.NoSync).
		WithInMemory(o.InMemory).
		// Small-footprint tuning: the service keeps kilobytes of records, not
		// gigabytes; badger's defaults reserve ~1 GiB of memtables and caches.
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithValueLogFileSize(32 << 20).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithNumCompactors(2).
		WithLogger(nil)
	if o.InMemory {
		opts.Dir, opts.ValueDir = "", ""
	}
	if o.Logger != nil {
		opts = opts.WithLogger(badgerLogger{o.Logger})
	}
	if !o.InMemory {
		if err := checkManifest(dir); err != nil {
			return nil, err
		}
	}
	bdb, err := badger.Open(opts)
	if err != nil && isLocked(err) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	d := &DB{bdb: bdb, calls: make(chan *batchCall, MaxBatch), done: make(chan struct{})}
	go d.commitLoop()
	return d, nil
}

// isLocked tells badger's "directory lock" failure (flock held by another
// process) from other errors. Badger formats the cause with %+v rather
// than wrapping it, so its message is all there is to go on; the tests
// catch a badger release that rewords it.
func isLocked(err error) bool {
	return errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// checkManifest refuses a directory that holds badger tables or value logs
// but no MANIFEST (a partial restore, a careless cleanup). Badger would
// write a new, empty MANIFEST and delete every table it does not list, so
// the store would open empty and its data be gone; refusing first leaves
// every file as it was.
func checkManifest(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a new store
	}
	if err != nil {
		return fmt.Errorf("store: open %s: %w", dir, err)
	}
	var data []string
	for _, e := range entries {
		switch name := e.Name(); {
		case name == badger.ManifestFilename:
			return nil
		case strings.HasSuffix(name, ".sst"), strings.HasSuffix(name, ".vlog"):
			data = append(data, name)
		}
	}
	if len(data) == 0 {
		return nil
	}
	names := strings.Join(data[:min(3, len(data))], ", ")
	if len(data) > 3 {
		names += ", …"
	}
	return fmt.Errorf("%w: %s has %d table or value-log files (%s) but no %s: refusing to open it, nothing was changed (restore %s from a backup)",
		ErrCorrupt, dir, len(data), names, badger.ManifestFilename, filepath.Join(dir, badger.ManifestFilename))
}

// Close commits the Batch calls already queued, then flushes and closes
// the store.
func (d *DB) Close() error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.calls)
	}
	d.mu.Unlock()
	<-d.done
	return d.bdb.Close()
}

// Ping checks the store is usable (for readiness probes).
func (d *DB) Ping() error {
	if d.bdb.IsClosed() {
		return errors.New("store: closed")
	}
	return d.bdb.View(func(*badger.Txn) error { return nil })
}

// Bucket returns the bucket called name. Names must not contain '/'.
func (d *DB) Bucket(name string) Bucket { return Bucket{db: d, prefix: []byte(name + "/")} }

// Bucket is a namespace of keys.
type Bucket struct {
	db     *DB
	prefix []byte
}

func (b Bucket) key(k string) []byte {
	out := make([]byte, 0, len(b.prefix)+len(k))
	return append(append(out, b.prefix...), k...)
}

// Get returns the value of key or ErrNotFound.
func (b Bucket) Get(key string) ([]byte, error) {
	var out []byte
	err := b.db.bdb.View(func(txn *badger.Txn) error {
		var err error
		out, err = Tx{txn: txn}.get(b, key)
		return err
	})
	return out, err
}

// GetJSON decodes the value of key into v.
func (b Bucket) GetJSON(key string, v any) error {
	raw, err := b.Get(key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: decode %s%s: %w", b.prefix, key, err)
	}
	return nil
}

// Put sets key to val.
func (b Bucket) Put(key string, val []byte) error {
	return b.db.Update(func(tx Tx) error { return tx.Put(b, key, val, 0) })
}

// PutJSON encodes v as JSON under key.
func (b Bucket) PutJSON(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s%s: %w", b.prefix, key, err)
	}
	return b.Put(key, raw)
}

// Create sets key to val only if it is absent, else ErrExists. A ttl of 0
// keeps the entry forever.
func (b Bucket) Create(key string, val []byte, ttl time.Duration) error {
	return b.db.Update(func(tx Tx) error {
		if _, err := tx.get(b, key); err == nil {
			return ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		return tx.Put(b, key, val, ttl)
	})
}

// Take returns the value of key and deletes it in one transaction; of
// concurrent callers exactly one succeeds, the others get ErrNotFound.
func (b Bucket) Take(key string) ([]byte, error) {
	var out []byte
	err := b.db.Update(func(tx Tx) error {
		v, err := tx.get(b, key)
		if err != nil {
			return err
		}
		out = v
		return tx.Delete(b, key)
	})
	return out, err
}

// Delete removes key; deleting an absent key is not an error.
func (b Bucket) Delete(key string) error {
	return b.db.Update(func(tx Tx) error { return tx.Delete(b, key) })
}

// Each calls fn for every key (without the bucket prefix) in key order, at
// most limit entries when limit > 0. Returning an error stops the walk.
func (b Bucket) Each(limit int, fn func(key string, val []byte) error) error {
	return b.db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: b.prefix})
		defer it.Close()
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			val, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("store: read %s: %w", item.Key(), err)
			}
			if err := fn(string(item.Key()[len(b.prefix):]), val); err != nil {
				return err
			}
			if n++; limit > 0 && n >= limit {
				return nil
			}
		}
		return nil
	})
}

// Tx is a read-write transaction across buckets.
type Tx struct {
	txn    *badger.Txn
	writes *int // counts Put and Delete in a Batch call; nil elsewhere
}

// Update runs fn in a transaction, retrying on conflicts with concurrent
// transactions; fn must be safe to re-run.
func (d *DB) Update(fn func(tx Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := d.bdb.Update(func(txn *badger.Txn) error { return fn(Tx{txn: txn}) })
		if errors.Is(err, badger.ErrConflict) && attempt < 50 {
			continue
		}
		return err
	}
}

// View runs fn in a read-only transaction (a consistent snapshot); a
// write in it fails.
func (d *DB) View(fn func(tx Tx) error) error {
	return d.bdb.View(func(txn *badger.Txn) error { return fn(Tx{txn: txn}) })
}

// MaxBatch bounds how many Batch calls share one transaction.
const MaxBatch = 128

type batchCall struct {
	fn  func(tx Tx) error
	err chan error
}

// Batch runs fn in a transaction that it may share with other Batch calls
// made at the same time (group commit): one goroutine commits whatever has
// queued while the previous commit was syncing, so concurrent callers pay
// for one commit and one sync of the write-ahead log between them instead
// of one each (with sync writes on, badger syncs its WAL once per
// transaction, whatever it batches underneath). Batch returns once the
// shared transaction is committed, with sync writes as durable as Update.
//
// The calls of one batch run one after the other in one transaction, so a
// call sees the writes of the calls before it, exactly as if each had
// committed in that order. fn's error is its own: the shared transaction
// still commits the other calls, so fn must return its error before it
// writes anything. If it does write and then fail, the batch is run again
// with every call in a transaction of its own (as Update), so no write of
// a failed call is ever committed. fn may run more than once (conflicts)
// and must be safe to re-run. fn runs on the committer goroutine: it must
// not call Batch (that would wait on itself) and should not block, since
// every writer of the store waits behind it.
func (d *DB) Batch(fn func(tx Tx) error) error {
	c := &batchCall{fn: fn, err: make(chan error, 1)}
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		return ErrClosed
	}
	d.calls <- c
	d.mu.RUnlock()
	return <-c.err
}

func (d *DB) commitLoop() {
	defer close(d.done)
	batch := make([]*batchCall, 0, MaxBatch)
	for c := range d.calls {
		batch = append(batch[:0], c)
	drain:
		for len(batch) < MaxBatch {
			select {
			case c, ok := <-d.calls:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		d.commitBatch(batch)
	}
}

// errSplit aborts a shared transaction whose calls must run one by one.
var errSplit = errors.New("store: batch split")

func (d *DB) commitBatch(batch []*batchCall) {
	errs := make([]error, len(batch))
	var err error
	for attempt := 0; ; attempt++ {
		err = d.bdb.Update(func(txn *badger.Txn) error {
			for i, c := range batch {
				writes := 0
				errs[i] = c.fn(Tx{txn: txn, writes: &writes})
				if errs[i] != nil && (writes > 0 || errors.Is(errs[i], badger.ErrTxnTooBig)) {
					return errSplit
				}
			}
			return nil
		})
		if errors.Is(err, badger.ErrConflict) && attempt < 50 {
			continue
		}
		break
	}
	if errors.Is(err, errSplit) {
		for _, c := range batch {
			c.err <- d.Update(c.fn)
		}
		return
	}
	for i, c := range batch {
		if errs[i] != nil {
			c.err <- errs[i]
		} else {
			c.err <- err
		}
	}
}

// Get reads key from bucket b inside the transaction.
func (t Tx) Get(b Bucket, key string) ([]byte, error) { return t.get(b, key) }

func (t Tx) get(b Bucket, key string) ([]byte, error) {
	item, err := t.txn.Get(b.key(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s%s: %w", b.prefix, key, err)
	}
	return item.ValueCopy(nil)
}

// Put writes key in bucket b; ttl 0 means no expiry.
func (t Tx) Put(b Bucket, key string, val []byte, ttl time.Duration) error {
	e := badger.NewEntry(b.key(key), val)
	if ttl > 0 {
		e = e.WithTTL(ttl)
	}
	if err := t.txn.SetEntry(e); err != nil {
		return fmt.Errorf("store: put %s%s: %w", b.prefix, key, err)
	}
	t.wrote()
	return nil
}

// Delete removes key from bucket b.
func (t Tx) Delete(b Bucket, key string) error {
	if err := t.txn.Delete(b.key(key)); err != nil {
		return fmt.Errorf("store: delete %s%s: %w", b.prefix, key, err)
	}
	t.wrote()
	return nil
}

func (t Tx) wrote() {
	if t.writes != nil {
		*t.writes++
	}
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Infof(string, ...any)  {}
func (b badgerLogger) Debugf(string, ...any) {}
