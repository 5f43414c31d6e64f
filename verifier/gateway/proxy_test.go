package gateway

import (
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
