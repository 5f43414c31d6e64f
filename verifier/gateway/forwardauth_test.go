package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// faPolicy: GET only, and nothing under /api/admin/ (as the review2
// reproducer in test/adversarial).
const faPolicy = `policies:
  - name: readonly
    routes: [/api/]
    credentials: [{name: employee, types: [EmployeeCredential], issuers: [ISS], required: true}]
    access: 'request.method == "GET" && !request.route.startsWith("/api/admin/")'
`

func faRig(t *testing.T, mode ForwardAuthMode) (*rig, party) {
	t.Helper()
	r := newRig(t, rigOptions{forwardAuth: mode})
	p, err := ParsePolicy("p.yaml", []byte(strings.ReplaceAll(faPolicy, "ISS", r.iss.did)), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.gw.SetPolicy(p)
	return r, newParty(t)
}

// TestForwardAuthModes: each mode reads the original request from its
// proxy's headers and from nothing else, so headers a client adds to its
// own request (which nginx, Traefik and Envoy pass on to the auth request)
// cannot change what is decided. Missing headers are refused, not guessed.
func TestForwardAuthModes(t *testing.T) {
	type hdr = []string
	for _, c := range []struct {
		name         string
		mode         ForwardAuthMode
		method, path string // of the authorization request
		hdr          hdr
		status       int
		code         string
	}{
		{"ok/nginx", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x?q=1"}, 200, ""},
		{"ok/nginx-default-mode", "", "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x"}, 200, ""},
		{"ok/nginx-absolute-form", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "http://other.example/api/x"}, 200, ""},
		{"ok/nginx-subrequest-method-ignored", ForwardAuthNginx, "POST", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x"}, 200, ""},
		{"fail/nginx-post", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "POST", "X-Original-URI", "/api/x"}, 403, "insufficient_scope"},
		{"fail/nginx-admin", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/admin/users"}, 403, "insufficient_scope"},
		{"fail/nginx-absolute-form-admin", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "http://x/api/admin/users"}, 403, "insufficient_scope"},
		{"fail/nginx-spoofed-forwarded-method", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "POST", "X-Original-URI", "/api/x", "X-Forwarded-Method", "GET"}, 403, "insufficient_scope"},
		{"fail/nginx-spoofed-forwarded-uri", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/admin/users", "X-Forwarded-Uri", "/api/x"}, 403, "insufficient_scope"},
		{"fail/nginx-spoofed-original-url", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/admin/users", "X-Original-Url", "/api/x"}, 403, "insufficient_scope"},
		{"fail/nginx-path-suffix-ignored", ForwardAuthNginx, "GET", AuthorizePath + "/api/x", hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/admin/users"}, 403, "insufficient_scope"},
		{"fail/nginx-only-forwarded-headers", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x"}, 400, "invalid_request"},
		{"fail/nginx-only-path-suffix", ForwardAuthNginx, "GET", AuthorizePath + "/api/x", nil, 400, "invalid_request"},
		{"fail/nginx-no-method", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-URI", "/api/x"}, 400, "invalid_request"},
		{"fail/nginx-no-uri", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET"}, 400, "invalid_request"},
		{"fail/nginx-two-uris", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x", "X-Original-URI", "/api/admin/x"}, 400, "invalid_request"},
		{"fail/nginx-method-not-a-token", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET /", "X-Original-URI", "/api/x"}, 400, "invalid_request"},
		{"fail/nginx-uri-not-a-path", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "api/x"}, 400, "invalid_request"},
		{"fail/nginx-uri-bad-escape", ForwardAuthNginx, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/%zz"}, 400, "invalid_request"},

		{"ok/traefik", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x", "X-Forwarded-Host", "api.example", "X-Forwarded-Proto", "https"}, 200, ""},
		{"ok/traefik-no-host", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x"}, 200, ""},
		{"fail/traefik-post", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "POST", "X-Forwarded-Uri", "/api/x"}, 403, "insufficient_scope"},
		{"fail/traefik-spoofed-original", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "POST", "X-Forwarded-Uri", "/api/admin/x", "X-Original-Method", "GET", "X-Original-URI", "/api/x"}, 403, "insufficient_scope"},
		{"fail/traefik-only-original-headers", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x"}, 400, "invalid_request"},
		{"fail/traefik-host-with-path", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x", "X-Forwarded-Host", "a.example/b"}, 400, "invalid_request"},
		{"fail/traefik-proto-not-http", ForwardAuthTraefik, "GET", AuthorizePath, hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x", "X-Forwarded-Host", "a.example", "X-Forwarded-Proto", "ftp"}, 400, "invalid_request"},

		{"ok/envoy", ForwardAuthEnvoy, "GET", AuthorizePath + "/api/x?q=1", nil, 200, ""},
		{"fail/envoy-post", ForwardAuthEnvoy, "POST", AuthorizePath + "/api/x", nil, 403, "insufficient_scope"},
		{"fail/envoy-admin", ForwardAuthEnvoy, "GET", AuthorizePath + "/api/admin/users", nil, 403, "insufficient_scope"},
		{"fail/envoy-spoofed-uri-headers", ForwardAuthEnvoy, "GET", AuthorizePath + "/api/admin/users", hdr{"X-Forwarded-Uri", "/api/x", "X-Original-URI", "/api/x"}, 403, "insufficient_scope"},
		{"fail/envoy-spoofed-method-headers", ForwardAuthEnvoy, "POST", AuthorizePath + "/api/x", hdr{"X-Forwarded-Method", "GET", "X-Original-Method", "GET"}, 403, "insufficient_scope"},
		// Decoded once: an escaped '?' is part of the path, so this is
		// /api/public?/../admin/users, i.e. /api/admin/users, as the upstream
		// resolves it; decoding twice would have decided for /api/public.
		{"fail/envoy-escaped-question-mark", ForwardAuthEnvoy, "GET", AuthorizePath + "/api/public%3F/../admin/users", nil, 403, "insufficient_scope"},
		{"fail/envoy-no-path", ForwardAuthEnvoy, "GET", AuthorizePath, hdr{"X-Forwarded-Uri", "/api/x", "X-Original-URI", "/api/x"}, 400, "invalid_request"},
		{"fail/envoy-prefix-not-a-segment", ForwardAuthEnvoy, "GET", AuthorizePath + "x/api/x", nil, 400, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, holder := faRig(t, c.mode)
			tok := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
			req := httptest.NewRequest(c.method, c.path, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			for i := 0; i+1 < len(c.hdr); i += 2 {
				req.Header.Add(c.hdr[i], c.hdr[i+1])
			}
			w := serveReq(http.HandlerFunc(r.gw.HandleAuthorize), req)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
			}
			if c.status == 200 {
				if w.Header().Get(HeaderSubject) != holder.did || w.Header().Get(HeaderPolicy) != "readonly" {
					t.Errorf("identity headers %v", w.Header())
				}
				return
			}
			var e OAuthError
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != c.code {
				t.Errorf("error %q (%v), want %q: %s", e.Code, err, c.code, w.Body)
			}
			if w.Header().Get(HeaderSubject) != "" {
				t.Errorf("a refusal carries identity headers: %v", w.Header())
			}
		})
	}
}

// TestForwardAuthDPoPURL: the htu a DPoP proof must name is the public URL
// plus the original path in nginx and envoy modes, whatever
// X-Forwarded-Host/-Proto say; in traefik mode it is built from them.
func TestForwardAuthDPoPURL(t *testing.T) {
	type hdr = []string
	nginx := hdr{"X-Original-Method", "GET", "X-Original-URI", "/api/x"}
	traefik := hdr{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x", "X-Forwarded-Host", "api.example", "X-Forwarded-Proto", "https"}
	spoof := hdr{"X-Forwarded-Host", "attacker.example", "X-Forwarded-Proto", "https"}
	for _, c := range []struct {
		name string
		mode ForwardAuthMode
		path string
		hdr  hdr
		htu  string
		want int
	}{
		{"ok/nginx-public-url", ForwardAuthNginx, AuthorizePath, nginx, testIssuer + "/api/x", 200},
		{"ok/nginx-public-url-despite-forwarded-host", ForwardAuthNginx, AuthorizePath, append(spoof, nginx...), testIssuer + "/api/x", 200},
		{"fail/nginx-forwarded-host-ignored", ForwardAuthNginx, AuthorizePath, append(spoof, nginx...), "https://attacker.example/api/x", 401},
		{"fail/nginx-absolute-uri-host-ignored", ForwardAuthNginx, AuthorizePath, hdr{"X-Original-Method", "GET", "X-Original-URI", "https://attacker.example/api/x"}, "https://attacker.example/api/x", 401},
		{"ok/envoy-public-url", ForwardAuthEnvoy, AuthorizePath + "/api/x", nil, testIssuer + "/api/x", 200},
		{"fail/envoy-forwarded-host-ignored", ForwardAuthEnvoy, AuthorizePath + "/api/x", spoof, "https://attacker.example/api/x", 401},
		{"ok/traefik-forwarded-host", ForwardAuthTraefik, AuthorizePath, traefik, "https://api.example/api/x", 200},
		{"fail/traefik-public-url-not-the-host", ForwardAuthTraefik, AuthorizePath, traefik, testIssuer + "/api/x", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, holder := faRig(t, c.mode)
			key := newDPoPKey(t)
			tok := r.token(t, holder, key.proof(t, "POST", testIssuer+TokenPath, "", r.clock.Now()),
				r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
			req.Header.Set(HeaderDPoP, key.proof(t, "GET", c.htu, tok.AccessToken, r.clock.Now()))
			for i := 0; i+1 < len(c.hdr); i += 2 {
				req.Header.Add(c.hdr[i], c.hdr[i+1])
			}
			w := serveReq(http.HandlerFunc(r.gw.HandleAuthorize), req)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d: %s", w.Code, c.want, w.Body)
			}
			if c.want == 401 && !strings.Contains(w.Body.String(), `"invalid_dpop_proof"`) {
				t.Errorf("body %s", w.Body)
			}
		})
	}
}

func TestParseForwardAuthMode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ForwardAuthMode
		err  error
	}{
		{"nginx", ForwardAuthNginx, nil},
		{"Traefik", ForwardAuthTraefik, nil},
		{" envoy ", ForwardAuthEnvoy, nil},
		{"", "", ErrForwardAuthMode},
		{"apache", "", ErrForwardAuthMode},
	} {
		name := "ok/" + c.in
		if c.err != nil {
			name = "fail/" + c.in
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseForwardAuthMode(c.in)
			if got != c.want || !errors.Is(err, c.err) {
				t.Errorf("ParseForwardAuthMode(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in, path, escaped string
		ok                bool
	}{
		{"/api/x?q=1", "/api/x", "/api/x", true},
		{"/api/a%20b", "/api/a b", "/api/a%20b", true},
		{"/api/%2e%2e/admin", "/api/../admin", "/api/%2e%2e/admin", true},
		{"//api/x", "//api/x", "//api/x", true},
		{"http://h.example/api/x", "/api/x", "/api/x", true},
		{"http://h.example", "/", "/", true},
		{"api/x", "", "", false},
		{"*", "", "", false},
		{"", "", "", false},
		{"/api/%zz", "", "", false},
		{"mailto:a@b", "", "", false},
	} {
		name := "ok/" + c.in
		if !c.ok {
			name = "fail/" + c.in
		}
		t.Run(name, func(t *testing.T) {
			p, e, ok := parseTarget(c.in)
			if p != c.path || e != c.escaped || ok != c.ok {
				t.Errorf("parseTarget(%q) = %q, %q, %v; want %q, %q, %v", c.in, p, e, ok, c.path, c.escaped, c.ok)
			}
		})
	}
}

// FuzzParseTarget: a target it accepts is an absolute path whose escaped
// form decodes to it.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"/api/x?q=1", "//a/b", "http://h/x", "/a%2Fb", "*", "/%zz", "/a?b#c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, e, ok := parseTarget(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("%q: path %q", s, p)
		}
		if d, err := url.PathUnescape(e); err != nil || d != p {
			t.Fatalf("%q: escaped %q decodes to %q (%v), want %q", s, e, d, err, p)
		}
	})
}
