package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/credentialflow/cflow/internal/kms"
)

// RotateRequest is the body of POST /v1/issuers/{id}/rotate.
type RotateRequest struct {
	// KeepOldUntil is when the current key is revoked on the ledger. Until
	// then credentials it signed keep verifying. Default: the latest expiry
	// of the credentials it signed, DefaultKeepOldKey from now if one of them
	// never expires, now if it signed none. A time in the past revokes at
	// once.
	KeepOldUntil *time.Time `json:"keepOldUntil,omitempty"`
	// KeyType of the new key; default the profile's.
	KeyType string `json:"keyType,omitempty"`
}

// Rotation is the answer of RotateKey.
type Rotation struct {
	Profile *Profile `json:"profile"`
	// Previous is the rotated-out verification method, valid until
	// PreviousValidUntil, then revoked (already, if PreviousRevoked).
	Previous           string    `json:"previousVerificationMethod"`
	PreviousValidUntil time.Time `json:"previousValidUntil"`
	PreviousRevoked    bool      `json:"previousRevoked"`
}

// RotateKey publishes a new signing key for an ethr profile, makes it the
// profile's key, and schedules the revocation of the old one (ERC-1056
// revokeAttribute) at KeepOldUntil. The old key's attribute stays as it was
// until then: re-publishing it with a shorter validity would give it a new
// verification method id (did:ethr spec, "id properties of entries") and
// break every credential whose kid names the old one.
func (s *Service) RotateKey(ctx context.Context, ref string, req RotateRequest) (*Rotation, error) {
	e := s.ethr.Load()
	p, err := s.Profile(ref)
	if err != nil {
		return nil, err
	}
	if p.Method != MethodEthr {
		return nil, fmt.Errorf("%w: profile %s is did:%s; only did:ethr profiles rotate keys (their DID stays, the key changes)", ErrInvalidRequest, p.ID, p.Method)
	}
	if e == nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, ErrNoLedger)
	}
	kt := kms.KeyType(p.KeyType)
	if req.KeyType != "" {
		if kt, err = kms.ParseKeyType(req.KeyType); err != nil {
			return nil, fmt.Errorf("%w: keyType %q (want Ed25519 or P-256)", ErrInvalidRequest, req.KeyType)
		}
	}
	if kt == kms.Secp256k1 {
		return nil, fmt.Errorf("%w: a secp256k1 profile signs with its controller key; rotating it means a new owner, which this server does not do (create an Ed25519 or P-256 ethr profile to rotate keys)", ErrInvalidRequest)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := s.EthrRecord(p.ID)
	if err != nil {
		return nil, err
	}
	cur := -1
	for i, k := range rec.Keys {
		if k.KeyID == p.KeyID {
			cur = i
		}
	}
	if cur < 0 || rec.Keys[cur].Attribute == "" {
		return nil, fmt.Errorf("issuer: profile %s: current key not in its ledger record", p.ID)
	}
	now := e.cfg.Now().UTC()
	until, err := s.keepUntil(p.ID, rec.Keys[cur].PublishedAt, now, e.cfg.KeepOldKey)
	if err != nil {
		return nil, err
	}
	if req.KeepOldUntil != nil {
		until = req.KeepOldUntil.UTC()
	}
	if until.Before(now) {
		until = now
	}

	k, err := s.publishEthrKey(ctx, e, rec, kt)
	if err != nil {
		return nil, err
	}
	rec.Keys[cur].RevokeAt = until
	rec.Keys = append(rec.Keys, *k)
	if err := e.records.PutJSON(p.ID, rec); err != nil {
		return nil, fmt.Errorf("issuer: save ethr record: %w", err)
	}
	np := *p
	np.KeyID, np.VerificationMethod, np.KeyType = k.KeyID, k.VerificationMethod, string(kt)
	if err := s.profiles.PutJSON(np.ID, &np); err != nil {
		return nil, fmt.Errorf("issuer: save profile: %w", err)
	}
	s.remember(&np)
	e.cfg.OnChange(np.DID)
	out := &Rotation{Profile: &np, Previous: rec.Keys[cur].VerificationMethod, PreviousValidUntil: until}
	if !until.After(now) {
		if err := s.revokeDue(ctx, e, rec, now); err != nil {
			return out, err
		}
		out.PreviousRevoked = true
	}
	return out, nil
}

// keepUntil is the default deadline of a rotated-out key: the latest expiry
// of what profileID issued since the key was published.
func (s *Service) keepUntil(profileID string, since, now time.Time, forever time.Duration) (time.Time, error) {
	until := now
	err := s.records.Each(0, func(_ string, val []byte) error {
		var r Record
		if err := json.Unmarshal(val, &r); err != nil {
			return err
		}
		if r.ProfileID != profileID || r.IssuedAt.Before(since.Add(-time.Second)) {
			return nil
		}
		exp := r.ExpiresAt
		if exp.IsZero() {
			exp = now.Add(forever)
		}
		if exp.After(until) {
			until = exp
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("issuer: scan issued credentials: %w", err)
	}
	return until, nil
}

// revokeDue revokes every rotated-out key of rec whose time has come, and
// saves rec after each.
func (s *Service) revokeDue(ctx context.Context, e *ethrIssuers, rec *EthrRecord, now time.Time) error {
	owner := kmsOwner{keys: s.keys, id: rec.ControllerKeyID, addr: rec.Address}
	d := e.cfg.Controller.DID(rec.Address)
	for i := range rec.Keys {
		k := &rec.Keys[i]
		if k.RevokeAt.IsZero() || !k.RevokedAt.IsZero() || k.RevokeAt.After(now) || k.Attribute == "" {
			continue
		}
		if _, err := e.cfg.Controller.RevokeAttribute(ctx, owner, rec.Address, k.Attribute, k.Value); err != nil {
			return fmt.Errorf("issuer: revoke %s: %w", k.VerificationMethod, err)
		}
		k.RevokedAt = e.cfg.Now().UTC()
		if err := e.records.PutJSON(rec.ProfileID, rec); err != nil {
			return fmt.Errorf("issuer: save ethr record: %w", err)
		}
		e.cfg.OnChange(d)
		e.cfg.Logger.Info("revoked rotated-out key", "did", d, "verification_method", k.VerificationMethod)
	}
	return nil
}

// RevokeDueKeys revokes the rotated-out keys of every ethr profile whose
// deadline has passed. A key whose deadline passed while the server was
// down is revoked on the first run.
func (s *Service) RevokeDueKeys(ctx context.Context) error {
	e := s.ethr.Load()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var recs []*EthrRecord
	err := e.records.Each(0, func(_ string, val []byte) error {
		rec := &EthrRecord{}
		if err := json.Unmarshal(val, rec); err != nil {
			return err
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("issuer: list ethr records: %w", err)
	}
	now := e.cfg.Now().UTC()
	var first error
	for _, rec := range recs {
		if err := s.revokeDue(ctx, e, rec, now); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// RunKeyRevoker calls RevokeDueKeys every interval until ctx ends.
func (s *Service) RunKeyRevoker(ctx context.Context, interval time.Duration) {
	e := s.ethr.Load()
	if e == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RevokeDueKeys(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("key revocation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
