package dataintegrity

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/jsonld/jcs"
)

// KeyResolver resolves a verification method URL to its public key
// (ed25519.PublicKey or *ecdsa.PublicKey), checking that the method is
// authorized for purpose ("assertionMethod", "authentication", ...). An
// error that wraps ErrPurposeMismatch is reported as proof_purpose_mismatch.
type KeyResolver interface {
	PublicKey(ctx context.Context, verificationMethod, purpose string) (crypto.PublicKey, error)
}

// Options describe the proof Sign adds.
type Options struct {
	Cryptosuite        string // EddsaRdfc2022, EddsaJcs2022, EcdsaRdfc2019, EcdsaJcs2019
	VerificationMethod string // DID URL of the key
	Purpose            string // default "assertionMethod"
	// Created is written into the proof, and hashed, exactly as given
	// (an XML Schema dateTimeStamp such as 2024-01-02T03:04:05Z); empty
	// means the engine clock's now, to the second, in UTC.
	Created string
	Expires string // optional dateTimeStamp
	ID      string // optional proof id, needed for a proof others chain to
	// Challenge and Domain bind an authentication proof to a verifier
	// (VC Data Integrity §2.1.1).
	Challenge, Domain string
	// PreviousProof lists ids of proofs already on the document that this
	// proof chains to (VC Data Integrity §2.1.2 "Proof Chains").
	PreviousProof []string
}

// Expect is what the verifier requires of every proof.
type Expect struct {
	Purpose   string // default "assertionMethod"
	Challenge string // when set, each proof must carry exactly this challenge
	Domain    string // when set, each proof's domain must be or contain this
}

// ProofResult reports one proof of the document.
type ProofResult struct {
	ID, Type, Cryptosuite, VerificationMethod, Purpose, Created string
	Err                                                         error // nil when the proof verified
}

// Result lists every proof checked, in document order.
type Result struct {
	Proofs []ProofResult
}

// Verified reports whether there was at least one proof and all verified.
func (r *Result) Verified() bool {
	if r == nil || len(r.Proofs) == 0 {
		return false
	}
	for _, p := range r.Proofs {
		if p.Err != nil {
			return false
		}
	}
	return true
}

// MaxProofs bounds a proof set: each proof costs a canonicalization.
const MaxProofs = 16

// Engine signs and verifies Data Integrity proofs. Safe for concurrent use.
type Engine struct {
	ld  *jsonld.Processor
	now func() time.Time
}

// New returns an Engine that processes JSON-LD with p and reads time from now
// (nil means time.Now).
func New(p *jsonld.Processor, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{ld: p, now: now}
}

// Sign returns a copy of doc secured with one more proof (VC Data Integrity
// §4.2 "Add Proof"). doc is not modified. An existing proof turns into a
// proof set.
func (e *Engine) Sign(ctx context.Context, doc map[string]any, signer crypto.Signer, opts Options) (map[string]any, error) {
	s, ok := dataIntegritySuites[opts.Cryptosuite]
	if !ok || !s.sign {
		return nil, newError(CodeProofTypeUnsupported, nil, "cryptosuite %q is not supported", opts.Cryptosuite)
	}
	h, ok := hashFor(s, signer.Public())
	if !ok && isP384(signer.Public()) && s.key == keyECDSA {
		return nil, newError(CodeProofTypeUnsupported, nil, "%s with P-384 is not supported (needs RDFC-1.0 with SHA-384)", s.name)
	}
	if !ok {
		return nil, newError(CodeKeyTypeMismatch, nil, "a %T key cannot sign %s", signer.Public(), s.name)
	}
	if opts.VerificationMethod == "" {
		return nil, newError(CodeProofMalformed, nil, "verificationMethod is required")
	}
	purpose := opts.Purpose
	if purpose == "" {
		purpose = "assertionMethod"
	}
	created := opts.Created
	if created == "" {
		created = e.now().UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if _, err := time.Parse(time.RFC3339Nano, created); err != nil {
		return nil, newError(CodeProofMalformed, err, "created %q is not a dateTimeStamp", created)
	}
	if opts.Expires != "" {
		if _, err := time.Parse(time.RFC3339Nano, opts.Expires); err != nil {
			return nil, newError(CodeProofMalformed, err, "expires %q is not a dateTimeStamp", opts.Expires)
		}
	}

	existing, err := proofList(doc)
	if err != nil && !errors.Is(err, ErrProofMissing) {
		return nil, err
	}
	unsecured := without(doc, "proof")
	if len(opts.PreviousProof) > 0 {
		prev, err := matchPrevious(existing, opts.PreviousProof)
		if err != nil {
			return nil, err
		}
		unsecured["proof"] = prev
	}

	// Proof configuration (vc-di-eddsa §3.3.5, vc-di-ecdsa §3.3.5).
	cfg := map[string]any{
		"type":               TypeDataIntegrityProof,
		"cryptosuite":        s.name,
		"created":            created,
		"verificationMethod": opts.VerificationMethod,
		"proofPurpose":       purpose,
	}
	if opts.ID != "" {
		cfg["id"] = opts.ID
	}
	if opts.Expires != "" {
		cfg["expires"] = opts.Expires
	}
	if opts.Challenge != "" {
		cfg["challenge"] = opts.Challenge
	}
	if opts.Domain != "" {
		cfg["domain"] = opts.Domain
	}
	switch len(opts.PreviousProof) {
	case 0:
	case 1:
		cfg["previousProof"] = opts.PreviousProof[0]
	default:
		cfg["previousProof"] = toAnySlice(opts.PreviousProof)
	}
	if c, ok := doc["@context"]; ok {
		cfg["@context"] = c
	}

	docHash, err := e.hashDocument(s, h, unsecured)
	if err != nil {
		return nil, err
	}
	cfgHash, err := e.hashDocument(s, h, cfg)
	if err != nil {
		return nil, fmt.Errorf("dataintegrity: proof configuration: %w", err)
	}
	sig, err := signHashData(signer, h, append(cfgHash, docHash...))
	if err != nil {
		return nil, fmt.Errorf("dataintegrity: sign with %s: %w", opts.VerificationMethod, err)
	}
	pv, err := multibase.Encode(multibase.Base58BTC, sig)
	if err != nil {
		return nil, fmt.Errorf("dataintegrity: encode proofValue: %w", err)
	}

	proof := without(cfg)
	if s.canon == canonRDFC {
		// The RDFC suites add the document's @context to the proof
		// configuration for hashing only; the JCS suites keep it in the
		// proof (vc-di-eddsa §3.4.5 and its test vectors).
		delete(proof, "@context")
	}
	proof["proofValue"] = pv

	out := without(doc)
	if len(existing) == 0 {
		out["proof"] = proof
	} else {
		set := make([]any, 0, len(existing)+1)
		for _, p := range existing {
			set = append(set, p)
		}
		out["proof"] = append(set, proof)
	}
	return out, nil
}

// Verify checks every proof on doc (VC Data Integrity §4.4 "Verify Proof",
// §4.5 proof sets and chains). The error is the first rejection; Result
// reports each proof either way.
func (e *Engine) Verify(ctx context.Context, doc map[string]any, keys KeyResolver, expect Expect) (*Result, error) {
	proofs, err := proofList(doc)
	if err != nil {
		return &Result{}, err
	}
	if len(proofs) > MaxProofs {
		return &Result{}, newError(CodeProofMalformed, nil, "%d proofs exceed the limit of %d", len(proofs), MaxProofs)
	}
	if expect.Purpose == "" {
		expect.Purpose = "assertionMethod"
	}
	base := without(doc, "proof")
	res := &Result{Proofs: make([]ProofResult, len(proofs))}
	var first error
	docHashes := map[string][]byte{}
	for i, p := range proofs {
		r := ProofResult{
			ID: str(p["id"]), Type: str(p["type"]), Cryptosuite: str(p["cryptosuite"]),
			VerificationMethod: str(p["verificationMethod"]), Purpose: str(p["proofPurpose"]), Created: str(p["created"]),
		}
		r.Err = e.verifyOne(ctx, base, proofs, p, keys, expect, docHashes)
		if r.Err != nil && first == nil {
			first = r.Err
		}
		res.Proofs[i] = r
	}
	return res, first
}

// verifyOne is the ordered list of rejections for one proof, then the
// signature check.
func (e *Engine) verifyOne(ctx context.Context, base map[string]any, all []map[string]any, p map[string]any, keys KeyResolver, expect Expect, docHashes map[string][]byte) error {
	// Suite allow-list (VC Data Integrity §4.4 step 6; §3 of each suite spec).
	var s suite
	var ok bool
	typ := str(p["type"])
	_, isJWS := jwsSuites[typ] // jws.go: Ed25519Signature2018, JsonWebSignature2020
	switch {
	case typ == TypeDataIntegrityProof:
		s, ok = dataIntegritySuites[str(p["cryptosuite"])]
		if !ok {
			return newError(CodeProofTypeUnsupported, nil, "cryptosuite %q is not supported", str(p["cryptosuite"]))
		}
	case isJWS:
		// RDF Dataset Canonicalization and SHA-256 (lds-ed25519-2018 §3,
		// lds-jws2020 §2.2); the key is checked against the JWS alg.
		s = suite{name: typ, canon: canonRDFC}
	default:
		s, ok = legacySuites[typ]
		if !ok {
			return newError(CodeProofTypeUnsupported, nil, "proof type %q is not supported", typ)
		}
	}
	// Required members (VC Data Integrity §2.1; the JWS suites carry the
	// signature in jws instead of proofValue).
	valueKey := "proofValue"
	if isJWS {
		valueKey = "jws"
	}
	vm, purpose, pv := str(p["verificationMethod"]), str(p["proofPurpose"]), str(p[valueKey])
	if vm == "" || purpose == "" || pv == "" {
		return newError(CodeProofMalformed, nil, "proof needs verificationMethod, proofPurpose and %s strings", valueKey)
	}
	// Proof purpose (VC Data Integrity §4.4 step 7, §2.2).
	if purpose != expect.Purpose {
		return newError(CodePurposeMismatch, nil, "proof purpose is %q, verifier expects %q", purpose, expect.Purpose)
	}
	// created and expires (VC Data Integrity §2.1).
	if c, has := p["created"]; has {
		if _, err := time.Parse(time.RFC3339Nano, str(c)); err != nil {
			return newError(CodeProofMalformed, err, "created is not a dateTimeStamp")
		}
	}
	if x, has := p["expires"]; has {
		exp, err := time.Parse(time.RFC3339Nano, str(x))
		if err != nil {
			return newError(CodeProofMalformed, err, "expires is not a dateTimeStamp")
		}
		if !e.now().Before(exp) {
			return newError(CodeProofExpired, nil, "proof expired at %s", str(x))
		}
	}
	// Challenge and domain (VC Data Integrity §4.4 steps 8-9).
	if expect.Challenge != "" && str(p["challenge"]) != expect.Challenge {
		return newError(CodeChallengeMismatch, nil, "proof challenge does not match the one issued")
	}
	if expect.Domain != "" && !slices.Contains(strs(p["domain"]), expect.Domain) {
		return newError(CodeDomainMismatch, nil, "proof domain does not include %q", expect.Domain)
	}

	// Unsecured document: with the proofs this one chains to (§4.5).
	unsecured := base
	chainKey := ""
	if pp, has := p["previousProof"]; has {
		ids := strs(pp)
		if len(ids) == 0 {
			return newError(CodeProofChainInvalid, nil, "previousProof must be a string or a list of strings")
		}
		prev, err := matchPrevious(all, ids)
		if err != nil {
			return err
		}
		unsecured = without(base)
		unsecured["proof"] = prev
		chainKey = fmt.Sprint(ids)
	}
	// Proof options; a proof @context must be a prefix of the document's
	// and then stands for it (vc-di-eddsa §3.3.2 / §3.4.2 steps 3-4).
	cfg := without(p, valueKey)
	if pc, has := p["@context"]; has {
		if !contextPrefix(pc, base["@context"]) {
			return newError(CodeProofMalformed, nil, "proof @context is not a prefix of the document @context")
		}
		if !equalJSON(pc, base["@context"]) {
			unsecured = without(unsecured)
			unsecured["@context"] = pc
			chainKey += "|ctx"
		}
	} else if c, has := base["@context"]; has {
		cfg["@context"] = c
	}

	var sig []byte
	var ja jwsAlg
	var err error
	if isJWS {
		ja, err = parseDetachedJWS(typ, pv)
	} else {
		sig, err = decodeProofValue(pv)
	}
	if err != nil {
		return err
	}
	pub, err := keys.PublicKey(ctx, vm, purpose)
	if err != nil {
		if errors.Is(err, ErrPurposeMismatch) {
			return newError(CodePurposeMismatch, err, "%s is not authorized for %s", vm, purpose)
		}
		return newError(CodeKeyUnresolved, err, "cannot resolve %s", vm)
	}
	var h crypto.Hash
	if isJWS {
		if !ja.fits(pub) {
			return newError(CodeKeyTypeMismatch, nil, "a %T key cannot verify jws alg %s", pub, ja.alg)
		}
		h = crypto.SHA256
	} else {
		h, ok = hashFor(s, pub)
		if !ok && isP384(pub) && s.key == keyECDSA {
			return newError(CodeProofTypeUnsupported, nil, "%s with P-384 is not supported (needs RDFC-1.0 with SHA-384)", s.name)
		}
		if !ok {
			return newError(CodeKeyTypeMismatch, nil, "a %T key cannot verify %s", pub, s.name)
		}
		if len(sig) != sigSize(pub) {
			return newError(CodeSignatureInvalid, nil, "proofValue has %d bytes, want %d", len(sig), sigSize(pub))
		}
	}

	key := fmt.Sprintf("%d/%d/%s", s.canon, h, chainKey)
	docHash, hit := docHashes[key]
	if !hit {
		if docHash, err = e.hashDocument(s, h, unsecured); err != nil {
			return err
		}
		docHashes[key] = docHash
	}
	cfgHash, err := e.hashDocument(s, h, cfg)
	if err != nil {
		return err
	}
	data := make([]byte, 0, len(cfgHash)+len(docHash))
	data = append(append(data, cfgHash...), docHash...)
	if isJWS {
		return verifyDetachedJWS(pv, ja, pub, data)
	}
	if !verifyHashData(pub, h, data, sig) {
		return newError(CodeSignatureInvalid, nil, "signature by %s does not verify", vm)
	}
	return nil
}

// canonicalize is the suite's transformation (vc-di-eddsa §3.3.3 / §3.4.3):
// safe-mode check then RDFC-1.0 N-Quads, or JCS.
func (e *Engine) canonicalize(s suite, doc map[string]any) ([]byte, error) {
	if s.canon == canonJCS {
		if _, ok := doc["@context"]; ok {
			// JCS does not process JSON-LD, but a credential is still
			// JSON-LD: refuse what it would misread.
			if err := e.ld.CheckSafe(doc); err != nil {
				return nil, fromJSONLD(err, "document")
			}
		}
		out, err := jcs.Marshal(map[string]any(doc))
		if err != nil {
			return nil, newError(CodeProofMalformed, err, "document has no JCS form")
		}
		return out, nil
	}
	nq, err := e.ld.CanonicalizeRDFC(doc)
	if err != nil {
		return nil, fromJSONLD(err, "document")
	}
	return []byte(nq), nil
}

func (e *Engine) hashDocument(s suite, h crypto.Hash, doc map[string]any) ([]byte, error) {
	c, err := e.canonicalize(s, doc)
	if err != nil {
		return nil, err
	}
	hh := h.New()
	hh.Write(c)
	return hh.Sum(nil), nil
}

// signHashData signs proofHash||docHash: Ed25519 signs it as the message
// (vc-di-eddsa §3.3.6); ECDSA signs its hash and the signature is r||s in
// IEEE P1363 form (vc-di-ecdsa §3.3.6).
func signHashData(signer crypto.Signer, h crypto.Hash, data []byte) ([]byte, error) {
	switch pub := signer.Public().(type) {
	case ed25519.PublicKey:
		return signer.Sign(rand.Reader, data, crypto.Hash(0))
	case *ecdsa.PublicKey:
		hh := h.New()
		hh.Write(data)
		der, err := signer.Sign(rand.Reader, hh.Sum(nil), h)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("ECDSA signer returned a malformed signature")
		}
		n := sigSize(pub) / 2
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	}
	return nil, fmt.Errorf("unsupported key %T", signer.Public())
}

func verifyHashData(pub crypto.PublicKey, h crypto.Hash, data, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(k, data, sig)
	case *ecdsa.PublicKey:
		hh := h.New()
		hh.Write(data)
		n := len(sig) / 2
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(k, hh.Sum(nil), r, s)
	}
	return false
}

// decodeProofValue accepts only multibase base58-btc ('z'), as both suite
// specs require.
func decodeProofValue(pv string) ([]byte, error) {
	if len(pv) < 2 || pv[0] != 'z' {
		return nil, newError(CodeProofMalformed, nil, "proofValue is not multibase base58-btc")
	}
	enc, sig, err := multibase.Decode(pv)
	if err != nil || enc != multibase.Base58BTC {
		return nil, newError(CodeProofMalformed, err, "proofValue is not multibase base58-btc")
	}
	return sig, nil
}

// proofList returns doc.proof as a list of proof objects.
func proofList(doc map[string]any) ([]map[string]any, error) {
	raw, ok := doc["proof"]
	if !ok || raw == nil {
		return nil, newError(CodeProofMissing, nil, "document has no proof")
	}
	var items []any
	switch v := raw.(type) {
	case map[string]any:
		items = []any{v}
	case []any:
		items = v
	default:
		return nil, newError(CodeProofMalformed, nil, "proof must be an object or a list of objects")
	}
	if len(items) == 0 {
		return nil, newError(CodeProofMissing, nil, "document has an empty proof list")
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, newError(CodeProofMalformed, nil, "proof must be an object or a list of objects")
		}
		out = append(out, m)
	}
	return out, nil
}

// matchPrevious returns the proofs whose id is listed, in document order;
// every id must match exactly one proof (VC Data Integrity §4.5).
func matchPrevious(all []map[string]any, ids []string) ([]any, error) {
	var out []any
	for _, id := range ids {
		n := 0
		for _, p := range all {
			if str(p["id"]) == id {
				n++
			}
		}
		if n != 1 {
			return nil, newError(CodeProofChainInvalid, nil, "previousProof %q matches %d proofs, want 1", id, n)
		}
	}
	for _, p := range all {
		if slices.Contains(ids, str(p["id"])) {
			out = append(out, p)
		}
	}
	return out, nil
}

func contextPrefix(prefix, full any) bool {
	ps, fs := asList(prefix), asList(full)
	if len(ps) > len(fs) {
		return false
	}
	for i := range ps {
		if !equalJSON(ps[i], fs[i]) {
			return false
		}
	}
	return true
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func equalJSON(a, b any) bool {
	ja, err1 := jcs.Marshal(a)
	jb, err2 := jcs.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// without returns a shallow copy of m minus keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func isP384(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P384()
}
