package jsonld

import (
	"errors"
	"fmt"
)

// Stable machine-readable codes carried by *Error.
const (
	CodeContextNotAllowed = "context_not_allowed"
	CodeUndefinedTerm     = "jsonld_undefined_term"
	CodeUndefinedType     = "jsonld_undefined_type"
	CodeRelativeIRI       = "jsonld_relative_iri"
	CodeInvalidIRI        = "jsonld_invalid_iri"
	CodeDroppedValue      = "jsonld_dropped_value"
	CodeInvalid           = "jsonld_invalid"
	// CodeTooComplex: the RDF form is over a canonicalization limit
	// (MaxEquivalentBlankNodes, MaxBlankNodes, MaxQuads, MaxHashNDegreeWork).
	CodeTooComplex = "jsonld_too_complex"
)

// Sentinels for errors.Is; every *Error unwraps to exactly one of them.
var (
	ErrContextNotAllowed = errors.New("jsonld: context not allowed")
	ErrUndefinedTerm     = errors.New("jsonld: undefined term")
	ErrUndefinedType     = errors.New("jsonld: undefined type")
	ErrRelativeIRI       = errors.New("jsonld: relative IRI")
	ErrInvalidIRI        = errors.New("jsonld: invalid IRI")
	ErrDroppedValue      = errors.New("jsonld: value dropped by expansion")
	ErrInvalid           = errors.New("jsonld: invalid document")
	ErrTooComplex        = errors.New("jsonld: too complex to canonicalize")
)

var sentinelByCode = map[string]error{
	CodeContextNotAllowed: ErrContextNotAllowed,
	CodeUndefinedTerm:     ErrUndefinedTerm,
	CodeUndefinedType:     ErrUndefinedType,
	CodeRelativeIRI:       ErrRelativeIRI,
	CodeInvalidIRI:        ErrInvalidIRI,
	CodeDroppedValue:      ErrDroppedValue,
	CodeInvalid:           ErrInvalid,
	CodeTooComplex:        ErrTooComplex,
}

// Error is a JSON-LD rejection with a stable Code and a sentence a person
// understands. Use errors.As to read the code, errors.Is with the sentinels.
type Error struct {
	Code    string // one of the Code* constants
	Message string // human-readable, safe to show to the submitter
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("jsonld: %s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("jsonld: %s: %s", e.Code, e.Message)
}

// Unwrap returns the sentinel for Code and, when present, the underlying cause.
func (e *Error) Unwrap() []error {
	errs := []error{sentinelByCode[e.Code]}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

func newError(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), cause: cause}
}
