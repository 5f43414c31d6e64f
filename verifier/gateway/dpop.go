package gateway

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// DPoP (RFC 9449) proof checks.
const (
	HeaderDPoP = "DPoP"
	dpopTyp    = "dpop+jwt"
	// DPoPWindow is how far a proof's iat may be from now (RFC 9449 §11.1
	// leaves the window to the server; a proof is fresh for one request).
	DPoPWindow = 60 * time.Second
	maxDPoP    = 8 << 10
)

// dpopAlgs is the allow-list for proofs: asymmetric only (RFC 9449 §4.2
// forbids none and MAC algorithms).
var dpopAlgs = map[jwa.SignatureAlgorithm]bool{jwa.EdDSA: true, jwa.ES256: true, jwa.ES384: true}

// ErrDPoP is wrapped by every refused DPoP proof.
var ErrDPoP = errors.New("invalid DPoP proof")

type dpopClaims struct {
	JTI string          `json:"jti"`
	HTM string          `json:"htm"`
	HTU string          `json:"htu"`
	IAT json.Number     `json:"iat"`
	ATH string          `json:"ath"`
	Raw json.RawMessage `json:"-"`
}

// checkDPoP verifies a proof for a request (RFC 9449 §4.3) and returns the
// JWK thumbprint of its key (§6.1, RFC 7638). accessToken, when set, must
// hash to the proof's ath (§4.3 check 11).
func (g *Gateway) checkDPoP(ctx context.Context, proof, method, htu, accessToken string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrDPoP, fmt.Sprintf(format, args...))
	}
	if len(proof) > maxDPoP {
		return fail("larger than %d bytes", maxDPoP)
	}
	// §4.3 check 2: a well-formed JWS with a single signature.
	msg, err := jws.Parse([]byte(proof))
	if err != nil || len(msg.Signatures()) != 1 || strings.Count(proof, ".") != 2 {
		return fail("not a compact JWS")
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	// Checks 4–6: typ, an allowed asymmetric alg, a public jwk.
	if h.Type() != dpopTyp {
		return fail("typ must be %s", dpopTyp)
	}
	alg := h.Algorithm()
	if !dpopAlgs[alg] {
		return fail("alg %q is not allowed", alg)
	}
	key := h.JWK()
	if key == nil {
		return fail("no jwk header")
	}
	if ak, ok := key.(jwk.AsymmetricKey); !ok || ak.IsPrivate() {
		return fail("the jwk header must be a public key")
	}
	// Check 7: the signature verifies with that key.
	payload, err := jws.Verify([]byte(proof), jws.WithKey(alg, key))
	if err != nil {
		return fail("signature does not verify with its jwk")
	}
	var c dpopClaims
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return fail("claims: %v", err)
	}
	// Checks 8–9: htm and htu name this request (URI without query and fragment).
	if c.JTI == "" || len(c.JTI) > 256 {
		return fail("jti missing or too long")
	}
	if c.HTM != method {
		return fail("htm %q is not %s", c.HTM, method)
	}
	if !sameHTU(c.HTU, htu) {
		return fail("htu %q is not %s", c.HTU, htu)
	}
	// Check 11: iat within the window.
	iat, err := c.IAT.Float64()
	if err != nil {
		return fail("iat must be a number")
	}
	now := g.cfg.Now()
	at := time.Unix(int64(iat), 0)
	if at.Before(now.Add(-DPoPWindow)) || at.After(now.Add(DPoPWindow)) {
		return fail("iat is outside ±%s of now", DPoPWindow)
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if subtle.ConstantTimeCompare([]byte(c.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1 {
			return fail("ath does not match the access token")
		}
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return fail("thumbprint: %v", err)
	}
	jkt := base64.RawURLEncoding.EncodeToString(tp)
	// §11.1: a proof is used once. The key is jkt+jti, so two clients'
	// proofs never collide.
	if err := g.cfg.JTIs.Use(ctx, "dpop|"+jkt+"|"+c.JTI, now.Add(2*DPoPWindow)); err != nil {
		if errors.Is(err, ErrReplayed) {
			return fail("this proof (jti %q) was already used", c.JTI)
		}
		return "", err
	}
	return jkt, nil
}

// sameHTU compares scheme, host and path (RFC 9449 §4.3 check 9, with the
// syntax-based normalization of RFC 3986 §6.2.2 for case).
func sameHTU(got, want string) bool {
	a, err1 := url.Parse(got)
	b, err2 := url.Parse(want)
	if err1 != nil || err2 != nil || a.Host == "" {
		return false
	}
	pa, pb := a.EscapedPath(), b.EscapedPath()
	if pa == "" {
		pa = "/"
	}
	if pb == "" {
		pb = "/"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host) && pa == pb
}
