package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/pflag"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/issuer"
)

// Ledger modes (--ledger).
const (
	ledgerEmbedded = "embedded" // the in-process dev chain in <data>/ledger
	ledgerOff      = "off"      // no chain: no did:ethr, no ethr issuers
	ledgerRPC      = "rpc"      // implied by --ledger-rpc
)

// ledgerConfig is the ledger and DID-resolution part of serverConfig.
type ledgerConfig struct {
	Mode     string
	RPC      string
	Registry string
	KeyFile  string
	// Resolution.
	CacheTTL   time.Duration
	ServeStale bool
	// AtIssuance: the verifier resolves a revoked key at the credential's
	// issuance time (verifier.Config.VerifyAtIssuanceTime).
	AtIssuance bool
}

// defaultDIDCacheTTL is how long a resolved DID document is reused.
const defaultDIDCacheTTL = 5 * time.Minute

// addLedgerFlags registers the ledger flags of `cflow serve`.
func addLedgerFlags(f *pflag.FlagSet, c *ledgerConfig) {
	f.StringVar(&c.Mode, "ledger", ledgerEmbedded, "ledger for did:ethr: embedded (an in-process dev chain in <data>/ledger) or off; --ledger-rpc selects a remote chain")
	f.StringVar(&c.RPC, "ledger-rpc", "", "JSON-RPC endpoint of any EVM chain (http://, https://, ws://, wss://)")
	f.StringVar(&c.Registry, "ledger-registry", "", "address (0x…) of the ERC-1056 registry on --ledger-rpc's chain")
	f.StringVar(&c.KeyFile, "ledger-key", "", "hex secp256k1 key file (mode 0600) of the account that pays gas on --ledger-rpc's chain; none: read-only (resolution only)")
	f.DurationVar(&c.CacheTTL, "did-cache-ttl", defaultDIDCacheTTL, "how long a resolved DID document is reused")
	f.BoolVar(&c.ServeStale, "did-serve-stale", false, "when a DID's ledger cannot be read, answer with the expired cached document marked stale instead of ledger_unavailable")
	f.BoolVar(&c.AtIssuance, "verify-at-issuance-time", false, "accept a credential signed with a key its issuer has revoked since, if the key was valid at the credential's issuance time (risk: a thief of the old key can backdate)")
}

// mode is the effective ledger mode; a zero config (the demo, tests) is off.
func (c ledgerConfig) mode() (string, error) {
	switch {
	case c.RPC != "":
		if c.Mode != "" && c.Mode != ledgerEmbedded && c.Mode != ledgerRPC {
			return "", usageErr("--ledger %s conflicts with --ledger-rpc", c.Mode)
		}
		if !common.IsHexAddress(c.Registry) {
			return "", usageErr("--ledger-registry %q: want the registry's 0x address", c.Registry)
		}
		return ledgerRPC, nil
	case c.Registry != "" || c.KeyFile != "":
		return "", usageErr("--ledger-registry and --ledger-key need --ledger-rpc")
	case c.Mode == "" || c.Mode == ledgerOff:
		return ledgerOff, nil
	case c.Mode == ledgerEmbedded:
		return ledgerEmbedded, nil
	}
	return "", usageErr("--ledger %q: want embedded or off (or --ledger-rpc URL)", c.Mode)
}

// openLedger opens the configured chain; nil when the ledger is off.
func openLedger(cfg serverConfig) (*ledger.Ledger, error) {
	mode, err := cfg.Ledger.mode()
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	start := time.Now()
	var l *ledger.Ledger
	switch mode {
	case ledgerOff:
		return nil, nil
	case ledgerEmbedded:
		// go-ethereum's own logs: errors only (its warnings on a dev node are noise: "transaction indexing is in progress", "P2P server will be useless").
		l, err = ledger.OpenEmbedded(filepath.Join(cfg.DataDir, "ledger"), ledger.EmbeddedOptions{
			Logger: slog.New(minLevel{logger.Handler(), slog.LevelError}),
		})
	case ledgerRPC:
		if err := os.MkdirAll(filepath.Join(cfg.DataDir, "ledger-rpc"), 0o700); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err = ledger.Dial(ctx, cfg.Ledger.RPC, common.HexToAddress(cfg.Ledger.Registry), cfg.Ledger.KeyFile,
			ledger.DialOptions{StateDir: filepath.Join(cfg.DataDir, "ledger-rpc")})
	}
	if err != nil {
		return nil, fmt.Errorf("ledger (%s): %w", mode, err)
	}
	logger.Info("ledger open", "mode", mode, "chain_id", l.ChainID, "registry", l.Registry.Hex(),
		"did_prefix", didethr.DIDPrefix(l.ChainID), "took", time.Since(start).Round(time.Millisecond))
	return l, nil
}

// serverResolver is the server's DID resolver: did:key and did:jwk, and
// did:ethr on the ledger when there is one, behind one TTL cache. A DID the
// issuer just changed is answered from a small cache of its own, filled
// after the change, until every entry the main cache may hold from before
// the change has expired (one TTL).
type serverResolver struct {
	cached did.Resolver
	direct did.Resolver // the registry without the cache
	ttl    time.Duration

	mu    sync.Mutex
	fresh map[string]*freshDID // lower-case DID → answers since its last change
}

type freshDID struct {
	until time.Time                  // when the main cache is trusted again
	res   map[string]freshResolution // DID URL as asked → answer
}

type freshResolution struct {
	res *did.Resolution
	at  time.Time
}

func newServerResolver(l *ledger.Ledger, lc ledgerConfig) (*serverResolver, *didethr.Resolver, error) {
	methods := map[string]did.Resolver{didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{}}
	var ethr *didethr.Resolver
	if l != nil {
		var err error
		if ethr, err = didethr.New(didethr.Options{}, didethr.NetworkOf(l, "dev")); err != nil {
			return nil, nil, err
		}
		methods[didethr.Method] = ethr
	}
	if lc.CacheTTL <= 0 {
		lc.CacheTTL = defaultDIDCacheTTL
	}
	reg := did.NewRegistry(methods)
	return &serverResolver{
		cached: did.NewCache(reg, did.CacheOptions{TTL: lc.CacheTTL, ServeStale: lc.ServeStale}),
		direct: reg, ttl: lc.CacheTTL, fresh: map[string]*freshDID{},
	}, ethr, nil
}

func (s *serverResolver) Resolve(ctx context.Context, d string) (*did.Resolution, error) {
	base := d
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	key, now := strings.ToLower(base), time.Now()
	s.mu.Lock()
	f, ok := s.fresh[key]
	if ok && now.After(f.until) {
		delete(s.fresh, key)
		ok = false
	}
	var hit *did.Resolution
	if ok {
		if e, found := f.res[d]; found && now.Sub(e.at) < s.ttl {
			hit = e.res
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		return s.cached.Resolve(ctx, d)
	case hit != nil:
		return hit, nil
	}
	res, err := s.direct.Resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	// Only if no change came in meanwhile: res may predate it.
	if cur := s.fresh[key]; cur == f && len(f.res) < 64 {
		f.res[d] = freshResolution{res: res, at: now}
	}
	s.mu.Unlock()
	return res, nil
}

// changed makes resolutions of d read the ledger again: a document cached
// before a rotation would not list the new key.
func (s *serverResolver) changed(d string) {
	s.mu.Lock()
	s.fresh[strings.ToLower(d)] = &freshDID{until: time.Now().Add(s.ttl), res: map[string]freshResolution{}}
	s.mu.Unlock()
}

// enableEthrIssuers lets the issuer create did:ethr profiles on l.
func enableEthrIssuers(l *ledger.Ledger, ethr *didethr.Resolver, res *serverResolver, iss *issuer.Service, db *store.DB, logger *slog.Logger) error {
	if l == nil || l.Tx == nil {
		return nil // off, or a read-only remote chain: resolution only
	}
	ctrl, err := didethr.NewController(l)
	if err != nil {
		return err
	}
	return iss.EnableEthr(db, issuer.EthrConfig{Controller: ctrl, Resolver: ethr, OnChange: res.changed, Logger: logger})
}

// ledgerReady fails when the chain cannot be read.
func ledgerReady(ctx context.Context, l *ledger.Ledger) error {
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := l.Client.BlockNumber(ctx); err != nil {
		return fmt.Errorf("ledger unavailable: %w", err)
	}
	return nil
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.level}
}

func (m minLevel) WithGroup(n string) slog.Handler { return minLevel{m.Handler.WithGroup(n), m.level} }

// ledgerRuntime is the ledger part of a running app; nil-safe.
type ledgerRuntime struct {
	l        *ledger.Ledger // nil when off
	resolver *serverResolver
	ethr     *didethr.Resolver
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// keyRevokerInterval is how often rotated-out keys are checked for their
// revocation deadline.
const keyRevokerInterval = 30 * time.Second

func openLedgerRuntime(cfg serverConfig) (*ledgerRuntime, error) {
	l, err := openLedger(cfg)
	if err != nil {
		return nil, err
	}
	res, ethr, err := newServerResolver(l, cfg.Ledger)
	if err != nil {
		if l != nil {
			l.Close()
		}
		return nil, err
	}
	return &ledgerRuntime{l: l, resolver: res, ethr: ethr, cancel: func() {}}, nil
}

// enableIssuers turns on did:ethr issuer profiles and the revoker of
// rotated-out keys.
func (r *ledgerRuntime) enableIssuers(iss *issuer.Service, db *store.DB, logger *slog.Logger) error {
	if r.l == nil || r.l.Tx == nil {
		return nil
	}
	if err := enableEthrIssuers(r.l, r.ethr, r.resolver, iss, db, logger); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go func() { defer r.wg.Done(); iss.RunKeyRevoker(ctx, keyRevokerInterval) }()
	return nil
}

func (r *ledgerRuntime) ready(ctx context.Context) error {
	if r == nil {
		return nil
	}
	return ledgerReady(ctx, r.l)
}

func (r *ledgerRuntime) close() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	if r.l != nil {
		if err := r.l.Close(); err != nil {
			slog.Default().Error("ledger close", "err", err)
		}
	}
}

// Stats reports the DID cache's hits and misses (for /metrics).
func (s *serverResolver) Stats() (hits, misses uint64) {
	if c, ok := s.cached.(*did.Cache); ok {
		return c.Stats()
	}
	return 0, 0
}
