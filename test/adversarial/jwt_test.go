package adversarial

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
)

// TestPresentationHeaderTricks sends presentations with hostile JOSE
// headers to POST /v1/presentations/verify. Each must be refused with 422
// and a specific code; none may verify or answer 5xx.
func TestPresentationHeaderTricks(t *testing.T) {
	finding(t)
	s, iss, _ := setup(t)
	h := newHolder(t)
	other := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	claims := h.vpClaims(nonce, aud, cred)
	payload := mustJSON(t, claims)
	hdr := func(m map[string]any) []byte { return mustJSON(t, m) }
	pubJWK := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64([]byte(other.priv.Public().(ed25519.PublicKey)))}
	hs := func(key []byte) string {
		in := b64(hdr(map[string]any{"alg": "HS256", "kid": h.Kid})) + "." + b64(payload)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return in + "." + b64(m.Sum(nil))
	}
	cases := []struct {
		name, jwt, code string
	}{
		{"alg-none", b64(hdr(map[string]any{"alg": "none"})) + "." + b64(payload) + ".", "alg_not_allowed"},
		{"alg-None", b64(hdr(map[string]any{"alg": "None"})) + "." + b64(payload) + ".", "alg_not_allowed"},
		{"alg-NONE", b64(hdr(map[string]any{"alg": "NONE"})) + "." + b64(payload) + ".", "alg_not_allowed"},
		{"alg-eddsa-lower", signRaw(h.priv, hdr(map[string]any{"alg": "eddsa", "kid": h.Kid}), payload), "alg_not_allowed"},
		{"alg-Ed25519", signRaw(h.priv, hdr(map[string]any{"alg": "Ed25519", "kid": h.Kid}), payload), "alg_not_allowed"},
		{"hs256-pubkey-raw", hs([]byte(h.priv.Public().(ed25519.PublicKey))), "alg_not_allowed"},
		{"hs256-pubkey-multibase", hs([]byte(strings.TrimPrefix(h.DID, "did:key:"))), "alg_not_allowed"},
		{"es256-on-ed25519", signRaw(h.priv, hdr(map[string]any{"alg": "ES256", "kid": h.Kid}), payload), "alg_key_mismatch"},
		// signed by other, kid names other's key, iss stays h
		{"kid-other-did", signRaw(other.priv, hdr(map[string]any{"alg": "EdDSA", "kid": other.Kid}), payload), "holder_mismatch"},
		{"kid-traversal", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.DID + "#../../../etc/passwd"}), payload), "key_not_found"},
		{"kid-path", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.DID + "/../" + other.DID}), payload), "key_not_found"},
		{"kid-huge", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.DID + "#" + strings.Repeat("A", 300000)}), payload), ""},
		{"kid-nul", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid + "\x00"}), payload), ""},
		{"kid-not-did", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": "https://evil.example/key"}), payload), "key_not_found"},
		{"kid-int", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": 7}), payload), "malformed"},
		// embedded jwk of the attacker with no kid: must not be trusted
		{"jwk-header", signRaw(other.priv, hdr(map[string]any{"alg": "EdDSA", "jwk": pubJWK}), payload), "signature_invalid"},
		{"jku-header", signRaw(other.priv, hdr(map[string]any{"alg": "EdDSA", "jku": "http://127.0.0.1:1/jwks"}), payload), "signature_invalid"},
		{"x5u-header", signRaw(other.priv, hdr(map[string]any{"alg": "EdDSA", "x5u": "http://127.0.0.1:1/x5"}), payload), "signature_invalid"},
		{"crit", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid, "crit": []any{"exp"}, "exp": 1}), payload), "malformed"},
		{"crit-empty", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid, "crit": []any{}}), payload), "malformed"},
		{"b64-false", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid, "b64": false, "crit": []any{"b64"}}), payload), "malformed"},
		{"b64-true", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid, "b64": true}), payload), "malformed"},
		{"dup-alg", signRaw(h.priv, []byte(`{"alg":"EdDSA","alg":"none","kid":"`+h.Kid+`"}`), payload), "duplicate_key"},
		{"dup-alg-escaped", signRaw(h.priv, []byte(`{"alg":"EdDSA","\u0061lg":"none","kid":"`+h.Kid+`"}`), payload), "duplicate_key"},
		{"nested-jws", signRaw(h.priv, hdr(map[string]any{"alg": "EdDSA", "kid": h.Kid, "cty": "JWT"}), []byte(`"`+cred+`"`)), "malformed"},
		{"header-array", signRaw(h.priv, []byte(`[{"alg":"EdDSA"}]`), payload), "malformed"},
		{"padded", strings.Replace(h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, claims), ".", "=.", 1), "encoding_invalid"},
		{"std-alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, claims)) + "+", "encoding_invalid"},
		{"four-segments", h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, claims) + ".x", "malformed"},
		{"json-serialization", `{"payload":"` + b64(payload) + `","signatures":[]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postJSON(t, s.URL+"/v1/presentations/verify", map[string]any{
				"verifiablePresentation": c.jwt,
				"options":                map[string]any{"challenge": nonce, "domain": aud},
			})
			no5xx(t, c.name, r)
			if r.status == 200 {
				t.Fatalf("VERIFIED a hostile presentation: %s", r)
			}
			if r.status != 422 && r.status != 400 && r.status != 413 {
				t.Fatalf("status %s", r)
			}
			if ct := r.hdr.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content-type %q", ct)
			}
			m := r.obj(t)
			if c.code != "" && m["code"] != c.code {
				t.Errorf("code %v, want %s (%s)", m["code"], c.code, m["detail"])
			}
		})
	}
	// Sanity: the honest presentation verifies.
	good := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid, "typ": "JWT"}, claims)
	r := postJSON(t, s.URL+"/v1/presentations/verify", map[string]any{"verifiablePresentation": good, "options": map[string]any{"challenge": nonce, "domain": aud}})
	if r.status != 200 {
		t.Fatalf("honest presentation refused: %s", r)
	}
}

// TestNumericDates puts hostile values into exp/nbf of a presentation.
func TestNumericDates(t *testing.T) {
	s, iss, _ := setup(t)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	for _, c := range []struct{ name, claim, raw, code string }{
		{"exp-1e309", "exp", `1e309`, "malformed"},
		{"exp-neg", "exp", `-1`, "claim_invalid"},
		{"exp-NaN-string", "exp", `"NaN"`, "claim_invalid"},
		{"exp-true", "exp", `true`, "claim_invalid"},
		{"exp-null", "exp", `null`, "claim_invalid"},
		{"exp-string-num", "exp", `"99999999999"`, "claim_invalid"},
		{"exp-huge-int", "exp", `100000000000000000000000`, "claim_invalid"},
		{"exp-zero", "exp", `0`, "expired"},
		{"nbf-far", "nbf", `99999999999`, "not_yet_valid"},
		{"nbf-1e309", "nbf", `1e309`, "malformed"},
		{"nbf-neg-zero", "nbf", `-0`, ""},
		{"nbf-array", "nbf", `[1]`, "claim_invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := h.vpClaims(nonce, aud, cred)
			cl[c.claim] = json.RawMessage(c.raw)
			jwt := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, cl)
			r := postJSON(t, s.URL+"/v1/presentations/verify", map[string]any{"verifiablePresentation": jwt, "options": map[string]any{"challenge": nonce, "domain": aud}})
			no5xx(t, c.name, r)
			if c.code == "" {
				t.Logf("%s: %s", c.name, r)
				return
			}
			if r.status != 422 {
				t.Fatalf("status %s", r)
			}
			if m := r.obj(t); m["code"] != c.code {
				t.Errorf("code %v want %s: %v", m["code"], c.code, m["detail"])
			}
		})
	}
}
