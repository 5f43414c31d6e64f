package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// CodeKeyRevokedSince warns that a credential verified with a key its
// issuer has revoked since, because Config.VerifyAtIssuanceTime is on.
const CodeKeyRevokedSince = "key_revoked_since_issuance"

// keyAtIssuance runs when vmID is not a current purpose-method of its DID.
// It tells "never a key of this DID" (key_not_found) from "a key when the
// token says it was issued, revoked or expired since" (key_revoked) by
// resolving the DID as it was then: DID Resolution's versionTime parameter
// (DID Core §3.2.1), which did:ethr answers from the registry's history
// (did:ethr spec, "versionTime"). Methods without history answer with the
// current document, so their missing keys stay key_not_found.
//
// With Config.VerifyAtIssuanceTime the historical key is used, with a
// warning. The issuance time comes from the token, so whoever holds a
// revoked key can backdate: that is why it is off by default.
func (v *Verifier) keyAtIssuance(ctx context.Context, r *Result, t *vcjose.Token, vmID string, purpose did.Purpose, cause error) (*did.VerificationMethod, *did.Resolution, error) {
	fail := func() (*did.VerificationMethod, *did.Resolution, error) {
		return nil, nil, resolveError(vmID, purpose, cause)
	}
	if !errors.Is(cause, did.ErrMethodNotAuthorized) {
		return fail()
	}
	u, err := did.ParseURL(vmID)
	at, ok := issuedAt(t)
	if err != nil || u.Fragment == "" || len(u.Query) > 0 || !ok {
		return fail()
	}
	vm, res := v.pastMethod(ctx, u, at, purpose)
	if vm == nil {
		return fail()
	}
	vm.ID = u.DID.String() + "#" + u.Fragment
	if !v.cfg.VerifyAtIssuanceTime {
		return nil, nil, vc.Errorf(vc.CodeKeyRevoked, "%s was a key of its DID (%s) when the token was issued (%s) but has been revoked or has expired since",
			vmID, purpose, at.UTC().Format(time.RFC3339))
	}
	r.warn(CodeKeyRevokedSince, fmt.Sprintf("%s has been revoked or has expired since the token was issued; accepted because this verifier resolves keys at issuance time", vmID))
	return vm, res, nil
}

// maxVersionsWalked bounds the versions keyAtIssuance reads after the
// issuance time.
const maxVersionsWalked = 16

// pastMethod looks for the method u names in the DID's document as it was
// at time at (versionTime), then in the versions that followed within the
// skew (versionId = the previous answer's nextVersionId, did:ethr spec
// "Metadata"). The skew covers clocks, and chains whose block timestamps
// run ahead of the wall clock: a dev chain gives every block at least one
// second more than its parent, however fast they come, so a key published
// just before a credential was signed can carry a later block time.
func (v *Verifier) pastMethod(ctx context.Context, u did.URL, at time.Time, purpose did.Purpose) (*did.VerificationMethod, *did.Resolution) {
	q := url.Values{"versionTime": {at.UTC().Format(time.RFC3339)}}
	for range maxVersionsWalked {
		vm, res, err := did.ResolveMethod(ctx, v.cfg.Resolver, u.DID.String()+"?"+q.Encode()+"#"+u.Fragment, purpose)
		if err == nil {
			return vm, res
		}
		if res == nil || res.DocumentMetadata.NextVersionID == "" {
			return nil, nil
		}
		next, err := time.Parse(time.RFC3339, res.DocumentMetadata.NextUpdate)
		if err != nil || next.After(at.Add(v.cfg.Skew)) {
			return nil, nil
		}
		q = url.Values{"versionId": {res.DocumentMetadata.NextVersionID}}
	}
	return nil, nil
}

// issuedAt is when a token says it was issued: iat (RFC 7519 §4.1.6), else
// nbf, else the credential's validFrom / issuanceDate (VCDM 2.0 §4.9, VCDM
// 1.1 §4.7), top level or under vc.
func issuedAt(t *vcjose.Token) (time.Time, bool) {
	for _, k := range []string{"iat", "nbf"} {
		if f, ok := t.Claims[k].(float64); ok && f > 0 {
			return time.Unix(int64(f), 0), true
		}
	}
	objs := []map[string]any{t.Claims}
	if inner, ok := t.Claims["vc"].(map[string]any); ok {
		objs = append(objs, inner)
	}
	for _, o := range objs {
		for _, k := range []string{"validFrom", "issuanceDate"} {
			if s, ok := o[k].(string); ok {
				if tm, err := time.Parse(time.RFC3339, s); err == nil {
					return tm, true
				}
			}
		}
	}
	return time.Time{}, false
}
