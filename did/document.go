package did

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Context URLs a DID document may declare.
const (
	ContextDIDv1       = "https://www.w3.org/ns/did/v1"
	ContextMultikeyV1  = "https://w3id.org/security/multikey/v1"
	ContextJWS2020     = "https://w3id.org/security/suites/jws-2020/v1"
	ContextSecp256k1v1 = "https://w3id.org/security/suites/secp256k1recovery-2020/v2"
)

// Verification method types we produce or read (DID Specification Registries §3.1).
const (
	TypeMultikey                   = "Multikey"
	TypeJsonWebKey2020             = "JsonWebKey2020"
	TypeJsonWebKey                 = "JsonWebKey"
	TypeEd25519VerificationKey2020 = "Ed25519VerificationKey2020"
	TypeEd25519VerificationKey2018 = "Ed25519VerificationKey2018"
	TypeEcdsaSecp256k1Verification = "EcdsaSecp256k1VerificationKey2019"
	TypeEcdsaSecp256k1Recovery2020 = "EcdsaSecp256k1RecoveryMethod2020"
	TypeX25519KeyAgreementKey2020  = "X25519KeyAgreementKey2020"
	TypeX25519KeyAgreementKey2019  = "X25519KeyAgreementKey2019"
)

// Purpose names a verification relationship (DID Core §5.3).
type Purpose string

const (
	Authentication       Purpose = "authentication"
	AssertionMethod      Purpose = "assertionMethod"
	KeyAgreement         Purpose = "keyAgreement"
	CapabilityInvocation Purpose = "capabilityInvocation"
	CapabilityDelegation Purpose = "capabilityDelegation"
)

// Document is a DID document (DID Core §5). Unknown properties are dropped.
type Document struct {
	Context              any                  `json:"@context,omitempty"`
	ID                   string               `json:"id"`
	AlsoKnownAs          []string             `json:"alsoKnownAs,omitempty"`
	Controller           StringOrSet          `json:"controller,omitempty"`
	VerificationMethod   []VerificationMethod `json:"verificationMethod,omitempty"`
	Authentication       []Reference          `json:"authentication,omitempty"`
	AssertionMethod      []Reference          `json:"assertionMethod,omitempty"`
	KeyAgreement         []Reference          `json:"keyAgreement,omitempty"`
	CapabilityInvocation []Reference          `json:"capabilityInvocation,omitempty"`
	CapabilityDelegation []Reference          `json:"capabilityDelegation,omitempty"`
	Service              []Service            `json:"service,omitempty"`
}

// VerificationMethod is DID Core §5.2. Exactly one key representation is set.
type VerificationMethod struct {
	ID                  string          `json:"id"`
	Type                string          `json:"type"`
	Controller          string          `json:"controller"`
	PublicKeyJwk        json.RawMessage `json:"publicKeyJwk,omitempty"`
	PublicKeyMultibase  string          `json:"publicKeyMultibase,omitempty"`
	PublicKeyBase58     string          `json:"publicKeyBase58,omitempty"`
	PublicKeyHex        string          `json:"publicKeyHex,omitempty"`
	BlockchainAccountID string          `json:"blockchainAccountId,omitempty"`
}

// Reference is an entry of a verification relationship: either the id of a
// method listed in verificationMethod, or an embedded method (DID Core §5.3).
type Reference struct {
	ID       string
	Embedded *VerificationMethod
}

// MarshalJSON writes a reference as a string or an embedded object.
func (r Reference) MarshalJSON() ([]byte, error) {
	if r.Embedded != nil {
		return json.Marshal(r.Embedded)
	}
	return json.Marshal(r.ID)
}

// UnmarshalJSON reads a string or an embedded object.
func (r *Reference) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		r.Embedded = nil
		return json.Unmarshal(b, &r.ID)
	}
	// DID Core §5.3: an entry is a DID URL string or a verification method
	// map; null would otherwise decode to an embedded method with no id.
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("did: verification relationship entry must be a string or an object")
	}
	var vm VerificationMethod
	if err := json.Unmarshal(b, &vm); err != nil {
		return fmt.Errorf("did: verification relationship entry: %w", err)
	}
	r.ID, r.Embedded = vm.ID, &vm
	return nil
}

// Service is DID Core §5.4.
type Service struct {
	ID              string `json:"id"`
	Type            any    `json:"type"`
	ServiceEndpoint any    `json:"serviceEndpoint"`
}

// StringOrSet is a JSON value that is either one string or a list of strings.
type StringOrSet []string

// MarshalJSON writes a single value as a plain string.
func (s StringOrSet) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON accepts a string or an array of strings.
func (s *StringOrSet) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringOrSet{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func (d *Document) relationship(p Purpose) []Reference {
	switch p {
	case Authentication:
		return d.Authentication
	case AssertionMethod:
		return d.AssertionMethod
	case KeyAgreement:
		return d.KeyAgreement
	case CapabilityInvocation:
		return d.CapabilityInvocation
	case CapabilityDelegation:
		return d.CapabilityDelegation
	}
	return nil
}

// absolute turns a relative DID URL ("#key-1") into one based on the document id
// (DID Core §3.2.2).
func (d *Document) absolute(id string) string {
	if strings.HasPrefix(id, "#") {
		return d.ID + id
	}
	return id
}

// Method returns the verification method with the given id if, and only if,
// it is authorized for purpose. A bare DID (no fragment) selects the single
// method authorized for purpose; zero or several is an error, because the
// signer's intent would otherwise be guessed.
func (d *Document) Method(id string, purpose Purpose) (*VerificationMethod, error) {
	refs := d.relationship(purpose)
	if !strings.Contains(id, "#") && strings.HasPrefix(id, "did:") {
		if id != d.ID {
			return nil, fmt.Errorf("%w: %s is not this document's DID %s", ErrMethodNotAuthorized, clip(id), clip(d.ID))
		}
		if len(refs) != 1 {
			return nil, fmt.Errorf("%w: bare DID %s has %d %s methods, want exactly one", ErrMethodNotAuthorized, clip(id), len(refs), purpose)
		}
		id = d.absolute(refs[0].ID)
	}
	want := d.absolute(id)
	for _, r := range refs {
		if d.absolute(r.ID) != want {
			continue
		}
		if r.Embedded != nil {
			return d.withAbsoluteID(*r.Embedded), nil
		}
		for _, vm := range d.VerificationMethod {
			if d.absolute(vm.ID) == want {
				return d.withAbsoluteID(vm), nil
			}
		}
		return nil, fmt.Errorf("%w: %s is referenced by %s but not defined", ErrMethodNotAuthorized, clip(want), purpose)
	}
	return nil, fmt.Errorf("%w: %s is not listed under %s of %s", ErrMethodNotAuthorized, clip(want), purpose, clip(d.ID))
}

// Methods returns every method authorized for purpose, with absolute ids.
func (d *Document) Methods(purpose Purpose) []VerificationMethod {
	var out []VerificationMethod
	for _, r := range d.relationship(purpose) {
		if vm, err := d.Method(d.absolute(r.ID), purpose); err == nil {
			out = append(out, *vm)
		}
	}
	return out
}

func (d *Document) withAbsoluteID(vm VerificationMethod) *VerificationMethod {
	vm.ID = d.absolute(vm.ID)
	return &vm
}
