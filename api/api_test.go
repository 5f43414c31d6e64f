package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier/gateway"
)

func TestHealth(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/healthz", "/readyz"} {
		r := e.do(http.MethodGet, path, "", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
	}
	problem(t, e.do(http.MethodGet, "/nope", "", nil), http.StatusNotFound, api.ProblemNotFound, "")
	r := e.do(http.MethodDelete, "/v1/issuers", "", nil)
	problem(t, r, http.StatusMethodNotAllowed, api.ProblemMethod, "")
	if allow := r.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow = %q, want GET, POST (RFC 9110 §15.5.6)", allow)
	}
}

func TestReadyAndPanic(t *testing.T) {
	t.Run("fail/not-ready", func(t *testing.T) {
		e := newEnv(t, envOptions{ready: func(context.Context) error { return errors.New("store closed") }})
		problem(t, e.do(http.MethodGet, "/readyz", "", nil), http.StatusServiceUnavailable, api.ProblemInternal, "not_ready")
	})
	t.Run("fail/panic-is-problem-json", func(t *testing.T) {
		e := newEnv(t, envOptions{ready: func(context.Context) error { panic("boom") }})
		p := problem(t, e.do(http.MethodGet, "/readyz", "", nil), http.StatusInternalServerError, api.ProblemInternal, "")
		if strings.Contains(fmt.Sprint(p), "boom") {
			t.Errorf("panic value leaked: %v", p)
		}
	})
}

// TestRoles: a role that is off serves nothing; the others are unaffected.
func TestRoles(t *testing.T) {
	full := newEnv(t, envOptions{})
	h := api.NewRouter(api.Config{Roles: []string{api.RoleResolver}, Issuer: full.issuer, Verifier: full.verifier,
		Gateway: full.gateway, Resolver: full.resolver})
	do := func(method, path string) response {
		req := httptest.NewRequest(method, path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return response{rec.Code, rec.Header(), rec.Body.Bytes()}
	}
	for _, c := range [][2]string{
		{"POST", "/v1/issuers"}, {"GET", "/v1/issuers"}, {"POST", "/v1/credentials/issue"},
		{"POST", "/v1/credentials/verify"}, {"POST", "/v1/presentations/verify"},
		{"POST", "/v1/gateway/challenge"}, {"POST", "/v1/gateway/token"}, {"GET", "/.well-known/jwks.json"},
	} {
		t.Run("fail/off/"+c[0]+c[1], func(t *testing.T) {
			problem(t, do(c[0], c[1]), http.StatusNotFound, api.ProblemNotFound, "")
		})
	}
	t.Run("ok/resolver-on", func(t *testing.T) {
		if r := do(http.MethodGet, "/1.0/identifiers/"+newParty(t).did); r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestContentType(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, ct string
		status   int
	}{
		{"ok/json", "application/json", 201},
		{"ok/json-charset", "application/json; charset=utf-8", 201},
		{"ok/plus-json", "application/ld+json", 201},
		{"ok/none", "", 201},
		{"fail/text", "text/plain", 415},
		{"fail/json-prefix-only", "application/jsonx", 415},
		{"fail/text-plus-json", "text/plain+json", 415},
		{"fail/unparseable", "application/json; =", 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/v1/issuers", tt.ct, []byte(`{"name":"ACME"}`))
			if tt.status == 415 {
				problem(t, r, 415, api.ProblemUnsupportedMT, "")
				return
			}
			if r.status != tt.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestIssuers(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name    string
		body    string
		status  int
		method  string
		keyType string
		prefix  string
		code    string
	}{
		{name: "ok/defaults-key-Ed25519", body: `{"name":"ACME"}`, status: 201, method: "key", keyType: "Ed25519", prefix: "did:key:z6Mk"},
		{name: "ok/jwk-P-256", body: `{"name":"ACME","method":"jwk","keyType":"P-256"}`, status: 201, method: "jwk", keyType: "P-256", prefix: "did:jwk:"},
		{name: "ok/key-P-256", body: `{"name":"ACME","keyType":"P-256"}`, status: 201, method: "key", keyType: "P-256", prefix: "did:key:zDn"},
		{name: "fail/bad-method", body: `{"name":"ACME","method":"web"}`, status: 400, code: "invalid_request"},
		{name: "fail/empty-name", body: `{"name":"  "}`, status: 400, code: "invalid_request"},
		{name: "fail/no-name", body: `{}`, status: 400, code: "invalid_request"},
		{name: "fail/secp256k1-not-offered", body: `{"name":"ACME","keyType":"secp256k1"}`, status: 400, code: "invalid_request"},
		{name: "fail/duplicate-key", body: `{"name":"A","name":"B"}`, status: 400, code: "duplicate_key"},
		{name: "fail/not-json", body: `{"name":`, status: 400, code: "malformed"},
		{name: "fail/trailing-data", body: `{"name":"A"} {}`, status: 400, code: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/v1/issuers", "application/json", []byte(tt.body))
			if tt.status != http.StatusCreated {
				typ := api.ProblemBadRequest
				switch tt.code {
				case "duplicate_key":
					typ = api.ProblemDuplicateKey
				case "malformed":
					typ = api.ProblemMalformedJSON
				}
				problem(t, r, tt.status, typ, tt.code)
				return
			}
			if r.status != tt.status {
				t.Fatalf("status = %d\n%s", r.status, r.body)
			}
			p := r.json(t)
			id, _ := p["id"].(string)
			if id == "" || r.header.Get("Location") != "/v1/issuers/"+id {
				t.Errorf("id %q, Location %q", id, r.header.Get("Location"))
			}
			if p["method"] != tt.method || p["keyType"] != tt.keyType {
				t.Errorf("method %v keyType %v", p["method"], p["keyType"])
			}
			d, _ := p["did"].(string)
			if !strings.HasPrefix(d, tt.prefix) {
				t.Errorf("did = %s, want prefix %s", d, tt.prefix)
			}
			// The verification method resolves through the server's own resolver.
			vm, _ := p["verificationMethod"].(string)
			if !strings.HasPrefix(vm, d+"#") {
				t.Errorf("verificationMethod = %s", vm)
			}
			g := e.do(http.MethodGet, "/v1/issuers/"+id, "", nil)
			if g.status != http.StatusOK || g.json(t)["did"] != d {
				t.Errorf("get: %d %s", g.status, g.body)
			}
			res := e.do(http.MethodGet, "/1.0/identifiers/"+d, "", nil)
			if res.status != http.StatusOK {
				t.Errorf("resolve %s: %d %s", d, res.status, res.body)
			}
		})
	}
	t.Run("ok/list", func(t *testing.T) {
		r := e.do(http.MethodGet, "/v1/issuers", "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d", r.status)
		}
		list, _ := r.json(t)["issuers"].([]any)
		if len(list) != 3 {
			t.Errorf("%d issuers, want 3", len(list))
		}
	})
	t.Run("ok/list-empty-is-array", func(t *testing.T) {
		r := newEnv(t, envOptions{}).do(http.MethodGet, "/v1/issuers", "", nil)
		if !bytes.Contains(r.body, []byte(`"issuers":[]`)) {
			t.Errorf("%s", r.body)
		}
	})
	t.Run("fail/unknown-id", func(t *testing.T) {
		problem(t, e.do(http.MethodGet, "/v1/issuers/nope", "", nil), http.StatusNotFound, api.ProblemIssuerNotFound, "issuer_not_found")
	})
}

func TestIssue(t *testing.T) {
	e := newEnv(t, envOptions{})
	prof := e.createIssuer("ACME", "", "")
	id, issDID := prof["id"].(string), prof["did"].(string)
	other := e.createIssuer("Other", "", "")
	holder := newParty(t)

	t.Run("ok/jwt_vc_json-VCDM-1.1-§6.3.1-mapping", func(t *testing.T) {
		cred := map[string]any{
			"@context":          []any{vc.ContextV1},
			"id":                "urn:uuid:4b1b3b1e-0000-4000-8000-000000000001",
			"type":              []any{"VerifiableCredential", "EmployeeCredential"},
			"issuanceDate":      "2024-01-02T03:04:05Z",
			"expirationDate":    "2099-01-02T03:04:05Z",
			"credentialSubject": map[string]any{"id": holder.did, "role": "engineer"},
		}
		jws := e.issue(id, "jwt_vc_json", cred)
		h := headerOf(t, jws)
		if h["alg"] != "EdDSA" || h["kid"] != prof["verificationMethod"] {
			t.Errorf("header = %v", h)
		}
		c := payloadOf(t, jws)
		want := map[string]any{
			"iss": issDID, "sub": holder.did, "jti": "urn:uuid:4b1b3b1e-0000-4000-8000-000000000001",
			"nbf": float64(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Unix()),
			"exp": float64(time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC).Unix()),
		}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("%s = %v, want %v", k, c[k], v)
			}
		}
		v, _ := c["vc"].(map[string]any)
		if v == nil {
			t.Fatalf("no vc claim: %v", c)
		}
		if subj, _ := v["credentialSubject"].(map[string]any); subj["role"] != "engineer" {
			t.Errorf("vc.credentialSubject = %v", v["credentialSubject"])
		}
		if types, _ := v["type"].([]any); !slices.Contains(types, any("EmployeeCredential")) {
			t.Errorf("vc.type = %v", v["type"])
		}
	})
	t.Run("ok/jwt_vc_json-completes-issuer-id-date", func(t *testing.T) {
		jws := e.issue(issDID, "", map[string]any{"credentialSubject": map[string]any{"id": holder.did}})
		c := payloadOf(t, jws)
		if c["iss"] != issDID || !strings.HasPrefix(c["jti"].(string), "urn:uuid:") {
			t.Errorf("iss %v jti %v", c["iss"], c["jti"])
		}
		if nbf, _ := c["nbf"].(float64); time.Since(time.Unix(int64(nbf), 0)) > time.Minute {
			t.Errorf("nbf = %v", c["nbf"])
		}
		if _, ok := c["exp"]; ok {
			t.Errorf("exp without expirationDate")
		}
	})
	t.Run("ok/vc+jwt", func(t *testing.T) {
		jws := e.issue(id, "vc+jwt", map[string]any{
			"@context":          []any{vc.ContextV2},
			"type":              []any{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": holder.did, "role": "engineer"},
		})
		h := headerOf(t, jws)
		if h["typ"] != "vc+jwt" || h["cty"] != "vc" || h["alg"] != "EdDSA" {
			t.Errorf("header = %v", h)
		}
		c := payloadOf(t, jws)
		if c["issuer"] != issDID || c["@context"].([]any)[0] != vc.ContextV2 {
			t.Errorf("payload = %v", c)
		}
		if _, ok := c["vc"]; ok {
			t.Errorf("vc+jwt carries the credential as the payload, not in a vc claim")
		}
		if from, _ := c["validFrom"].(string); from == "" {
			t.Errorf("validFrom not set: %v", c)
		}
	})

	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		typ    string
		code   string
	}{
		{name: "fail/format-unsupported", body: `{"credential":{"credentialSubject":{}},"options":{"issuer":"` + id + `","format":"mso_mdoc"}}`,
			status: 400, typ: api.ProblemInvalidCred, code: vc.CodeUnsupportedFormat},
		{name: "fail/vc+jwt-on-1.1-context", body: `{"credential":{"@context":["` + vc.ContextV1 + `"],"credentialSubject":{}},"options":{"issuer":"` + id + `","format":"vc+jwt"}}`,
			status: 400, typ: api.ProblemInvalidCred, code: vc.CodeUnsupportedFormat},
		{name: "fail/credential-names-another-issuer", body: `{"credential":{"issuer":"` + other["did"].(string) + `","credentialSubject":{}},"options":{"issuer":"` + id + `"}}`,
			status: 400, typ: api.ProblemInvalidCred, code: vc.CodeIssuerMismatch},
		{name: "fail/unknown-issuer", body: `{"credential":{"credentialSubject":{}},"options":{"issuer":"nope"}}`,
			status: 404, typ: api.ProblemIssuerNotFound, code: "issuer_not_found"},
		{name: "fail/no-issuer", body: `{"credential":{"credentialSubject":{}}}`,
			status: 400, typ: api.ProblemBadRequest, code: "invalid_request"},
		{name: "fail/no-credential", body: `{"options":{"issuer":"` + id + `"}}`,
			status: 400, typ: api.ProblemBadRequest, code: "invalid_request"},
		{name: "fail/duplicate-key", body: `{"credential":{"credentialSubject":{"a":1,"a":2}},"options":{"issuer":"` + id + `"}}`,
			status: 400, typ: api.ProblemDuplicateKey, code: "duplicate_key"},
		{name: "fail/wrong-content-type", body: `{"credential":{}}`, ctype: "text/plain",
			status: 415, typ: api.ProblemUnsupportedMT},
		{name: "fail/form-content-type", body: `credential=x`, ctype: "application/x-www-form-urlencoded",
			status: 415, typ: api.ProblemUnsupportedMT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ctype
			if ct == "" {
				ct = "application/json"
			}
			problem(t, e.do(http.MethodPost, "/v1/credentials/issue", ct, []byte(tt.body)), tt.status, tt.typ, tt.code)
		})
	}
}

// TestBodyLimit sends exactly the limit (accepted as far as size goes) and
// one byte more (413), with and without a Content-Length.
func TestBodyLimit(t *testing.T) {
	const limit = 1 << 20
	var logs syncBuffer
	e := newEnv(t, envOptions{maxBody: limit, logger: slog.New(slog.NewTextHandler(&logs, nil))})
	body := func(n int) []byte {
		// A JSON object padded with spaces to n bytes.
		b := bytes.Repeat([]byte(" "), n)
		copy(b, `{"name":""}`)
		return b
	}
	t.Run("ok/at-limit-reaches-handler", func(t *testing.T) {
		problem(t, e.do(http.MethodPost, "/v1/issuers", "application/json", body(limit)), 400, api.ProblemBadRequest, "invalid_request")
	})
	t.Run("fail/limit-plus-one-content-length", func(t *testing.T) {
		problem(t, e.do(http.MethodPost, "/v1/issuers", "application/json", body(limit+1)), 413, api.ProblemTooLarge, "too_large")
	})
	t.Run("fail/limit-plus-one-chunked", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/v1/issuers", bytes.NewReader(body(limit+1)))
		req.ContentLength = -1 // as for Transfer-Encoding: chunked
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		problem(t, response{rec.Code, rec.Header(), rec.Body.Bytes()}, 413, api.ProblemTooLarge, "too_large")
	})
	t.Run("fail/verify-limit-plus-one", func(t *testing.T) {
		problem(t, e.do(http.MethodPost, "/v1/credentials/verify", "application/json", body(limit+1)), 413, api.ProblemTooLarge, "too_large")
	})
	t.Run("ok/refusals-are-logged", func(t *testing.T) {
		if !strings.Contains(logs.String(), "path=/v1/credentials/verify status=413") {
			t.Errorf("413 not in the request log:\n%s", logs.String())
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVerifyCredential(t *testing.T) {
	e := newEnv(t, envOptions{})
	prof := e.createIssuer("ACME", "", "")
	holder := newParty(t)
	good := e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": holder.did},
	})
	good2 := e.issue(prof["id"].(string), "vc+jwt", map[string]any{
		"@context":          []any{vc.ContextV2},
		"credentialSubject": map[string]any{"id": holder.did},
	})

	t.Run("ok/jwt_vc_json", func(t *testing.T) {
		r := e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": good})
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		res := r.json(t)
		if res["verified"] != true {
			t.Fatalf("%s", r.body)
		}
		want := []any{"envelope", "algorithm", "key_resolution", "signature", "issuer_is_signer", "validity_window"}
		if got, _ := res["checks"].([]any); !slices.Equal(got, want) {
			t.Errorf("checks = %v, want %v", got, want)
		}
		if errs, _ := res["errors"].([]any); errs == nil || len(errs) != 0 {
			t.Errorf("errors = %v, want []", res["errors"])
		}
	})
	t.Run("ok/vc+jwt-enveloped", func(t *testing.T) {
		r := e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": map[string]any{
			"@context": []any{vc.ContextV2}, "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt," + good2,
		}})
		if r.status != http.StatusOK || r.json(t)["verified"] != true {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})

	// Tokens built by hand, signed by a key the test holds.
	iss := newParty(t)
	other := newParty(t)
	now := time.Now().Unix()
	claims := func(mod func(c map[string]any)) map[string]any {
		c := map[string]any{
			"iss": iss.did, "sub": holder.did, "nbf": now - 10, "jti": "urn:uuid:" + randHex(t),
			"vc": map[string]any{
				"@context": []any{vc.ContextV1}, "type": []any{"VerifiableCredential"},
				"credentialSubject": map[string]any{"id": holder.did},
			},
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hdr := func(alg, kid string) map[string]any { return map[string]any{"alg": alg, "kid": kid, "typ": "JWT"} }
	valid := iss.compact(t, hdr("EdDSA", iss.kid), claims(nil))

	tamper := func(tok string) string {
		p := strings.Split(tok, ".")
		c := payloadOf(t, tok)
		c["vc"].(map[string]any)["credentialSubject"].(map[string]any)["admin"] = true
		b, _ := json.Marshal(c)
		return p[0] + "." + b64(b) + "." + p[2]
	}
	// withStdAlphabet re-signs until a segment holds a - or _ and then
	// writes that segment in the standard alphabet (+ /).
	var std string
	for i := 0; i < 64 && std == ""; i++ {
		tok := iss.compact(t, hdr("EdDSA", iss.kid), claims(nil))
		p := strings.Split(tok, ".")
		for j := range p {
			if strings.ContainsAny(p[j], "-_") {
				p[j] = strings.NewReplacer("-", "+", "_", "/").Replace(p[j])
				std = strings.Join(p, ".")
				break
			}
		}
	}
	padded := func(tok string) string {
		p := strings.Split(tok, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(p[1])
		if len(raw)%3 == 0 {
			raw = append(raw, ' ') // JSON allows trailing whitespace; forces padding
		}
		p[1] = base64.URLEncoding.EncodeToString(raw)
		if !strings.HasSuffix(p[1], "=") {
			t.Fatal("no padding produced")
		}
		return strings.Join(p, ".")
	}
	hs256 := func() string {
		// HS256 with the issuer's public key bytes as the HMAC secret: the
		// classic alg-confusion attack. Only the alg matters: it is refused
		// before any key is used.
		h, _ := json.Marshal(hdr("HS256", iss.kid))
		c, _ := json.Marshal(claims(nil))
		return b64(h) + "." + b64(c) + "." + b64(hmacSHA256(iss.priv.Public().(ed25519.PublicKey), []byte(b64(h)+"."+b64(c))))
	}
	algNone := func() string {
		h, _ := json.Marshal(map[string]any{"alg": "none"})
		c, _ := json.Marshal(claims(nil))
		return b64(h) + "." + b64(c) + "."
	}

	tests := []struct {
		name  string
		token any
		code  string
	}{
		{"fail/tampered-issued", tamper(good), vc.CodeSignatureInvalid},
		{"fail/tampered-hand-built", tamper(valid), vc.CodeSignatureInvalid},
		{"fail/alg-none", algNone(), vc.CodeAlgNotAllowed},
		{"fail/HS256-public-key-as-secret", hs256(), vc.CodeAlgNotAllowed},
		{"fail/ES256-header-on-Ed25519-key", iss.compact(t, hdr("ES256", iss.kid), claims(nil)), vc.CodeAlgKeyMismatch},
		{"fail/padded-base64", padded(valid), vc.CodeEncoding},
		{"fail/standard-alphabet-base64", std, vc.CodeEncoding},
		{"fail/nbf-as-string", iss.compact(t, hdr("EdDSA", iss.kid), claims(func(c map[string]any) { c["nbf"] = "1700000000" })), vc.CodeClaimInvalid},
		{"fail/kid-not-in-issuer-DID", iss.compact(t, hdr("EdDSA", iss.did+"#nope"), claims(nil)), vc.CodeKeyNotFound},
		{"fail/kid-of-another-DID-signed-by-it", other.compact(t, hdr("EdDSA", other.kid), claims(nil)), vc.CodeIssuerMismatch},
		{"fail/expired", iss.compact(t, hdr("EdDSA", iss.kid), claims(func(c map[string]any) { c["nbf"] = now - 7200; c["exp"] = now - 3600 })), vc.CodeExpired},
		{"fail/not-yet-valid", iss.compact(t, hdr("EdDSA", iss.kid), claims(func(c map[string]any) { c["nbf"] = now + 3600 })), vc.CodeNotYetValid},
		{"fail/unknown-DID-method", iss.compact(t, hdr("EdDSA", "did:example:123#k1"), claims(func(c map[string]any) { c["iss"] = "did:example:123" })), vc.CodeMethodUnsupported},
		{"fail/duplicate-claim", dupClaim(t, iss), vc.CodeDuplicateKey},
		{"fail/not-a-jws", "abc.def", vc.CodeMalformed},
		{"fail/object-without-proof", map[string]any{"@context": []any{vc.ContextV1}, "type": []any{"VerifiableCredential"},
			"issuer": iss.did, "issuanceDate": "2024-01-01T00:00:00Z", "credentialSubject": map[string]any{"id": holder.did}}, vc.CodeProofMissing},
	}
	if std == "" {
		t.Fatal("could not build a token with - or _ in 64 tries")
	}
	p256 := e.createIssuer("P-256 issuer", "jwk", "P-256")
	okTests := []struct {
		name  string
		token string
	}{
		{"ok/hand-built-baseline", valid},
		{"ok/kid-is-bare-DID", iss.compact(t, hdr("EdDSA", iss.did), claims(nil))},
		{"ok/kid-is-fragment-only", iss.compact(t, hdr("EdDSA", "#"+strings.TrimPrefix(iss.did, "did:key:")), claims(nil))},
		{"ok/no-kid", iss.compact(t, map[string]any{"alg": "EdDSA"}, claims(nil))},
		{"ok/fractional-nbf", iss.compact(t, hdr("EdDSA", iss.kid), claims(func(c map[string]any) { c["nbf"] = float64(now) - 0.5 }))},
		{"ok/ES256-did:jwk-issuer", e.issue(p256["id"].(string), "jwt_vc_json", map[string]any{"credentialSubject": map[string]any{"id": holder.did}})},
	}
	for _, tt := range okTests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": tt.token})
			if r.status != http.StatusOK || r.json(t)["verified"] != true {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": tt.token})
			p := problem(t, r, http.StatusUnprocessableEntity, api.ProblemVerification, tt.code)
			if p["verified"] != false {
				t.Errorf("verified = %v, want false", p["verified"])
			}
			errs, _ := p["errors"].([]any)
			if len(errs) == 0 {
				t.Fatalf("no errors: %s", r.body)
			}
			first, _ := errs[0].(map[string]any)
			if first["code"] != tt.code {
				t.Errorf("errors[0].code = %v, want %s", first["code"], tt.code)
			}
			if msg, _ := first["message"].(string); msg == "" || p["detail"] != msg {
				t.Errorf("errors[0].message = %q, detail = %v", msg, p["detail"])
			}
		})
	}
	t.Run("fail/no-credential", func(t *testing.T) {
		problem(t, e.postJSON("/v1/credentials/verify", map[string]any{}), 400, api.ProblemBadRequest, "invalid_request")
	})
	t.Run("fail/credential-is-a-number", func(t *testing.T) {
		problem(t, e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": 7}), 400, api.ProblemBadRequest, "invalid_request")
	})
}

// dupClaim builds a correctly signed token whose payload repeats "iss"
// (RFC 7519 §4: such a JWT must be rejected).
func dupClaim(t *testing.T, p party) string {
	t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "EdDSA", "kid": p.kid})
	c := `{"iss":"` + p.did + `","iss":"did:key:z6MkOther","vc":{"@context":["` + vc.ContextV1 + `"],"type":["VerifiableCredential"],"credentialSubject":{}}}`
	in := b64(h) + "." + b64([]byte(c))
	return in + "." + b64(ed25519Sign(p, in))
}

func TestVerifyPresentation(t *testing.T) {
	e := newEnv(t, envOptions{})
	prof := e.createIssuer("ACME", "", "")
	holder, stranger := newParty(t), newParty(t)
	cred := e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": holder.did},
	})
	const nonce, domain = "n-0S6_WzA2Mj", "https://rp.example"
	vp := holder.present(t, nonce, domain, cred)
	verify := func(p any, challenge, dom string) response {
		return e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": p,
			"options": map[string]any{"challenge": challenge, "domain": dom}})
	}
	t.Run("ok/challenge-and-domain", func(t *testing.T) {
		r := verify(vp, nonce, domain)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		res := r.json(t)
		checks, _ := res["checks"].([]any)
		for _, c := range []string{"signature", "challenge", "domain", "credentials", "holder_binding"} {
			if !slices.Contains(checks, any(c)) {
				t.Errorf("check %s missing from %v", c, checks)
			}
		}
	})
	t.Run("ok/enveloped", func(t *testing.T) {
		r := verify(map[string]any{"@context": []any{vc.ContextV2}, "type": "EnvelopedVerifiablePresentation",
			"id": "data:application/vp+jwt," + vp}, nonce, domain)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	tests := []struct {
		name      string
		vp        any
		challenge string
		domain    string
		code      string
	}{
		{"fail/challenge-mismatch", vp, "other-nonce", domain, vc.CodeChallengeMismatch},
		{"fail/domain-mismatch", vp, nonce, "https://evil.example", vc.CodeDomainMismatch},
		{"fail/signed-by-someone-other-than-the-subject", stranger.present(t, nonce, domain, cred), nonce, domain, vc.CodeHolderMismatch},
		{"fail/no-proof", map[string]any{"@context": []any{vc.ContextV1}, "type": []any{"VerifiablePresentation"},
			"holder": holder.did, "verifiableCredential": []any{cred}}, nonce, domain, vc.CodeProofMissing},
		{"fail/tampered-credential-inside", holder.present(t, nonce, domain, flipLastSig(cred)), nonce, domain, vc.CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problem(t, verify(tt.vp, tt.challenge, tt.domain), http.StatusUnprocessableEntity, api.ProblemVerification, tt.code)
			if p["verified"] != false {
				t.Errorf("verified = %v", p["verified"])
			}
			errs, _ := p["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["code"] != tt.code {
				t.Errorf("errors = %v", p["errors"])
			}
		})
	}
}

// flipLastSig changes the signature of a compact JWS (still valid base64url).
func flipLastSig(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	sig[0] ^= 1
	return tok[:i+1] + b64(sig)
}

func TestResolve(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := newParty(t)
	t.Run("ok/did:key", func(t *testing.T) {
		r := e.do(http.MethodGet, "/1.0/identifiers/"+p.did, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/ld+json") || !strings.Contains(ct, "did-resolution") {
			t.Errorf("Content-Type = %q", ct)
		}
		res := r.json(t)
		doc, _ := res["didDocument"].(map[string]any)
		if doc["id"] != p.did {
			t.Errorf("didDocument.id = %v", doc["id"])
		}
		vms, _ := doc["verificationMethod"].([]any)
		if len(vms) != 1 || vms[0].(map[string]any)["id"] != p.kid {
			t.Errorf("verificationMethod = %v", vms)
		}
		if _, ok := res["didResolutionMetadata"].(map[string]any); !ok {
			t.Errorf("no didResolutionMetadata")
		}
	})
	tests := []struct {
		name   string
		did    string
		status int
		typ    string
		code   string
	}{
		{"fail/invalid-did:key", "did:key:zzz", 400, api.ProblemInvalidDID, "INVALID_DID"},
		{"fail/not-a-DID", "hello", 400, api.ProblemInvalidDID, "INVALID_DID"},
		{"fail/unknown-method", "did:example:123", 501, api.ProblemMethodNotSupported, "METHOD_NOT_SUPPORTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodGet, "/1.0/identifiers/"+tt.did, "", nil)
			pb := problem(t, r, tt.status, tt.typ, tt.code)
			md, _ := pb["didResolutionMetadata"].(map[string]any)
			if md["error"] != tt.code {
				t.Errorf("didResolutionMetadata.error = %v, want %s", md["error"], tt.code)
			}
			if _, ok := pb["didDocument"]; !ok {
				t.Errorf("didDocument member missing (DID Resolution: null on error)")
			}
		})
	}
}

func TestGateway(t *testing.T) {
	e := newEnv(t, envOptions{})
	prof := e.createIssuer("ACME", "", "")
	holder := newParty(t)
	cred := e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": holder.did, "role": "engineer"},
	})
	challenge := func(t *testing.T) string {
		t.Helper()
		r := e.do(http.MethodPost, "/v1/gateway/challenge", "", nil)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("challenge: %d %s", r.status, r.body)
		}
		c := r.json(t)
		if c["audience"] != publicURL || c["expires_in"] != float64(300) {
			t.Errorf("challenge = %v", c)
		}
		n, _ := c["nonce"].(string)
		if len(n) < 16 {
			t.Fatalf("nonce %q", n)
		}
		return n
	}
	exchange := func(subjectToken string, mod func(url.Values)) response {
		f := url.Values{
			"grant_type":         {gateway.GrantTypeTokenExchange},
			"subject_token":      {subjectToken},
			"subject_token_type": {gateway.TokenTypeJWT},
		}
		if mod != nil {
			mod(f)
		}
		return e.postForm("/v1/gateway/token", f)
	}
	oauth := func(t *testing.T, r response, code, descPrefix string) {
		t.Helper()
		if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		m := r.json(t)
		if m["error"] != code {
			t.Errorf("error = %v, want %s", m["error"], code)
		}
		if d, _ := m["error_description"].(string); !strings.HasPrefix(d, descPrefix) {
			t.Errorf("error_description = %q, want prefix %q", d, descPrefix)
		}
	}

	nonce := challenge(t)
	vp := holder.present(t, nonce, publicURL, cred)
	var access string
	t.Run("ok/exchange", func(t *testing.T) {
		r := exchange(vp, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q (RFC 6749 §5.1)", r.header.Get("Cache-Control"))
		}
		m := r.json(t)
		if m["token_type"] != "Bearer" || m["issued_token_type"] != gateway.TokenTypeAccessToken || m["expires_in"] != float64(300) || m["scope"] != "EmployeeCredential" {
			t.Errorf("response = %v", m)
		}
		access, _ = m["access_token"].(string)

		// Verify against the published JWKS, as a downstream API would.
		jr := e.do(http.MethodGet, "/.well-known/jwks.json", "", nil)
		if jr.status != http.StatusOK {
			t.Fatalf("jwks: %d", jr.status)
		}
		set, err := jwk.Parse(jr.body)
		if err != nil || set.Len() != 1 {
			t.Fatalf("jwks: %v (%d keys)", err, set.Len())
		}
		tok, err := jwt.ParseString(access, jwt.WithKeySet(set), jwt.WithValidate(true))
		if err != nil {
			t.Fatalf("access token does not verify against the JWKS: %v", err)
		}
		if typ := headerOf(t, access)["typ"]; typ != "at+jwt" {
			t.Errorf("typ = %v (RFC 9068 §2.1)", typ)
		}
		if tok.Issuer() != publicURL || tok.Subject() != holder.did || !slices.Equal(tok.Audience(), []string{publicURL}) || tok.JwtID() == "" {
			t.Errorf("iss %s sub %s aud %v jti %q", tok.Issuer(), tok.Subject(), tok.Audience(), tok.JwtID())
		}
		if d := tok.Expiration().Sub(tok.IssuedAt()); d != 300*time.Second {
			t.Errorf("exp - iat = %s, want 300s", d)
		}
		if s, _ := tok.Get("scope"); s != "EmployeeCredential" {
			t.Errorf("scope = %v", s)
		}
		creds, _ := tok.Get("credentials")
		list, _ := creds.([]any)
		if len(list) != 1 {
			t.Fatalf("credentials claim = %v", creds)
		}
		c0 := list[0].(map[string]any)
		if c0["type"] != "EmployeeCredential" || c0["issuer"] != prof["did"] || c0["credentialSubject"].(map[string]any)["role"] != "engineer" {
			t.Errorf("credentials[0] = %v", c0)
		}
	})
	t.Run("fail/replayed-nonce", func(t *testing.T) {
		oauth(t, exchange(vp, nil), "invalid_grant", vc.CodeNonceReused)
	})
	t.Run("fail/unknown-nonce", func(t *testing.T) {
		oauth(t, exchange(holder.present(t, "never-issued-nonce-value", publicURL, cred), nil), "invalid_grant", vc.CodeNonceUnknown)
	})
	t.Run("fail/wrong-audience", func(t *testing.T) {
		oauth(t, exchange(holder.present(t, challenge(t), "https://elsewhere.example", cred), nil), "invalid_grant", vc.CodeDomainMismatch)
	})
	t.Run("fail/holder-not-subject", func(t *testing.T) {
		oauth(t, exchange(newParty(t).present(t, challenge(t), publicURL, cred), nil), "invalid_grant", vc.CodeHolderMismatch)
	})
	t.Run("fail/untrusted-issuer", func(t *testing.T) {
		iss := newParty(t)
		foreign := iss.compact(t, map[string]any{"alg": "EdDSA", "kid": iss.kid}, map[string]any{
			"iss": iss.did, "sub": holder.did, "nbf": time.Now().Unix() - 5,
			"vc": map[string]any{"@context": []any{vc.ContextV1}, "type": []any{"VerifiableCredential", "EmployeeCredential"},
				"credentialSubject": map[string]any{"id": holder.did}},
		})
		oauth(t, exchange(holder.present(t, challenge(t), publicURL, foreign), nil), "invalid_grant", vc.CodeUntrustedIssuer)
	})
	t.Run("fail/scope-not-granted", func(t *testing.T) {
		oauth(t, exchange(holder.present(t, challenge(t), publicURL, cred), func(f url.Values) { f.Set("scope", "admin") }), "invalid_scope", "")
	})
	t.Run("fail/wrong-grant-type", func(t *testing.T) {
		oauth(t, exchange(vp, func(f url.Values) { f.Set("grant_type", "client_credentials") }), "unsupported_grant_type", "")
	})
	t.Run("fail/missing-subject-token", func(t *testing.T) {
		oauth(t, exchange(vp, func(f url.Values) { f.Del("subject_token") }), "invalid_request", "")
	})
	t.Run("fail/wrong-subject-token-type", func(t *testing.T) {
		oauth(t, exchange(vp, func(f url.Values) { f.Set("subject_token_type", gateway.TokenTypeAccessToken) }), "invalid_request", "")
	})
	t.Run("fail/repeated-parameter", func(t *testing.T) {
		oauth(t, exchange(vp, func(f url.Values) { f.Add("grant_type", gateway.GrantTypeTokenExchange) }), "invalid_request", "")
	})
	t.Run("fail/json-body", func(t *testing.T) {
		oauth(t, e.postJSON("/v1/gateway/token", map[string]any{"grant_type": gateway.GrantTypeTokenExchange}), "invalid_request", "")
	})
	t.Run("ok/authenticate", func(t *testing.T) {
		if access == "" {
			t.Skip("no token")
		}
		id, err := e.gateway.Authenticate(access, publicURL)
		if err != nil || id.Subject != holder.did || !slices.Equal(id.Scopes, []string{"EmployeeCredential"}) {
			t.Errorf("%v %+v", err, id)
		}
	})
}

func TestProxy(t *testing.T) {
	type seen struct {
		path, subject, scope, role, xff string
	}
	got := make(chan seen, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.URL.Path, r.Header.Get(gateway.HeaderSubject), r.Header.Get(gateway.HeaderScope), r.Header.Get("X-Credentialflow-Role"), r.Header.Get("X-Forwarded-For")}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	e := newEnv(t, envOptions{upstreams: []api.Upstream{{Prefix: "/api/", URL: u}}})
	prof := e.createIssuer("ACME", "", "")
	holder := newParty(t)
	cred := e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": holder.did},
	})
	ch := e.do(http.MethodPost, "/v1/gateway/challenge", "", nil).json(t)
	tr := e.postForm("/v1/gateway/token", url.Values{
		"grant_type":         {gateway.GrantTypeTokenExchange},
		"subject_token":      {holder.present(t, ch["nonce"].(string), publicURL, cred)},
		"subject_token_type": {gateway.TokenTypeJWT},
	})
	if tr.status != http.StatusOK {
		t.Fatalf("token: %d %s", tr.status, tr.body)
	}
	access := tr.json(t)["access_token"].(string)

	t.Run("fail/no-token", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/hello", "", nil, gateway.HeaderSubject, "did:key:zForged")
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("%d %v %s", r.status, r.header, r.body)
		}
		if r.json(t)["error"] != "invalid_token" {
			t.Errorf("%s", r.body)
		}
		select {
		case s := <-got:
			t.Errorf("upstream was called: %+v", s)
		default:
		}
	})
	t.Run("fail/bad-token", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/hello", "", nil, "Authorization", "Bearer "+flipLastSig(access))
		if r.status != http.StatusUnauthorized {
			t.Fatalf("%d", r.status)
		}
	})
	t.Run("ok/valid-token-forged-headers-stripped", func(t *testing.T) {
		r := e.do(http.MethodGet, "/api/hello", "", nil, "Authorization", "Bearer "+access,
			gateway.HeaderSubject, "did:key:zForged", gateway.HeaderScope, "admin", "X-Credentialflow-Role", "root")
		if r.status != http.StatusTeapot {
			t.Fatalf("%d %s", r.status, r.body)
		}
		s := <-got
		if s.path != "/api/hello" || s.subject != holder.did || s.scope != "EmployeeCredential" || s.role != "" {
			t.Errorf("upstream saw %+v", s)
		}
	})
	t.Run("ok/client-forwarding-headers-not-trusted", func(t *testing.T) {
		// httptest requests come from 192.0.2.1; a client claiming another
		// address must not be able to make the upstream believe it.
		r := e.do(http.MethodGet, "/api/hello", "", nil, "Authorization", "Bearer "+access,
			"X-Forwarded-For", "10.0.0.1", "X-Real-IP", "10.0.0.2", "True-Client-IP", "10.0.0.3")
		if r.status != http.StatusTeapot {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if s := <-got; s.xff != "192.0.2.1" {
			t.Errorf("upstream X-Forwarded-For = %q, want 192.0.2.1", s.xff)
		}
	})
}

// TestDidJwtVcVectorsThroughAPI sends the credentials and presentations
// made by did-jwt-vc (another implementation) through the HTTP endpoints:
// each valid one answers 200, each other one 422 with the code that names
// the reason.
func TestDidJwtVcVectorsThroughAPI(t *testing.T) {
	raw, err := os.ReadFile("../test/vectors/did-jwt-vc/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]struct {
			JWT string `json:"jwt"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ed25519-valid":            "",
		"p256-valid":               "",
		"secp256k1-valid":          "",
		"ed25519-expired":          vc.CodeExpired,
		"ed25519-notyet":           vc.CodeNotYetValid,
		"ed25519-tampered-payload": vc.CodeSignatureInvalid,
		"alg-none":                 vc.CodeAlgNotAllowed,
		"issuer-key-mismatch":      vc.CodeAlgKeyMismatch,
		"vp-valid":                 "",
		"vp-holder-not-subject":    vc.CodeHolderMismatch,
	}
	if len(f.Cases) != len(want) {
		t.Fatalf("vector file has %d cases, test knows %d", len(f.Cases), len(want))
	}
	e := newEnv(t, envOptions{})
	for name, tc := range f.Cases {
		code, known := want[name]
		if !known {
			t.Errorf("unknown case %s", name)
			continue
		}
		prefix := "ok/"
		if code != "" {
			prefix = "fail/"
		}
		t.Run(prefix+name, func(t *testing.T) {
			var r response
			if strings.HasPrefix(name, "vp-") {
				r = e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": tc.JWT,
					"options": map[string]any{"challenge": "nonce-123", "domain": "https://gateway.example"}})
			} else {
				r = e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": tc.JWT})
			}
			if code == "" {
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			problem(t, r, http.StatusUnprocessableEntity, api.ProblemVerification, code)
		})
	}
}
