package adversarial

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"net/url"
	"strings"
	"testing"

	"github.com/multiformats/go-multibase"
)

// TestDIDStrings resolves odd DIDs over HTTP: every answer is a documented
// status with problem+json, never 5xx.
func TestDIDStrings(t *testing.T) {
	finding(t)
	s := start(t, "")
	h := newHolder(t)
	_, raw, _ := multibase.Decode(strings.TrimPrefix(h.DID, "did:key:"))
	wrongCodec := append([]byte{0x12, 0x00}, raw[2:]...) // sha2-256 multicodec
	wc, _ := multibase.Encode(multibase.Base58BTC, wrongCodec)
	x25519Prefix := append([]byte{0xec, 0x01}, raw[2:]...)
	xk, _ := multibase.Encode(multibase.Base58BTC, x25519Prefix)
	short, _ := multibase.Encode(multibase.Base58BTC, raw[:10])
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := ec.D.FillBytes(make([]byte, 32))
	privJWK, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "x": b64(ec.X.FillBytes(make([]byte, 32))), "y": b64(ec.Y.FillBytes(make([]byte, 32))), "d": b64(d)})
	offCurve, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "x": b64(big.NewInt(1).FillBytes(make([]byte, 32))), "y": b64(big.NewInt(1).FillBytes(make([]byte, 32)))})
	oct, _ := json.Marshal(map[string]any{"kty": "oct", "k": b64([]byte("secret"))})
	dupX, _ := json.Marshal(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(raw[2:])})
	dupX = []byte(strings.Replace(string(dupX), `{`, `{"x":"AAAA",`, 1))
	cases := []struct {
		did    string
		status int
	}{
		{h.DID, 200},
		{"did:key:" + wc, 400},
		{"did:key:" + xk, 200}, // X25519: resolves for keyAgreement only
		{"did:key:" + short, 400},
		{"did:key:z", 400},
		{"did:key:", 400},
		{"did:key:" + strings.Repeat("z", 9000), 400},
		{"did:key:" + strings.Repeat("z6Mk", 1000), 400},
		{"did:KEY:" + strings.TrimPrefix(h.DID, "did:key:"), 400},
		{"DID:key:" + strings.TrimPrefix(h.DID, "did:key:"), 400},
		{h.DID + "%00", 400},
		{url.PathEscape(h.DID), 200},
		{"did:key:%7A6Mk", 400},
		{"did:jwk:" + b64(privJWK), 400},
		{"did:jwk:" + b64(offCurve), 400},
		{"did:jwk:" + b64(oct), 400},
		{"did:jwk:" + b64(dupX), 400},
		{"did:jwk:" + b64([]byte(`{"kty":"OKP","crv":"Ed25519","x":"`+b64(raw[2:])+`","d":"AA","d":"AA"}`)), 400},
		{"did:jwk:" + b64([]byte(`{"kty":"OKP","crv":"Ed25519","x":"`+b64(raw[2:])+`","\u0064":"AA"}`)), 400},
		{"did:web:evil.example", 501},
		{"did:ethr:0x1", 0},
		{"did:example:%E2%80%AE", 400},
		{"did:example:%25E2%2580%25AE", 501},
		{"did:key:" + strings.TrimPrefix(h.DID, "did:key:") + "?versionId=1", 400},
		{"did:key:" + strings.TrimPrefix(h.DID, "did:key:") + "/../../etc/passwd", 400},
		{"did:key:" + strings.TrimPrefix(h.DID, "did:key:") + "%2F..%2F", 400},
	}
	for _, c := range cases {
		name := c.did
		if len(name) > 60 {
			name = name[:60]
		}
		r := do(t, "GET", s.URL+"/1.0/identifiers/"+c.did, "", nil)
		if r.status >= 500 && r.status != 501 {
			t.Errorf("%s: server error %s", name, r)
		}
		if c.status != 0 && r.status != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", name, r.status, c.status, r.body)
		}
		if r.status >= 400 && !strings.HasPrefix(r.hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d with content-type %q", name, r.status, r.hdr.Get("Content-Type"))
		}
	}
}

// TestTokenEndpointInput: malformed token requests get RFC 6749 errors.
func TestTokenEndpointInput(t *testing.T) {
	s := start(t, "")
	tok := s.URL + "/v1/gateway/token"
	gt := "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token_type=urn:ietf:params:oauth:token-type:jwt"
	for _, c := range []struct {
		name, ctype, body string
		status            int
		errCode           string
	}{
		{"json-body", "application/json", `{"grant_type":"x"}`, 400, "invalid_request"},
		{"no-ctype", "", gt + "&subject_token=a.b.c", 400, "invalid_request"},
		{"bad-grant", "application/x-www-form-urlencoded", "grant_type=password&username=a", 400, "unsupported_grant_type"},
		{"repeat", "application/x-www-form-urlencoded", gt + "&subject_token=a&subject_token=b", 400, "invalid_request"},
		{"bad-escape", "application/x-www-form-urlencoded", gt + "&subject_token=%zz", 400, "invalid_request"},
		{"garbage-token", "application/x-www-form-urlencoded", gt + "&subject_token=%00%01", 400, "invalid_grant"},
		{"json-token-dup", "application/x-www-form-urlencoded", gt + "&subject_token=" + url.QueryEscape(`{"a":1,"a":2}`), 400, "invalid_request"},
		{"json-token-deep", "application/x-www-form-urlencoded", gt + "&subject_token=" + url.QueryEscape("{\"a\":"+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"}"), 400, "invalid_request"},
		// RFC 6749 §5.2 errors on the token endpoint, also for an oversized body
		{"huge", "application/x-www-form-urlencoded", gt + "&subject_token=" + strings.Repeat("A", 2<<20), 413, "invalid_request"},
		{"ctype-prefix-trick", "application/x-www-form-urlencodedXYZ", gt + "&subject_token=a.b.c", 400, ""},
	} {
		r := do(t, "POST", tok, c.ctype, []byte(c.body))
		no5xx(t, c.name, r)
		if r.status != c.status {
			t.Errorf("%s: %s", c.name, r)
			continue
		}
		if c.errCode != "" {
			var e map[string]any
			if err := json.Unmarshal(r.body, &e); err != nil || e["error"] != c.errCode {
				t.Errorf("%s: error %v want %s (%s)", c.name, e["error"], c.errCode, r.body)
			}
		}
	}
	r := do(t, "GET", tok, "", nil)
	if r.status != 405 {
		t.Errorf("GET token: %s", r)
	}
}

// TestManyCredentials: a presentation with 1000 credentials is refused cheaply.
func TestManyCredentials(t *testing.T) {
	s, iss, _ := setup(t)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	creds := make([]any, 1000)
	for i := range creds {
		creds[i] = cred
	}
	nonce, aud := challenge(t, s)
	vp := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, creds...))
	t.Logf("vp is %d bytes", len(vp))
	r := postJSON(t, s.URL+"/v1/presentations/verify", map[string]any{"verifiablePresentation": vp, "options": map[string]any{"challenge": nonce, "domain": aud}})
	no5xx(t, "1000", r)
	if r.status != 413 && r.status != 422 {
		t.Errorf("%.300s", r)
	}
	// 32 distinct-but-identical credentials: accepted? 33 refused.
	vp = h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, creds[:33]...))
	r = exchange(t, s, vp)
	if r.status != 400 || !strings.Contains(string(r.body), "too_large") {
		t.Errorf("33 credentials: %.300s", r)
	}
}
