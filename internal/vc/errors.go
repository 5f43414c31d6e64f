package vc

import (
	"errors"
	"fmt"
)

// Stable, machine-readable failure codes. Every check a verifier or issuer
// runs reports one of these; clients branch on them, so they never change.
const (
	CodeMalformed         = "malformed"              // not parseable as the declared format
	CodeDuplicateKey      = "duplicate_key"          // a JSON object repeats a member name
	CodeEncoding          = "encoding_invalid"       // base64url alphabet/padding errors
	CodeAlgNotAllowed     = "alg_not_allowed"        // alg missing, none, HMAC, or not on the allow-list
	CodeAlgKeyMismatch    = "alg_key_mismatch"       // alg does not fit the key type/curve
	CodeKeyNotFound       = "key_not_found"          // kid is not a method of the DID under the purpose
	CodeKeyRevoked        = "key_revoked"            // the method existed but is no longer valid
	CodeDIDUnresolvable   = "did_unresolvable"       // the DID could not be resolved
	CodeLedgerUnavailable = "ledger_unavailable"     // the DID's ledger could not be read (did:ethr)
	CodeMethodUnsupported = "did_method_unsupported" // the DID method is not supported
	CodeSignatureInvalid  = "signature_invalid"
	CodeIssuerMismatch    = "issuer_mismatch"    // signer's DID is not the credential's issuer
	CodeExpired           = "expired"            // exp / validUntil in the past
	CodeNotYetValid       = "not_yet_valid"      // nbf / validFrom in the future
	CodeClaimInvalid      = "claim_invalid"      // a registered claim has the wrong type or disagrees with the credential
	CodeCredentialInvalid = "credential_invalid" // violates the VC data model
	CodeHolderMismatch    = "holder_mismatch"    // presentation signer is not the credential subject
	CodeProofMissing      = "proof_missing"
	CodeProofUnsupported  = "proof_type_unsupported"
	CodeChallengeMismatch = "challenge_mismatch"
	CodeDomainMismatch    = "domain_mismatch"
	CodeNonceReused       = "nonce_reused"
	CodeNonceUnknown      = "nonce_unknown"
	CodeUntrustedIssuer   = "issuer_untrusted"
	CodePolicyDenied      = "policy_denied"
	CodeTooLarge          = "too_large"
	CodeRevoked           = "revoked"
	CodeSuspended         = "suspended"
	CodeStatusUnavailable = "status_list_unavailable"
	CodeStatusOutOfRange  = "status_index_out_of_range"
	CodeStatusInvalid     = "status_list_invalid"
	CodeStatusUnanchored  = "status_unanchored"
	CodeContextNotAllowed = "context_not_allowed"
	CodeUnsupportedFormat = "format_unsupported"
	CodeMediaType         = "media_type_invalid" // typ/cty do not name the format the payload is in
)

// Error is a failure with a stable code and a sentence a person understands.
type Error struct {
	Code    string
	Message string
	Err     error // cause, kept off the wire
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error around a cause; the cause's text joins the message.
func Wrap(code string, err error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + err.Error()
	}
	return &Error{Code: code, Message: msg, Err: err}
}

// CodeOf returns the code of the first Error in err's chain, or "" if none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
