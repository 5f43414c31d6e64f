package api_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/did/didkey/didkeytest"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// publicURL is the gateway's public URL in tests: the iss of its tokens and
// the audience presentations must name. Requests go to the handler
// directly, so it is never dialled.
const publicURL = "http://cflow.test"

// env is a router wired the way cmd/cflow's openApp wires it, with real
// parts: badger in a temp dir, kms, issuer, verifier, gateway, resolver.
type env struct {
	t        testing.TB
	h        http.Handler
	issuer   *issuer.Service
	gateway  *gateway.Gateway
	resolver did.Resolver
	verifier *verifier.Verifier
	// admin is sent as the Bearer token of every request that does not
	// set Authorization itself (set it to "" to send none).
	admin   string
	metrics *api.Metrics
}

type envOptions struct {
	upstreams []api.Upstream
	maxBody   int64
	ready     func(context.Context) error
	logger    *slog.Logger
	// The router's optional parts, off unless asked for (allOn turns on
	// every one): status lists (issuer.EnableStatus), /metrics, the admin
	// token on the issuer's write endpoints, did:ethr issuers on the
	// embedded chain (the rotate endpoint answers only for those).
	status     bool
	metrics    bool
	adminToken string
	ethr       bool
}

// testAdminToken is the admin token of allOn.
const testAdminToken = "test-admin-token"

// allOn is every part of the router `cflow serve` can run: every role,
// status lists, metrics, the admin token, did:ethr issuers, and two
// reverse-proxy upstreams — /api/ to a live server that answers 200
// "upstream <method> <path>" (text/plain), /down/ to a closed loopback port.
func allOn(t testing.TB) envOptions {
	t.Helper()
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Upstream", "live")
		_, _ = io.WriteString(w, "upstream "+r.Method+" "+r.URL.Path)
	}))
	t.Cleanup(live.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	ln.Close() // nothing listens there any more: the proxy answers 502
	liveURL, _ := url.Parse(live.URL)
	return envOptions{
		upstreams: []api.Upstream{{Prefix: "/api/", URL: liveURL}, {Prefix: "/down/", URL: down}},
		status:    true, metrics: true, adminToken: testAdminToken, ethr: true,
	}
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	iss, db, keys := issuertest.New(t)
	methods := map[string]did.Resolver{
		didkey.Method: didkey.Resolver{},
		didjwk.Method: didjwk.Resolver{},
	}
	if o.ethr {
		l := ledgertest.Embedded(t)
		ctrl, err := didethr.NewController(l)
		if err != nil {
			t.Fatal(err)
		}
		ethr, err := didethr.New(didethr.Options{}, didethr.NetworkOf(l))
		if err != nil {
			t.Fatal(err)
		}
		methods[didethr.Method] = ethr
		if err := iss.EnableEthr(db, issuer.EthrConfig{Controller: ctrl, Resolver: ethr}); err != nil {
			t.Fatal(err)
		}
	}
	if o.status {
		if err := iss.EnableStatus(db, issuer.StatusConfig{BaseURL: publicURL}); err != nil {
			t.Fatal(err)
		}
	}
	var metrics *api.Metrics
	if o.metrics {
		metrics = api.NewMetrics()
	}
	resolver := did.NewCache(did.NewRegistry(methods), did.CacheOptions{})
	v := verifier.New(verifier.Config{Resolver: resolver})
	gwKeys, err := gateway.NewKMSKeys(db, keys)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Issuer: publicURL, Verifier: v, Nonces: gateway.NewBadgerNonces(db),
		Keys: gwKeys, Policy: gateway.DefaultPolicy(iss.IsOwnIssuer)})
	h := api.NewRouter(api.Config{
		Roles: api.AllRoles, Issuer: iss, Verifier: v, Gateway: gw, Resolver: resolver,
		Upstreams: o.upstreams, MaxBody: o.maxBody, Ready: o.ready, Logger: o.logger,
		AdminToken: o.adminToken, Metrics: metrics, IPLimiter: gw.IPLimiter(), // as cmd/cflow wires it
	})
	return &env{t: t, h: h, issuer: iss, gateway: gw, resolver: resolver, verifier: v, admin: o.adminToken, metrics: metrics}
}

// response is a recorded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (e *env) do(method, path, contentType string, body []byte, hdr ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if e.admin != "" {
		req.Header.Set("Authorization", "Bearer "+e.admin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (e *env) postJSON(path string, v any) response {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, path, "application/json", b)
}

func (e *env) postForm(path string, f url.Values) response {
	e.t.Helper()
	return e.do(http.MethodPost, path, "application/x-www-form-urlencoded", []byte(f.Encode()))
}

// problem asserts an RFC 9457 answer and returns its members.
func problem(t *testing.T, r response, status int, typ, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d\n%s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["type"] != typ {
		t.Errorf("type = %v, want %s", p["type"], typ)
	}
	if code != "" && p["code"] != code {
		t.Errorf("code = %v, want %s\n%s", p["code"], code, r.body)
	}
	if p["status"] != float64(status) {
		t.Errorf("status member = %v, want %d", p["status"], status)
	}
	if s, _ := p["title"].(string); s == "" {
		t.Errorf("title is empty")
	}
	return p
}

// createIssuer makes an issuer profile through the API.
func (e *env) createIssuer(name, method, keyType string) map[string]any {
	e.t.Helper()
	body := map[string]any{"name": name}
	if method != "" {
		body["method"] = method
	}
	if keyType != "" {
		body["keyType"] = keyType
	}
	r := e.postJSON("/v1/issuers", body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create issuer: %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

// issue signs a credential through the API and returns the JWT.
func (e *env) issue(issuerID, format string, cred map[string]any) string {
	e.t.Helper()
	r := e.postJSON("/v1/credentials/issue", map[string]any{"credential": cred, "options": map[string]any{"issuer": issuerID, "format": format}})
	if r.status != http.StatusCreated {
		e.t.Fatalf("issue: %d %s", r.status, r.body)
	}
	jwt, _ := r.json(e.t)["verifiableCredential"].(string)
	if jwt == "" {
		e.t.Fatalf("issue: no verifiableCredential string in %s", r.body)
	}
	return jwt
}

// party is a DID with its key, made outside the server (a holder, or an
// issuer whose tokens the test builds by hand).
type party struct {
	did  string
	kid  string
	priv ed25519.PrivateKey
}

func newParty(t *testing.T) party {
	t.Helper()
	p := didkeytest.New(t)
	return party{did: p.DID, kid: p.KID, priv: p.Priv}
}

func (p party) signer() crypto.Signer { return p.priv }

// present signs a jwt_vp_json presentation of creds by p.
func (p party) present(t *testing.T, nonce, aud string, creds ...any) string {
	t.Helper()
	if creds == nil {
		creds = []any{}
	}
	vp := map[string]any{
		"@context":             []any{vc.ContextV1},
		"type":                 []any{vc.TypePresentation},
		"verifiableCredential": creds,
	}
	tok, err := vcjose.SignPresentation(vp, vcjose.JWTVPJSON, p.signer(), p.kid, p.did, nonce, aud,
		"urn:uuid:"+randHex(t), time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// compact builds a compact JWS by hand from a header and claims, signed
// with p's Ed25519 key whatever alg the header names; nothing checks them,
// which is the point.
func (p party) compact(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := b64(h) + "." + b64(c)
	return in + "." + b64(ed25519.Sign(p.priv, []byte(in)))
}

func randHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(base64.RawURLEncoding.EncodeToString(b))
}

// segments splits a compact JWS and decodes its payload.
func payloadOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%d segments", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func ed25519Sign(p party, signingInput string) []byte {
	return ed25519.Sign(p.priv, []byte(signingInput))
}
