package verifier

import (
	"encoding/base64"
	"strings"

	"github.com/credentialflow/cflow/internal/vc"
)

// Enveloped extracts the compact JWS from an EnvelopedVerifiableCredential
// (kind "vc") or EnvelopedVerifiablePresentation ("vp"): VCDM 2.0 §4.13.1
// and §4.14, VC-JOSE-COSE §3.3 — the id is a data: URL (RFC 2397) of media
// type application/vc+jwt (application/vp+jwt), or application/vc-ld+jwt as
// earlier drafts and the W3C VCDM 2.0 test suite spell it. Accepted forms:
//
//	data:application/vc+jwt,<jws>
//	data:application/vc+jwt;base64url,<jws>  (the suite's input: the JWS is already base64url text)
//	data:application/vc+jwt;base64,<base64 of the jws>  (RFC 2397 §2)
//
// Any other parameter, media type or an empty payload is refused.
func Enveloped(doc map[string]any, kind string) (string, error) {
	id, _ := doc["id"].(string)
	if jws, ok := envelopedJWS(id, kind); ok {
		return jws, nil
	}
	return "", vc.Errorf(vc.CodeCredentialInvalid, "an Enveloped%s id must be a data:application/%s+jwt URL holding a compact JWS",
		map[string]string{"vc": "VerifiableCredential", "vp": "VerifiablePresentation"}[kind], kind)
}

func envelopedJWS(id, kind string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "data:")
	if !ok {
		return "", false
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || data == "" {
		return "", false
	}
	params := strings.Split(meta, ";")
	switch strings.ToLower(params[0]) {
	case "application/" + kind + "+jwt", "application/" + kind + "-ld+jwt":
	default:
		return "", false
	}
	switch len(params) {
	case 1:
	case 2:
		switch strings.ToLower(params[1]) {
		case "base64url":
		case "base64":
			b, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				return "", false
			}
			data = string(b)
		default:
			return "", false
		}
	default:
		return "", false
	}
	// A compact JWS is three base64url segments; the parser checks them.
	if strings.Count(data, ".") != 2 {
		return "", false
	}
	return data, true
}
