package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// spec is the parsed OpenAPI document with a schema compiler over it.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

const specURL = "mem:///openapi.json"

func loadSpec(t *testing.T) *spec {
	t.Helper()
	var y any
	if err := yaml.Unmarshal(api.OpenAPI, &y); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	// Through JSON so that numbers and maps have the types the schema
	// library expects.
	raw, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("openapi.yaml is not JSON-compatible: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1 §4.8.24: schemas are JSON Schema 2020-12
	if err := c.AddResource(specURL, doc); err != nil {
		t.Fatal(err)
	}
	m, _ := doc.(map[string]any)
	if v, _ := m["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	return &spec{doc: m, compiler: c}
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// paramRE matches a path template parameter.
var paramRE = regexp.MustCompile(`\{[^}/]+\}`)

// normalize makes a chi pattern and an OpenAPI path template comparable:
// every parameter ({id}, {did}, chi's trailing catch-all *) becomes {}.
func normalize(p string) string {
	p = paramRE.ReplaceAllString(p, "{}")
	if strings.HasSuffix(p, "/*") {
		p = strings.TrimSuffix(p, "*") + "{}"
	}
	return p
}

func (s *spec) operations(t *testing.T) map[string]string {
	t.Helper()
	ops := map[string]string{} // "METHOD normalized" → document path
	paths, _ := s.doc["paths"].(map[string]any)
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if slices.Contains(httpMethods, m) {
				ops[strings.ToUpper(m)+" "+normalize(p)] = p
			}
		}
	}
	return ops
}

// TestOpenAPIMatchesRouter fails when the router serves an endpoint the
// document does not describe, or the document describes one the router
// does not serve.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, envOptions{})
	routes, ok := e.h.(chi.Routes)
	if !ok {
		t.Fatalf("NewRouter returned %T, not a chi router", e.h)
	}
	served := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[method+" "+normalize(route)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := loadSpec(t).operations(t)
	var missing, extra []string
	for op := range served {
		if _, ok := documented[op]; !ok {
			missing = append(missing, op)
		}
	}
	for op, p := range documented {
		if !served[op] {
			extra = append(extra, op+" ("+p+")")
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("served but not in api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("in api/openapi.yaml but not served:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(served) < 12 {
		t.Errorf("only %d routes walked; is every role on?", len(served))
	}
}

// TestOpenAPIDocument checks the document's own consistency: unique
// operation ids, path parameters declared, every $ref resolvable and every
// schema valid JSON Schema 2020-12.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	ids := map[string]bool{}
	paths, _ := s.doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", m, p, id)
			}
			ids[id] = true
			var declared []string
			params, _ := o["parameters"].([]any)
			for _, x := range params {
				if pm := x.(map[string]any); pm["in"] == "path" {
					declared = append(declared, "{"+pm["name"].(string)+"}")
				}
			}
			for _, want := range paramRE.FindAllString(p, -1) {
				if !slices.Contains(declared, want) {
					t.Errorf("%s %s: path parameter %s not declared", m, p, want)
				}
			}
			if r, _ := o["responses"].(map[string]any); len(r) == 0 {
				t.Errorf("%s %s: no responses", m, p)
			}
		}
	}
	// Compiling every component schema resolves every $ref under it and
	// checks it against the 2020-12 meta-schema.
	schemas, _ := s.doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		if _, err := s.compiler.Compile(specURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
	var refs []string
	collectRefs(s.doc, &refs)
	for _, r := range refs {
		if !strings.HasPrefix(r, "#/") {
			t.Errorf("$ref %s is not local", r)
			continue
		}
		if lookup(s.doc, r) == nil {
			t.Errorf("$ref %s does not resolve", r)
		}
	}
}

func collectRefs(v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "$ref" {
				*out = append(*out, s)
			}
			collectRefs(x, out)
		}
	case []any:
		for _, x := range t {
			collectRefs(x, out)
		}
	}
}

// lookup follows a local "#/a/b" reference.
func lookup(doc any, ref string) any {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[tok]
	}
	return cur
}

func pointerToken(s string) string {
	return url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
}

// checkResponse asserts that the document declares this status for the
// operation, that the Content-Type is one it lists, and that the body is
// valid against that media type's schema.
func (s *spec) checkResponse(t *testing.T, method, path string, r response) {
	t.Helper()
	ptr := "#/paths/" + pointerToken(path) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(r.status)
	resp, _ := lookup(s.doc, "#/paths/"+strings.ReplaceAll(path, "/", "~1")+"/"+strings.ToLower(method)+"/responses/"+strconv.Itoa(r.status)).(map[string]any)
	if resp == nil {
		t.Errorf("%s %s: status %d is not documented\n%s", method, path, r.status, r.body)
		return
	}
	if ref, ok := resp["$ref"].(string); ok {
		resp, _ = lookup(s.doc, ref).(map[string]any)
		ptr = "#/components/responses/" + pointerToken(strings.TrimPrefix(ref, "#/components/responses/"))
	}
	content, _ := resp["content"].(map[string]any)
	got, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s %s %d: Content-Type %q: %v", method, path, r.status, r.header.Get("Content-Type"), err)
		return
	}
	for mt := range content {
		if base, _, _ := mime.ParseMediaType(mt); base != got {
			continue
		}
		sch, err := s.compiler.Compile(specURL + ptr + "/content/" + pointerToken(mt) + "/schema")
		if err != nil {
			t.Fatalf("compile %s: %v", ptr, err)
		}
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
		if err != nil {
			t.Errorf("%s %s %d: body is not JSON: %v", method, path, r.status, err)
			return
		}
		if err := sch.Validate(body); err != nil {
			t.Errorf("%s %s %d: body does not match the document:\n%v\n%s", method, path, r.status, err, r.body)
		}
		return
	}
	t.Errorf("%s %s %d: Content-Type %s is not documented (have %v)", method, path, r.status, got, keys(content))
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIResponses sends real requests, good and bad, to every
// endpoint and validates each answer against the document.
func TestOpenAPIResponses(t *testing.T) {
	s := loadSpec(t)
	e := newEnv(t, envOptions{maxBody: 1 << 20})
	holder, stranger := newParty(t), newParty(t)

	type call struct {
		method, path, template string
		want                   int
		send                   func() response
	}
	var prof map[string]any
	var cred string
	var nonce string
	get := func(p string) func() response { return func() response { return e.do(http.MethodGet, p, "", nil) } }
	post := func(p string, v any) func() response { return func() response { return e.postJSON(p, v) } }
	raw := func(p, ct, body string) func() response {
		return func() response { return e.do(http.MethodPost, p, ct, []byte(body)) }
	}
	calls := []call{
		{"GET", "/healthz", "/healthz", 200, get("/healthz")},
		{"GET", "/readyz", "/readyz", 200, get("/readyz")},
		{"POST", "/v1/issuers", "/v1/issuers", 201, func() response {
			r := e.postJSON("/v1/issuers", map[string]any{"name": "ACME"})
			prof = r.json(t)
			return r
		}},
		{"POST", "/v1/issuers", "/v1/issuers", 400, post("/v1/issuers", map[string]any{"name": ""})},
		{"POST", "/v1/issuers", "/v1/issuers", 400, raw("/v1/issuers", "application/json", `{"name":"a","name":"b"}`)},
		{"POST", "/v1/issuers", "/v1/issuers", 413, raw("/v1/issuers", "application/json", strings.Repeat(" ", 1<<20+1))},
		{"POST", "/v1/issuers", "/v1/issuers", 415, raw("/v1/issuers", "text/plain", `{}`)},
		{"GET", "/v1/issuers", "/v1/issuers", 200, get("/v1/issuers")},
		{"GET", "/v1/issuers/{id}", "/v1/issuers/{id}", 200, func() response { return e.do(http.MethodGet, "/v1/issuers/"+prof["id"].(string), "", nil) }},
		{"GET", "/v1/issuers/{id}", "/v1/issuers/{id}", 404, get("/v1/issuers/nope")},
		// rotate: only did:ethr profiles rotate (issuer/ethr_rotate.go; the ledger cases are in test/e2e/ledger_test.go)
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 400, func() response {
			return e.do(http.MethodPost, "/v1/issuers/"+prof["id"].(string)+"/rotate", "", nil)
		}},
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 404, post("/v1/issuers/nope/rotate", map[string]any{})},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 201, func() response {
			r := e.postJSON("/v1/credentials/issue", map[string]any{
				"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"}, "credentialSubject": map[string]any{"id": holder.did}},
				"options":    map[string]any{"issuer": prof["id"], "format": "jwt_vc_json"},
			})
			cred, _ = r.json(t)["verifiableCredential"].(string)
			return r
		}},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 400, func() response {
			return e.postJSON("/v1/credentials/issue", map[string]any{"credential": map[string]any{"credentialSubject": map[string]any{}}, "options": map[string]any{"issuer": prof["id"], "format": "mso_mdoc"}})
		}},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 404, post("/v1/credentials/issue", map[string]any{"credential": map[string]any{"credentialSubject": map[string]any{}}, "options": map[string]any{"issuer": "nope"}})},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 200, func() response {
			return e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": cred})
		}},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 422, func() response {
			return e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": flipLastSig(cred)})
		}},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 400, post("/v1/credentials/verify", map[string]any{})},
		{"POST", "/v1/presentations/verify", "/v1/presentations/verify", 200, func() response {
			return e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": holder.present(t, "n1", "d1", cred), "options": map[string]any{"challenge": "n1", "domain": "d1"}})
		}},
		{"POST", "/v1/presentations/verify", "/v1/presentations/verify", 422, func() response {
			return e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": stranger.present(t, "n1", "d1", cred)})
		}},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 200, get("/1.0/identifiers/" + holder.did)},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 400, get("/1.0/identifiers/did:key:zzz")},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 501, get("/1.0/identifiers/did:example:123")},
		{"POST", "/v1/gateway/challenge", "/v1/gateway/challenge", 200, func() response {
			r := e.do(http.MethodPost, "/v1/gateway/challenge", "", nil)
			nonce, _ = r.json(t)["nonce"].(string)
			return r
		}},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 200, func() response {
			return e.postForm("/v1/gateway/token", url.Values{"grant_type": {gateway.GrantTypeTokenExchange},
				"subject_token": {holder.present(t, nonce, publicURL, cred)}, "subject_token_type": {gateway.TokenTypeJWT}})
		}},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 400, func() response {
			return e.postForm("/v1/gateway/token", url.Values{"grant_type": {gateway.GrantTypeTokenExchange},
				"subject_token": {holder.present(t, nonce, publicURL, cred)}, "subject_token_type": {gateway.TokenTypeJWT}})
		}},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 400, raw("/v1/gateway/token", "application/x-www-form-urlencoded", "grant_type=password")},
		{"GET", "/.well-known/jwks.json", "/.well-known/jwks.json", 200, get("/.well-known/jwks.json")},
		// gateway enforcement (api/gateway_test.go has the allowed cases)
		{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 401, get("/v1/gateway/authorize")},
		{"POST", "/v1/gateway/authorize", "/v1/gateway/authorize", 401, raw("/v1/gateway/authorize", "", "")},
		{"GET", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 401, get("/v1/gateway/authorize/api/x")},
		{"POST", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 401, raw("/v1/gateway/authorize/api/x", "", "")},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 200, raw("/v1/gateway/introspect", "application/x-www-form-urlencoded", "token=not-a-token")},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 400, raw("/v1/gateway/introspect", "application/x-www-form-urlencoded", "")},
	}
	covered := map[string]bool{}
	for i, c := range calls {
		t.Run(fmt.Sprintf("%02d/%s_%s/%d", i, c.method, strings.TrimPrefix(c.template, "/"), c.want), func(t *testing.T) {
			r := c.send()
			if r.status != c.want {
				t.Fatalf("status = %d, want %d\n%s", r.status, c.want, r.body)
			}
			s.checkResponse(t, c.method, c.template, r)
		})
		covered[c.method+" "+normalize(c.template)] = true
	}
	// Every documented operation got at least one real request here.
	for op, p := range s.operations(t) {
		if !covered[op] {
			t.Errorf("no response of %s (%s) is validated", op, p)
		}
	}
}

// TestOpenAPISchemasRefuse makes sure the schemas are not vacuous: bodies
// that break the documented contract fail validation.
func TestOpenAPISchemasRefuse(t *testing.T) {
	s := loadSpec(t)
	tests := []struct {
		name, schema, body string
	}{
		{"fail/problem-without-type", "Problem", `{"title":"Bad Request","status":400}`},
		{"fail/problem-status-as-string", "Problem", `{"type":"https://x/","title":"t","status":"400"}`},
		{"fail/issue-response-not-jwt", "IssueCredentialResponse", `{"verifiableCredential":"a.b"}`},
		{"fail/issue-response-object-without-proof", "IssueCredentialResponse", `{"verifiableCredential":{"@context":[],"type":[],"issuer":"did:x:y","credentialSubject":{}}}`},
		{"fail/verification-problem-verified-true", "VerificationProblem", `{"type":"https://x/","title":"t","status":422,"code":"expired","detail":"d","verified":true,"checks":[],"warnings":[],"errors":[{"code":"expired","message":"m"}]}`},
		{"fail/verification-problem-no-errors", "VerificationProblem", `{"type":"https://x/","title":"t","status":422,"code":"expired","detail":"d","verified":false,"checks":[],"warnings":[],"errors":[]}`},
		{"fail/unknown-check", "VerificationResult", `{"verified":true,"checks":["vibes"],"warnings":[],"errors":[]}`},
		{"fail/jwks-with-private-key", "JWKS", `{"keys":[{"kty":"OKP","kid":"k","crv":"Ed25519","x":"x","d":"secret"}]}`},
		{"fail/token-type-not-bearer", "TokenResponse", `{"access_token":"a.b.c","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"MAC","expires_in":300}`},
		{"fail/oauth-unknown-error", "OAuthError", `{"error":"nope"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch, err := s.compiler.Compile(specURL + "#/components/schemas/" + tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err == nil {
				t.Errorf("%s accepted %s", tt.schema, tt.body)
			}
		})
	}
}
