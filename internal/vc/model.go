// Package vc owns the Verifiable Credential and Presentation model (VC Data
// Model 1.1 and 2.0) as parsed, validated views over the JSON document, and
// the stable failure codes every securing format and check reports. The
// securing formats live in sub-packages: vcjose (JWT), dataintegrity.
package vc

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Base contexts (VCDM 1.1 §4.1, VCDM 2.0 §4.3).
const (
	ContextV1 = "https://www.w3.org/2018/credentials/v1"
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
)

// Types.
const (
	TypeCredential   = "VerifiableCredential"
	TypePresentation = "VerifiablePresentation"
)

// Credential is a validated view of a credential document.
type Credential struct {
	Doc        map[string]any
	Version    int // 1 or 2
	ID         string
	Types      []string
	Issuer     string
	Subjects   []map[string]any
	ValidFrom  time.Time // issuanceDate (1.1) or validFrom (2.0); zero if absent
	ValidUntil time.Time // expirationDate (1.1) or validUntil (2.0); zero if absent
	Status     []map[string]any
}

// SubjectIDs lists the id of every credentialSubject that has one.
func (c *Credential) SubjectIDs() []string {
	var out []string
	for _, s := range c.Subjects {
		if id, ok := s["id"].(string); ok && id != "" {
			out = append(out, id)
		}
	}
	return out
}

// HasType reports whether the credential declares type t.
func (c *Credential) HasType(t string) bool { return contains(c.Types, t) }

// ParseCredential validates the data-model rules that do not depend on
// JSON-LD processing and returns the view. Errors are *Error with
// CodeCredentialInvalid.
func ParseCredential(doc map[string]any) (*Credential, error) {
	version, err := baseContext(doc)
	if err != nil {
		return nil, err
	}
	c := &Credential{Doc: doc, Version: version}
	if err := checkContexts(doc); err != nil {
		return nil, err
	}
	if c.ID, err = optionalURL(doc, "id"); err != nil {
		return nil, err
	}
	if c.Types, err = types(doc, TypeCredential); err != nil {
		return nil, err
	}
	if c.Issuer, err = issuer(doc); err != nil {
		return nil, err
	}
	if c.Subjects, err = subjects(doc); err != nil {
		return nil, err
	}
	if version == 2 {
		// VCDM 2.0 §4.8: each subject holds claims; an empty object says nothing.
		for _, s := range c.Subjects {
			if len(s) == 0 {
				return nil, Errorf(CodeCredentialInvalid, "each credentialSubject needs at least one claim or an id (VCDM 2.0 §4.8)")
			}
		}
	}
	from, until := "validFrom", "validUntil"
	if version == 1 {
		// VCDM 1.1 §4.6: issuanceDate is required; §4.7 expirationDate.
		from, until = "issuanceDate", "expirationDate"
		if _, ok := doc[from]; !ok {
			return nil, Errorf(CodeCredentialInvalid, "a VCDM 1.1 credential needs issuanceDate (§4.6)")
		}
	}
	if c.ValidFrom, err = dateTime(doc, from); err != nil {
		return nil, err
	}
	if c.ValidUntil, err = dateTime(doc, until); err != nil {
		return nil, err
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom) {
		return nil, Errorf(CodeCredentialInvalid, "%s is before %s", until, from)
	}
	// credentialStatus: type, and an id that is one URL when present
	// (VCDM 2.0 §4.10); VCDM 1.1 §4.9 requires the id.
	if c.Status, err = typedObjects(doc, "credentialStatus", version == 1, "VCDM 2.0 §4.10"); err != nil {
		return nil, err
	}
	if err := checkOptional(doc, version); err != nil {
		return nil, err
	}
	return c, nil
}

// Presentation is a validated view of a presentation document.
type Presentation struct {
	Doc     map[string]any
	Version int
	ID      string
	Types   []string
	Holder  string
	// Credentials are the verifiableCredential entries as found: a
	// map[string]any for an embedded credential, a string for a JWT.
	Credentials []any
}

// ParsePresentation validates a presentation document.
func ParsePresentation(doc map[string]any) (*Presentation, error) {
	version, err := baseContext(doc)
	if err != nil {
		return nil, err
	}
	p := &Presentation{Doc: doc, Version: version}
	if p.ID, err = optionalURL(doc, "id"); err != nil {
		return nil, err
	}
	if p.Types, err = types(doc, TypePresentation); err != nil {
		return nil, err
	}
	if err := checkContexts(doc); err != nil {
		return nil, err
	}
	switch h := doc["holder"].(type) {
	case nil:
	case string:
		p.Holder = h
	case map[string]any:
		p.Holder, _ = h["id"].(string)
	default:
		return nil, Errorf(CodeCredentialInvalid, "holder must be a URL or an object with an id")
	}
	if _, has := doc["holder"]; has && !isURL(p.Holder) {
		return nil, Errorf(CodeCredentialInvalid, "holder must be a URL or an object whose id is a URL (VCDM 2.0 §4.14)")
	}
	switch v := doc["verifiableCredential"].(type) {
	case nil:
	case []any:
		p.Credentials = v
	default:
		p.Credentials = []any{v}
	}
	if err := checkVerifiableCredentials(p.Credentials, version); err != nil {
		return nil, err
	}
	if _, err := checkProofs(doc); err != nil {
		return nil, err
	}
	return p, nil
}

func baseContext(doc map[string]any) (int, error) {
	var first string
	switch c := doc["@context"].(type) {
	case string:
		first = c
	case []any:
		if len(c) > 0 {
			first, _ = c[0].(string)
		}
	}
	switch first {
	case ContextV1:
		return 1, nil
	case ContextV2:
		return 2, nil
	}
	return 0, Errorf(CodeCredentialInvalid, "the first @context must be %s or %s (VCDM 2.0 §4.3)", ContextV2, ContextV1)
}

func types(doc map[string]any, required string) ([]string, error) {
	var out []string
	switch t := doc["type"].(type) {
	case string:
		out = []string{t}
	case []any:
		for _, v := range t {
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, Errorf(CodeCredentialInvalid, "type entries must be non-empty strings")
			}
			out = append(out, s)
		}
	}
	if !contains(out, required) {
		return nil, Errorf(CodeCredentialInvalid, "type must include %s (VCDM 2.0 §4.5)", required)
	}
	return out, nil
}

func issuer(doc map[string]any) (string, error) {
	var id string
	switch v := doc["issuer"].(type) {
	case string:
		id = v
	case map[string]any:
		id, _ = v["id"].(string)
	}
	if !isURL(id) {
		return "", Errorf(CodeCredentialInvalid, "issuer must be a URL or an object whose id is a URL (VCDM 2.0 §4.7)")
	}
	return id, nil
}

func subjects(doc map[string]any) ([]map[string]any, error) {
	subs, err := objects(doc, "credentialSubject")
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, Errorf(CodeCredentialInvalid, "credentialSubject is required (VCDM 2.0 §4.8)")
	}
	for _, s := range subs {
		if id, ok := s["id"]; ok {
			if str, _ := id.(string); !isURL(str) {
				return nil, Errorf(CodeCredentialInvalid, "credentialSubject.id must be a URL")
			}
		}
	}
	return subs, nil
}

// objects reads a property that is one object or a list of objects.
func objects(doc map[string]any, name string) ([]map[string]any, error) {
	switch v := doc[name].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return []map[string]any{v}, nil
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, Errorf(CodeCredentialInvalid, "%s entries must be objects", name)
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, Errorf(CodeCredentialInvalid, "%s must be an object or a list of objects", name)
}

func optionalURL(doc map[string]any, name string) (string, error) {
	v, ok := doc[name]
	if !ok {
		return "", nil
	}
	s, _ := v.(string)
	if !isURL(s) {
		return "", Errorf(CodeCredentialInvalid, "%s must be a URL", name)
	}
	return s, nil
}

// dateTime parses an XML Schema dateTimeStamp (VCDM 2.0 §4.9 requires a
// time zone offset; 1.1 uses the same RFC 3339 profile).
func dateTime(doc map[string]any, name string) (time.Time, error) {
	v, ok := doc[name]
	if !ok {
		return time.Time{}, nil
	}
	s, _ := v.(string)
	t, err := ParseDateTime(s)
	if err != nil {
		return time.Time{}, Errorf(CodeCredentialInvalid, "%s %q is not a date-time with a time zone (RFC 3339)", name, s)
	}
	return t, nil
}

// ParseDateTime parses an RFC 3339 date-time with a zone offset.
func ParseDateTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// FormatDateTime renders t in the canonical UTC second-precision form.
func FormatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func isURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Clone deep-copies a JSON document through encoding/json.
func Clone(doc map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("vc: clone: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("vc: clone: %w", err)
	}
	return out, nil
}
