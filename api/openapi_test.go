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
	"time"

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

// proxyItem is the Path Item every --upstream prefix serves at
// /prefix/{path}; a call whose template is proxyItem is checked against it.
const proxyItem = "#/components/pathItems/UpstreamProxy"

// proxyMethods lists the methods the document gives the upstream proxy:
// the Path Item's operations and its x-other-methods (those OpenAPI 3.1
// has no field for, such as CONNECT and QUERY).
func (s *spec) proxyMethods(t *testing.T) map[string]bool {
	t.Helper()
	item, _ := lookup(s.doc, proxyItem).(map[string]any)
	if item == nil {
		t.Fatalf("%s is missing", proxyItem)
	}
	out := map[string]bool{}
	for m := range item {
		if slices.Contains(httpMethods, m) {
			out[strings.ToUpper(m)] = true
		}
	}
	other, _ := item["x-other-methods"].([]any)
	for _, m := range other {
		out[m.(string)] = true
	}
	return out
}

// TestOpenAPIMatchesRouter fails when the router serves an endpoint the
// document does not describe, or the document describes one the router
// does not serve. The router is built with every optional part on (allOn:
// status lists, metrics, admin token, did:ethr, upstreams), so every route
// the binary can serve is compared; the upstream routes, whose paths are
// configuration, are compared with the UpstreamProxy Path Item.
func TestOpenAPIMatchesRouter(t *testing.T) {
	o := allOn(t)
	e := newEnv(t, o)
	routes, ok := e.h.(chi.Routes)
	if !ok {
		t.Fatalf("NewRouter returned %T, not a chi router", e.h)
	}
	upstream := map[string]map[string]bool{} // chi pattern → methods
	for _, u := range o.upstreams {
		upstream[strings.TrimSuffix(u.Prefix, "/")+"/*"] = map[string]bool{}
	}
	served := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if ms, ok := upstream[route]; ok {
			ms[method] = true
			return nil
		}
		served[method+" "+normalize(route)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := loadSpec(t)
	documented := s.operations(t)
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
	proxy := s.proxyMethods(t)
	for route, ms := range upstream {
		if len(ms) == 0 {
			t.Errorf("upstream route %s not walked", route)
		}
		for m := range ms {
			if !proxy[m] {
				missing = append(missing, m+" "+route+" ("+proxyItem+")")
			}
		}
		for m := range proxy {
			if !ms[m] {
				extra = append(extra, m+" "+route+" ("+proxyItem+")")
			}
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
	if len(served) < 21 {
		t.Errorf("only %d routes walked; is every role and optional part on?", len(served))
	}
}

// TestOpenAPIDocument checks the document's own consistency: unique
// operation ids, path parameters declared, every $ref resolvable and every
// schema valid JSON Schema 2020-12.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	ids := map[string]bool{}
	paths := map[string]any{}
	for p, item := range s.doc["paths"].(map[string]any) {
		paths[p] = item
	}
	// The reusable Path Items are served at /prefix/{path}.
	items, _ := s.doc["components"].(map[string]any)["pathItems"].(map[string]any)
	for name, item := range items {
		paths["/"+name+"/{path}"] = item
	}
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
			shared, _ := item.(map[string]any)["parameters"].([]any) // Path Item level
			for _, x := range append(params, shared...) {
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

// pointer is a JSON pointer into the document, kept as its unescaped
// reference tokens.
type pointer []string

func refPointer(ref string) pointer { // a local $ref, "#/a/b~1c"
	var p pointer
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		p = append(p, strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~"))
	}
	return p
}

func (p pointer) add(toks ...string) pointer { return append(slices.Clip(p), toks...) }

// ref is the pointer as a $ref for lookup.
func (p pointer) ref() string {
	var b strings.Builder
	b.WriteString("#")
	for _, tok := range p {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// url is the pointer as a URL fragment of the document, for the compiler.
func (p pointer) url() string {
	var b strings.Builder
	b.WriteString(specURL + "#")
	for _, tok := range p {
		b.WriteString("/" + pointerToken(tok))
	}
	return b.String()
}

// deref follows a $ref in the object at p, if it has one.
func (s *spec) deref(p pointer) (pointer, map[string]any) {
	m, _ := lookup(s.doc, p.ref()).(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		p = refPointer(ref)
		m, _ = lookup(s.doc, ref).(map[string]any)
	}
	return p, m
}

// operation is the pointer to the document's operation for a call: a
// path template ("/v1/issuers/{id}") or a Path Item pointer (proxyItem).
func operation(method, template string) pointer {
	if strings.HasPrefix(template, "#/") {
		return refPointer(template).add(strings.ToLower(method))
	}
	return pointer{"paths", template, strings.ToLower(method)}
}

func isJSONType(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// validate checks v against the schema at p.
func (s *spec) validate(t *testing.T, p pointer, v any) error {
	t.Helper()
	sch, err := s.compiler.Compile(p.url())
	if err != nil {
		t.Fatalf("compile %s: %v", p.ref(), err)
	}
	return sch.Validate(v)
}

// checkResponse asserts that the document declares this status for the
// operation (exactly, as NXX or as default), that every required header is
// there and every documented header present matches its schema, and that
// the Content-Type is one it lists (exactly, as type/* or */*) and the body
// is valid against that media type's schema: JSON media types as JSON,
// others (application/vc+jwt, text/plain) as one string. A response that
// documents no content must have no body.
func (s *spec) checkResponse(t *testing.T, method, template string, r response) {
	t.Helper()
	what := fmt.Sprintf("%s %s %d", method, template, r.status)
	responses := operation(method, template).add("responses")
	var p pointer
	var resp map[string]any
	for _, key := range []string{strconv.Itoa(r.status), strconv.Itoa(r.status/100) + "XX", "default"} {
		if p, resp = s.deref(responses.add(key)); resp != nil {
			break
		}
	}
	if resp == nil {
		t.Errorf("%s: status is not documented\n%s", what, r.body)
		return
	}
	hdrs, _ := resp["headers"].(map[string]any)
	for name := range hdrs {
		hp, h := s.deref(p.add("headers", name))
		vals := r.header.Values(name)
		if len(vals) == 0 {
			if req, _ := h["required"].(bool); req {
				t.Errorf("%s: required header %s is missing", what, name)
			}
			continue
		}
		if _, ok := h["schema"]; ok {
			if err := s.validate(t, hp.add("schema"), vals[0]); err != nil {
				t.Errorf("%s: header %s: %q does not match the document: %v", what, name, vals[0], err)
			}
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(r.body) != 0 {
			t.Errorf("%s: the document gives no content, the body is %q", what, r.body)
		}
		return
	}
	got, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s: Content-Type %q: %v", what, r.header.Get("Content-Type"), err)
		return
	}
	typ, _, _ := strings.Cut(got, "/")
	key := ""
	for _, want := range []string{got, typ + "/*", "*/*"} {
		for mt := range content {
			if base, _, _ := mime.ParseMediaType(mt); base == want {
				key = mt
			}
		}
		if key != "" {
			break
		}
	}
	if key == "" {
		t.Errorf("%s: Content-Type %s is not documented (have %v)", what, got, keys(content))
		return
	}
	if mt, _ := content[key].(map[string]any); mt["schema"] == nil {
		return // e.g. */* of the proxy: the upstream's body, whatever it is
	}
	var body any = string(r.body)
	if isJSONType(got) {
		if body, err = jsonschema.UnmarshalJSON(bytes.NewReader(r.body)); err != nil {
			t.Errorf("%s: body is not JSON: %v", what, err)
			return
		}
	}
	if err := s.validate(t, p.add("content", key, "schema"), body); err != nil {
		t.Errorf("%s: body does not match the document:\n%v\n%s", what, err, r.body)
	}
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
// endpoint of a router with every optional part on, and validates each
// answer against the document.
func TestOpenAPIResponses(t *testing.T) {
	s := loadSpec(t)
	o := allOn(t)
	o.maxBody = 1 << 20
	e := newEnv(t, o)
	holder, stranger := newParty(t), newParty(t)

	type call struct {
		method, path, template string
		want                   int
		send                   func() response
		check                  func(t *testing.T, r response) // optional, beyond the document
	}
	var prof, ethrProf map[string]any
	var cred, nonce, access, statusCred, listPath, etag string
	get := func(p string, hdr ...string) func() response {
		return func() response { return e.do(http.MethodGet, p, "", nil, hdr...) }
	}
	post := func(p string, v any) func() response { return func() response { return e.postJSON(p, v) } }
	raw := func(p, ct, body string, hdr ...string) func() response {
		return func() response { return e.do(http.MethodPost, p, ct, []byte(body), hdr...) }
	}
	noAdmin := []string{"Authorization", ""}
	bearer := func() []string { return []string{"Authorization", "Bearer " + access} }
	// the original request as nginx (the default forward-auth mode) passes it
	orig := []string{"X-Original-URI", "/api/x", "X-Original-Method", "GET"}
	code := func(want string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			var m map[string]any
			_ = json.Unmarshal(r.body, &m)
			if got, _ := m["code"].(string); got != want {
				if got, _ = m["error"].(string); got != want {
					t.Errorf("code/error = %q, want %q\n%s", got, want, r.body)
				}
			}
		}
	}
	setStatus := func(purpose string, value bool) func() response {
		return func() response {
			return e.postJSON("/v1/credentials/status", map[string]any{"credentialId": statusCred,
				"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose, "value": value}}})
		}
	}
	calls := []call{
		{"GET", "/healthz", "/healthz", 200, get("/healthz"), nil},
		{"GET", "/readyz", "/readyz", 200, get("/readyz"), nil},
		{"POST", "/v1/issuers", "/v1/issuers", 201, func() response {
			r := e.postJSON("/v1/issuers", map[string]any{"name": "ACME"})
			prof = r.json(t)
			return r
		}, nil},
		{"POST", "/v1/issuers", "/v1/issuers", 201, func() response {
			r := e.postJSON("/v1/issuers", map[string]any{"name": "Ledger Inc", "method": "ethr", "keyType": "Ed25519", "suspension": true})
			ethrProf = r.json(t)
			return r
		}, nil},
		{"POST", "/v1/issuers", "/v1/issuers", 400, post("/v1/issuers", map[string]any{"name": ""}), code("invalid_request")},
		{"POST", "/v1/issuers", "/v1/issuers", 400, raw("/v1/issuers", "application/json", `{"name":"a","name":"b"}`), code("duplicate_key")},
		{"POST", "/v1/issuers", "/v1/issuers", 401, raw("/v1/issuers", "application/json", `{"name":"a"}`, noAdmin...), nil},
		{"POST", "/v1/issuers", "/v1/issuers", 401, raw("/v1/issuers", "application/json", `{"name":"a"}`, "Authorization", "Bearer "+testAdminToken+"x"), nil},
		{"POST", "/v1/issuers", "/v1/issuers", 413, raw("/v1/issuers", "application/json", strings.Repeat(" ", 1<<20+1)), nil},
		{"POST", "/v1/issuers", "/v1/issuers", 415, raw("/v1/issuers", "text/plain", `{}`), nil},
		{"GET", "/v1/issuers", "/v1/issuers", 200, get("/v1/issuers"), nil},
		{"GET", "/v1/issuers/{id}", "/v1/issuers/{id}", 200, func() response { return e.do(http.MethodGet, "/v1/issuers/"+prof["id"].(string), "", nil) }, nil},
		{"GET", "/v1/issuers/{id}", "/v1/issuers/{id}", 404, get("/v1/issuers/nope"), nil},
		// rotate: only did:ethr profiles rotate (issuer/ethr_rotate.go); the
		// embedded chain is the ledger here.
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 200, func() response {
			return e.postJSON("/v1/issuers/"+ethrProf["id"].(string)+"/rotate", map[string]any{"keepOldUntil": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		}, func(t *testing.T, r response) {
			if m := r.json(t); m["previousVerificationMethod"] != ethrProf["verificationMethod"] || m["previousRevoked"] != false {
				t.Errorf("rotation %s, previous key was %v", r.body, ethrProf["verificationMethod"])
			}
		}},
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 400, func() response {
			return e.do(http.MethodPost, "/v1/issuers/"+prof["id"].(string)+"/rotate", "", nil)
		}, code("invalid_request")},
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 401, func() response {
			return e.do(http.MethodPost, "/v1/issuers/"+ethrProf["id"].(string)+"/rotate", "", nil, noAdmin...)
		}, nil},
		{"POST", "/v1/issuers/{id}/rotate", "/v1/issuers/{id}/rotate", 404, post("/v1/issuers/nope/rotate", map[string]any{}), nil},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 201, func() response {
			r := e.postJSON("/v1/credentials/issue", map[string]any{
				"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"}, "credentialSubject": map[string]any{"id": holder.did}},
				"options":    map[string]any{"issuer": prof["id"], "format": "jwt_vc_json"},
			})
			cred, _ = r.json(t)["verifiableCredential"].(string)
			return r
		}, nil},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 400, func() response {
			return e.postJSON("/v1/credentials/issue", map[string]any{"credential": map[string]any{"credentialSubject": map[string]any{}}, "options": map[string]any{"issuer": prof["id"], "format": "mso_mdoc"}})
		}, nil},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 401, raw("/v1/credentials/issue", "application/json", `{"credential":{"credentialSubject":{}}}`, noAdmin...), nil},
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 404, post("/v1/credentials/issue", map[string]any{"credential": map[string]any{"credentialSubject": map[string]any{}}, "options": map[string]any{"issuer": "nope"}}), nil},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 200, func() response {
			return e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": cred})
		}, nil},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 422, func() response {
			return e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": flipLastSig(cred)})
		}, nil},
		{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 400, post("/v1/credentials/verify", map[string]any{}), nil},
		{"POST", "/v1/presentations/verify", "/v1/presentations/verify", 200, func() response {
			return e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": holder.present(t, "n1", "d1", cred), "options": map[string]any{"challenge": "n1", "domain": "d1"}})
		}, nil},
		{"POST", "/v1/presentations/verify", "/v1/presentations/verify", 422, func() response {
			return e.postJSON("/v1/presentations/verify", map[string]any{"verifiablePresentation": stranger.present(t, "n1", "d1", cred)})
		}, nil},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 200, get("/1.0/identifiers/" + holder.did), nil},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 200, func() response { return e.do(http.MethodGet, "/1.0/identifiers/"+ethrProf["did"].(string), "", nil) }, nil},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 400, get("/1.0/identifiers/did:key:zzz"), nil},
		{"GET", "/1.0/identifiers/{did}", "/1.0/identifiers/{did}", 501, get("/1.0/identifiers/did:example:123"), nil},

		// status lists (issuer.EnableStatus)
		{"POST", "/v1/credentials/issue", "/v1/credentials/issue", 201, func() response {
			r := e.postJSON("/v1/credentials/issue", map[string]any{
				"credential": map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"}, "credentialSubject": map[string]any{"id": holder.did}},
				"options":    map[string]any{"issuer": ethrProf["id"], "format": "vc+jwt"},
			})
			jwt, _ := r.json(t)["verifiableCredential"].(string)
			if jwt != "" {
				statusCred, _ = payloadOf(t, jwt)["id"].(string)
				st, _ := payloadOf(t, jwt)["credentialStatus"].([]any)
				if len(st) == 0 {
					t.Errorf("no credentialStatus in %v", payloadOf(t, jwt))
				} else if u, _ := st[0].(map[string]any)["statusListCredential"].(string); strings.HasPrefix(u, publicURL) {
					listPath = strings.TrimPrefix(u, publicURL)
				}
			}
			return r
		}, nil},
		{"GET", "/v1/status/{listId}", "/v1/status/{listId}", 200, func() response {
			r := e.do(http.MethodGet, listPath, "", nil)
			etag = r.header.Get("ETag")
			return r
		}, nil},
		{"GET", "/v1/status/{listId}", "/v1/status/{listId}", 304, func() response { return e.do(http.MethodGet, listPath, "", nil, "If-None-Match", etag) }, nil},
		{"GET", "/v1/status/{listId}", "/v1/status/{listId}", 200, func() response { return e.do(http.MethodGet, listPath, "", nil, "If-None-Match", `"0"`) }, nil},
		{"GET", "/v1/status/{listId}", "/v1/status/{listId}", 404, get("/v1/status/nope"), code("status_list_not_found")},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 200, setStatus("suspension", true), func(t *testing.T, r response) {
			if m := r.json(t); m["suspended"] != true || m["revoked"] != false {
				t.Errorf("%s", r.body)
			}
		}},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 200, func() response {
			return e.postJSON("/v1/credentials/status", map[string]any{"credentialId": statusCred,
				"credentialStatus": map[string]any{"statusPurpose": "revocation", "value": true}})
		}, nil},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 409, setStatus("revocation", false), code("revocation_permanent")},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 409, func() response {
			jti, _ := payloadOf(t, cred)["jti"].(string) // ACME has no suspension list
			return e.postJSON("/v1/credentials/status", map[string]any{"credentialId": jti,
				"credentialStatus": map[string]any{"statusPurpose": "suspension", "value": true}})
		}, code("status_purpose_absent")},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 400, post("/v1/credentials/status", map[string]any{"credentialId": "urn:uuid:x"}), code("invalid_request")},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 401, raw("/v1/credentials/status", "application/json", `{}`, noAdmin...), nil},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 404, post("/v1/credentials/status", map[string]any{"credentialId": "urn:uuid:nope",
			"credentialStatus": map[string]any{"statusPurpose": "revocation", "value": true}}), code("credential_not_found")},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 413, raw("/v1/credentials/status", "application/json", strings.Repeat(" ", 1<<20+1)), nil},
		{"POST", "/v1/credentials/status", "/v1/credentials/status", 415, raw("/v1/credentials/status", "text/plain", `{}`), nil},

		// gateway
		{"POST", "/v1/gateway/challenge", "/v1/gateway/challenge", 200, func() response {
			r := e.do(http.MethodPost, "/v1/gateway/challenge", "", nil)
			nonce, _ = r.json(t)["nonce"].(string)
			return r
		}, nil},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 200, func() response {
			r := e.postForm("/v1/gateway/token", url.Values{"grant_type": {gateway.GrantTypeTokenExchange},
				"subject_token": {holder.present(t, nonce, publicURL, cred)}, "subject_token_type": {gateway.TokenTypeJWT}})
			access, _ = r.json(t)["access_token"].(string)
			return r
		}, nil},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 400, func() response {
			return e.postForm("/v1/gateway/token", url.Values{"grant_type": {gateway.GrantTypeTokenExchange},
				"subject_token": {holder.present(t, nonce, publicURL, cred)}, "subject_token_type": {gateway.TokenTypeJWT}})
		}, nil},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 400, raw("/v1/gateway/token", "application/x-www-form-urlencoded", "grant_type=password"), nil},
		{"POST", "/v1/gateway/token", "/v1/gateway/token", 413, raw("/v1/gateway/token", "application/x-www-form-urlencoded", "subject_token="+strings.Repeat("a", 1<<20)), nil},
		{"GET", "/.well-known/jwks.json", "/.well-known/jwks.json", 200, get("/.well-known/jwks.json"), nil},
		{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 200, func() response {
			return e.do(http.MethodGet, "/v1/gateway/authorize", "", nil, append(bearer(), orig...)...)
		}, func(t *testing.T, r response) {
			if r.header.Get(gateway.HeaderSubject) != holder.did {
				t.Errorf("subject %q", r.header.Get(gateway.HeaderSubject))
			}
		}},
		{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 401, get("/v1/gateway/authorize", orig...), code("invalid_token")},
		{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 400, func() response {
			return e.do(http.MethodGet, "/v1/gateway/authorize", "", nil, append(bearer(), "X-Original-URI", "%zz", "X-Original-Method", "GET")...)
		}, code("invalid_request")},
		{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 400, func() response {
			// nginx mode: X-Forwarded-* are not read, and X-Original-* are required
			return e.do(http.MethodGet, "/v1/gateway/authorize", "", nil, append(bearer(), "X-Forwarded-Uri", "/api/x", "X-Forwarded-Method", "GET")...)
		}, code("invalid_request")},
		{"POST", "/v1/gateway/authorize", "/v1/gateway/authorize", 200, func() response {
			return e.do(http.MethodPost, "/v1/gateway/authorize", "", nil, append(bearer(), orig...)...)
		}, nil},
		{"POST", "/v1/gateway/authorize", "/v1/gateway/authorize", 401, raw("/v1/gateway/authorize", "", "", orig...), nil},
		{"GET", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 200, func() response {
			return e.do(http.MethodGet, "/v1/gateway/authorize/api/x", "", nil, append(bearer(), orig...)...)
		}, nil},
		{"GET", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 401, get("/v1/gateway/authorize/api/x", orig...), nil},
		{"POST", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 200, func() response {
			return e.do(http.MethodPost, "/v1/gateway/authorize/api/x", "", nil, append(bearer(), orig...)...)
		}, nil},
		{"POST", "/v1/gateway/authorize/api/x", "/v1/gateway/authorize/{path}", 401, raw("/v1/gateway/authorize/api/x", "", "", orig...), nil},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 200, func() response {
			return e.postForm("/v1/gateway/introspect", url.Values{"token": {access}})
		}, func(t *testing.T, r response) {
			if m := r.json(t); m["active"] != true || m["sub"] != holder.did {
				t.Errorf("%s", r.body)
			}
		}},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 200, raw("/v1/gateway/introspect", "application/x-www-form-urlencoded", "token=not-a-token"), nil},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 400, raw("/v1/gateway/introspect", "application/x-www-form-urlencoded", ""), nil},
		{"POST", "/v1/gateway/introspect", "/v1/gateway/introspect", 413, raw("/v1/gateway/introspect", "application/x-www-form-urlencoded", "token="+strings.Repeat("a", 1<<20)), nil},

		// the reverse proxy (allOn: /api/ is live, /down/ is not)
		{"GET", "/api/x", proxyItem, 401, get("/api/x"), code("invalid_token")},
		{"GET", "/api/../admin", proxyItem, 400, func() response { return e.do(http.MethodGet, "/api/../admin", "", nil, bearer()...) }, code("invalid_path")},
		{"GET", "/down/x", proxyItem, 502, func() response { return e.do(http.MethodGet, "/down/x", "", nil, bearer()...) }, code("upstream_failed")},
		{"POST", "/api/x", proxyItem, 413, raw("/api/x", "application/octet-stream", strings.Repeat(" ", 1<<20+1)), nil},
	}
	for _, m := range []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"} {
		calls = append(calls, call{m, "/api/x", proxyItem, 200, func() response { return e.do(m, "/api/x", "", nil, bearer()...) },
			func(t *testing.T, r response) {
				want := "upstream " + m + " /api/x"
				if m == "HEAD" {
					want = ""
				}
				if string(r.body) != want || r.header.Get("X-Upstream") != "live" {
					t.Errorf("passed through %q %v, want the upstream's %q", r.body, r.header, want)
				}
			}})
	}
	calls = append(calls,
		// metrics, after the traffic above
		call{"GET", "/metrics", "/metrics", 200, get("/metrics"), func(t *testing.T, r response) {
			if !strings.Contains(string(r.body), `cflow_http_requests_total{code="200",method="GET",route="/v1/status/{listId}"} 2`) {
				t.Errorf("status list requests not counted:\n%s", r.body)
			}
		}},
		call{"GET", "/metrics", "/metrics", 200, get("/metrics", "Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"), nil},
		// last: it spends the gateway's per-IP budget
		call{"POST", "/v1/gateway/challenge", "/v1/gateway/challenge", 429, func() response {
			var r response
			for range 100 {
				if r = e.do(http.MethodPost, "/v1/gateway/challenge", "", nil); r.status != http.StatusOK {
					break
				}
			}
			return r
		}, code("slow_down")},
		// the verify endpoints and forward auth share that budget
		call{"POST", "/v1/credentials/verify", "/v1/credentials/verify", 429,
			post("/v1/credentials/verify", map[string]any{"verifiableCredential": cred}), code("rate_limited")},
		call{"POST", "/v1/presentations/verify", "/v1/presentations/verify", 429,
			post("/v1/presentations/verify", map[string]any{"verifiablePresentation": "x"}), code("rate_limited")},
		call{"GET", "/v1/gateway/authorize", "/v1/gateway/authorize", 429, func() response {
			return e.do(http.MethodGet, "/v1/gateway/authorize", "", nil, append(bearer(), orig...)...)
		}, nil},
	)
	covered := map[string]bool{}
	for i, c := range calls {
		name := strings.TrimPrefix(c.template, "/")
		if c.template == proxyItem {
			name = "proxy" + c.path
		}
		t.Run(fmt.Sprintf("%02d/%s_%s/%d", i, c.method, name, c.want), func(t *testing.T) {
			r := c.send()
			if r.status != c.want {
				t.Fatalf("status = %d, want %d\n%s", r.status, c.want, r.body)
			}
			s.checkResponse(t, c.method, c.template, r)
			if c.check != nil {
				c.check(t, r)
			}
		})
		key := c.method + " " + normalize(c.template)
		if c.template == proxyItem {
			key = c.method + " " + proxyItem
		}
		covered[key] = true
	}
	// Every documented operation got at least one real request here.
	for op, p := range s.operations(t) {
		if !covered[op] {
			t.Errorf("no response of %s (%s) is validated", op, p)
		}
	}
	for m := range s.proxyMethods(t) {
		if m == "CONNECT" || m == "QUERY" {
			continue // x-other-methods: no operation to validate against
		}
		if !covered[m+" "+proxyItem] {
			t.Errorf("no response of %s %s is validated", m, proxyItem)
		}
	}
}

// TestOpenAPIAdminSecurity sends every documented operation a request
// without credentials: exactly those that declare the adminToken security
// scheme answer 401 unauthorized.
func TestOpenAPIAdminSecurity(t *testing.T) {
	s := loadSpec(t)
	e := newEnv(t, allOn(t))
	paths, _ := s.doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			admin := false
			sec, _ := op.(map[string]any)["security"].([]any)
			for _, req := range sec {
				if _, ok := req.(map[string]any)["adminToken"]; ok {
					admin = true
				}
			}
			method, concrete := strings.ToUpper(m), paramRE.ReplaceAllString(p, "x")
			t.Run(method+"_"+strings.TrimPrefix(p, "/"), func(t *testing.T) {
				var body []byte
				if method == http.MethodPost {
					body = []byte(`{"name":"x"}`)
				}
				r := e.do(method, concrete, "application/json", body, "Authorization", "")
				var pr api.Problem
				_ = json.Unmarshal(r.body, &pr)
				got := r.status == http.StatusUnauthorized && pr.Type == api.ProblemUnauthorized
				if got != admin {
					t.Errorf("admin token required: %v, documented: %v (%d %s)", got, admin, r.status, r.body)
				}
				if admin {
					s.checkResponse(t, method, p, r)
				}
			})
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
