package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// cgiView is what a CGI-style upstream (PHP, WSGI, Rack) reads: every
// header as HTTP_ + the name upper-cased with '-' as '_'; of several
// spellings of one name, the last one wins.
func cgiView(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		out[name] = append(out[name], v...)
	}
	return out
}

func TestIsIdentityHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Credentialflow-Subject": true,
		"x-credentialflow-scope":   true,
		"X_Credentialflow_Subject": true,
		"X_CREDENTIALFLOW_SCOPE":   true,
		"X-Credentialflow_Policy":  true,
		"X.Credentialflow.Subject": true,
		"X-Credentialflow-":        true,
		"X-Credentialflow":         false,
		"X-CredentialflowSubject":  false,
		"XX-Credentialflow-Scope":  false,
		"X-Credentialflows-Scope":  false,
		"Authorization":            false,
	} {
		if got := isIdentityHeader(name); got != want {
			t.Errorf("isIdentityHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestProxyIdentityHeaders is the breaker's reproducer
// (test/adversarial TestProxyIdentityHeaders, TestProxyIdentitySpoofCGI):
// a client can neither remove the identity headers by naming them in
// Connection (hop-by-hop removal, RFC 9110 §7.6.1) nor add its own under a
// spelling that CGI-style upstreams read as ours.
func TestProxyIdentityHeaders(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	tok := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { seen = req.Header.Clone() }))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	proxy := r.gw.Proxy(u)
	for _, c := range []struct {
		name string
		hdr  [][2]string
	}{
		{"ok/connection-names-identity", [][2]string{{"Connection", "X-Credentialflow-Subject, X-Credentialflow-Scope, X-Credentialflow-Policy"}}},
		{"ok/underscore-variant", [][2]string{{"X_Credentialflow_Subject", "did:example:ceo"}, {"X_Credentialflow_Scope", "admin"}}},
		{"ok/dot-variant", [][2]string{{"X.Credentialflow.Subject", "did:example:ceo"}}},
		{"ok/connection-and-underscore", [][2]string{{"Connection", "X-Credentialflow-Subject, X-Credentialflow-Scope"},
			{"X_Credentialflow_Subject", "did:example:ceo"}, {"X_Credentialflow_Scope", "admin"}}},
		{"ok/lower-case-forgery", [][2]string{{"x-credentialflow-subject", "did:example:ceo"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest(http.MethodGet, "/api/admin", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			for _, kv := range c.hdr {
				req.Header[kv[0]] = append(req.Header[kv[0]], kv[1]) // as sent, not canonicalised
			}
			if w := serveReq(proxy, req); w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if v := seen.Values(HeaderSubject); len(v) != 1 || v[0] != holder.did {
				t.Errorf("subject %v, want [%s]", v, holder.did)
			}
			if v := seen.Values(HeaderScope); len(v) != 1 || v[0] != "EmployeeCredential" {
				t.Errorf("scope %v", v)
			}
			if v := seen.Values(HeaderPolicy); len(v) != 1 || v[0] != "default" {
				t.Errorf("policy %v", v)
			}
			cgi := cgiView(seen)
			for name, want := range map[string]string{"HTTP_X_CREDENTIALFLOW_SUBJECT": holder.did, "HTTP_X_CREDENTIALFLOW_SCOPE": "EmployeeCredential"} {
				if got := cgi[name]; len(got) != 1 || got[0] != want {
					t.Errorf("CGI upstream reads %s = %v, want [%s]", name, got, want)
				}
			}
		})
	}
	t.Run("ok/middleware-strips-underscore-variant", func(t *testing.T) {
		var got http.Header
		h := Middleware(r.gw)(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { got = req.Header.Clone() }))
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header["X_Credentialflow_Subject"] = []string{"did:example:ceo"}
		if w := serveReq(h, req); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if len(cgiView(got)["HTTP_X_CREDENTIALFLOW_SUBJECT"]) != 0 {
			t.Errorf("handler sees %v", got)
		}
	})
}

func TestCleanPath(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"/api/x", "/api/x", true},
		{"/api/", "/api/", true},
		{"/", "/", true},
		{"", "/", true},
		{"/api/../admin", "/admin", true},
		{"/api/x/../y", "/api/y", true},
		{"/api//x", "/api/x", true},
		{"/api/x/.", "/api/x/", true},
		{"/api/x/..", "/api/", true},
		{"/../../etc/passwd", "/etc/passwd", true},
		{"/api/..\\admin", "", false},
		{"/api/\x00", "", false},
	} {
		got, ok := cleanPath(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("cleanPath(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestProxyDotSegments is the breaker's reproducer (test/adversarial
// TestProxyDotSegments): a path whose dot segments, once resolved, leave
// the route's prefix never reaches the upstream, however it is encoded;
// one that stays inside is passed on resolved.
func TestProxyDotSegments(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	tok := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
	paths := make(chan string, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { paths <- req.URL.EscapedPath() }))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	front := httptest.NewServer(r.gw.ProxyRoute(u, ProxyOptions{Prefix: "/api/"}))
	defer front.Close()
	for _, c := range []struct {
		name, path string
		status     int
		upstream   string // the path the upstream sees; "" = not called
	}{
		{"fail/dot-dot", "/api/../admin", 400, ""},
		{"fail/encoded-dot-dot", "/api/%2e%2e/admin", 400, ""},
		{"fail/upper-encoded-dot-dot", "/api/%2E%2E/%2E%2E/etc/passwd", 400, ""},
		{"fail/encoded-slash", "/api/..%2fadmin", 400, ""},
		{"fail/encoded-backslash", "/api/..%5Cadmin", 400, ""},
		{"fail/nul", "/api/x%00", 400, ""},
		{"fail/to-the-prefix-parent", "/api/x/../..", 400, ""},
		{"ok/inside-the-prefix", "/api/x/../y", 200, "/api/y"},
		{"ok/encoded-inside", "/api/x/%2e%2e/y", 200, "/api/y"},
		{"ok/empty-segment", "/api//x", 200, "/api/x"},
		{"ok/plain", "/api/x", 200, "/api/x"},
		{"ok/encoded-slash-kept", "/api/a%2Fb", 200, "/api/a%2Fb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Raw on the wire: Go's client would resolve the dot segments itself.
			conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", c.path, tok.AccessToken)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			select {
			case got := <-paths:
				if got != c.upstream {
					t.Errorf("upstream saw %s, want %q", got, c.upstream)
				}
			default:
				if c.upstream != "" {
					t.Errorf("upstream not called, want %s", c.upstream)
				}
			}
			if c.status == 400 {
				var p map[string]any
				if err := json.Unmarshal(body, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" ||
					p["type"] != ProblemBadRequest || p["code"] != CodeInvalidPath || p["status"] != float64(400) {
					t.Errorf("%s %s", resp.Header.Get("Content-Type"), body)
				}
			}
		})
	}
}

// TestAuthorizeDotSegments: forward-auth and middleware pick the route's
// policy on the path with its dot segments resolved, and refuse a path
// whose resolved and unresolved forms fall to different policies.
func TestAuthorizeDotSegments(t *testing.T) {
	r := newRig(t, rigOptions{})
	p, err := ParsePolicy("p.yaml", []byte(strings.ReplaceAll(`policies:
  - name: staff
    credentials: [{name: employee, types: [EmployeeCredential], issuers: [ISS]}]
  - name: admin
    audience: https://admin.example
    routes: [/admin/]
    credentials: [{name: employee, types: [EmployeeCredential], issuers: [ISS]}]
`, "ISS", r.iss.did)), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.gw.SetPolicy(p)
	holder := newParty(t)
	staff := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
	authz := http.HandlerFunc(r.gw.HandleAuthorize)
	for _, c := range []struct {
		name, uri string
		status    int
		rule      string
	}{
		{"ok/plain", "/api/x", 200, ""},
		{"ok/resolves-within-policy", "/api/x/../y", 200, ""},
		{"fail/staff-token-reaches-admin", "/api/../admin/x", 403, "route"},
		{"fail/encoded-staff-token-reaches-admin", "/api/%2e%2e/admin/x", 403, "route"},
		{"fail/admin-route-resolves-elsewhere", "/admin/../api/x", 403, "route"},
		{"fail/backslash", "/api/..%5Cadmin/x", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, AuthorizePath, nil)
			req.Header.Set("Authorization", "Bearer "+staff.AccessToken)
			req.Header.Set("X-Original-URI", c.uri)
			req.Header.Set("X-Original-Method", "GET")
			w := serveReq(authz, req)
			if w.Code != c.status {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if c.rule != "" {
				_, aerr := r.gw.Authorize(context.Background(), AccessRequest{Method: "GET", Path: mustPath(t, c.uri), URL: testIssuer + c.uri, Authorization: "Bearer " + staff.AccessToken})
				if aerr == nil || aerr.Rule != c.rule {
					t.Errorf("%+v", aerr)
				}
			}
		})
	}
}

func mustPath(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// TestProxyUpstreamDown: an upstream that cannot be reached gives 502
// problem+json and one slog record naming the route, without the token.
func TestProxyUpstreamDown(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	tok := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down, _ := url.Parse("http://" + ln.Addr().String())
	ln.Close() // nothing listens there any more
	var logs strings.Builder
	proxy := r.gw.ProxyRoute(down, ProxyOptions{Prefix: "/api/", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	req := httptest.NewRequest(http.MethodGet, "/api/x?secret=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	w := serveReq(proxy, req)
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusBadGateway || w.Header().Get("Content-Type") != "application/problem+json" ||
		p["type"] != ProblemBadGateway || p["code"] != CodeUpstream || p["status"] != float64(502) || p["instance"] != "/api/x" {
		t.Fatalf("%d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(logs.String()), &rec); err != nil {
		t.Fatalf("want one JSON log record, got %q", logs.String())
	}
	if rec["level"] != "ERROR" || rec["msg"] != "proxy: upstream failed" || rec["path"] != "/api/x" || rec["upstream"] != down.Host || rec["error"] == "" {
		t.Errorf("log %v", rec)
	}
	if strings.Contains(logs.String(), tok.AccessToken) || strings.Contains(logs.String(), "secret") {
		t.Errorf("the log carries the token or the query: %s", logs.String())
	}
}
