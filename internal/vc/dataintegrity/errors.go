package dataintegrity

import (
	"errors"
	"fmt"

	"github.com/credentialflow/cflow/internal/jsonld"
)

// Stable machine-readable codes carried by *Error. JSON-LD rejections keep
// the code of internal/jsonld (context_not_allowed, jsonld_*).
const (
	CodeProofMissing         = "proof_missing"
	CodeProofTypeUnsupported = "proof_type_unsupported"
	CodeProofMalformed       = "proof_malformed"
	CodeSignatureInvalid     = "signature_invalid"
	CodePurposeMismatch      = "proof_purpose_mismatch"
	CodeChallengeMismatch    = "challenge_mismatch"
	CodeDomainMismatch       = "domain_mismatch"
	CodeProofExpired         = "proof_expired"
	CodeProofChainInvalid    = "proof_chain_invalid"
	CodeKeyUnresolved        = "verification_method_unresolved"
	CodeKeyTypeMismatch      = "key_type_mismatch"
)

// Sentinels for errors.Is.
var (
	ErrProofMissing         = errors.New("dataintegrity: proof missing")
	ErrProofTypeUnsupported = errors.New("dataintegrity: proof type unsupported")
	ErrProofMalformed       = errors.New("dataintegrity: proof malformed")
	ErrSignatureInvalid     = errors.New("dataintegrity: signature invalid")
	ErrPurposeMismatch      = errors.New("dataintegrity: proof purpose mismatch")
	ErrChallengeMismatch    = errors.New("dataintegrity: challenge mismatch")
	ErrDomainMismatch       = errors.New("dataintegrity: domain mismatch")
	ErrProofExpired         = errors.New("dataintegrity: proof expired")
	ErrProofChainInvalid    = errors.New("dataintegrity: proof chain invalid")
	ErrKeyUnresolved        = errors.New("dataintegrity: verification method unresolved")
	ErrKeyTypeMismatch      = errors.New("dataintegrity: key type does not match cryptosuite")
)

var sentinelByCode = map[string]error{
	CodeProofMissing:         ErrProofMissing,
	CodeProofTypeUnsupported: ErrProofTypeUnsupported,
	CodeProofMalformed:       ErrProofMalformed,
	CodeSignatureInvalid:     ErrSignatureInvalid,
	CodePurposeMismatch:      ErrPurposeMismatch,
	CodeChallengeMismatch:    ErrChallengeMismatch,
	CodeDomainMismatch:       ErrDomainMismatch,
	CodeProofExpired:         ErrProofExpired,
	CodeProofChainInvalid:    ErrProofChainInvalid,
	CodeKeyUnresolved:        ErrKeyUnresolved,
	CodeKeyTypeMismatch:      ErrKeyTypeMismatch,
}

// Error is a proof rejection with a stable Code and a sentence a person
// understands.
type Error struct {
	Code    string
	Message string
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("dataintegrity: %s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("dataintegrity: %s: %s", e.Code, e.Message)
}

// Unwrap returns the sentinel for Code (if this package owns it) and the cause.
func (e *Error) Unwrap() []error {
	var errs []error
	if s, ok := sentinelByCode[e.Code]; ok {
		errs = append(errs, s)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

func newError(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), cause: cause}
}

// fromJSONLD keeps a JSON-LD rejection's code.
func fromJSONLD(err error, what string) error {
	var je *jsonld.Error
	if errors.As(err, &je) {
		return newError(je.Code, err, "%s: %s", what, je.Message)
	}
	return newError(jsonld.CodeInvalid, err, "%s", what)
}

// Code returns the stable code of err, or "" if it carries none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var je *jsonld.Error
	if errors.As(err, &je) {
		return je.Code
	}
	return ""
}
