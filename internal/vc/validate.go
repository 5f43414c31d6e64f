package vc

import (
	"errors"
	"strings"
)

// This file holds the VCDM rules ParseCredential and ParsePresentation add
// to the required properties: the shapes of the optional properties a
// verifier must still refuse when malformed.

// checkContexts: every @context entry after the base one is a URL or an
// object (VCDM 2.0 §4.3; VCDM 1.1 §4.1).
func checkContexts(doc map[string]any) error {
	list, _ := doc["@context"].([]any)
	for _, e := range list {
		switch c := e.(type) {
		case string:
			if !isURL(c) {
				return Errorf(CodeCredentialInvalid, "@context entry %q is not a URL (VCDM 2.0 §4.3)", c)
			}
		case map[string]any:
		default:
			return Errorf(CodeCredentialInvalid, "@context entries must be URLs or objects (VCDM 2.0 §4.3)")
		}
	}
	return nil
}

// checkLanguageValue: name and description are a string, a language value
// object, or a list of them (VCDM 2.0 §4.6 "Names and Descriptions", §11.1
// "Language and Base Direction").
func checkLanguageValue(owner map[string]any, name string) error {
	v, ok := owner[name]
	if !ok {
		return nil
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	if len(items) == 0 {
		return Errorf(CodeCredentialInvalid, "%s must not be an empty list", name)
	}
	for _, it := range items {
		switch t := it.(type) {
		case string:
		case map[string]any:
			if _, ok := t["@value"].(string); !ok {
				return Errorf(CodeCredentialInvalid, "%s value object needs a string @value (VCDM 2.0 §11.1)", name)
			}
			for k, x := range t {
				switch k {
				case "@value":
				case "@language", "@direction":
					s, ok := x.(string)
					if !ok || s == "" || (k == "@direction" && s != "ltr" && s != "rtl") {
						return Errorf(CodeCredentialInvalid, "%s %s must be a language tag / ltr / rtl (VCDM 2.0 §11.1)", name, k)
					}
				default:
					return Errorf(CodeCredentialInvalid, "%s value object may hold only @value, @language and @direction, not %q (VCDM 2.0 §11.1)", name, k)
				}
			}
		default:
			return Errorf(CodeCredentialInvalid, "%s must be a string or a language value object (VCDM 2.0 §4.6)", name)
		}
	}
	return nil
}

// typedObjects checks a property whose objects each need a type, and an id
// that is a single URL when required or present.
func typedObjects(doc map[string]any, name string, idRequired bool, section string) ([]map[string]any, error) {
	objs, err := objects(doc, name)
	if err != nil {
		return nil, err
	}
	if v, ok := doc[name]; ok && v == nil {
		return nil, Errorf(CodeCredentialInvalid, "%s must not be null", name)
	}
	for _, o := range objs {
		if !hasType(o["type"]) {
			return nil, Errorf(CodeCredentialInvalid, "each %s needs a type (%s)", name, section)
		}
		id, has := o["id"]
		if !has {
			if idRequired {
				return nil, Errorf(CodeCredentialInvalid, "each %s needs an id (%s)", name, section)
			}
			continue
		}
		if s, _ := id.(string); !isURL(s) {
			return nil, Errorf(CodeCredentialInvalid, "%s.id must be a single URL (%s)", name, section)
		}
	}
	return objs, nil
}

// hasType: a non-empty string or a non-empty list of non-empty strings.
func hasType(v any) bool {
	switch t := v.(type) {
	case string:
		return t != ""
	case []any:
		for _, e := range t {
			if s, ok := e.(string); !ok || s == "" {
				return false
			}
		}
		return len(t) > 0
	}
	return false
}

// checkOptional runs the shape rules of the optional credential properties.
func checkOptional(doc map[string]any, version int) error {
	if err := checkLanguageValue(doc, "name"); err != nil {
		return err
	}
	if err := checkLanguageValue(doc, "description"); err != nil {
		return err
	}
	if iss, ok := doc["issuer"].(map[string]any); ok {
		if err := checkLanguageValue(iss, "name"); err != nil {
			return err
		}
		if err := checkLanguageValue(iss, "description"); err != nil {
			return err
		}
	}
	// credentialSchema: id and type (VCDM 2.0 §4.11; 1.1 §5.4).
	schemas, err := typedObjects(doc, "credentialSchema", true, "VCDM 2.0 §4.11")
	if err != nil {
		return err
	}
	// refreshService, termsOfUse, evidence: type (VCDM 2.0 §5.4–5.6).
	for _, name := range []string{"refreshService", "termsOfUse", "evidence"} {
		if _, err := typedObjects(doc, name, false, "VCDM 2.0 §5.4–§5.6"); err != nil {
			return err
		}
	}
	if err := checkRelatedResources(doc); err != nil {
		return err
	}
	proofs, err := checkProofs(doc)
	if err != nil {
		return err
	}
	// VCDM 1.1 §5.8: a credential secured with a zero-knowledge proof MUST
	// name its credentialSchema.
	if version == 1 && len(schemas) == 0 {
		for _, p := range proofs {
			if t, _ := p["type"].(string); isZKPProofType(t) {
				return Errorf(CodeCredentialInvalid, "a credential with a zero-knowledge proof (%s) needs credentialSchema (VCDM 1.1 §5.8)", t)
			}
		}
	}
	return nil
}

// isZKPProofType names the CL-signature proof types VCDM 1.1 §5.8 means.
func isZKPProofType(t string) bool {
	return strings.HasPrefix(t, "CLSignature") || strings.Contains(t, "AnonCred")
}

// checkProofs: each embedded proof is an object with a type (VC Data
// Integrity §2.1; VCDM 2.0 §4.12).
func checkProofs(doc map[string]any) ([]map[string]any, error) {
	raw, ok := doc["proof"]
	if !ok {
		return nil, nil
	}
	if raw == nil {
		return nil, Errorf(CodeCredentialInvalid, "proof must not be null")
	}
	proofs, err := objects(doc, "proof")
	if err != nil {
		return nil, err
	}
	for _, p := range proofs {
		if !hasType(p["type"]) {
			return nil, Errorf(CodeCredentialInvalid, "each proof needs a type (VC Data Integrity §2.1)")
		}
	}
	return proofs, nil
}

// checkRelatedResources: each relatedResource has a URL id, at least one
// digest, and ids are unique (VCDM 2.0 §5.3 "Integrity of Related
// Resources"). The digests themselves are checked by VerifyRelatedResource
// against content the caller already holds; nothing is fetched.
func checkRelatedResources(doc map[string]any) error {
	res, err := objects(doc, "relatedResource")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range res {
		id, _ := r["id"].(string)
		if !isURL(id) {
			return Errorf(CodeCredentialInvalid, "relatedResource.id must be a URL (VCDM 2.0 §5.3)")
		}
		if seen[id] {
			return Errorf(CodeCredentialInvalid, "relatedResource %s is listed twice (VCDM 2.0 §5.3)", id)
		}
		seen[id] = true
		sri, hasSRI := r["digestSRI"]
		mb, hasMB := r["digestMultibase"]
		if !hasSRI && !hasMB {
			return Errorf(CodeCredentialInvalid, "relatedResource %s needs digestSRI or digestMultibase (VCDM 2.0 §5.3)", id)
		}
		if hasSRI {
			if _, _, err := parseSRI(sri); err != nil {
				return err
			}
		}
		if hasMB {
			if _, _, err := parseDigestMultibase(mb); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkVerifiableCredentials: in VCDM 2.0 every verifiableCredential entry
// is an object — a credential or an EnvelopedVerifiableCredential — with a
// type (VCDM 2.0 §4.13 and §4.13.1); VCDM 1.1 §6.3.1 also allows a JWT
// string.
func checkVerifiableCredentials(entries []any, version int) error {
	for i, e := range entries {
		switch t := e.(type) {
		case string:
			if version == 2 {
				return Errorf(CodeCredentialInvalid, "verifiableCredential %d is a string; VCDM 2.0 carries a JWT credential as an EnvelopedVerifiableCredential (§4.13.1)", i)
			}
		case map[string]any:
			if !hasType(t["type"]) {
				return Errorf(CodeCredentialInvalid, "verifiableCredential %d needs a type (VCDM 2.0 §4.13)", i)
			}
			if IsEnveloped(t) {
				if err := checkEnveloped(t, "vc"); err != nil {
					return err
				}
				continue
			}
			if _, err := ParseCredential(t); err != nil {
				var e *Error
				if errors.As(err, &e) {
					return Errorf(e.Code, "verifiableCredential %d: %s", i, e.Message)
				}
				return err
			}
		default:
			return Errorf(CodeCredentialInvalid, "verifiableCredential %d must be an object", i)
		}
	}
	return nil
}

// IsEnveloped reports whether doc is an EnvelopedVerifiableCredential or
// EnvelopedVerifiablePresentation (VCDM 2.0 §4.13.1, §4.14).
func IsEnveloped(doc map[string]any) bool {
	switch t := doc["type"].(type) {
	case string:
		return t == "EnvelopedVerifiableCredential" || t == "EnvelopedVerifiablePresentation"
	case []any:
		for _, e := range t {
			if e == "EnvelopedVerifiableCredential" || e == "EnvelopedVerifiablePresentation" {
				return true
			}
		}
	}
	return false
}

// checkEnveloped: the id is a data: URL whose media type names a secured
// credential (kind "vc") or presentation ("vp"), e.g. application/vc+jwt
// (VCDM 2.0 §4.13.1; VC-JOSE-COSE §3.3).
func checkEnveloped(doc map[string]any, kind string) error {
	id, _ := doc["id"].(string)
	rest, ok := strings.CutPrefix(id, "data:application/"+kind)
	if !ok || !strings.Contains(rest, ",") || strings.HasSuffix(rest, ",") {
		return Errorf(CodeCredentialInvalid, "an enveloped %s needs an id that is a data:application/%s… URL with content (VCDM 2.0 §4.13.1)", kind, kind)
	}
	return nil
}
