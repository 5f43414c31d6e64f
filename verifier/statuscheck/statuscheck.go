// Package statuscheck checks the credentialStatus of a credential against
// W3C Bitstring Status Lists (and the VCDM 1.1-era StatusList2021): it
// fetches status list credentials over HTTP(S) under a timeout, a size limit
// and a refusal of private addresses, verifies them through a credential
// verifier, checks they come from the credential's issuer and are what the
// issuer anchored on the ledger, decodes them, caches them by TTL and reads
// the bit. It is the verifier.StatusChecker of cmd/cflow.
//
// It owns no bitstring encoding (internal/status) and no signature checks
// (the verifier it is given). Every failure is a vc.Error with one of the
// codes revoked, suspended, status_list_unavailable,
// status_index_out_of_range, status_list_invalid, status_unanchored: a list
// that cannot be read is never taken as "not revoked".
//
// Spec: https://www.w3.org/TR/vc-bitstring-status-list/ §3.2 "Validate
// Algorithm"; StatusList2021: https://www.w3.org/TR/2023/WD-vc-status-list-20230427/.
package statuscheck

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// Entry and list types (§2.1, §2.2; StatusList2021 §2.1, §2.2).
const (
	TypeEntry               = "BitstringStatusListEntry"
	TypeListCredential      = "BitstringStatusListCredential"
	TypeList                = "BitstringStatusList"
	TypeLegacyEntry         = "StatusList2021Entry"
	TypeLegacyListCred      = "StatusList2021Credential"
	TypeLegacyList          = "StatusList2021"
	PurposeRevocation       = "revocation"
	PurposeSuspension       = "suspension"
	DefaultTimeout          = 10 * time.Second
	DefaultMaxBytes         = 2 << 20 // a 2^24-entry list of random bits still fits
	DefaultTTL              = 5 * time.Minute
	DefaultAnchorLag        = 2 * time.Minute
	DefaultMaxEntries       = 1 << 24
	maxCacheEntries         = 10_000
	maxEntriesPerCredential = 8
)

// AnchorMode says what the ledger anchor of a list must show.
type AnchorMode string

// Anchor modes (--status-anchor).
const (
	// AnchorOff does not read the ledger.
	AnchorOff AnchorMode = "off"
	// AnchorOptional: a list that contradicts its anchor (the trusted
	// anchor it names holds another latest version) fails; a list naming
	// no anchor or an untrusted one, never anchored, or on a ledger that
	// cannot be read is accepted.
	AnchorOptional AnchorMode = "optional"
	// AnchorRequired: every list must name its anchor (credentialSubject.
	// anchor), that anchor must be one Config.AnchorTrust accepts for the
	// list's issuer, and the list must be the anchored latest version
	// there, or one replaced less than AnchorLag ago; anything else fails.
	AnchorRequired AnchorMode = "required"
)

// ParseAnchorMode reads a --status-anchor value.
func ParseAnchorMode(s string) (AnchorMode, error) {
	switch m := AnchorMode(s); m {
	case AnchorOff, AnchorOptional, AnchorRequired:
		return m, nil
	}
	return "", fmt.Errorf("statuscheck: anchor mode %q (want required, optional or off)", s)
}

// Errors an Anchors implementation returns (wrapped).
var (
	// ErrNotAnchored: the anchor the list names holds nothing for it (or
	// is not an anchor contract at all).
	ErrNotAnchored = errors.New("statuscheck: status list not anchored")
	// ErrUnknownChain: the list names a chain this verifier has no
	// connection to.
	ErrUnknownChain = errors.New("statuscheck: unknown anchor chain")
)

// AnchorProperty is the credentialSubject property in which a status list
// credential names its anchor, signed with the rest of the list.
const AnchorProperty = "anchor"

// AnchorRef is a list's anchor as its credential names it.
type AnchorRef struct {
	Chain    string // CAIP-2, "eip155:<chainId>"
	Contract string // 0x address of the anchor contract
	Account  string // 0x address of the account that anchors the list
}

// String is the --status-anchor-trust spelling,
// "eip155:<chainId>:<contract>:<account>".
func (r AnchorRef) String() string { return r.Chain + ":" + r.Contract + ":" + r.Account }

// same compares two refs, addresses case-insensitively (EIP-55 checksums
// are only a spelling).
func (r AnchorRef) same(o AnchorRef) bool {
	return r.Chain == o.Chain && strings.EqualFold(r.Contract, o.Contract) && strings.EqualFold(r.Account, o.Account)
}

// AnchorTrust is one anchoring slot this verifier reads anchors from: a
// chain, a StatusAnchor contract and the account that writes there. The
// slot comes from the verifier's configuration, never from the list: a
// list names its anchor, and that name is accepted only if it is trusted
// here, so an issuer cannot keep a second slot (another contract, another
// account) for the verifiers it wants to show another list.
type AnchorTrust struct {
	// Issuer, when set, binds the entry to lists of that issuer: an exact
	// DID, or a DID prefix ending in ":" (did:web:example.com:). An issuer
	// that some bound entry matches is held to its bound entries only;
	// other issuers to the unbound entries.
	Issuer string
	Ref    AnchorRef
}

// String is the --status-anchor-trust spelling.
func (t AnchorTrust) String() string {
	if t.Issuer == "" {
		return t.Ref.String()
	}
	return t.Issuer + "=" + t.Ref.String()
}

// ParseAnchorTrust reads a --status-anchor-trust value:
// "eip155:<chainId>:<contract>:<account>", optionally preceded by an
// issuer DID (or a DID prefix ending in ":") and "=". DIDs hold no "="
// (DID Core §3.1), so the first one separates the two.
func ParseAnchorTrust(s string) (AnchorTrust, error) {
	var t AnchorTrust
	ref := s
	if iss, r, ok := strings.Cut(s, "="); ok {
		if !strings.HasPrefix(iss, "did:") || len(iss) < 5 || strings.ContainsAny(iss, " /?#") {
			return t, fmt.Errorf("statuscheck: anchor trust %q: %q is not an issuer DID or DID prefix", s, iss)
		}
		t.Issuer, ref = iss, r
	}
	parts := strings.Split(ref, ":")
	if len(parts) != 4 || parts[0] != "eip155" {
		return t, fmt.Errorf("statuscheck: anchor trust %q: want [did:…=]eip155:<chainId>:<contract>:<account>", s)
	}
	t.Ref = AnchorRef{Chain: parts[0] + ":" + parts[1], Contract: parts[2], Account: parts[3]}
	if err := t.Ref.validate(); err != nil {
		return AnchorTrust{}, fmt.Errorf("statuscheck: anchor trust %q: %w", s, err)
	}
	return t, nil
}

// validate checks the syntax of a ref: a CAIP-2 eip155 chain and two 0x
// addresses.
func (r AnchorRef) validate() error {
	if id, ok := strings.CutPrefix(r.Chain, "eip155:"); !ok || !decimal(id) {
		return fmt.Errorf("chain %q is not a CAIP-2 eip155 chain id", r.Chain)
	}
	if !hexAddress(r.Contract) {
		return fmt.Errorf("contract %q is not a 0x address", r.Contract)
	}
	if !hexAddress(r.Account) {
		return fmt.Errorf("account %q is not a 0x address", r.Account)
	}
	return nil
}

// matches reports whether a bound entry's Issuer covers issuer.
func (t AnchorTrust) matches(issuer string) bool {
	if strings.HasSuffix(t.Issuer, ":") {
		return strings.HasPrefix(issuer, t.Issuer)
	}
	return issuer == t.Issuer
}

// AnchorVersion is one anchored hash of a list and when it was anchored.
type AnchorVersion struct {
	Hash [32]byte
	At   time.Time
}

// Anchors reads the anchors of a status list credential (SHA-256 of the
// bytes served) on the chain its AnchorRef names. History returns the
// latest anchor first, then each earlier one as long as the anchor that
// replaced it is not older than since. Errors wrap ErrNotAnchored or
// ErrUnknownChain where they apply.
type Anchors interface {
	History(ctx context.Context, ref AnchorRef, listURL string, since time.Time) ([]AnchorVersion, error)
}

// CredentialVerifier verifies a status list credential (a JWT string or a
// JSON object). It must not itself check status (the list credential has
// none, and a cycle would follow).
type CredentialVerifier interface {
	VerifyCredential(ctx context.Context, input any) *verifier.Result
}

// Config wires a Checker.
type Config struct {
	// Verifier verifies list credentials: the same resolver and checks as
	// the credentials themselves. Required.
	Verifier CredentialVerifier
	// Fetcher gets a list credential's bytes; default an HTTPFetcher with
	// the fields below.
	Fetcher Fetcher
	// Timeout, MaxBytes and AllowPrivate configure the default fetcher.
	Timeout      time.Duration
	MaxBytes     int64
	AllowPrivate bool
	// TTL is the longest a list is cached; a list's own ttl (§2.2) can only
	// shorten it.
	TTL time.Duration
	// MaxEntries caps the decoded size of a list.
	MaxEntries int
	// Anchors and AnchorMode: see AnchorMode. AnchorLag is how long a
	// version stays acceptable after a newer one was anchored: a verifier
	// may still be handed the previous version by a cache (the list's own
	// max-age) or by a fetch that raced the publish round.
	Anchors    Anchors
	AnchorMode AnchorMode
	AnchorLag  time.Duration
	// AnchorTrust lists the anchoring slots whose anchors count (see
	// AnchorTrust). A list naming any other slot is unanchored: it fails
	// in required mode and is not compared in optional mode. Required mode
	// needs at least one entry.
	AnchorTrust []AnchorTrust
	Now         func() time.Time
}

// Checker checks credentialStatus entries; it implements
// verifier.StatusChecker and is safe for concurrent use.
type Checker struct {
	cfg Config

	mu       sync.Mutex
	cache    map[string]*cachedList
	inflight map[string]*call
}

var _ verifier.StatusChecker = (*Checker)(nil)

type cachedList struct {
	list    *status.List
	issuer  string
	purpose string
	legacy  bool
	expires time.Time
}

type call struct {
	done      chan struct{}
	val       *cachedList
	err       error
	forgotten bool // Forget ran while loading: do not cache the result
}

// New returns a Checker.
func New(cfg Config) (*Checker, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("statuscheck: a Verifier is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.AnchorMode == "" {
		cfg.AnchorMode = AnchorOptional
	}
	if _, err := ParseAnchorMode(string(cfg.AnchorMode)); err != nil {
		return nil, err
	}
	if cfg.AnchorMode == AnchorRequired && cfg.Anchors == nil {
		return nil, errors.New("statuscheck: anchor mode required needs a ledger (Anchors)")
	}
	if cfg.AnchorMode == AnchorRequired && len(cfg.AnchorTrust) == 0 {
		return nil, errors.New("statuscheck: anchor mode required needs at least one trusted anchor (AnchorTrust, --status-anchor-trust)")
	}
	for _, t := range cfg.AnchorTrust {
		if err := t.Ref.validate(); err != nil {
			return nil, fmt.Errorf("statuscheck: anchor trust %s: %w", t, err)
		}
	}
	cfg.AnchorTrust = append([]AnchorTrust(nil), cfg.AnchorTrust...)
	if cfg.AnchorLag <= 0 {
		cfg.AnchorLag = DefaultAnchorLag
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fetcher == nil {
		cfg.Fetcher = NewHTTPFetcher(HTTPOptions{Timeout: cfg.Timeout, MaxBytes: cfg.MaxBytes, AllowPrivate: cfg.AllowPrivate})
	}
	return &Checker{cfg: cfg, cache: map[string]*cachedList{}, inflight: map[string]*call{}}, nil
}

// entry is a parsed credentialStatus entry.
type entry struct {
	purpose string
	index   int
	listURL string
	legacy  bool
}

// CheckStatus checks every credentialStatus entry of c (§3.2). The first
// failure is returned.
func (k *Checker) CheckStatus(ctx context.Context, c *vc.Credential) error {
	if len(c.Status) > maxEntriesPerCredential {
		return vc.Errorf(vc.CodeStatusInvalid, "the credential has %d credentialStatus entries (at most %d)", len(c.Status), maxEntriesPerCredential)
	}
	for _, raw := range c.Status {
		e, err := parseEntry(raw)
		if err != nil {
			return err
		}
		if err := k.check(ctx, c.Issuer, e); err != nil {
			return err
		}
	}
	return nil
}

// parseEntry reads one entry (§2.1; StatusList2021 §2.1).
func parseEntry(m map[string]any) (entry, error) {
	var e entry
	typ, _ := m["type"].(string)
	switch typ {
	case TypeEntry:
	case TypeLegacyEntry:
		e.legacy = true
	default:
		return e, vc.Errorf(vc.CodeStatusInvalid, "credentialStatus type %q is not supported (%s, %s)", typ, TypeEntry, TypeLegacyEntry)
	}
	e.purpose, _ = m["statusPurpose"].(string)
	if e.purpose != PurposeRevocation && e.purpose != PurposeSuspension {
		return e, vc.Errorf(vc.CodeStatusInvalid, "statusPurpose %q is not supported (revocation, suspension)", e.purpose)
	}
	// §2.1: statusSize defaults to 1; larger sizes go with the message
	// purpose, which this checker does not read.
	if sz, ok := m["statusSize"]; ok {
		if n, ok := sz.(float64); !ok || n != 1 {
			if jn, ok := sz.(json.Number); !ok || jn.String() != "1" {
				return e, vc.Errorf(vc.CodeStatusInvalid, "statusSize %v is not supported (1)", sz)
			}
		}
	}
	idx, _ := m["statusListIndex"].(string)
	n, err := status.ParseIndex(idx)
	if err != nil {
		return e, vc.Wrap(vc.CodeStatusInvalid, err, "statusListIndex")
	}
	e.index = n
	e.listURL, _ = m["statusListCredential"].(string)
	if !strings.HasPrefix(e.listURL, "https://") && !strings.HasPrefix(e.listURL, "http://") {
		return e, vc.Errorf(vc.CodeStatusInvalid, "statusListCredential %q is not an http(s) URL", e.listURL)
	}
	return e, nil
}

func (k *Checker) check(ctx context.Context, issuer string, e entry) error {
	l, err := k.get(ctx, issuer, e)
	if err != nil {
		return err
	}
	// §3.2 step 5-6: the list must come from the credential's issuer and
	// serve the entry's purpose.
	if l.issuer != issuer {
		return vc.Errorf(vc.CodeStatusInvalid, "the status list %s was issued by %s, not by the credential's issuer %s", e.listURL, l.issuer, issuer)
	}
	if l.purpose != e.purpose {
		return vc.Errorf(vc.CodeStatusInvalid, "the status list %s has statusPurpose %q, the entry %q", e.listURL, l.purpose, e.purpose)
	}
	if l.legacy != e.legacy {
		return vc.Errorf(vc.CodeStatusInvalid, "the status list %s is not of the kind its %s entry names", e.listURL, map[bool]string{true: TypeLegacyEntry, false: TypeEntry}[e.legacy])
	}
	set, err := l.list.Get(e.index)
	if err != nil {
		return vc.Errorf(vc.CodeStatusOutOfRange, "statusListIndex %d is outside the %d entries of %s", e.index, l.list.Len(), e.listURL)
	}
	if !set {
		return nil
	}
	if e.purpose == PurposeRevocation {
		return vc.Errorf(vc.CodeRevoked, "the credential is revoked (%s, index %d)", e.listURL, e.index)
	}
	return vc.Errorf(vc.CodeSuspended, "the credential is suspended (%s, index %d)", e.listURL, e.index)
}

// get returns the cached list or fetches it once for all concurrent callers.
//
// The shared load runs detached from whichever caller started it, under
// its own timeout: a caller that gives up (its client went away) must not
// fail everyone who joined the same fetch. Each caller still stops waiting
// when its own ctx ends.
func (k *Checker) get(ctx context.Context, issuer string, e entry) (*cachedList, error) {
	now := k.cfg.Now()
	k.mu.Lock()
	if l, ok := k.cache[e.listURL]; ok && now.Before(l.expires) {
		k.mu.Unlock()
		return l, nil
	}
	c, ok := k.inflight[e.listURL]
	if !ok {
		c = &call{done: make(chan struct{})}
		k.inflight[e.listURL] = c
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.loadTimeout())
		go func() {
			defer cancel()
			k.finish(e.listURL, c, now)(k.load(lctx, issuer, e))
		}()
	}
	k.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		return nil, vc.Wrap(vc.CodeStatusUnavailable, ctx.Err(), "fetching %s", e.listURL)
	}
}

// loadTimeout bounds one shared load: the fetch, the list's own
// verification (DID resolution included) and the ledger reads, each of
// which has its own bound near Timeout.
func (k *Checker) loadTimeout() time.Duration { return 3 * k.cfg.Timeout }

// finish returns the function that records the outcome of c: it caches a
// list unless Forget dropped the URL while c was loading (that version may
// already be stale), and wakes every waiter.
func (k *Checker) finish(listURL string, c *call, now time.Time) func(*cachedList, error) {
	return func(val *cachedList, err error) {
		k.mu.Lock()
		c.val, c.err = val, err
		if k.inflight[listURL] == c {
			delete(k.inflight, listURL)
		}
		if err == nil && !c.forgotten {
			if len(k.cache) >= maxCacheEntries {
				k.evictLocked(now)
			}
			k.cache[listURL] = val
		}
		k.mu.Unlock()
		close(c.done)
	}
}

// evictLocked drops expired lists, or all of them if none expired.
func (k *Checker) evictLocked(now time.Time) {
	n := len(k.cache)
	for u, l := range k.cache {
		if !now.Before(l.expires) {
			delete(k.cache, u)
		}
	}
	if len(k.cache) == n {
		clear(k.cache)
	}
}

// Forget drops a cached list, so the next check fetches it again: an
// operator's "check again now", or the issuer on this server publishing a
// new version. A fetch already under way for listURL is not cached (it may
// have read the version being replaced); its waiters still get its answer,
// and later callers start a new fetch.
func (k *Checker) Forget(listURL string) {
	k.mu.Lock()
	delete(k.cache, listURL)
	if c, ok := k.inflight[listURL]; ok {
		c.forgotten = true
		delete(k.inflight, listURL)
	}
	k.mu.Unlock()
}

// load fetches, verifies and decodes one list credential.
func (k *Checker) load(ctx context.Context, issuer string, e entry) (*cachedList, error) {
	body, err := k.cfg.Fetcher.Fetch(ctx, e.listURL)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, vc.Wrap(vc.CodeStatusInvalid, err, "status list %s", e.listURL)
		}
		return nil, vc.Wrap(vc.CodeStatusUnavailable, err, "status list %s", e.listURL)
	}
	input, err := credentialInput(body)
	if err != nil {
		return nil, vc.Wrap(vc.CodeStatusInvalid, err, "status list %s", e.listURL)
	}
	res := k.cfg.Verifier.VerifyCredential(ctx, input)
	if !res.Verified || res.Credential == nil {
		code, msg := "", "not verified"
		if len(res.Errors) > 0 {
			code, msg = res.Errors[0].Code, res.Errors[0].Message
		}
		return nil, vc.Errorf(vc.CodeStatusInvalid, "the status list credential %s does not verify: %s: %s", e.listURL, code, msg)
	}
	lc := res.Credential.Credential
	l, err := k.decode(lc, e)
	if err != nil {
		return nil, err
	}
	if err := k.checkAnchor(ctx, lc, e.listURL, sha256.Sum256(body)); err != nil {
		return nil, err
	}
	return l, nil
}

func credentialInput(body []byte) (any, error) {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("not a JSON credential: %w", err)
		}
		return m, nil
	}
	if strings.Count(s, ".") != 2 {
		return nil, errors.New("neither a JSON credential nor a compact JWS")
	}
	return s, nil
}

// decode applies §3.2 to the verified list credential: its id is the URL
// it was fetched from, its type and subject are a status list, its
// encodedList decodes to at least 131,072 entries.
func (k *Checker) decode(lc *vc.Credential, e entry) (*cachedList, error) {
	credType, listType := TypeListCredential, TypeList
	if e.legacy {
		credType, listType = TypeLegacyListCred, TypeLegacyList
	}
	// The id must match the URL: a list served under another list's URL
	// (a mix-up or a substitution) is refused.
	if lc.ID != e.listURL {
		return nil, vc.Errorf(vc.CodeStatusInvalid, "the status list credential fetched from %s has id %q", e.listURL, lc.ID)
	}
	if !lc.HasType(credType) {
		return nil, vc.Errorf(vc.CodeStatusInvalid, "the credential at %s is not a %s", e.listURL, credType)
	}
	if len(lc.Subjects) != 1 {
		return nil, vc.Errorf(vc.CodeStatusInvalid, "the status list credential %s has %d subjects (want 1)", e.listURL, len(lc.Subjects))
	}
	subj := lc.Subjects[0]
	if t, _ := subj["type"].(string); t != listType {
		return nil, vc.Errorf(vc.CodeStatusInvalid, "the subject of %s is not a %s", e.listURL, listType)
	}
	purpose, _ := subj["statusPurpose"].(string)
	enc, _ := subj["encodedList"].(string)
	dec := status.Decoder{Legacy: e.legacy, MaxEntries: k.cfg.MaxEntries}
	list, err := dec.Decode(enc)
	if err != nil {
		return nil, vc.Wrap(vc.CodeStatusInvalid, err, "the encodedList of %s", e.listURL)
	}
	expires := k.cfg.Now().Add(k.cfg.TTL)
	if ttl, ok := number(subj["ttl"]); ok && ttl > 0 {
		if t := k.cfg.Now().Add(time.Duration(ttl) * time.Millisecond); t.Before(expires) {
			expires = t
		}
	}
	return &cachedList{list: list, issuer: lc.Issuer, purpose: purpose, legacy: e.legacy, expires: expires}, nil
}

func number(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n >= 0 && n < 1<<53
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// checkAnchor compares the hash of the served list with the anchors in
// the slot the list names, if this verifier trusts that slot for the
// list's issuer (see AnchorMode, AnchorTrust): the latest anchored version is accepted,
// and so is one replaced less than AnchorLag ago. A version never anchored
// is not accepted, however fresh: an issuer that shows a verifier a list
// it never anchors is what this check exists to catch. The issuer anchors
// each version before serving it, so there is no window to allow for.
func (k *Checker) checkAnchor(ctx context.Context, lc *vc.Credential, listURL string, served [32]byte) error {
	if k.cfg.AnchorMode == AnchorOff || k.cfg.Anchors == nil {
		return nil
	}
	required := k.cfg.AnchorMode == AnchorRequired
	ref, ok, err := anchorRef(lc)
	if err != nil {
		return vc.Wrap(vc.CodeStatusInvalid, err, "the status list %s", listURL)
	}
	if !ok {
		if !required {
			return nil
		}
		return vc.Errorf(vc.CodeStatusUnanchored, "the status list %s names no ledger anchor (credentialSubject.%s)", listURL, AnchorProperty)
	}
	// The slot must be one this verifier trusts for the list's issuer: a
	// slot the list could choose freely would let an issuer anchor one
	// version per slot and name a different slot to each verifier.
	if !k.trusted(lc.Issuer, ref) {
		if !required {
			return nil // optional: an untrusted slot counts as no anchor
		}
		return vc.Errorf(vc.CodeStatusUnanchored, "the status list %s is anchored at %s, which this verifier does not trust for %s (--status-anchor-trust)", listURL, ref, lc.Issuer)
	}
	now := k.cfg.Now()
	versions, err := k.cfg.Anchors.History(ctx, ref, listURL, now.Add(-k.cfg.AnchorLag))
	if err == nil && len(versions) == 0 {
		err = ErrNotAnchored
	}
	if err != nil {
		if !required {
			return nil // optional: only a contradiction fails
		}
		switch {
		case errors.Is(err, ErrNotAnchored):
			return vc.Wrap(vc.CodeStatusUnanchored, err, "the status list %s is not anchored at %s %s", listURL, ref.Chain, ref.Contract)
		case errors.Is(err, ErrUnknownChain):
			return vc.Wrap(vc.CodeStatusUnanchored, err, "the status list %s is anchored on %s, a chain this verifier does not read", listURL, ref.Chain)
		}
		return vc.Wrap(vc.CodeStatusUnavailable, err, "reading the ledger anchor of %s", listURL)
	}
	for _, v := range versions {
		if v.Hash == served {
			return nil
		}
	}
	return vc.Errorf(vc.CodeStatusUnanchored, "the status list %s differs from the version its issuer anchored on %s at %s", listURL, ref.Chain, versions[0].At.UTC().Format(time.RFC3339))
}

// trusted reports whether ref is an anchoring slot this verifier accepts
// for issuer: among the entries bound to issuer if there are any, else
// among the unbound ones.
func (k *Checker) trusted(issuer string, ref AnchorRef) bool {
	bound, found := false, false
	for _, t := range k.cfg.AnchorTrust {
		if t.Issuer != "" && t.matches(issuer) {
			bound = true
			found = found || t.Ref.same(ref)
		}
	}
	if bound {
		return found
	}
	for _, t := range k.cfg.AnchorTrust {
		if t.Issuer == "" && t.Ref.same(ref) {
			return true
		}
	}
	return false
}

// anchorRef reads credentialSubject.anchor; ok is false when there is none.
func anchorRef(lc *vc.Credential) (ref AnchorRef, ok bool, err error) {
	raw, ok := lc.Subjects[0][AnchorProperty]
	if !ok {
		return ref, false, nil
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		return ref, false, fmt.Errorf("%s is not an object", AnchorProperty)
	}
	ref.Chain, _ = m["chain"].(string)
	ref.Contract, _ = m["contract"].(string)
	ref.Account, _ = m["account"].(string)
	if err := ref.validate(); err != nil {
		return ref, false, fmt.Errorf("%s: %w", AnchorProperty, err)
	}
	return ref, true, nil
}

func decimal(s string) bool {
	if s == "" || len(s) > 32 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func hexAddress(s string) bool {
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || len(h) != 40 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
