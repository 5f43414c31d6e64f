// Package issuer owns issuance: issuer profiles (a DID, its signing key in
// kms, the formats it signs), credential assembly and validation against the
// data model, signing, and the issuance record (metadata, never claims). It
// does not verify, hold wallets, or speak HTTP.
package issuer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// Errors callers branch on.
var (
	ErrProfileNotFound = errors.New("issuer profile not found")
	ErrInvalidRequest  = errors.New("invalid issuance request")
)

// Profile is an issuer identity: a DID and the key that signs for it.
type Profile struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Method             string    `json:"method"`
	KeyType            string    `json:"keyType"`
	DID                string    `json:"did"`
	VerificationMethod string    `json:"verificationMethod"`
	Formats            []string  `json:"formats"`
	CreatedAt          time.Time `json:"createdAt"`
	KeyID              string    `json:"keyId"` // kms key id; not secret, but internal
	// Suspension: this profile's status lists include suspension (status.go).
	Suspension bool `json:"suspension,omitempty"`
}

// Record is what is kept about an issued credential: metadata, not claims.
type Record struct {
	ID        string    `json:"id"`
	ProfileID string    `json:"profileId"`
	Issuer    string    `json:"issuer"`
	Types     []string  `json:"types"`
	Subject   string    `json:"subject,omitempty"`
	Format    string    `json:"format"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// Formats this issuer signs.
var Formats = []string{string(vcjose.JWTVCJSON), string(vcjose.VCJWT), string(FormatLDPVC)}

// Service issues credentials.
type Service struct {
	profiles store.Bucket
	records  store.Bucket
	keys     *kms.Manager
	now      func() time.Time
	proofs   atomic.Pointer[dataintegrity.Engine] // ldp_vc; see sign.go
	status   *statusLists                         // nil until EnableStatus; see status.go
	ethr     atomic.Pointer[ethrIssuers]          // nil until EnableEthr; see ethr.go
	audit    Auditor                              // nil: nothing audited; see UseAuditor
	schemas  atomic.Pointer[vc.Schemas]           // credentialSchema; see schema.go

	mu    sync.RWMutex
	cache map[string]*Profile // id and DID → profile
}

// New returns a Service over the store and key manager.
func New(db *store.DB, keys *kms.Manager, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{profiles: db.Bucket("issuer-profiles"), records: db.Bucket("issued"), keys: keys, now: now, cache: map[string]*Profile{}}
}

// Auditor appends to the audit log (internal/audit).
type Auditor interface {
	Record(ctx context.Context, e audit.Event) error
}

// UseAuditor makes every issuance (and status change) an audit entry; call
// it before serving.
func (s *Service) UseAuditor(a Auditor) { s.audit = a }

// CreateProfileRequest is the body of POST /v1/issuers.
type CreateProfileRequest struct {
	Name    string `json:"name"`
	Method  string `json:"method"`  // key (default) | jwk | ethr (ethr.go)
	KeyType string `json:"keyType"` // Ed25519 (default) | P-256 | secp256k1 (ethr only)
	// Suspension adds a suspension status list beside revocation.
	Suspension bool `json:"suspension"`
}

// MaxNameLength bounds a profile name.
const MaxNameLength = 200

// CreateProfile generates a key and a DID and stores the profile.
func (s *Service) CreateProfile(ctx context.Context, req CreateProfileRequest) (*Profile, error) {
	if req.Method == "" {
		req.Method = "key"
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > MaxNameLength {
		return nil, fmt.Errorf("%w: name is required (at most %d characters)", ErrInvalidRequest, MaxNameLength)
	}
	if req.Method == MethodEthr {
		return s.createEthrProfile(ctx, req, name)
	}
	kt, err := kms.ParseKeyType(req.KeyType)
	if err != nil || kt == kms.Secp256k1 {
		return nil, fmt.Errorf("%w: keyType %q (want Ed25519 or P-256)", ErrInvalidRequest, req.KeyType)
	}
	var newDID func(crypto.PublicKey) (string, error)
	switch req.Method {
	case "key":
		newDID = didkey.New
	case "jwk":
		newDID = didjwk.New
	default:
		return nil, fmt.Errorf("%w: method %q (want key, jwk or ethr)", ErrInvalidRequest, req.Method)
	}
	keyID, pub, err := s.keys.Create(kt)
	if err != nil {
		return nil, fmt.Errorf("issuer: create key: %w", err)
	}
	d, err := newDID(pub)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	vm := d + "#0"
	if req.Method == "key" {
		vm = d + "#" + strings.TrimPrefix(d, "did:key:")
	}
	p := &Profile{
		ID: uuid.NewString(), Name: name, Method: req.Method, KeyType: string(kt), DID: d,
		VerificationMethod: vm, Formats: Formats, CreatedAt: s.now().UTC(), KeyID: keyID,
	}
	p.Suspension = req.Suspension
	if err := s.profiles.PutJSON(p.ID, p); err != nil {
		return nil, fmt.Errorf("issuer: save profile: %w", err)
	}
	s.remember(p)
	return p, nil
}

func (s *Service) remember(p *Profile) {
	s.mu.Lock()
	s.cache[p.ID], s.cache[p.DID] = p, p
	s.mu.Unlock()
}

// Profiles lists every profile.
func (s *Service) Profiles() ([]*Profile, error) {
	var out []*Profile
	err := s.profiles.Each(0, func(_ string, val []byte) error {
		p := &Profile{}
		if err := json.Unmarshal(val, p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: list profiles: %w", err)
	}
	return out, nil
}

// Profile finds a profile by id or DID.
func (s *Service) Profile(ref string) (*Profile, error) {
	s.mu.RLock()
	p, ok := s.cache[ref]
	s.mu.RUnlock()
	if ok {
		return p, nil
	}
	all, err := s.Profiles()
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		s.remember(p)
		if p.ID == ref || p.DID == ref {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrProfileNotFound, ref)
}

// IsOwnIssuer reports whether d is the DID of a profile on this server.
func (s *Service) IsOwnIssuer(d string) bool {
	_, err := s.Profile(d)
	return err == nil
}

// Options are the VC-API issuance options.
type Options struct {
	Issuer string `json:"issuer"` // profile id or DID
	Format string `json:"format"` // jwt_vc_json (default) | vc+jwt | ldp_vc
	// Cryptosuite for ldp_vc: eddsa-rdfc-2022 (Ed25519 default),
	// ecdsa-rdfc-2019 (P-256 default), eddsa-jcs-2022.
	Cryptosuite string `json:"cryptosuite,omitempty"`
	// CredentialStatus false issues without a status list entry (default true
	// when status lists are enabled).
	CredentialStatus *bool `json:"credentialStatus,omitempty"`
}

// Request is the body of POST /v1/credentials/issue (VC-API "IssueCredentialRequest").
type Request struct {
	Credential map[string]any `json:"credential"`
	Options    Options        `json:"options"`
}

// Issued is a signed credential and its record.
type Issued struct {
	Credential any // compact JWS string, or the ldp_vc object with its proof
	Record     Record
	Warnings   []Warning // e.g. schema_not_checked (schema.go)
}

// Issue validates, completes and signs a credential.
func (s *Service) Issue(ctx context.Context, req Request) (*Issued, error) {
	if req.Credential == nil {
		return nil, fmt.Errorf("%w: credential is required", ErrInvalidRequest)
	}
	format := vcjose.Format(req.Options.Format)
	if format == "" {
		format = vcjose.JWTVCJSON
	}
	if format != vcjose.JWTVCJSON && format != vcjose.VCJWT && format != FormatLDPVC {
		return nil, vc.Errorf(vc.CodeUnsupportedFormat, "format %q is not supported (jwt_vc_json, vc+jwt, ldp_vc)", format)
	}
	ref := req.Options.Issuer
	if ref == "" {
		ref = issuerRef(req.Credential["issuer"])
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: options.issuer (a profile id or DID) is required", ErrInvalidRequest)
	}
	p, err := s.Profile(ref)
	if err != nil {
		return nil, err
	}
	doc, err := vc.Clone(req.Credential)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if err := s.complete(doc, p, format); err != nil {
		return nil, err
	}
	slot, err := s.attachStatus(ctx, doc, p, req.Options)
	if err != nil {
		return nil, err
	}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		return nil, err
	}
	warnings, err := s.checkSchemas(c) // schema.go
	if err != nil {
		return nil, err
	}
	signer, err := s.keys.Signer(p.KeyID)
	if err != nil {
		return nil, fmt.Errorf("issuer: key of %s: %w", p.ID, err)
	}
	jwt, err := s.sign(ctx, c, format, req.Options.Cryptosuite, p, signer)
	if err != nil {
		return nil, err
	}
	rec := Record{ID: c.ID, ProfileID: p.ID, Issuer: p.DID, Types: c.Types, Format: string(format),
		IssuedAt: s.now().UTC(), ExpiresAt: c.ValidUntil}
	if ids := c.SubjectIDs(); len(ids) > 0 {
		rec.Subject = ids[0]
	}
	if err := s.recordIssued(rec, slot); err != nil {
		return nil, err
	}
	if s.audit != nil { // unaudited issuance is refused, like an unrecorded one
		if err := s.audit.Record(ctx, audit.Event{Type: audit.TypeIssued, Decision: audit.DecisionIssued, Issuer: p.DID, Holder: rec.Subject,
			CredentialIDs: []string{rec.ID}, CredentialTypes: rec.Types, Format: rec.Format}); err != nil {
			return nil, fmt.Errorf("issuer: audit %s: %w", rec.ID, err)
		}
	}
	return &Issued{Credential: jwt, Record: rec, Warnings: warnings}, nil
}

// complete fills what the issuer owns: context, type, issuer, id and the
// issuance date. A credential naming another issuer is refused.
func (s *Service) complete(doc map[string]any, p *Profile, format vcjose.Format) error {
	_, hasContext := doc["@context"]
	if !hasContext {
		base := vc.ContextV1
		if format == vcjose.VCJWT || format == FormatLDPVC {
			base = vc.ContextV2
		}
		doc["@context"] = []any{base}
	}
	// A claims-only request gets its type; a JSON-LD (ldp_vc) credential
	// that brings its own VCDM 2.0 @context must say what it is (W3C VCDM
	// 2.0 suite, credential-no-type-fail).
	if _, ok := doc["type"]; !ok && (!hasContext || format != FormatLDPVC || isV1(doc["@context"])) {
		doc["type"] = []any{vc.TypeCredential}
	}
	if ref := issuerRef(doc["issuer"]); ref != "" && ref != p.DID {
		return vc.Errorf(vc.CodeIssuerMismatch, "credential.issuer %s is not the DID of profile %s (%s)", ref, p.ID, p.DID)
	}
	switch iss := doc["issuer"].(type) {
	case map[string]any:
		if _, ok := iss["id"]; !ok {
			iss["id"] = p.DID // an issuer object with only name/description
		}
	case nil:
		if _, present := doc["issuer"]; present {
			return vc.Errorf(vc.CodeCredentialInvalid, "issuer must not be null (VCDM 2.0 §4.7)")
		}
		doc["issuer"] = p.DID
	case string:
	default:
		return vc.Errorf(vc.CodeCredentialInvalid, "issuer must be a URL or an object (VCDM 2.0 §4.7)")
	}
	if _, ok := doc["id"]; !ok {
		doc["id"] = "urn:uuid:" + uuid.NewString()
	}
	now := vc.FormatDateTime(s.now())
	if isV1(doc["@context"]) {
		if _, ok := doc["issuanceDate"]; !ok {
			doc["issuanceDate"] = now
		}
	} else if _, ok := doc["validFrom"]; !ok {
		doc["validFrom"] = now
	}
	return nil
}

func issuerRef(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		id, _ := t["id"].(string)
		return id
	}
	return ""
}

// Record returns the issuance record of a credential id.
func (s *Service) Record(id string) (*Record, error) {
	var r Record
	if err := s.records.GetJSON(id, &r); err != nil {
		return nil, fmt.Errorf("issuer: record %s: %w", id, err)
	}
	return &r, nil
}

func isV1(ctx any) bool {
	switch c := ctx.(type) {
	case string:
		return c == vc.ContextV1
	case []any:
		return len(c) > 0 && c[0] == vc.ContextV1
	}
	return false
}
