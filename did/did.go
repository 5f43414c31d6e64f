// Package did owns DID syntax, DID URLs, the DID document model, the Resolver
// interface, the method registry and the resolution cache (W3C DID Core 1.0).
// It does not know any DID method: each method lives in its own package
// (did/didkey, did/didjwk, did/didethr) and is handed to a Registry.
package did

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Sentinel errors callers branch on. The resolution error names of DID
// Core §7.1.2 and DID Resolution map onto them (see ErrorCode).
var (
	ErrInvalidDID          = errors.New("invalid DID")
	ErrNotFound            = errors.New("DID not found")
	ErrMethodNotSupported  = errors.New("DID method not supported")
	ErrDeactivated         = errors.New("DID deactivated")
	ErrUnavailable         = errors.New("DID registry unavailable")
	ErrMethodNotAuthorized = errors.New("verification method not authorized")
)

// MaxLength bounds any DID or DID URL we accept; nothing legitimate comes near it.
const MaxLength = 8 << 10

// DID is a parsed decentralized identifier: did:<method>:<method-specific-id>.
type DID struct {
	Method string
	ID     string // method-specific-id, still percent-encoded
}

func (d DID) String() string { return "did:" + d.Method + ":" + d.ID }

// Parse parses a bare DID (no path, query or fragment) per DID Core §3.1:
//
//	did                = "did:" method-name ":" method-specific-id
//	method-name        = 1*method-char ; %x61-7A / DIGIT
//	method-specific-id = *( *idchar ":" ) 1*idchar
//	idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
func Parse(s string) (DID, error) {
	if len(s) > MaxLength {
		return DID{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidDID, MaxLength)
	}
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return DID{}, fmt.Errorf("%w: %q does not start with did:", ErrInvalidDID, clip(s))
	}
	method, id, ok := strings.Cut(rest, ":")
	if !ok || method == "" {
		return DID{}, fmt.Errorf("%w: %q has no method", ErrInvalidDID, clip(s))
	}
	for i := 0; i < len(method); i++ {
		c := method[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return DID{}, fmt.Errorf("%w: method %q has a character outside a-z0-9", ErrInvalidDID, clip(method))
		}
	}
	if err := checkMethodSpecificID(id); err != nil {
		return DID{}, fmt.Errorf("%w: %q: %v", ErrInvalidDID, clip(s), err)
	}
	return DID{Method: method, ID: id}, nil
}

func checkMethodSpecificID(id string) error {
	if id == "" || strings.HasSuffix(id, ":") {
		return errors.New("empty method-specific-id or segment")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '_', c == ':':
		case c == '%':
			if i+2 >= len(id) || !isHex(id[i+1]) || !isHex(id[i+2]) {
				return errors.New("bad percent-encoding")
			}
			i += 2
		default:
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

// checkURIPart checks s against RFC 3986 §3.3 pchar plus the extra
// characters allowed in the part:
//
//	pchar      = unreserved / pct-encoded / sub-delims / ":" / "@"
//	unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
//	sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
func checkURIPart(s, extra string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0, strings.IndexByte(extra, c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return errors.New("bad percent-encoding")
			}
			i += 2
		default:
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// URL is a DID URL (DID Core §3.2): a DID plus optional path, query and fragment.
type URL struct {
	DID
	Path     string
	Query    url.Values
	Fragment string
}

// ParseURL parses a DID URL. A bare DID is a valid DID URL.
func ParseURL(s string) (URL, error) {
	if len(s) > MaxLength {
		return URL{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidDID, MaxLength)
	}
	rest, frag, hasFrag := strings.Cut(s, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	end := strings.IndexByte(rest, '/')
	base, path := rest, ""
	if end >= 0 {
		base, path = rest[:end], rest[end:]
	}
	d, err := Parse(base)
	if err != nil {
		return URL{}, err
	}
	// DID Core §3.2: path-abempty, query and fragment are those of RFC 3986
	// §3.3–3.5; anything outside their character sets is not a DID URL.
	if err := checkURIPart(path, "/"); err != nil {
		return URL{}, fmt.Errorf("%w: path of %q: %v", ErrInvalidDID, clip(s), err)
	}
	if err := checkURIPart(query, "/?"); err != nil {
		return URL{}, fmt.Errorf("%w: query of %q: %v", ErrInvalidDID, clip(s), err)
	}
	if err := checkURIPart(frag, "/?"); err != nil {
		return URL{}, fmt.Errorf("%w: fragment of %q: %v", ErrInvalidDID, clip(s), err)
	}
	u := URL{DID: d, Path: path}
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return URL{}, fmt.Errorf("%w: query of %q: %v", ErrInvalidDID, clip(s), err)
		}
		u.Query = q
	}
	if hasFrag {
		if frag == "" {
			return URL{}, fmt.Errorf("%w: empty fragment in %q", ErrInvalidDID, clip(s))
		}
		u.Fragment = frag
	}
	return u, nil
}

// String renders the DID URL.
func (u URL) String() string {
	s := u.DID.String() + u.Path
	if len(u.Query) > 0 {
		s += "?" + u.Query.Encode()
	}
	if u.Fragment != "" {
		s += "#" + u.Fragment
	}
	return s
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
