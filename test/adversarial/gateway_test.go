package adversarial

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTokenRace: 50 concurrent exchanges of one presentation; exactly one wins.
func TestTokenRace(t *testing.T) {
	s, iss, _ := setup(t)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	vp := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred))
	const n = 50
	var wg sync.WaitGroup
	codes := make([]resp, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = exchange(t, s, vp)
		}()
	}
	close(start)
	wg.Wait()
	ok, reused, slow := 0, 0, 0
	for _, r := range codes {
		switch {
		case r.status == 200:
			ok++
		case r.status == 400 && strings.Contains(string(r.body), "nonce_reused"):
			reused++
		case r.status == 429: // rate limits (per address, per holder) may answer first
			slow++
		default:
			t.Errorf("unexpected answer %s", r)
		}
	}
	if ok != 1 || reused+slow != n-1 {
		t.Fatalf("%d succeeded, %d nonce_reused, %d slow_down; want exactly 1 success", ok, reused, slow)
	}
}

// TestHolderBindingCase: a credential whose subject is a different spelling
// of the holder's DID must not bind.
func TestHolderBindingCase(t *testing.T) {
	s, iss, _ := setup(t)
	h := newHolder(t)
	for _, subj := range []string{
		strings.ToUpper(h.DID[:7]) + h.DID[7:],              // DID:KEY:
		h.DID + "#" + strings.TrimPrefix(h.DID, "did:key:"), // the key, not the DID
		strings.Replace(h.DID, "z6Mk", "z6M%6B", 1),         // percent-encoded
	} {
		r := postJSON(t, s.URL+"/v1/credentials/issue", map[string]any{
			"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"}, "credentialSubject": map[string]any{"id": subj}},
			"options":    map[string]any{"issuer": iss},
		})
		no5xx(t, subj, r)
		if r.status != 201 {
			continue
		}
		cred := r.obj(t)["verifiableCredential"].(string)
		nonce, aud := challenge(t, s)
		vp := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred))
		er := exchange(t, s, vp)
		if er.status == 200 {
			t.Errorf("subject %q bound to holder %s: %s", subj, h.DID, er)
		}
	}
}

// TestAudienceAndNonce: aud as a list containing the gateway works; a nonce
// from another gateway and a presentation for another audience do not.
func TestAudienceAndNonce(t *testing.T) {
	s, iss, _ := setup(t)
	s2, _, _ := setup(t)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")

	nonce, aud := challenge(t, s)
	vp := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, []any{"https://other.example", aud}, cred))
	if r := exchange(t, s, vp); r.status != 200 {
		t.Errorf("aud list containing the gateway refused: %s", r)
	}
	foreign, _ := challenge(t, s2)
	vp = h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(foreign, aud, cred))
	if r := exchange(t, s, vp); r.status != 400 || !strings.Contains(string(r.body), "nonce_unknown") {
		t.Errorf("nonce from another gateway: %s", r)
	}
	nonce, _ = challenge(t, s)
	vp = h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, s2.URL, cred))
	if r := exchange(t, s, vp); r.status != 400 || !strings.Contains(string(r.body), "domain_mismatch") {
		t.Errorf("presentation for another audience: %s", r)
	}
	// The refused attempt must not have burned the nonce? (it is not consumed before verification)
	vp = h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred))
	if r := exchange(t, s, vp); r.status != 200 {
		t.Errorf("nonce burned by a refused presentation: %s", r)
	}
}

// upstream records what the proxied API receives.
func upstream(t *testing.T) (*httptest.Server, chan http.Header) {
	got := make(chan http.Header, 16)
	u := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(200)
	}))
	t.Cleanup(u.Close)
	return u, got
}

func token(t *testing.T, s *srv, iss string, extra ...string) (string, *holder) {
	t.Helper()
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	vp := h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred))
	r := exchange(t, s, vp, extra...)
	if r.status != 200 {
		t.Fatalf("exchange: %s", r)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(r.body, &tr)
	return tr.AccessToken, h
}

// TestProxyIdentityHeaders: a client must not be able to inject or remove
// the identity headers the upstream relies on.
func TestProxyIdentityHeaders(t *testing.T) {
	u, got := upstream(t)
	s, iss, _ := setup(t, "--upstream", "/api/="+u.URL)
	tok, h := token(t, s, iss)
	bearer := "Bearer " + tok

	t.Run("underscore-variant", func(t *testing.T) {
		// CGI/WSGI/PHP/Rack upstreams map X_Credentialflow_Subject and
		// X-Credentialflow-Subject to the same HTTP_X_CREDENTIALFLOW_SUBJECT.
		r := do(t, "GET", s.URL+"/api/x", "", nil, "Authorization", bearer, "X_Credentialflow_Subject", "did:example:admin", "X_Credentialflow_Scope", "admin")
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hd := <-got
		for k := range hd {
			if strings.EqualFold(strings.ReplaceAll(k, "_", "-"), "X-Credentialflow-Subject") && k != "X-Credentialflow-Subject" ||
				strings.EqualFold(strings.ReplaceAll(k, "_", "-"), "X-Credentialflow-Scope") && k != "X-Credentialflow-Scope" {
				t.Errorf("client-sent %s: %v reached the upstream next to the real identity", k, hd[k])
			}
		}
	})
	t.Run("connection-hop-by-hop", func(t *testing.T) {
		r := do(t, "GET", s.URL+"/api/x", "", nil, "Authorization", bearer, "Connection", "X-Credentialflow-Subject, X-Credentialflow-Scope")
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hd := <-got
		if hd.Get("X-Credentialflow-Subject") != h.DID || hd.Get("X-Credentialflow-Scope") == "" {
			t.Errorf("client removed the identity headers via Connection: subject %q scope %q", hd.Get("X-Credentialflow-Subject"), hd.Get("X-Credentialflow-Scope"))
		}
	})
	t.Run("forged-dash-variant", func(t *testing.T) {
		r := do(t, "GET", s.URL+"/api/x", "", nil, "Authorization", bearer, "x-credentialflow-subject", "did:example:admin")
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hd := <-got
		if v := hd.Values("X-Credentialflow-Subject"); len(v) != 1 || v[0] != h.DID {
			t.Errorf("subject %v", v)
		}
	})
	t.Run("no-token", func(t *testing.T) {
		r := do(t, "GET", s.URL+"/api/x", "", nil, "X-Credentialflow-Subject", "did:example:admin")
		if r.status != 401 {
			t.Errorf("%s", r)
		}
	})
	t.Run("authorization-forwarded", func(t *testing.T) {
		r := do(t, "GET", s.URL+"/api/x", "", nil, "Authorization", bearer)
		if r.status != 200 {
			t.Fatalf("%s", r)
		}
		hd := <-got
		if hd.Get("Authorization") != "" {
			t.Logf("note: the gateway access token is forwarded to the upstream (Authorization: %.20s…)", hd.Get("Authorization"))
		}
	})
}

// TestClientChosenAudience: the token endpoint mints a token for whatever
// audience the client names, and the proxy accepts a token minted for
// another audience.
func TestClientChosenAudience(t *testing.T) {
	finding(t)
	u, got := upstream(t)
	s, iss, _ := setup(t, "--upstream", "/api/="+u.URL)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	er := exchange(t, s, h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred)), "audience", "https://payments.internal.example")
	if er.status == 400 && strings.Contains(string(er.body), "invalid_target") {
		return // refused: fixed
	}
	tok, _ := er.obj(t)["access_token"].(string)
	parts := strings.Split(tok, ".")
	var claims map[string]any
	b, _ := b64dec(parts[1])
	_ = json.Unmarshal(b, &claims)
	t.Logf("aud minted: %v", claims["aud"])
	if aud, _ := claims["aud"].([]any); len(aud) == 1 && aud[0] == "https://payments.internal.example" {
		t.Errorf("the gateway minted a token for an arbitrary client-chosen audience %v (RFC 8693 §2.1: the server should refuse unknown targets with invalid_target)", aud)
	}
	r := do(t, "GET", s.URL+"/api/x", "", nil, "Authorization", "Bearer "+tok)
	if r.status == 200 {
		<-got
		t.Errorf("the proxy accepted a token whose aud is not this gateway")
	}
}

// TestProxyIdentitySpoofCGI chains the two header tricks against an
// upstream that reads headers CGI-style (HTTP_X_CREDENTIALFLOW_SUBJECT, as
// PHP, CGI, many WSGI/Rack servers do): Connection removes the real
// identity headers and the underscore variant supplies the attacker's.
func TestProxyIdentitySpoofCGI(t *testing.T) {
	seen := make(chan map[string]string, 4)
	u := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cgi := map[string]string{}
		for k, v := range r.Header {
			cgi["HTTP_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))] = v[0]
		}
		seen <- cgi
	}))
	t.Cleanup(u.Close)
	s, iss, _ := setup(t, "--upstream", "/api/="+u.URL)
	tok, h := token(t, s, iss)
	r := do(t, "GET", s.URL+"/api/admin", "", nil,
		"Authorization", "Bearer "+tok,
		"Connection", "X-Credentialflow-Subject, X-Credentialflow-Scope",
		"X_Credentialflow_Subject", "did:example:ceo",
		"X_Credentialflow_Scope", "admin")
	if r.status != 200 {
		t.Fatalf("%s", r)
	}
	cgi := <-seen
	if got := cgi["HTTP_X_CREDENTIALFLOW_SUBJECT"]; got != h.DID {
		t.Errorf("upstream sees subject %q (holder is %s)", got, h.DID)
	}
	if got := cgi["HTTP_X_CREDENTIALFLOW_SCOPE"]; got != "EmployeeCredential" {
		t.Errorf("upstream sees scope %q", got)
	}
}

// TestAnonymousSelfIssuance: with the default roles and policy, a client
// with no credentials at all must not be able to issue itself a credential
// of any type it likes and exchange it for a token with that scope. The
// issuer's write endpoints need the admin token (401 without it, or with a
// wrong one).
func TestAnonymousSelfIssuance(t *testing.T) {
	s, _, _ := setup(t) // the operator created one issuer
	list := do(t, "GET", s.URL+"/v1/issuers", "", nil).obj(t)
	iss := list["issuers"].([]any)[0].(map[string]any)["id"].(string)
	h := newHolder(t)
	body, _ := json.Marshal(map[string]any{
		"credential": map[string]any{"type": []any{"VerifiableCredential", "admin"}, "credentialSubject": map[string]any{"id": h.DID}},
		"options":    map[string]any{"issuer": iss},
	})
	for _, auth := range []string{"", "Bearer wrong-token", "Basic " + adminToken, "Bearer " + adminToken + "x"} {
		r := do(t, "POST", s.URL+"/v1/credentials/issue", "application/json", body, "Authorization", auth)
		if r.status != http.StatusUnauthorized || r.obj(t)["code"] != "unauthorized" || r.hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: want 401 unauthorized with a challenge, got %s", auth, r)
		}
	}
	for _, path := range []string{"/v1/issuers", "/v1/credentials/status"} {
		if r := do(t, "POST", s.URL+path, "application/json", []byte(`{}`), "Authorization", ""); r.status != http.StatusUnauthorized {
			t.Errorf("POST %s without the admin token: %s", path, r)
		}
	}
}

// TestProxyDotSegments: the proxy forwards /api/../admin verbatim, so an
// upstream that normalizes paths serves /admin, outside the prefix the
// gateway was configured to expose.
func TestProxyDotSegments(t *testing.T) {
	paths := make(chan string, 4)
	u := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.EscapedPath()
	}))
	t.Cleanup(u.Close)
	s, iss, _ := setup(t, "--upstream", "/api/="+u.URL)
	tok, _ := token(t, s, iss)
	for _, p := range []string{"/api/../admin", "/api/%2e%2e/admin"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", p, tok)
		status, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		select {
		case got := <-paths:
			if !strings.HasPrefix(path.Clean(strings.ReplaceAll(got, "%2e", ".")), "/api/") {
				t.Errorf("%s reached the upstream as %s (%s)", p, got, strings.TrimSpace(status))
			}
		case <-time.After(2 * time.Second):
		}
	}
}
