package issuer

// Status lists: allocation of statusListIndex values, the per-list
// bitstrings, status changes (revoke, suspend, reinstate) and the durable
// state behind them. Publishing and anchoring are in statuspublish.go.
//
// Spec: W3C Bitstring Status List v1.0, https://www.w3.org/TR/vc-bitstring-status-list/
//
// Storage (all in the service's badger store, sync writes):
//
//	status-groups      groupID → statusGroup: the lists that share one index
//	                   space (one per purpose), the permutation key and the
//	                   reservation high-water mark
//	status-current     profileID → groupID of the group being filled
//	status-lists       listID → statusListRecord
//	status-entries     credentialID → statusEntry (its index, lists, state);
//	                   written in the same transaction as the issuance record
//	status-bits-<list> index → 1 for every set bit of that list
//	status-published   listID → PublishedList (the signed list as served)

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/store"
)

// Status purposes this issuer allocates (Bitstring Status List §2.1
// statusPurpose). Every credential gets revocation; suspension when the
// profile enables it.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

// Types of the credentialStatus entry and the list credential (§2.1, §2.2).
const (
	TypeStatusEntry          = "BitstringStatusListEntry"
	TypeStatusListCredential = "BitstringStatusListCredential"
	TypeStatusList           = "BitstringStatusList"
)

// Defaults of StatusConfig.
const (
	DefaultStatusListSize      = status.MinEntries // §6.1: at least 131,072 entries
	DefaultStatusPublishPeriod = 5 * time.Second
	DefaultStatusTTL           = 60 * time.Second
)

// allocBlock is how many indexes one durable reservation covers. A restart
// skips what is left of the current block (at most allocBlock-1 indexes of a
// list are never used), in exchange for one synchronous write per
// allocBlock issuances instead of a contended counter in every issuance.
const allocBlock = 256

// StatusPath is where lists are served, below the public URL.
const StatusPath = "/v1/status/"

// Errors callers branch on.
var (
	ErrStatusDisabled        = errors.New("status lists are not enabled")
	ErrCredentialNotFound    = errors.New("credential not found")
	ErrStatusListNotFound    = errors.New("status list not found")
	ErrNoStatusPurpose       = errors.New("credential has no status entry for this purpose")
	ErrRevocationPermanent   = errors.New("revocation is permanent")
	ErrDuplicateCredentialID = errors.New("a credential with this id was already issued")
)

// StatusConfig configures status lists.
type StatusConfig struct {
	// BaseURL is the public URL of this server; lists are published at
	// BaseURL + StatusPath + listID.
	BaseURL string
	// ListSize is the number of entries per list (default and minimum
	// 131,072). A new list opens when one fills.
	ListSize int
	// PublishInterval is the most often a list is re-signed after a
	// change (default 5 s). Changes within one interval share a version.
	PublishInterval time.Duration
	// TTL is the cache lifetime announced to verifiers, both as the list's
	// ttl (§2.2) and as Cache-Control max-age (default 60 s).
	TTL time.Duration
	// Anchorer, when set, records the hash of every published version on
	// a ledger (see Anchorer).
	Anchorer Anchorer
	// OnPublish, when set, is called with the URL of every list version
	// once it is served (after its anchoring), e.g. so that a status
	// checker in this process drops its cached copy of the list at once
	// instead of when its TTL runs out. It must not block.
	OnPublish func(listURL string)
	Logger    *slog.Logger
}

// statusGroup is a set of lists (one per purpose) that share an index
// space: a credential gets the same index in each.
type statusGroup struct {
	ID        string            `json:"id"`
	ProfileID string            `json:"profileId"`
	Size      int               `json:"size"`
	Key       []byte            `json:"key"`   // permutation key (AES-128)
	Lists     map[string]string `json:"lists"` // purpose → listID
	// Reserved: counters below it may have been handed out; the next
	// process start resumes here. It only grows.
	Reserved  int       `json:"reserved"`
	CreatedAt time.Time `json:"createdAt"`
}

type statusListRecord struct {
	ID        string    `json:"id"`
	GroupID   string    `json:"groupId"`
	ProfileID string    `json:"profileId"`
	Purpose   string    `json:"purpose"`
	Size      int       `json:"size"`
	CreatedAt time.Time `json:"createdAt"`
}

// statusEntry is what the issuer keeps about one credential's status.
type statusEntry struct {
	CredentialID string            `json:"credentialId"`
	ProfileID    string            `json:"profileId"`
	GroupID      string            `json:"groupId"`
	Index        int               `json:"index"`
	Lists        map[string]string `json:"lists"` // purpose → listID
	Revoked      bool              `json:"revoked,omitempty"`
	Suspended    bool              `json:"suspended,omitempty"`
	UpdatedAt    time.Time         `json:"updatedAt,omitzero"`
}

// CredentialStatus is the status of one issued credential.
type CredentialStatus struct {
	CredentialID string `json:"credentialId"`
	// Index is the statusListIndex, the same in every list of the credential.
	Index int `json:"statusListIndex"`
	// Lists maps each purpose to its status list credential URL.
	Lists     map[string]string `json:"statusListCredential"`
	Revoked   bool              `json:"revoked"`
	Suspended bool              `json:"suspended"`
}

// statusSlot is an allocated index, not yet recorded.
type statusSlot struct {
	group *statusGroup
	index int
}

// liveList is a list's bitstring in memory and its publication state.
type liveList struct {
	rec statusListRecord

	mu        sync.Mutex
	bits      *status.List
	dirty     bool           // changed since the last publication
	published *PublishedList // latest version, nil before the first
}

// profileAlloc hands out the indexes of one profile's current group.
type profileAlloc struct {
	mu    sync.Mutex
	group *statusGroup
	perm  *permutation
	next  int
}

// statusLists is the status-list state of a Service.
type statusLists struct {
	svc *Service
	db  *store.DB
	cfg StatusConfig
	log *slog.Logger

	groups    store.Bucket
	current   store.Bucket
	lists     store.Bucket
	entries   store.Bucket
	published store.Bucket

	mu     sync.RWMutex
	allocs map[string]*profileAlloc // profileID →
	live   map[string]*liveList     // listID →

	seed     maphash.Seed
	stripes  [64]sync.Mutex // per-credential order of status changes
	publishM sync.Mutex     // one publication round at a time

	anchorMu sync.Mutex
	pending  []ListHash // published, not yet anchored
}

// EnableStatus turns on status lists for the service: every credential it
// issues from now on carries credentialStatus (unless the request opts out),
// and SetStatus / StatusList work. It loads every list and marks for
// publication those whose stored bits differ from their last published
// version (a change acknowledged just before a crash is published after
// the restart). Call RunStatusPublisher to publish changes.
func (s *Service) EnableStatus(db *store.DB, cfg StatusConfig) error {
	if cfg.BaseURL == "" {
		return fmt.Errorf("issuer: enable status: %w: BaseURL is required", ErrInvalidRequest)
	}
	if cfg.ListSize == 0 {
		cfg.ListSize = DefaultStatusListSize
	}
	if cfg.ListSize < status.MinEntries || cfg.ListSize > status.MaxEntries || cfg.ListSize%8 != 0 {
		return fmt.Errorf("issuer: enable status: %w: list size %d (want a multiple of 8 in [%d, %d])", ErrInvalidRequest, cfg.ListSize, status.MinEntries, status.MaxEntries)
	}
	if cfg.PublishInterval <= 0 {
		cfg.PublishInterval = DefaultStatusPublishPeriod
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultStatusTTL
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &statusLists{
		svc: s, db: db, cfg: cfg, log: log,
		groups: db.Bucket("status-groups"), current: db.Bucket("status-current"),
		lists: db.Bucket("status-lists"), entries: db.Bucket("status-entries"),
		published: db.Bucket("status-published"),
		allocs:    map[string]*profileAlloc{}, live: map[string]*liveList{},
		seed: maphash.MakeSeed(),
	}
	if err := l.load(); err != nil {
		return err
	}
	s.status = l
	return nil
}

// StatusEnabled reports whether EnableStatus was called.
func (s *Service) StatusEnabled() bool { return s.status != nil }

func (l *statusLists) bitsBucket(listID string) store.Bucket {
	return l.db.Bucket("status-bits-" + listID)
}

func (l *statusLists) listURL(listID string) string {
	return l.cfg.BaseURL + StatusPath + listID
}

// load reads every list, its set bits and its last publication.
func (l *statusLists) load() error {
	var recs []statusListRecord
	err := l.lists.Each(0, func(_ string, val []byte) error {
		var r statusListRecord
		if err := json.Unmarshal(val, &r); err != nil {
			return err
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("issuer: load status lists: %w", err)
	}
	for _, r := range recs {
		ll, err := l.loadList(r)
		if err != nil {
			return err
		}
		l.live[r.ID] = ll
		if ll.published != nil && !ll.published.Anchored && l.cfg.Anchorer != nil {
			l.pending = append(l.pending, ll.published.listHash())
		}
	}
	return nil
}

func (l *statusLists) loadList(r statusListRecord) (*liveList, error) {
	bits, err := status.New(r.Size)
	if err != nil {
		return nil, fmt.Errorf("issuer: load status list %s: %w", r.ID, err)
	}
	err = l.bitsBucket(r.ID).Each(0, func(key string, _ []byte) error {
		i, err := strconv.Atoi(key)
		if err != nil {
			return err
		}
		return bits.Set(i, true)
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: load status list %s bits: %w", r.ID, err)
	}
	ll := &liveList{rec: r, bits: bits, dirty: true}
	var pub PublishedList
	switch err := l.published.GetJSON(r.ID, &pub); {
	case err == nil:
		ll.published = &pub
		ll.dirty = pub.BitsHash != bitsHash(bits)
	case errors.Is(err, store.ErrNotFound):
	default:
		return nil, fmt.Errorf("issuer: load status list %s publication: %w", r.ID, err)
	}
	return ll, nil
}

// attachStatus allocates an index for a credential about to be signed and
// writes its credentialStatus entries into doc (§2.1). It returns nil when
// status is off for this request. The slot becomes durable with the
// issuance record (recordIssued), before the credential is returned.
func (s *Service) attachStatus(ctx context.Context, doc map[string]any, p *Profile, o Options) (*statusSlot, error) {
	if s.status == nil || (o.CredentialStatus != nil && !*o.CredentialStatus) {
		return nil, nil
	}
	if _, ok := doc["credentialStatus"]; ok {
		return nil, fmt.Errorf("%w: credentialStatus is assigned by the issuer (set options.credentialStatus to false to send your own)", ErrInvalidRequest)
	}
	slot, err := s.status.allocate(ctx, p)
	if err != nil {
		return nil, err
	}
	var entries []any
	for _, purpose := range []string{PurposeRevocation, PurposeSuspension} {
		listID, ok := slot.group.Lists[purpose]
		if !ok {
			continue
		}
		u := s.status.listURL(listID)
		idx := strconv.Itoa(slot.index)
		entries = append(entries, map[string]any{
			"id":                   u + "#" + idx,
			"type":                 TypeStatusEntry,
			"statusPurpose":        purpose,
			"statusListIndex":      idx, // §2.1: a base-10 string
			"statusListCredential": u,
		})
	}
	if len(entries) == 1 {
		doc["credentialStatus"] = entries[0]
	} else {
		doc["credentialStatus"] = entries
	}
	return slot, nil
}

// recordIssued writes the issuance record and, when an index was
// allocated, its status entry in one transaction: either both are durable
// or neither is, and the credential is returned only after.
func (s *Service) recordIssued(rec Record, slot *statusSlot) error {
	if slot == nil {
		if err := s.records.PutJSON(rec.ID, rec); err != nil {
			return fmt.Errorf("issuer: record %s: %w", rec.ID, err)
		}
		return nil
	}
	l := s.status
	rawRec, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("issuer: record %s: %w", rec.ID, err)
	}
	e := statusEntry{CredentialID: rec.ID, ProfileID: rec.ProfileID, GroupID: slot.group.ID, Index: slot.index, Lists: slot.group.Lists}
	rawEntry, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("issuer: status entry %s: %w", rec.ID, err)
	}
	err = l.db.Batch(func(tx store.Tx) error {
		if _, err := tx.Get(l.entries, rec.ID); err == nil {
			return ErrDuplicateCredentialID
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.Put(s.records, rec.ID, rawRec, 0); err != nil {
			return err
		}
		return tx.Put(l.entries, rec.ID, rawEntry, 0)
	})
	if errors.Is(err, ErrDuplicateCredentialID) {
		return fmt.Errorf("%w: %w: %s", ErrInvalidRequest, ErrDuplicateCredentialID, rec.ID)
	}
	if err != nil {
		return fmt.Errorf("issuer: record %s: %w", rec.ID, err)
	}
	return nil
}

func (l *statusLists) allocFor(profileID string) *profileAlloc {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.allocs[profileID]
	if !ok {
		a = &profileAlloc{}
		l.allocs[profileID] = a
	}
	return a
}

// allocate draws the next index of the profile's current group: counter
// i maps to perm(i), so indexes come out in a random order and never
// repeat (§6.1 Group Privacy). The counter is reserved durably in blocks
// before use; a restart resumes after the last reservation, so an index
// is never handed out twice, not after kill -9 either.
func (l *statusLists) allocate(ctx context.Context, p *Profile) (*statusSlot, error) {
	a := l.allocFor(p.ID)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.group == nil {
		if err := l.resume(a, p.ID); err != nil {
			return nil, err
		}
	}
	if a.group == nil || a.next >= a.group.Size {
		if err := l.newGroup(ctx, a, p); err != nil {
			return nil, err
		}
	}
	if a.next >= a.group.Reserved {
		g := *a.group
		g.Reserved = min(a.next+allocBlock, g.Size)
		if err := l.groups.PutJSON(g.ID, g); err != nil {
			return nil, fmt.Errorf("issuer: reserve status indexes: %w", err)
		}
		a.group = &g
	}
	i := a.perm.at(a.next)
	a.next++
	return &statusSlot{group: a.group, index: i}, nil
}

// resume loads the profile's current group; its counter restarts at the
// reservation mark, skipping whatever was reserved but maybe unused.
func (l *statusLists) resume(a *profileAlloc, profileID string) error {
	gid, err := l.current.Get(profileID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("issuer: status group of %s: %w", profileID, err)
	}
	var g statusGroup
	if err := l.groups.GetJSON(string(gid), &g); err != nil {
		return fmt.Errorf("issuer: status group %s: %w", gid, err)
	}
	perm, err := newPermutation(g.Key, g.Size)
	if err != nil {
		return err
	}
	a.group, a.perm, a.next = &g, perm, g.Reserved
	return nil
}

// newGroup opens a new group of lists for the profile, stores it as the
// profile's current one, and publishes the (empty) lists, so that a list is
// served before any credential pointing at it is returned.
func (l *statusLists) newGroup(ctx context.Context, a *profileAlloc, p *Profile) error {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("issuer: status group key: %w", err)
	}
	now := l.svc.now().UTC()
	g := &statusGroup{ID: uuid.NewString(), ProfileID: p.ID, Size: l.cfg.ListSize, Key: key, Lists: map[string]string{}, CreatedAt: now}
	purposes := []string{PurposeRevocation}
	if p.Suspension {
		purposes = append(purposes, PurposeSuspension)
	}
	var recs []statusListRecord
	for _, purpose := range purposes {
		r := statusListRecord{ID: uuid.NewString(), GroupID: g.ID, ProfileID: p.ID, Purpose: purpose, Size: g.Size, CreatedAt: now}
		g.Lists[purpose] = r.ID
		recs = append(recs, r)
	}
	perm, err := newPermutation(g.Key, g.Size)
	if err != nil {
		return err
	}
	err = l.db.Update(func(tx store.Tx) error {
		raw, err := json.Marshal(g)
		if err != nil {
			return err
		}
		if err := tx.Put(l.groups, g.ID, raw, 0); err != nil {
			return err
		}
		for _, r := range recs {
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := tx.Put(l.lists, r.ID, raw, 0); err != nil {
				return err
			}
		}
		return tx.Put(l.current, p.ID, []byte(g.ID), 0)
	})
	if err != nil {
		return fmt.Errorf("issuer: new status group: %w", err)
	}
	var created []*liveList
	for _, r := range recs {
		bits, err := status.New(r.Size)
		if err != nil {
			return err
		}
		ll := &liveList{rec: r, bits: bits, dirty: true}
		created = append(created, ll)
	}
	l.mu.Lock()
	for _, ll := range created {
		l.live[ll.rec.ID] = ll
	}
	l.mu.Unlock()
	if _, err := l.publish(ctx, created...); err != nil {
		return err
	}
	a.group, a.perm, a.next = g, perm, 0
	l.log.Info("status lists opened", "profile", p.ID, "group", g.ID, "lists", g.Lists, "size", g.Size)
	return nil
}

func (l *statusLists) list(listID string) (*liveList, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ll, ok := l.live[listID]
	return ll, ok
}

// StatusChange is one requested change: set the entry of Purpose to Value.
type StatusChange struct {
	Purpose string
	Value   bool
}

// SetStatus changes the status of an issued credential: revocation true
// revokes (permanently), suspension true suspends and false reinstates.
// It is durable when it returns; the list is re-signed at the next publish
// tick. Errors: ErrCredentialNotFound, ErrNoStatusPurpose,
// ErrRevocationPermanent (un-revoking, or reinstating a revoked credential).
func (s *Service) SetStatus(ctx context.Context, credentialID string, changes ...StatusChange) (*CredentialStatus, error) {
	l := s.status
	if l == nil {
		return nil, ErrStatusDisabled
	}
	mu := &l.stripes[maphash.String(l.seed, credentialID)%uint64(len(l.stripes))]
	mu.Lock()
	defer mu.Unlock()

	var e statusEntry
	var flips []StatusChange // bits that changed
	err := l.db.Update(func(tx store.Tx) error {
		flips = flips[:0]
		raw, err := tx.Get(l.entries, credentialID)
		if errors.Is(err, store.ErrNotFound) {
			if _, rerr := tx.Get(s.records, credentialID); rerr == nil {
				return fmt.Errorf("%w: %s was issued without credentialStatus", ErrNoStatusPurpose, credentialID)
			}
			return fmt.Errorf("%w: %s", ErrCredentialNotFound, credentialID)
		}
		if err != nil {
			return err
		}
		e = statusEntry{}
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		for _, c := range changes {
			if _, ok := e.Lists[c.Purpose]; !ok {
				return fmt.Errorf("%w: %s has no %q entry", ErrNoStatusPurpose, credentialID, c.Purpose)
			}
			switch {
			case c.Purpose == PurposeRevocation && e.Revoked && !c.Value:
				return fmt.Errorf("%w: %s is revoked", ErrRevocationPermanent, credentialID)
			case c.Purpose == PurposeSuspension && e.Revoked && !c.Value:
				return fmt.Errorf("%w: %s is revoked and cannot be reinstated", ErrRevocationPermanent, credentialID)
			}
			cur := &e.Revoked
			if c.Purpose == PurposeSuspension {
				cur = &e.Suspended
			}
			if *cur == c.Value {
				continue
			}
			*cur = c.Value
			flips = append(flips, c)
			bits, key := l.bitsBucket(e.Lists[c.Purpose]), strconv.Itoa(e.Index)
			if c.Value {
				err = tx.Put(bits, key, []byte{1}, 0)
			} else {
				err = tx.Delete(bits, key)
			}
			if err != nil {
				return err
			}
		}
		if len(flips) == 0 {
			return nil
		}
		e.UpdatedAt = s.now().UTC()
		raw, err = json.Marshal(e)
		if err != nil {
			return err
		}
		return tx.Put(l.entries, credentialID, raw, 0)
	})
	if err != nil {
		if errors.Is(err, ErrCredentialNotFound) || errors.Is(err, ErrNoStatusPurpose) || errors.Is(err, ErrRevocationPermanent) {
			return nil, err
		}
		return nil, fmt.Errorf("issuer: set status of %s: %w", credentialID, err)
	}
	for _, f := range flips {
		ll, ok := l.list(e.Lists[f.Purpose])
		if !ok {
			return nil, fmt.Errorf("issuer: set status of %s: list %s is not loaded", credentialID, e.Lists[f.Purpose])
		}
		ll.mu.Lock()
		err := ll.bits.Set(e.Index, f.Value)
		ll.dirty = true
		ll.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("issuer: set status of %s: %w", credentialID, err)
		}
	}
	if s.audit != nil && len(flips) > 0 { // one audit entry per change that took effect
		ev := audit.Event{Type: audit.TypeStatus, Decision: audit.DecisionChanged, CredentialIDs: []string{credentialID}}
		if rec, err := s.Record(credentialID); err == nil {
			ev.Issuer, ev.Holder, ev.CredentialTypes = rec.Issuer, rec.Subject, rec.Types
		}
		for _, f := range flips {
			word := "revoked" // revocation never flips back
			switch {
			case f.Purpose == PurposeSuspension && f.Value:
				word = "suspended"
			case f.Purpose == PurposeSuspension:
				word = "reinstated"
			}
			if ev.Status != "" {
				ev.Status += ","
			}
			ev.Status += word
		}
		if err := s.audit.Record(ctx, ev); err != nil {
			return nil, fmt.Errorf("issuer: audit status of %s: %w", credentialID, err)
		}
	}
	return l.view(e), nil
}

// Status returns the status of an issued credential.
func (s *Service) Status(credentialID string) (*CredentialStatus, error) {
	l := s.status
	if l == nil {
		return nil, ErrStatusDisabled
	}
	var e statusEntry
	if err := l.entries.GetJSON(credentialID, &e); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if _, rerr := s.records.Get(credentialID); rerr == nil {
				return nil, fmt.Errorf("%w: %s was issued without credentialStatus", ErrNoStatusPurpose, credentialID)
			}
			return nil, fmt.Errorf("%w: %s", ErrCredentialNotFound, credentialID)
		}
		return nil, fmt.Errorf("issuer: status of %s: %w", credentialID, err)
	}
	return l.view(e), nil
}

func (l *statusLists) view(e statusEntry) *CredentialStatus {
	cs := &CredentialStatus{CredentialID: e.CredentialID, Index: e.Index, Lists: map[string]string{}, Revoked: e.Revoked, Suspended: e.Suspended}
	for purpose, id := range e.Lists {
		cs.Lists[purpose] = l.listURL(id)
	}
	return cs
}

// StatusListIDs lists the ids of every status list, sorted.
func (s *Service) StatusListIDs() []string {
	if s.status == nil {
		return nil
	}
	s.status.mu.RLock()
	defer s.status.mu.RUnlock()
	ids := make([]string, 0, len(s.status.live))
	for id := range s.status.live {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
