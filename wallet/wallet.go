// Package wallet is the holder's wallet: an encrypted badger store in one
// directory that keeps the holder's DIDs and signing keys (through
// internal/kms), the credentials the holder received (JWT credentials and
// ldp_vc with a Data Integrity proof, each verified before it is stored),
// and builds presentations from them — jwt_vp_json, or ldp_vp with a Data
// Integrity proof bound to a challenge and domain — including the challenge
// → present → token exchange round trip with a Credentialflow gateway.
//
// Everything in the store is encrypted at rest (internal/kms, AES-256-GCM)
// under a random 256-bit data key. That key is kept in a small clear-text
// header file (wallet.json) sealed under a key derived from the passphrase
// with Argon2id (RFC 9106), beside the KDF parameters and salt. A wrong
// passphrase fails the seal's authentication tag, so Open refuses it before
// it opens, let alone changes, anything; changing the passphrase or raising
// the KDF cost rewrites only the header.
//
// Refresh re-checks the stored credentials, status lists included, and
// records each one's standing (status.go). The wallet does not talk to
// issuers (OpenID4VCI) or verifiers (OpenID4VP) yet.
package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
)

// Sentinel errors callers branch on.
var (
	ErrExists          = errors.New("wallet: a wallet already exists there")
	ErrNotInitialized  = errors.New("wallet: no wallet there (run `cflow wallet init`)")
	ErrWrongPassphrase = errors.New("wallet: wrong passphrase")
	ErrEmptyPassphrase = errors.New("wallet: the passphrase is empty")
	ErrCorrupt         = errors.New("wallet: the wallet is damaged or not ours")
	ErrNotFound        = errors.New("wallet: not found")
	ErrAmbiguous       = errors.New("wallet: ambiguous id prefix")
	ErrDuplicate       = errors.New("wallet: credential already in the wallet")
	ErrNotMine         = errors.New("wallet: the credential is about none of this wallet's DIDs")
	ErrRejected        = errors.New("wallet: the credential did not verify")
	ErrUnsupported     = errors.New("wallet: unsupported")
	ErrNoCredentials   = errors.New("wallet: no credential to present")
	ErrNoHolder        = errors.New("wallet: cannot tell which DID presents")
	ErrInUse           = errors.New("wallet: the wallet is in use by another cflow process")
)

// LockWait is how long Open and Init wait for another process (another
// cflow command on the same wallet) to release the store before they give
// up with ErrInUse. Each command holds it for well under a second.
const LockWait = 5 * time.Second

// lockWait is LockWait; tests shorten it.
var lockWait = LockWait

// Argon2id parameters for new wallets. RFC 9106 §4 recommends t=3, 64 MiB
// as the second choice for memory-constrained uses; two lanes match the
// two-core machines we target. That costs 0.2–0.5 s per unlock here. They are
// recorded in each wallet's header, so raising them later does not lock
// anyone out of an existing wallet, and ChangePassphrase moves a wallet to
// the current values.
const (
	ArgonTime      = 3
	ArgonMemoryKiB = 64 << 10
	ArgonThreads   = 2
)

// Floors and ceilings on header parameters. The floor is the OWASP Password
// Storage Cheat Sheet minimum for Argon2id (19 MiB, t=2); the ceilings keep
// a forged header from making Open burn gigabytes or minutes.
const (
	MinArgonTime      = 2
	MinArgonMemoryKiB = 19 << 10
	maxArgonTime      = 64
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonThreads   = 64
	saltSize          = 16 // RFC 9106 §3.1: 128 bits is enough for all uses
)

// HeaderFile is the clear-text file that marks a directory as a wallet.
const HeaderFile = "wallet.json"

const (
	dataDir        = "data"
	headerFormat   = "cflow-wallet"
	headerVersion  = 1
	maxHeaderBytes = 4 << 10
	wrapLabel      = "cflow-wallet-key-v1"
)

// KDFParams are the Argon2id parameters of one wallet.
type KDFParams struct {
	Alg       string `json:"alg"` // "argon2id"
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memoryKiB"`
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt"`
}

type header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	KDF     KDFParams `json:"kdf"`
	// WrappedKey is nonce ‖ AES-256-GCM(kek, data key), the additional data
	// binding the format and KDF parameters (see aad).
	WrappedKey []byte `json:"wrappedKey"`
}

// Wallet is an open wallet. It holds the store's directory lock until Close.
type Wallet struct {
	dir      string
	db       *store.DB
	kms      *kms.Manager
	dids     store.Bucket
	creds    store.Bucket
	resolver did.Resolver
	now      func() time.Time
}

// DefaultKDF returns fresh parameters (new salt) at the current defaults.
func DefaultKDF() (KDFParams, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return KDFParams{}, fmt.Errorf("wallet: salt: %w", err)
	}
	return KDFParams{Alg: "argon2id", Time: ArgonTime, MemoryKiB: ArgonMemoryKiB, Threads: ArgonThreads, Salt: salt}, nil
}

func (p KDFParams) check() error {
	switch {
	case p.Alg != "argon2id":
		return fmt.Errorf("%w: kdf %q", ErrCorrupt, p.Alg)
	case p.Time < MinArgonTime || p.Time > maxArgonTime:
		return fmt.Errorf("%w: argon2id time %d outside [%d, %d]", ErrCorrupt, p.Time, MinArgonTime, maxArgonTime)
	case p.MemoryKiB < MinArgonMemoryKiB || p.MemoryKiB > maxArgonMemoryKiB:
		return fmt.Errorf("%w: argon2id memory %d KiB outside [%d, %d]", ErrCorrupt, p.MemoryKiB, MinArgonMemoryKiB, maxArgonMemoryKiB)
	case p.Threads < 1 || p.Threads > maxArgonThreads:
		return fmt.Errorf("%w: argon2id threads %d", ErrCorrupt, p.Threads)
	case len(p.Salt) < saltSize:
		return fmt.Errorf("%w: salt of %d bytes", ErrCorrupt, len(p.Salt))
	}
	return nil
}

// kek derives the key-encryption key from the passphrase.
func kek(passphrase []byte, p KDFParams) []byte {
	return argon2.IDKey(passphrase, p.Salt, p.Time, p.MemoryKiB, p.Threads, kms.MasterKeySize)
}

// aad binds the parameters to the wrapped key: a header edited to other
// parameters fails to open instead of deriving some other key.
func (p KDFParams) aad() []byte {
	return fmt.Appendf(nil, "%s|%d|%s|%d|%d|%d|%x", wrapLabel, headerVersion, p.Alg, p.Time, p.MemoryKiB, p.Threads, p.Salt)
}

func wrap(passphrase, dataKey []byte, p KDFParams) ([]byte, error) {
	k := kek(passphrase, p)
	defer clear(k)
	aead, err := gcm(k)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("wallet: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, dataKey, p.aad()), nil
}

// unwrap returns the data key, or ErrWrongPassphrase when the tag does not
// verify (a wrong passphrase and a tampered header look the same).
func unwrap(passphrase []byte, h header) ([]byte, error) {
	k := kek(passphrase, h.KDF)
	defer clear(k)
	aead, err := gcm(k)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(h.WrappedKey) != n+kms.MasterKeySize+aead.Overhead() {
		return nil, fmt.Errorf("%w: wrapped key of %d bytes", ErrCorrupt, len(h.WrappedKey))
	}
	key, err := aead.Open(nil, h.WrappedKey[:n], h.WrappedKey[n:], h.KDF.aad())
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	return aead, nil
}

// Init creates a wallet in dir (created with mode 0700 if missing) under
// passphrase and returns it open. An existing wallet is left untouched and
// ErrExists returned.
func Init(dir string, passphrase []byte) (*Wallet, error) {
	p, err := DefaultKDF()
	if err != nil {
		return nil, err
	}
	return initWith(dir, passphrase, p)
}

func initWith(dir string, passphrase []byte, p KDFParams) (*Wallet, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	hdrPath := filepath.Join(dir, HeaderFile)
	if _, err := os.Lstat(hdrPath); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, dir)
	}
	if nonEmpty(filepath.Join(dir, dataDir)) {
		return nil, fmt.Errorf("%w: %s holds wallet data without a header", ErrExists, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("wallet: init %s: %w", dir, err)
	}
	master := make([]byte, kms.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, fmt.Errorf("wallet: init: %w", err)
	}
	defer clear(master)
	raw, err := encodeHeader(passphrase, master, p)
	if err != nil {
		return nil, err
	}
	if err := writeExclusive(hdrPath, raw); err != nil {
		return nil, err
	}
	return open(dir, master)
}

// Open opens the wallet in dir. A wrong passphrase gives ErrWrongPassphrase
// and nothing in dir is opened for writing. While another process has the
// wallet open, Open waits up to LockWait, then gives ErrInUse.
func Open(dir string, passphrase []byte) (*Wallet, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	h, err := readHeader(dir)
	if err != nil {
		return nil, err
	}
	master, err := unwrap(passphrase, h)
	if err != nil {
		return nil, err
	}
	defer clear(master)
	// Badger would silently start an empty store; a wallet whose data went
	// missing must say so instead of looking empty.
	if fi, err := os.Stat(filepath.Join(dir, dataDir)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s has a header but no data directory", ErrCorrupt, dir)
	}
	return open(dir, master)
}

func encodeHeader(passphrase, master []byte, p KDFParams) ([]byte, error) {
	wrapped, err := wrap(passphrase, master, p)
	if err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(header{Format: headerFormat, Version: headerVersion, KDF: p, WrappedKey: wrapped}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("wallet: encode header: %w", err)
	}
	return append(raw, '\n'), nil
}

// ChangePassphrase re-seals the data key under newPassphrase with a fresh
// salt and the current default KDF parameters (so it is also how a wallet
// made with older, cheaper parameters is raised). Only the header changes;
// it is replaced atomically.
func (w *Wallet) ChangePassphrase(oldPassphrase, newPassphrase []byte) error {
	if len(newPassphrase) == 0 {
		return ErrEmptyPassphrase
	}
	p, err := DefaultKDF()
	if err != nil {
		return err
	}
	return w.rewrap(oldPassphrase, newPassphrase, p)
}

func (w *Wallet) rewrap(oldPassphrase, newPassphrase []byte, p KDFParams) error {
	h, err := readHeader(w.dir)
	if err != nil {
		return err
	}
	master, err := unwrap(oldPassphrase, h)
	if err != nil {
		return err
	}
	defer clear(master)
	raw, err := encodeHeader(newPassphrase, master, p)
	if err != nil {
		return err
	}
	return replaceFile(filepath.Join(w.dir, HeaderFile), raw)
}

// KDF returns the parameters recorded in the header of the wallet in dir.
func KDF(dir string) (KDFParams, error) {
	h, err := readHeader(dir)
	return h.KDF, err
}

func readHeader(dir string) (header, error) {
	var h header
	f, err := os.Open(filepath.Join(dir, HeaderFile))
	if errors.Is(err, os.ErrNotExist) {
		return h, fmt.Errorf("%w: %s", ErrNotInitialized, dir)
	}
	if err != nil {
		return h, fmt.Errorf("wallet: open %s: %w", dir, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxHeaderBytes+1))
	if err != nil {
		return h, fmt.Errorf("wallet: read header: %w", err)
	}
	if len(raw) > maxHeaderBytes {
		return h, fmt.Errorf("%w: header over %d bytes", ErrCorrupt, maxHeaderBytes)
	}
	if err := jsonx.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if h.Format != headerFormat {
		return h, fmt.Errorf("%w: format %q", ErrCorrupt, h.Format)
	}
	if h.Version != headerVersion {
		return h, fmt.Errorf("%w: version %d (this build reads %d)", ErrCorrupt, h.Version, headerVersion)
	}
	if len(h.WrappedKey) == 0 {
		return h, fmt.Errorf("%w: no wrapped key", ErrCorrupt)
	}
	return h, h.KDF.check()
}

// openStore opens the wallet's store, waiting up to lockWait, with
// jittered exponential backoff, while another process holds it.
func openStore(dir string) (*store.DB, error) {
	deadline := time.Now().Add(lockWait)
	delay := 5 * time.Millisecond
	for {
		db, err := store.Open(dir, store.Options{})
		if !errors.Is(err, store.ErrLocked) {
			return db, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("%w (%s, waited %s)", ErrInUse, filepath.Dir(dir), lockWait)
		}
		// Jitter keeps several waiting commands from retrying in step.
		time.Sleep(min(delay/2+mrand.N(delay), left))
		delay = min(2*delay, 200*time.Millisecond)
	}
}

func open(dir string, master []byte) (*Wallet, error) {
	db, err := openStore(filepath.Join(dir, dataDir))
	if errors.Is(err, ErrInUse) {
		return nil, err
	}
	if errors.Is(err, store.ErrCorrupt) {
		// Tables without their MANIFEST: store.Open refused before badger
		// could start empty and delete them, so the holder's keys survive.
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet: open %s: %w", dir, err)
	}
	m, err := kms.New(db.Bucket("keys"), master)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("wallet: %w", err)
	}
	return &Wallet{
		dir:   dir,
		db:    db,
		kms:   m,
		dids:  db.Bucket("dids"),
		creds: db.Bucket("creds"),
		resolver: did.NewRegistry(map[string]did.Resolver{
			didkey.Method: didkey.Resolver{},
			didjwk.Method: didjwk.Resolver{},
		}),
		now: time.Now,
	}, nil
}

// Close releases the store.
func (w *Wallet) Close() error { return w.db.Close() }

// Dir is the wallet directory.
func (w *Wallet) Dir() string { return w.dir }

// writeExclusive writes path with mode 0600 only if it does not exist, and
// never leaves a half-written file under that name: the bytes go to a temp
// file that is synced and then hard-linked into place (link fails if the
// name is taken, unlike rename).
func writeExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".wallet-*.tmp")
	if err != nil {
		return fmt.Errorf("wallet: init: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(data)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("wallet: init: write header: %w", err)
		}
	} else {
		tmp.Close()
		return fmt.Errorf("wallet: init: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, dir)
		}
		return fmt.Errorf("wallet: init: %w", err)
	}
	syncDir(dir)
	return nil
}

// replaceFile atomically replaces path: temp file, fsync, rename, fsync dir.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".wallet-*.tmp")
	if err != nil {
		return fmt.Errorf("wallet: write header: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("wallet: write header: %w", err)
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the new name durable
		d.Close()
	}
}

func nonEmpty(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// seal encrypts a record under the master key bound to its bucket and key,
// so a record copied under another key does not open.
func (w *Wallet) seal(kind, id string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("wallet: encode %s %s: %w", kind, id, err)
	}
	out, err := w.kms.Seal("wallet-"+kind+"|"+id, raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("wallet: seal %s %s: %w", kind, id, err)
	}
	return out, nil
}

func (w *Wallet) unseal(kind, id string, sealed []byte, v any) error {
	raw, err := w.kms.Open("wallet-"+kind+"|"+id, sealed)
	if err != nil {
		return fmt.Errorf("wallet: %s %s: %w", kind, id, err)
	}
	defer clear(raw)
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("wallet: decode %s %s: %w", kind, id, err)
	}
	return nil
}

// newID returns a random id: 16 hex characters (64 bits) are unique enough
// for one holder's wallet and short enough to type.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("wallet: id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
