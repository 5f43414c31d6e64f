package vcjose

import (
	"crypto"
	"maps"
	"math"
	"time"

	"github.com/credentialflow/cflow/internal/vc"
)

// Format names a JWT securing format (OpenID4VCI Appendix A format ids).
type Format string

// Formats.
const (
	JWTVCJSON Format = "jwt_vc_json" // VCDM 1.1 §6.3.1 JWT with a "vc" claim
	VCJWT     Format = "vc+jwt"      // VC-JOSE-COSE §3.1.1: the payload is the credential
	JWTVPJSON Format = "jwt_vp_json" // VCDM 1.1 §6.3.1 JWT with a "vp" claim
	VPJWT     Format = "vp+jwt"      // VC-JOSE-COSE §3.1.2
)

// Media types used as typ (VC-JOSE-COSE §3.1.1, §3.1.2).
const (
	typVC = "vc+jwt"
	typVP = "vp+jwt"
)

// Envelope holds the JWT registered claims (RFC 7519 §4.1) of a token.
type Envelope struct {
	Issuer    string
	Subject   string
	ID        string
	Audience  []string
	Nonce     string
	NotBefore time.Time
	Expiry    time.Time
	IssuedAt  time.Time
}

// SignCredential secures a credential document. For jwt_vc_json the
// registered claims are derived per VCDM 1.1 §6.3.1 ("iss" from issuer,
// "nbf" from issuanceDate, "exp" from expirationDate, "jti" from id, "sub"
// from credentialSubject.id) and the credential travels in "vc".
func SignCredential(c *vc.Credential, f Format, signer crypto.Signer, kid string) (string, error) {
	switch f {
	case JWTVCJSON:
		claims := map[string]any{"vc": c.Doc, "iss": c.Issuer}
		if !c.ValidFrom.IsZero() {
			claims["nbf"] = c.ValidFrom.Unix()
		}
		if !c.ValidUntil.IsZero() {
			claims["exp"] = c.ValidUntil.Unix()
		}
		if c.ID != "" {
			claims["jti"] = c.ID
		}
		if ids := c.SubjectIDs(); len(ids) == 1 {
			claims["sub"] = ids[0]
		}
		return SignClaims(claims, signer, kid, "JWT", "")
	case VCJWT:
		if c.Version != 2 {
			return "", vc.Errorf(vc.CodeUnsupportedFormat, "vc+jwt secures VCDM 2.0 credentials; this one uses the 1.1 context")
		}
		return SignClaims(c.Doc, signer, kid, typVC, "vc")
	}
	return "", vc.Errorf(vc.CodeUnsupportedFormat, "credential format %q", f)
}

// DecodeCredential reads the credential out of a parsed token and checks
// the registered claims agree with it.
func DecodeCredential(t *Token) (*vc.Credential, Envelope, Format, error) {
	env, err := envelope(t.Claims)
	if err != nil {
		return nil, env, "", err
	}
	if err := checkMediaType(t, "vc"); err != nil {
		return nil, env, "", err
	}
	if raw, ok := t.Claims["vc"]; ok {
		doc, ok := raw.(map[string]any)
		if !ok {
			return nil, env, "", vc.Errorf(vc.CodeMalformed, "the vc claim must be an object")
		}
		if err := mergeV1(doc, env); err != nil {
			return nil, env, "", err
		}
		c, err := vc.ParseCredential(doc)
		return c, env, JWTVCJSON, err
	}
	doc := maps.Clone(t.Claims)
	for _, k := range []string{"iss", "sub", "jti", "nbf", "exp", "iat", "aud", "nonce", "cnf"} {
		delete(doc, k)
	}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		return nil, env, "", err
	}
	// VC-JOSE-COSE §3.1.1: when present, iss must identify the issuer.
	if env.Issuer != "" && env.Issuer != c.Issuer {
		return nil, env, "", vc.Errorf(vc.CodeClaimInvalid, "iss %s differs from issuer %s", env.Issuer, c.Issuer)
	}
	return c, env, VCJWT, nil
}

// checkMediaType enforces that the header names the format the payload is
// in. kind is "vc" or "vp". VC-JOSE-COSE §3.1.1/§3.1.2: a vc+jwt (vp+jwt)
// payload is the credential itself, so the "vc" and "vp" claims must not be
// present; VCDM 1.1 §6.3.1 JWTs carry typ "JWT" (or none) and the "vc"/"vp" claim.
func checkMediaType(t *Token, kind string) error {
	_, hasVC := t.Claims["vc"]
	_, hasVP := t.Claims["vp"]
	switch t.Header.Typ {
	case kind + "+jwt", "application/" + kind + "+jwt", kind + "+ld+json+jwt":
		if hasVC || hasVP {
			return vc.Errorf(vc.CodeClaimInvalid, "a %s+jwt payload is the %s itself; vc and vp claims must not be present (VC-JOSE-COSE §3.1)", kind, kind)
		}
		if t.Header.Cty != "" && t.Header.Cty != kind && t.Header.Cty != kind+"+ld+json" {
			return vc.Errorf(vc.CodeMediaType, "cty %q does not fit typ %s", t.Header.Cty, t.Header.Typ)
		}
		return nil
	case "", "JWT":
		if (kind == "vc" && !hasVC) || (kind == "vp" && !hasVP) {
			return vc.Errorf(vc.CodeMediaType, "a JWT without typ %s+jwt must carry the %s claim (VCDM 1.1 §6.3.1)", kind, kind)
		}
		return nil
	}
	return vc.Errorf(vc.CodeMediaType, "typ %q is not %s+jwt or JWT", t.Header.Typ, kind)
}

// mergeV1 applies VCDM 1.1 §6.3.1 decoding: each registered claim fills the
// credential property it stands for; if both are present they must agree.
func mergeV1(doc map[string]any, env Envelope) error {
	set := func(prop, claim, val string) error {
		if val == "" {
			return nil
		}
		if cur, ok := doc[prop]; ok {
			curID := cur
			if m, isMap := cur.(map[string]any); isMap {
				curID = m["id"]
			}
			if curID != val {
				return vc.Errorf(vc.CodeClaimInvalid, "%s %s differs from the credential's %s", claim, val, prop)
			}
			return nil
		}
		doc[prop] = val
		return nil
	}
	if err := set("issuer", "iss", env.Issuer); err != nil {
		return err
	}
	if err := set("id", "jti", env.ID); err != nil {
		return err
	}
	if env.Subject != "" {
		if subj, ok := doc["credentialSubject"].(map[string]any); ok {
			if id, has := subj["id"]; has && id != env.Subject {
				return vc.Errorf(vc.CodeClaimInvalid, "sub %s differs from credentialSubject.id", env.Subject)
			}
			subj["id"] = env.Subject
		}
	}
	if _, ok := doc["issuanceDate"]; !ok && !env.NotBefore.IsZero() {
		doc["issuanceDate"] = vc.FormatDateTime(env.NotBefore)
	}
	if _, ok := doc["expirationDate"]; !ok && !env.Expiry.IsZero() {
		doc["expirationDate"] = vc.FormatDateTime(env.Expiry)
	}
	return nil
}

// SignPresentation secures a presentation bound to nonce and audience.
// jwt_vp_json follows VCDM 1.1 §6.3.1 ("iss" = holder, "vp", "nonce",
// "aud"); vp+jwt puts the presentation in the payload and adds nonce/aud.
func SignPresentation(p map[string]any, f Format, signer crypto.Signer, kid, holder, nonce, aud, jti string, now time.Time, ttl time.Duration) (string, error) {
	var claims map[string]any
	typ := "JWT"
	switch f {
	case JWTVPJSON:
		claims = map[string]any{"vp": p}
	case VPJWT:
		claims = make(map[string]any, len(p)+6)
		for k, v := range p {
			claims[k] = v
		}
		typ = typVP
	default:
		return "", vc.Errorf(vc.CodeUnsupportedFormat, "presentation format %q", f)
	}
	claims["iss"] = holder
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if aud != "" {
		claims["aud"] = aud
	}
	if jti != "" {
		claims["jti"] = jti
	}
	cty := ""
	if f == VPJWT {
		cty = "vp"
	}
	return SignClaims(claims, signer, kid, typ, cty)
}

// DecodePresentation reads the presentation out of a parsed token.
func DecodePresentation(t *Token) (*vc.Presentation, Envelope, Format, error) {
	env, err := envelope(t.Claims)
	if err != nil {
		return nil, env, "", err
	}
	if err := checkMediaType(t, "vp"); err != nil {
		return nil, env, "", err
	}
	f := VPJWT
	doc := t.Claims
	if raw, ok := t.Claims["vp"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, env, "", vc.Errorf(vc.CodeMalformed, "the vp claim must be an object")
		}
		doc, f = m, JWTVPJSON
	}
	doc = maps.Clone(doc)
	if f == VPJWT {
		for _, k := range []string{"iss", "sub", "jti", "nbf", "exp", "iat", "aud", "nonce", "cnf"} {
			delete(doc, k)
		}
	}
	if env.Issuer != "" {
		if h, ok := doc["holder"]; ok && h != env.Issuer {
			return nil, env, "", vc.Errorf(vc.CodeClaimInvalid, "iss %s differs from holder", env.Issuer)
		}
		doc["holder"] = env.Issuer
	}
	p, err := vc.ParsePresentation(doc)
	return p, env, f, err
}

// envelope reads the registered claims with their RFC 7519 types: NumericDate
// claims are JSON numbers (integer or fractional), never strings.
func envelope(c map[string]any) (Envelope, error) {
	var e Envelope
	var err error
	str := func(name string) string {
		if err != nil {
			return ""
		}
		v, ok := c[name]
		if !ok {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			err = vc.Errorf(vc.CodeClaimInvalid, "%s must be a string (RFC 7519 §4.1)", name)
		}
		return s
	}
	date := func(name string) time.Time {
		if err != nil {
			return time.Time{}
		}
		v, ok := c[name]
		if !ok {
			return time.Time{}
		}
		f, isNum := v.(float64)
		if !isNum || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
			err = vc.Errorf(vc.CodeClaimInvalid, "%s must be a NumericDate (a number of seconds, RFC 7519 §2)", name)
			return time.Time{}
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	e.Issuer, e.Subject, e.ID, e.Nonce = str("iss"), str("sub"), str("jti"), str("nonce")
	e.NotBefore, e.Expiry = date("nbf"), date("exp")
	if err != nil {
		return e, err
	}
	// iat is informational (RFC 7519 §4.1.6) and decides nothing here; some
	// producers (the W3C VC-JOSE-COSE suite among them) write it as a string,
	// so a non-number iat is ignored rather than refused.
	if _, isNum := c["iat"].(float64); isNum {
		e.IssuedAt = date("iat")
	}
	switch a := c["aud"].(type) {
	case nil:
	case string:
		e.Audience = []string{a}
	case []any:
		for _, v := range a {
			s, ok := v.(string)
			if !ok {
				return e, vc.Errorf(vc.CodeClaimInvalid, "aud entries must be strings")
			}
			e.Audience = append(e.Audience, s)
		}
	default:
		return e, vc.Errorf(vc.CodeClaimInvalid, "aud must be a string or a list of strings")
	}
	return e, nil
}
