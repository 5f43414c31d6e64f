package vcjose

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/vc"
)

// MaxTokenBytes bounds a compact JWS we parse.
const MaxTokenBytes = 512 << 10

// Header is the protected header members we act on.
type Header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ"`
	Cty  string   `json:"cty"`
	Crit []string `json:"crit"`
	B64  *bool    `json:"b64"`
}

// Token is a compact JWS whose envelope passed the strict checks but whose
// signature is not yet verified.
type Token struct {
	Raw     string
	Header  Header
	Payload []byte
	Claims  map[string]any // the payload as JSON (numbers as float64)

	signingInput []byte // ASCII(header '.' payload), RFC 7515 §5.2 step 8
	signature    []byte
}

// Parse applies the envelope rules: three segments of unpadded base64url
// (RFC 7515 §3.1, §2 "Base64url Encoding" forbids padding), a header and a
// payload that are strict JSON objects with no duplicate members (RFC 7515
// §5.2 step 4), an alg on the allow-list, and no crit extension (RFC 7515
// §4.1.11: we understand none, so a crit header must be refused).
func Parse(token string) (*Token, error) {
	if len(token) > MaxTokenBytes {
		return nil, vc.Errorf(vc.CodeTooLarge, "token is over %d bytes", MaxTokenBytes)
	}
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, vc.Errorf(vc.CodeMalformed, "a compact JWS has 3 segments, this has %d", len(parts))
	}
	for i, p := range parts {
		// An empty signature is well-formed for alg "none" (RFC 7515 §A.5);
		// the alg check below refuses it with the code that says why.
		if !isBase64URL(p) && (i != 2 || p != "") {
			return nil, vc.Errorf(vc.CodeEncoding, "segment %d is not unpadded base64url (RFC 7515 §2)", i+1)
		}
	}
	hdrRaw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, vc.Wrap(vc.CodeEncoding, err, "header")
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return nil, vc.Wrap(vc.CodeEncoding, err, "payload")
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return nil, vc.Wrap(vc.CodeEncoding, err, "signature")
	}
	t := &Token{Raw: token, Payload: payload, signature: sig, signingInput: []byte(token[:len(parts[0])+1+len(parts[1])])}
	hdr, err := decodeObject(hdrRaw, "header")
	if err != nil {
		return nil, err
	}
	if t.Header, err = header(hdr); err != nil {
		return nil, err
	}
	if t.Header.Alg == "" || strings.EqualFold(t.Header.Alg, "none") || !Allowed(t.Header.Alg) {
		return nil, vc.Errorf(vc.CodeAlgNotAllowed, "alg %q is not allowed (EdDSA, ES256, ES256K only)", t.Header.Alg)
	}
	if t.Header.Crit != nil || t.Header.B64 != nil { // an empty crit list is invalid too (§4.1.11)
		return nil, vc.Errorf(vc.CodeMalformed, "crit/b64 header extensions are not supported (RFC 7515 §4.1.11)")
	}
	if t.Claims, err = decodeObject(payload, "payload"); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeObject applies the strict JSON rules and decodes an object in one
// pass (internal/jsonx.DecodeObject).
func decodeObject(raw []byte, what string) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return nil, vc.Errorf(vc.CodeMalformed, "%s is not a JSON object", what)
	}
	m, err := jsonx.DecodeObject(raw)
	if err != nil {
		code := vc.CodeMalformed
		if errors.Is(err, jsonx.ErrDuplicateKey) {
			code = vc.CodeDuplicateKey
		}
		return nil, vc.Wrap(code, err, "%s", what)
	}
	return m, nil
}

// header reads the members we act on from a decoded protected header;
// each must have its registered type (RFC 7515 §4.1).
func header(m map[string]any) (Header, error) {
	var h Header
	for name, dst := range map[string]*string{"alg": &h.Alg, "kid": &h.Kid, "typ": &h.Typ, "cty": &h.Cty} {
		v, ok := m[name]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return h, vc.Errorf(vc.CodeMalformed, "header %s must be a string", name)
		}
		*dst = s
	}
	if v, ok := m["crit"]; ok {
		list, _ := v.([]any)
		h.Crit = make([]string, 0, len(list))
		for _, e := range list {
			s, _ := e.(string)
			h.Crit = append(h.Crit, s)
		}
	}
	if v, ok := m["b64"]; ok {
		b, _ := v.(bool)
		h.B64 = &b
	}
	return h, nil
}

// base64URL marks the bytes of the base64url alphabet (RFC 4648 §5).
var base64URL = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// isBase64URL reports whether s is non-empty and only base64url characters:
// no padding, no standard-alphabet '+' '/', and no line breaks, which Go's
// decoder would otherwise skip even in strict mode.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if !base64URL[s[i]] {
			return false
		}
	}
	return s != ""
}

// Verify checks the signature with pub after checking that the alg fits the key.
func (t *Token) Verify(pub crypto.PublicKey) error {
	if err := CheckAlgKey(t.Header.Alg, pub); err != nil {
		return err
	}
	// The envelope is already parsed and checked; hand jwx's verifier for
	// this alg the signing input and signature rather than re-parsing.
	v, err := jws.NewVerifier(jwa.SignatureAlgorithm(t.Header.Alg))
	if err != nil {
		return vc.Wrap(vc.CodeAlgNotAllowed, err, "alg %s", t.Header.Alg)
	}
	if err := v.Verify(t.signingInput, t.signature, pub); err != nil {
		return vc.Wrap(vc.CodeSignatureInvalid, nil, "the signature does not verify with %s", t.Header.Kid)
	}
	return nil
}

// Sign produces a compact JWS over payload with the given protected header
// members (typ, cty; kid may be empty).
func Sign(payload []byte, signer crypto.Signer, kid, typ, cty string) (string, error) {
	alg, err := AlgFor(signer.Public())
	if err != nil {
		return "", err
	}
	h := jws.NewHeaders()
	for k, v := range map[string]string{jws.KeyIDKey: kid, jws.TypeKey: typ, jws.ContentTypeKey: cty} {
		if v == "" {
			continue
		}
		if err := h.Set(k, v); err != nil {
			return "", fmt.Errorf("vcjose: header %s: %w", k, err)
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, signer, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("vcjose: sign: %w", err)
	}
	return string(out), nil
}

// SignClaims marshals claims and signs them.
func SignClaims(claims map[string]any, signer crypto.Signer, kid, typ, cty string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("vcjose: claims: %w", err)
	}
	return Sign(payload, signer, kid, typ, cty)
}
