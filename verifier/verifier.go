// Package verifier verifies credentials and presentations as an ordered
// pipeline of named checks that yields a structured result: which checks
// passed, and for every failure a stable code and a sentence. It resolves
// DIDs through a did.Resolver and leaves format details to internal/vc.
// It does not keep nonces: single use is the caller's (the gateway's) job.
package verifier

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// Check names, in the order they run.
const (
	CheckEnvelope   = "envelope"
	CheckAlgorithm  = "algorithm"
	CheckKey        = "key_resolution"
	CheckSignature  = "signature"
	CheckIssuer     = "issuer_is_signer"
	CheckValidity   = "validity_window"
	CheckStatus     = "status"
	CheckHolder     = "holder_binding"
	CheckChallenge  = "challenge"
	CheckDomain     = "domain"
	CheckCredential = "credentials"
)

// DefaultSkew is the clock skew allowed on every validity bound.
const DefaultSkew = 60 * time.Second

// Problem is one failure or warning.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is the outcome of a verification. Verified is true only if Errors is empty.
type Result struct {
	Verified bool      `json:"verified"`
	Checks   []string  `json:"checks"`
	Warnings []Problem `json:"warnings"`
	Errors   []Problem `json:"errors"`

	// Verified material, for callers that act on it (not serialized).
	Credential   *VerifiedCredential   `json:"-"`
	Credentials  []*VerifiedCredential `json:"-"`
	Presentation *vc.Presentation      `json:"-"`
	Holder       string                `json:"-"` // the DID that signed the presentation
	Nonce        string                `json:"-"` // the presentation's nonce/challenge as signed
}

// VerifiedCredential is a credential whose checks all passed.
type VerifiedCredential struct {
	*vc.Credential
	Format string
	Signer string // verification method that signed it
}

func (r *Result) pass(name string) { r.Checks = append(r.Checks, name) }

func (r *Result) fail(err error) *Result {
	code, msg := vc.CodeOf(err), err.Error()
	var e *vc.Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	if code == "" {
		code = vc.CodeMalformed
	}
	r.Errors = append(r.Errors, Problem{Code: code, Message: msg})
	r.Verified = false
	return r
}

func (r *Result) warn(code, msg string) {
	r.Warnings = append(r.Warnings, Problem{Code: code, Message: msg})
}

func (r *Result) done() *Result {
	r.Verified = len(r.Errors) == 0
	if r.Checks == nil {
		r.Checks = []string{}
	}
	if r.Warnings == nil {
		r.Warnings = []Problem{}
	}
	if r.Errors == nil {
		r.Errors = []Problem{}
	}
	return r
}

// StatusChecker checks a credential's credentialStatus entries.
type StatusChecker interface {
	CheckStatus(ctx context.Context, c *vc.Credential) error
}

// ProofVerifier verifies embedded (Data Integrity) proofs and returns the
// verification method that made the proof.
type ProofVerifier interface {
	VerifyProof(ctx context.Context, doc map[string]any, purpose did.Purpose, challenge, domain string) (string, error)
}

// Config wires a Verifier.
type Config struct {
	Resolver did.Resolver
	Now      func() time.Time // default time.Now
	Skew     time.Duration    // default DefaultSkew; negative means none
	Status   StatusChecker    // optional
	Proofs   ProofVerifier    // optional: without it, embedded proofs are refused
	// Schemas are the JSON Schemas credentials are validated against
	// (schema.go); nil holds none, so every credentialSchema only warns.
	Schemas *vc.Schemas
	// VerifyAtIssuanceTime accepts a JWS signed with a key its DID has
	// revoked since, if the key was valid at the token's issuance time
	// (keyhistory.go). Off by default: a thief of the old key can backdate.
	VerifyAtIssuanceTime bool
}

// Verifier runs the checks.
type Verifier struct{ cfg Config }

// New returns a Verifier.
func New(cfg Config) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	} else if cfg.Skew < 0 {
		cfg.Skew = 0
	}
	return &Verifier{cfg: cfg}
}

// Options are per-call expectations.
type Options struct {
	Challenge string // expected nonce/challenge of a presentation
	Domain    string // expected audience/domain of a presentation
	// AllowHolderNotSubject lets a presentation carry credentials about
	// someone other than its signer (policy decision; off by default).
	AllowHolderNotSubject bool
	// MaxCredentials caps the credentials of a presentation (default and
	// ceiling MaxCredentials), checked before any signature.
	MaxCredentials int
}

// VerifyCredential verifies a credential given as a compact JWT string or a
// JSON object with an embedded proof.
func (v *Verifier) VerifyCredential(ctx context.Context, input any) *Result {
	r := &Result{}
	vcred, err := v.credential(ctx, r, input)
	if err != nil {
		return r.fail(err).done()
	}
	r.Credential = vcred
	return r.done()
}

func (v *Verifier) credential(ctx context.Context, r *Result, input any) (*VerifiedCredential, error) {
	switch in := input.(type) {
	case string:
		return v.jwtCredential(ctx, r, in)
	case map[string]any:
		if vc.IsEnveloped(in) {
			jwt, err := Enveloped(in, "vc") // enveloped.go
			if err != nil {
				return nil, err
			}
			return v.jwtCredential(ctx, r, jwt)
		}
		return v.embeddedCredential(ctx, r, in)
	}
	return nil, vc.Errorf(vc.CodeMalformed, "a credential is a JWT string or a JSON object, got %T", input)
}

func (v *Verifier) jwtCredential(ctx context.Context, r *Result, token string) (*VerifiedCredential, error) {
	t, err := vcjose.Parse(token)
	if err != nil {
		return nil, err
	}
	r.pass(CheckEnvelope)
	r.pass(CheckAlgorithm)
	c, env, format, err := vcjose.DecodeCredential(t)
	if err != nil {
		return nil, err
	}
	vmID, err := v.verifyJWS(ctx, r, t, c.Issuer, did.AssertionMethod)
	if err != nil {
		return nil, err
	}
	// VC-JOSE-COSE §3.1.1 / VCDM 1.1 §6.3.1: the key that signed must belong
	// to the issuer.
	if signerDID(vmID) != c.Issuer {
		return nil, vc.Errorf(vc.CodeIssuerMismatch, "signed by %s, but the issuer is %s", vmID, c.Issuer)
	}
	r.pass(CheckIssuer)
	if err := v.window(env.NotBefore, env.Expiry, c.ValidFrom, c.ValidUntil); err != nil {
		return nil, err
	}
	r.pass(CheckValidity)
	if err := v.schema(r, c); err != nil { // schema.go
		return nil, err
	}
	if err := v.status(ctx, r, c); err != nil {
		return nil, err
	}
	return &VerifiedCredential{Credential: c, Format: string(format), Signer: vmID}, nil
}

func (v *Verifier) embeddedCredential(ctx context.Context, r *Result, doc map[string]any) (*VerifiedCredential, error) {
	c, err := vc.ParseCredential(doc)
	if err != nil {
		return nil, err
	}
	r.pass(CheckEnvelope)
	if _, ok := doc["proof"]; !ok {
		return nil, vc.Errorf(vc.CodeProofMissing, "the credential has no proof")
	}
	if v.cfg.Proofs == nil {
		return nil, vc.Errorf(vc.CodeProofUnsupported, "embedded proofs are not enabled on this verifier")
	}
	vmID, err := v.cfg.Proofs.VerifyProof(ctx, doc, did.AssertionMethod, "", "")
	if err != nil {
		return nil, err
	}
	r.pass(CheckSignature)
	if signerDID(vmID) != c.Issuer {
		return nil, vc.Errorf(vc.CodeIssuerMismatch, "signed by %s, but the issuer is %s", vmID, c.Issuer)
	}
	r.pass(CheckIssuer)
	if err := v.window(time.Time{}, time.Time{}, c.ValidFrom, c.ValidUntil); err != nil {
		return nil, err
	}
	r.pass(CheckValidity)
	if err := v.schema(r, c); err != nil { // schema.go
		return nil, err
	}
	if err := v.status(ctx, r, c); err != nil {
		return nil, err
	}
	return &VerifiedCredential{Credential: c, Format: "ldp_vc", Signer: vmID}, nil
}

// verifyJWS resolves the signing key named by kid (or, without kid, the
// single suitable method of the DID in iss) under purpose and checks the
// signature. It returns the absolute verification method id.
func (v *Verifier) verifyJWS(ctx context.Context, r *Result, t *vcjose.Token, iss string, purpose did.Purpose) (string, error) {
	vmID := t.Header.Kid
	switch {
	case vmID == "":
		vmID = iss // a bare DID: resolves to its single suitable method or fails
	case strings.HasPrefix(vmID, "#"):
		vmID = iss + vmID
	}
	if !strings.HasPrefix(vmID, "did:") {
		return "", vc.Errorf(vc.CodeKeyNotFound, "kid %q is not a DID URL", t.Header.Kid)
	}
	vm, res, err := did.ResolveMethod(ctx, v.cfg.Resolver, vmID, purpose)
	if err != nil {
		if vm, res, err = v.keyAtIssuance(ctx, r, t, vmID, purpose, err); err != nil { // keyhistory.go
			return "", err
		}
	}
	if res.DocumentMetadata.Stale {
		r.warn("did_document_stale", fmt.Sprintf("%s was served from cache because its registry is unreachable", signerDID(vmID)))
	}
	pub, err := methodKey(t, vm) // recovery.go: an Ethereum account recovers its key
	if err != nil {
		return "", err
	}
	r.pass(CheckKey)
	if err := t.Verify(pub); err != nil {
		return "", err
	}
	r.pass(CheckSignature)
	return vm.ID, nil
}

// PublicKey resolves a verification method under purpose (used by proof
// suites through this verifier's resolver).
func (v *Verifier) PublicKey(ctx context.Context, vmID string, purpose did.Purpose) (crypto.PublicKey, error) {
	vm, _, err := did.ResolveMethod(ctx, v.cfg.Resolver, vmID, purpose)
	if err != nil {
		return nil, resolveError(vmID, purpose, err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, vc.Wrap(vc.CodeKeyNotFound, err, "key of %s", vm.ID)
	}
	return pub, nil
}

func resolveError(vmID string, purpose did.Purpose, err error) error {
	switch {
	case errors.Is(err, did.ErrMethodNotSupported):
		return vc.Wrap(vc.CodeMethodUnsupported, nil, "the DID method of %s is not supported", vmID)
	case errors.Is(err, did.ErrMethodNotAuthorized):
		return vc.Wrap(vc.CodeKeyNotFound, nil, "%s is not a %s key of its DID", vmID, purpose)
	case errors.Is(err, did.ErrDeactivated):
		return vc.Wrap(vc.CodeKeyRevoked, nil, "the DID of %s is deactivated", vmID)
	case errors.Is(err, did.ErrUnavailable):
		return vc.Wrap(vc.CodeLedgerUnavailable, err, "cannot resolve %s", signerDID(vmID))
	}
	return vc.Wrap(vc.CodeDIDUnresolvable, err, "cannot resolve %s", signerDID(vmID))
}

// window checks JWT nbf/exp and the credential's validFrom/validUntil
// (VCDM 2.0 §4.9, RFC 7519 §4.1.4–4.1.5), each with the configured skew.
func (v *Verifier) window(nbf, exp, from, until time.Time) error {
	now := v.cfg.Now()
	for _, b := range []time.Time{nbf, from} {
		if !b.IsZero() && now.Add(v.cfg.Skew).Before(b) {
			return vc.Errorf(vc.CodeNotYetValid, "not valid before %s", b.UTC().Format(time.RFC3339))
		}
	}
	for _, b := range []time.Time{exp, until} {
		if !b.IsZero() && !now.Add(-v.cfg.Skew).Before(b) {
			return vc.Errorf(vc.CodeExpired, "expired at %s", b.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func (v *Verifier) status(ctx context.Context, r *Result, c *vc.Credential) error {
	if len(c.Status) == 0 {
		return nil
	}
	if v.cfg.Status == nil {
		r.warn("status_not_checked", "the credential has a credentialStatus but this verifier does not check status")
		return nil
	}
	if err := v.cfg.Status.CheckStatus(ctx, c); err != nil {
		return err
	}
	r.pass(CheckStatus)
	return nil
}

// signerDID strips the fragment and query from a verification method id.
func signerDID(vmID string) string {
	if i := strings.IndexAny(vmID, "?#"); i >= 0 {
		return vmID[:i]
	}
	return vmID
}
