package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// StatusListFormat is the format status list credentials are signed in:
// VC-JOSE-COSE over a VCDM 2.0 credential, the data model Bitstring Status
// List is written for (§2.2). Verifiers of either credential format read it.
const StatusListFormat = vcjose.VCJWT

// PublishedList is one signed version of a status list, as served.
type PublishedList struct {
	ListID  string `json:"listId"`
	URL     string `json:"url"`
	Issuer  string `json:"issuer"`
	Purpose string `json:"purpose"`
	Version int    `json:"version"`
	// Credential is the BitstringStatusListCredential as a compact JWS
	// (media type application/vc+jwt); it is served byte for byte.
	Credential string `json:"credential"`
	// Hash is the hex SHA-256 of Credential: what is anchored on the ledger
	// and what a verifier recomputes over the body it fetched.
	Hash        string    `json:"hash"`
	BitsHash    string    `json:"bitsHash"` // hex SHA-256 of the raw bitstring
	PublishedAt time.Time `json:"publishedAt"`
	Anchored    bool      `json:"anchored,omitempty"`
}

// ETag is a strong entity tag of this version (RFC 9110 §8.8.3).
func (p *PublishedList) ETag() string { return `"` + p.Hash[:32] + `"` }

func bitsHash(l *status.List) string {
	sum := sha256.Sum256(l.Bytes())
	return hex.EncodeToString(sum[:])
}

// StatusList returns the latest published version of a list.
func (s *Service) StatusList(listID string) (*PublishedList, error) {
	if s.status == nil {
		return nil, ErrStatusDisabled
	}
	ll, ok := s.status.list(listID)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrStatusListNotFound, listID)
	}
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.published == nil {
		return nil, fmt.Errorf("%w: %s is not published yet", ErrStatusListNotFound, listID)
	}
	return ll.published, nil
}

// StatusTTL is the configured cache lifetime of a status list.
func (s *Service) StatusTTL() time.Duration {
	if s.status == nil {
		return 0
	}
	return s.status.cfg.TTL
}

// RunStatusPublisher publishes changed lists once per publish interval
// until ctx ends, then once more so that nothing acknowledged is left
// unpublished on a clean shutdown.
func (s *Service) RunStatusPublisher(ctx context.Context) {
	if s.status == nil {
		return
	}
	t := time.NewTicker(s.status.cfg.PublishInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if _, err := s.PublishStatusLists(sctx); err != nil {
				s.status.log.Error("status lists: final publish", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if _, err := s.PublishStatusLists(ctx); err != nil {
				s.status.log.Error("status lists: publish", "err", err)
			}
		}
	}
}

// PublishStatusLists re-signs every list changed since its last version,
// anchors the new versions (and any earlier ones whose anchoring failed)
// in one transaction, and only then serves them. It returns how many lists
// it published.
func (s *Service) PublishStatusLists(ctx context.Context) (int, error) {
	l := s.status
	if l == nil {
		return 0, ErrStatusDisabled
	}
	l.publishM.Lock()
	defer l.publishM.Unlock()
	l.mu.RLock()
	var dirty []*liveList
	for _, ll := range l.live {
		ll.mu.Lock()
		if ll.dirty {
			dirty = append(dirty, ll)
		}
		ll.mu.Unlock()
	}
	l.mu.RUnlock()
	pubs, err, aerr := l.publishLocked(ctx, dirty)
	return len(pubs), errors.Join(err, aerr)
}

// publish signs, anchors and stores a new version of each list (used when
// lists open).
// A failed anchoring is logged, not returned: the lists are served.
func (l *statusLists) publish(ctx context.Context, lls ...*liveList) ([]*PublishedList, error) {
	l.publishM.Lock()
	defer l.publishM.Unlock()
	pubs, err, aerr := l.publishLocked(ctx, lls)
	if aerr != nil {
		l.log.Error("status lists: anchor new lists", "err", aerr)
	}
	return pubs, err
}

// publishLocked is one publication round: sign a new version of every
// list, anchor them all in one batch, then store and serve them.
//
// Anchoring before serving means a verifier that requires anchors never
// fetches a version whose anchor is still being mined. When the ledger
// fails, the versions are served anyway (a revocation must not wait for a
// chain) and stay pending: the next round anchors them, and until then
// such verifiers answer status_unanchored, which is the truth. err is
// about signing and storing, anchorErr about the ledger.
func (l *statusLists) publishLocked(ctx context.Context, lls []*liveList) (_ []*PublishedList, err, anchorErr error) {
	var errs []error
	var signed []*liveList
	var pubs []*PublishedList
	for _, ll := range lls {
		pub, err := l.sign(ll)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		signed = append(signed, ll)
		pubs = append(pubs, pub)
	}
	if l.cfg.Anchorer != nil && len(pubs)+l.pendingCount() > 0 {
		fresh := make([]ListHash, len(pubs))
		for i, p := range pubs {
			fresh[i] = p.listHash()
		}
		var anchored bool
		anchored, anchorErr = l.anchor(ctx, fresh)
		for _, p := range pubs {
			p.Anchored = anchored
		}
	}
	var out []*PublishedList
	for i, ll := range signed {
		if err := l.commit(ll, pubs[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, pubs[i])
		if l.cfg.OnPublish != nil {
			l.cfg.OnPublish(pubs[i].URL)
		}
	}
	return out, errors.Join(errs...), anchorErr
}

// sign builds and signs the next version of ll. ll stays clean from here
// on unless it changes again or the round fails for it (commit).
func (l *statusLists) sign(ll *liveList) (*PublishedList, error) {
	p, err := l.svc.Profile(ll.rec.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("issuer: publish status list %s: %w", ll.rec.ID, err)
	}
	ll.mu.Lock()
	enc, err := ll.bits.Encode()
	bh := bitsHash(ll.bits)
	version := 1
	if ll.published != nil {
		version = ll.published.Version + 1
	}
	ll.dirty = false // changes from here on make it dirty again
	ll.mu.Unlock()
	fail := func(err error) (*PublishedList, error) {
		ll.mu.Lock()
		ll.dirty = true
		ll.mu.Unlock()
		return nil, fmt.Errorf("issuer: publish status list %s: %w", ll.rec.ID, err)
	}
	if err != nil {
		return fail(err)
	}
	now := l.svc.now().UTC()
	u := l.listURL(ll.rec.ID)
	// §2.2 BitstringStatusListCredential; ttl is in milliseconds.
	subject := map[string]any{
		"id":            u + "#list",
		"type":          TypeStatusList,
		"statusPurpose": ll.rec.Purpose,
		"encodedList":   enc,
		"ttl":           l.cfg.TTL.Milliseconds(),
	}
	if l.cfg.Anchorer != nil {
		// Where this list's versions are anchored, under the issuer's
		// signature: see AnchorRef.
		subject[AnchorProperty] = l.cfg.Anchorer.Ref().JSON()
	}
	doc := map[string]any{
		"@context":          []any{vc.ContextV2},
		"id":                u,
		"type":              []any{vc.TypeCredential, TypeStatusListCredential},
		"issuer":            p.DID,
		"validFrom":         vc.FormatDateTime(now),
		"credentialSubject": subject,
	}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		return fail(err)
	}
	signer, err := l.svc.keys.Signer(p.KeyID)
	if err != nil {
		return fail(err)
	}
	jws, err := vcjose.SignCredential(c, StatusListFormat, signer, p.VerificationMethod)
	if err != nil {
		return fail(err)
	}
	sum := sha256.Sum256([]byte(jws))
	return &PublishedList{
		ListID: ll.rec.ID, URL: u, Issuer: p.DID, Purpose: ll.rec.Purpose, Version: version,
		Credential: jws, Hash: hex.EncodeToString(sum[:]), BitsHash: bh, PublishedAt: now,
	}, nil
}

// commit stores pub and serves it.
func (l *statusLists) commit(ll *liveList, pub *PublishedList) error {
	if err := l.published.PutJSON(ll.rec.ID, pub); err != nil {
		ll.mu.Lock()
		ll.dirty = true
		ll.mu.Unlock()
		return fmt.Errorf("issuer: publish status list %s: %w", ll.rec.ID, err)
	}
	ll.mu.Lock()
	ll.published = pub
	ll.mu.Unlock()
	return nil
}

func (p *PublishedList) listHash() ListHash {
	h := ListHash{Issuer: p.Issuer, ListID: p.URL, Version: p.Version, PublishedAt: p.PublishedAt}
	if b, err := hex.DecodeString(p.Hash); err == nil {
		copy(h.Hash[:], b)
	}
	return h
}
