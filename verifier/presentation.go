package verifier

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// MaxCredentials caps the credentials one presentation may carry.
const MaxCredentials = 32

// VerifyPresentation verifies a presentation given as a compact JWT or as a
// JSON object with an embedded proof, then every credential in it.
func (v *Verifier) VerifyPresentation(ctx context.Context, input any, o Options) *Result {
	r := &Result{}
	p, holder, nonce, err := v.presentation(ctx, r, input, o)
	if err != nil {
		return r.fail(err).done()
	}
	r.Presentation, r.Holder, r.Nonce = p, holder, nonce
	// Every credential is verified; none is skipped because another failed.
	for i, raw := range p.Credentials {
		sub := &Result{}
		c, err := v.credential(ctx, sub, raw)
		if err != nil {
			sub.fail(err)
			for _, e := range sub.Errors {
				r.Errors = append(r.Errors, Problem{Code: e.Code, Message: fmt.Sprintf("credential %d: %s", i, e.Message)})
			}
			continue
		}
		r.Warnings = append(r.Warnings, sub.Warnings...)
		// Holder binding: the presentation's signer must be a subject of
		// each credential unless policy allows otherwise.
		if !o.AllowHolderNotSubject && !slices.Contains(c.SubjectIDs(), holder) {
			r.Errors = append(r.Errors, Problem{Code: vc.CodeHolderMismatch,
				Message: fmt.Sprintf("credential %d: presented by %s, who is not its subject", i, holder)})
			continue
		}
		r.Credentials = append(r.Credentials, c)
	}
	if len(r.Errors) == 0 {
		r.pass(CheckCredential)
		if !o.AllowHolderNotSubject && len(p.Credentials) > 0 {
			r.pass(CheckHolder)
		}
	}
	return r.done()
}

func (v *Verifier) presentation(ctx context.Context, r *Result, input any, o Options) (*vc.Presentation, string, string, error) {
	switch in := input.(type) {
	case string:
		return v.jwtPresentation(ctx, r, in, o)
	case map[string]any:
		if vc.IsEnveloped(in) {
			jwt, err := Enveloped(in, "vp") // enveloped.go
			if err != nil {
				return nil, "", "", err
			}
			return v.jwtPresentation(ctx, r, jwt, o)
		}
		return v.embeddedPresentation(ctx, r, in, o)
	}
	return nil, "", "", vc.Errorf(vc.CodeMalformed, "a presentation is a JWT string or a JSON object, got %T", input)
}

func (v *Verifier) jwtPresentation(ctx context.Context, r *Result, token string, o Options) (*vc.Presentation, string, string, error) {
	t, err := vcjose.Parse(token)
	if err != nil {
		return nil, "", "", err
	}
	r.pass(CheckEnvelope)
	r.pass(CheckAlgorithm)
	p, env, _, err := vcjose.DecodePresentation(t)
	if err != nil {
		return nil, "", "", err
	}
	if err := checkCount(p, o); err != nil {
		return nil, "", "", err
	}
	if p.Holder == "" {
		return nil, "", "", vc.Errorf(vc.CodeClaimInvalid, "the presentation names no holder (iss)")
	}
	vmID, err := v.verifyJWS(ctx, r, t, p.Holder, did.Authentication)
	if err != nil {
		return nil, "", "", err
	}
	if signerDID(vmID) != p.Holder {
		return nil, "", "", vc.Errorf(vc.CodeHolderMismatch, "signed by %s, but the holder is %s", vmID, p.Holder)
	}
	if err := v.window(env.NotBefore, env.Expiry, time.Time{}, time.Time{}); err != nil {
		return nil, "", "", err
	}
	r.pass(CheckValidity)
	if err := checkChallenge(r, o, env.Nonce, env.Audience); err != nil {
		return nil, "", "", err
	}
	return p, p.Holder, env.Nonce, nil
}

func (v *Verifier) embeddedPresentation(ctx context.Context, r *Result, doc map[string]any, o Options) (*vc.Presentation, string, string, error) {
	p, err := vc.ParsePresentation(doc)
	if err != nil {
		return nil, "", "", err
	}
	if err := checkCount(p, o); err != nil {
		return nil, "", "", err
	}
	r.pass(CheckEnvelope)
	if _, ok := doc["proof"]; !ok {
		return nil, "", "", vc.Errorf(vc.CodeProofMissing, "the presentation has no proof")
	}
	if v.cfg.Proofs == nil {
		return nil, "", "", vc.Errorf(vc.CodeProofUnsupported, "embedded proofs are not enabled on this verifier")
	}
	vmID, err := v.cfg.Proofs.VerifyProof(ctx, doc, did.Authentication, o.Challenge, o.Domain)
	if err != nil {
		return nil, "", "", err
	}
	r.pass(CheckSignature)
	holder := signerDID(vmID)
	if p.Holder != "" && p.Holder != holder {
		return nil, "", "", vc.Errorf(vc.CodeHolderMismatch, "signed by %s, but the holder is %s", vmID, p.Holder)
	}
	nonce := o.Challenge
	if nonce == "" {
		// A caller that checks nonces itself (the gateway) reads the signed
		// challenge (VC Data Integrity §2.1.1).
		if nonce, err = proofChallenge(doc); err != nil {
			return nil, "", "", err
		}
	}
	if o.Challenge != "" {
		r.pass(CheckChallenge)
	}
	if o.Domain != "" {
		r.pass(CheckDomain)
	}
	return p, holder, nonce, nil
}

// checkCount refuses too many credentials before any signature is checked,
// so a huge presentation costs a parse, not a thousand verifications.
func checkCount(p *vc.Presentation, o Options) error {
	max := o.MaxCredentials
	if max <= 0 || max > MaxCredentials {
		max = MaxCredentials
	}
	if len(p.Credentials) > max {
		return vc.Errorf(vc.CodeTooLarge, "%d credentials in one presentation; at most %d", len(p.Credentials), max)
	}
	return nil
}

// proofChallenge returns the challenge every proof of a verified
// presentation carries; proofs that disagree are refused.
func proofChallenge(doc map[string]any) (string, error) {
	var proofs []any
	switch t := doc["proof"].(type) {
	case map[string]any:
		proofs = []any{t}
	case []any:
		proofs = t
	}
	challenge := ""
	for i, raw := range proofs {
		pr, _ := raw.(map[string]any)
		c, _ := pr["challenge"].(string)
		if i > 0 && c != challenge {
			return "", vc.Errorf(vc.CodeChallengeMismatch, "the presentation's proofs carry different challenges")
		}
		challenge = c
	}
	return challenge, nil
}

// checkChallenge compares the presentation's nonce and audience with what
// the verifier asked for (VCDM 1.1 §6.3.1: nonce ↔ challenge, aud ↔ domain).
func checkChallenge(r *Result, o Options, nonce string, aud []string) error {
	if o.Challenge != "" {
		if nonce != o.Challenge {
			return vc.Errorf(vc.CodeChallengeMismatch, "the presentation answers challenge %q, not the one issued", nonce)
		}
		r.pass(CheckChallenge)
	}
	if o.Domain != "" {
		if !slices.Contains(aud, o.Domain) {
			return vc.Errorf(vc.CodeDomainMismatch, "the presentation is for audience %v, not %s", aud, o.Domain)
		}
		r.pass(CheckDomain)
	}
	return nil
}
