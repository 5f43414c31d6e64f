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
	// AnchorOptional: a list that contradicts its anchor (the anchor it
	// names holds another latest version) fails; a list naming no anchor,
	// never anchored, or on a ledger that cannot be read is accepted.
	AnchorOptional AnchorMode = "optional"
	// AnchorRequired: every list must name its anchor (credentialSubject.
	// anchor) and be the anchored latest version there, or one replaced
	// less than AnchorLag ago; anything else fails.
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
	Now        func() time.Time
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
	done chan struct{}
	val  *cachedList
	err  error
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
func (k *Checker) get(ctx context.Context, issuer string, e entry) (*cachedList, error) {
	now := k.cfg.Now()
	k.mu.Lock()
	if l, ok := k.cache[e.listURL]; ok && now.Before(l.expires) {
		k.mu.Unlock()
		return l, nil
	}
	if c, ok := k.inflight[e.listURL]; ok {
		k.mu.Unlock()
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			return nil, vc.Wrap(vc.CodeStatusUnavailable, ctx.Err(), "fetching %s", e.listURL)
		}
	}
	c := &call{done: make(chan struct{})}
	k.inflight[e.listURL] = c
	k.mu.Unlock()

	c.val, c.err = k.load(ctx, issuer, e)

	k.mu.Lock()
	delete(k.inflight, e.listURL)
	if c.err == nil {
		if len(k.cache) >= maxCacheEntries {
			k.evictLocked(now)
		}
		k.cache[e.listURL] = c.val
	}
	k.mu.Unlock()
	close(c.done)
	return c.val, c.err
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

// Forget drops a cached list (an operator's "check again now").
func (k *Checker) Forget(listURL string) {
	k.mu.Lock()
	delete(k.cache, listURL)
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

// checkAnchor compares the hash of the served list with the anchors the
// list names (see AnchorMode): the latest anchored version is accepted,
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
	if id, ok := strings.CutPrefix(ref.Chain, "eip155:"); !ok || !decimal(id) {
		return ref, false, fmt.Errorf("%s.chain %q is not a CAIP-2 eip155 chain id", AnchorProperty, ref.Chain)
	}
	for name, a := range map[string]string{"contract": ref.Contract, "account": ref.Account} {
		if !hexAddress(a) {
			return ref, false, fmt.Errorf("%s.%s %q is not a 0x address", AnchorProperty, name, a)
		}
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
