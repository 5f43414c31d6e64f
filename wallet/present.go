package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

// PresentationTTL is the lifetime of a presentation: long enough to carry
// it to the verifier, short enough that a leaked one soon stops working
// (the gateway's challenge lives as long).
const PresentationTTL = 5 * time.Minute

// Present builds a jwt_vp_json presentation (VCDM 1.1 §6.3.1: "vp" claim,
// iss = holder, nonce = challenge, aud = domain) of the credentials named in
// credIDs, signed by the key of holderDID with the DID's authentication
// method as kid.
//
// With no credIDs it presents every credential whose subject is the holder;
// none is ErrNoCredentials. With an empty holderDID the holder is the one
// wallet DID the named (or, with none named, the stored) credentials are
// about, else the wallet's only DID; more than one is ErrNoHolder.
func (w *Wallet) Present(ctx context.Context, challenge, audience string, credIDs []string, holderDID string) (string, error) {
	holder, chosen, err := w.choose(ctx, challenge, audience, credIDs, holderDID)
	if err != nil {
		return "", err
	}
	creds := make([]any, len(chosen))
	for i, e := range chosen {
		// A JWT credential travels as its string, an ldp_vc as its object
		// (VCDM 1.1 §6.3.1 allows both inside "vp").
		if creds[i], err = e.Credential(); err != nil {
			return "", err
		}
	}
	jti := "urn:uuid:" + uuid.NewString()
	vp := map[string]any{
		"@context":             []any{vc.ContextV1},
		"type":                 []any{vc.TypePresentation},
		"id":                   jti,
		"holder":               holder.DID,
		"verifiableCredential": creds,
	}
	signer, err := w.kms.Signer(holder.KeyID)
	if err != nil {
		return "", fmt.Errorf("wallet: present: key of %s: %w", holder.DID, err)
	}
	tok, err := vcjose.SignPresentation(vp, vcjose.JWTVPJSON, signer, holder.VerificationMethod,
		holder.DID, challenge, audience, jti, w.now(), PresentationTTL)
	if err != nil {
		return "", fmt.Errorf("wallet: present: %w", err)
	}
	return tok, nil
}

// choose picks the holder DID and the credentials to present (see Present).
func (w *Wallet) choose(ctx context.Context, challenge, audience string, credIDs []string, holderDID string) (DIDEntry, []Entry, error) {
	if challenge == "" || audience == "" {
		return DIDEntry{}, nil, errors.New("wallet: present: a challenge and an audience are required (they stop replay elsewhere)")
	}
	if err := ctx.Err(); err != nil {
		return DIDEntry{}, nil, err
	}
	dids, err := w.DIDs()
	if err != nil {
		return DIDEntry{}, nil, err
	}
	var chosen, all []Entry
	for _, id := range credIDs {
		e, err := w.Get(id)
		if err != nil {
			return DIDEntry{}, nil, err
		}
		if !slices.ContainsFunc(chosen, func(c Entry) bool { return c.ID == e.ID }) {
			chosen = append(chosen, e)
		}
	}
	candidates := chosen
	if len(credIDs) == 0 {
		if all, err = w.List(); err != nil {
			return DIDEntry{}, nil, err
		}
		candidates = all
	}
	holder, err := pickHolder(dids, candidates, holderDID)
	if err != nil {
		return DIDEntry{}, nil, err
	}
	if len(credIDs) == 0 {
		for _, e := range all {
			if e.Subject == holder.DID {
				chosen = append(chosen, e)
			}
		}
		if len(chosen) == 0 {
			return DIDEntry{}, nil, fmt.Errorf("%w: none is about %s", ErrNoCredentials, holder.DID)
		}
	}
	if len(chosen) > verifier.MaxCredentials {
		return DIDEntry{}, nil, fmt.Errorf("wallet: present: %d credentials; verifiers take at most %d", len(chosen), verifier.MaxCredentials)
	}
	return holder, chosen, nil
}

// pickHolder decides which DID signs.
func pickHolder(dids []DIDEntry, chosen []Entry, want string) (DIDEntry, error) {
	find := func(d string) (DIDEntry, bool) {
		i := slices.IndexFunc(dids, func(e DIDEntry) bool { return e.DID == d })
		if i < 0 {
			return DIDEntry{}, false
		}
		return dids[i], true
	}
	if want != "" {
		e, ok := find(want)
		if !ok {
			return DIDEntry{}, fmt.Errorf("%w: DID %s is not in this wallet", ErrNotFound, want)
		}
		return e, nil
	}
	var mine []DIDEntry
	for _, c := range chosen {
		if e, ok := find(c.Subject); ok && !slices.ContainsFunc(mine, func(m DIDEntry) bool { return m.DID == e.DID }) {
			mine = append(mine, e)
		}
	}
	switch {
	case len(mine) == 1:
		return mine[0], nil
	case len(mine) > 1:
		return DIDEntry{}, fmt.Errorf("%w: the credentials are about %d of your DIDs; name the holder", ErrNoHolder, len(mine))
	case len(dids) == 1:
		return dids[0], nil
	case len(dids) == 0:
		return DIDEntry{}, fmt.Errorf("%w: the wallet has no DID (run `cflow wallet did create`)", ErrNoHolder)
	}
	return DIDEntry{}, fmt.Errorf("%w: the wallet has %d DIDs; name the holder", ErrNoHolder, len(dids))
}
