package gateway

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/credentialflow/cflow/internal/vc"
)

// dpopKey makes RFC 9449 proofs.
type dpopKey struct {
	priv ed25519.PrivateKey
	pub  jwk.Key
	jkt  string
}

func newDPoPKey(t testing.TB) *dpopKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopKey{priv: priv, pub: k, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

func (k *dpopKey) proof(t testing.TB, method, htu, token string, iat time.Time) string {
	t.Helper()
	claims := map[string]any{"jti": uuid.NewString(), "htm": method, "htu": htu, "iat": iat.Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(claims)
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, "dpop+jwt")
	_ = h.Set(jws.JWKKey, k.pub)
	out, err := jws.Sign(payload, jws.WithKey(jwa.EdDSA, k.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestExchangeAndEnforce(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, map[string]any{"role": "engineer"})
	tok := r.token(t, holder, "", c)
	if tok.TokenType != "Bearer" || tok.Scope != "EmployeeCredential" {
		t.Fatalf("%+v", tok)
	}
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { seen = req.Header.Clone() }))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	proxy := r.gw.Proxy(u)

	t.Run("ok/proxy-strips-forged-identity", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set(HeaderSubject, "did:key:forged")
		req.Header.Set("x-credentialflow-scope", "admin")
		req.Header.Set("X-Credentialflow-Extra", "1")
		if w := serveReq(proxy, req); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if seen.Get(HeaderSubject) != holder.did || seen.Get(HeaderScope) != "EmployeeCredential" || seen.Get("X-Credentialflow-Extra") != "" || seen.Get(HeaderPolicy) != "default" {
			t.Fatalf("upstream saw %v", seen)
		}
	})
	t.Run("fail/proxy-forged-identity-without-token", func(t *testing.T) {
		seen = nil
		req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		req.Header.Set(HeaderSubject, holder.did)
		w := serveReq(proxy, req)
		if w.Code != 401 || seen != nil || !strings.Contains(w.Body.String(), `"invalid_token"`) {
			t.Fatalf("%d %s (upstream %v)", w.Code, w.Body, seen)
		}
	})

	authz := http.HandlerFunc(r.gw.HandleAuthorize)
	for _, c := range []struct {
		name   string
		hdr    map[string]string
		path   string
		status int
		code   string
	}{
		{"ok/nginx", map[string]string{"Authorization": "Bearer " + tok.AccessToken, "X-Original-URI": "/api/a?b=c", "X-Original-Method": "GET"}, AuthorizePath, 200, ""},
		{"fail/no-token", map[string]string{"X-Original-URI": "/api/a", "X-Original-Method": "GET"}, AuthorizePath, 401, "invalid_token"},
		{"fail/basic-auth", map[string]string{"Authorization": "Basic dXNlcjpwYXNz", "X-Original-URI": "/api/a", "X-Original-Method": "GET"}, AuthorizePath, 401, "invalid_token"},
		{"fail/garbage-token", map[string]string{"Authorization": "Bearer e30.e30.AA", "X-Original-URI": "/api/a", "X-Original-Method": "GET"}, AuthorizePath, 401, "invalid_token"},
		{"fail/tampered-token", map[string]string{"Authorization": "Bearer " + tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA", "X-Original-URI": "/api/a", "X-Original-Method": "GET"}, AuthorizePath, 401, "invalid_token"},
	} {
		t.Run("authorize/"+c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			w := serveReq(authz, req)
			if w.Code != c.status {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if c.status == 200 {
				if w.Header().Get(HeaderSubject) != holder.did || w.Header().Get(HeaderScope) != "EmployeeCredential" {
					t.Errorf("headers %v", w.Header())
				}
				return
			}
			var e OAuthError
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if e.Code != c.code || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("error %q, WWW-Authenticate %q", e.Code, w.Header().Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("ok/middleware", func(t *testing.T) {
		h := Middleware(r.gw)(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			id, ok := IdentityFrom(req.Context())
			if !ok {
				t.Error("no identity")
				return
			}
			_, _ = w.Write([]byte(id.Subject))
		}))
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		if w := serveReq(h, req); w.Code != 200 || w.Body.String() != holder.did {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if w := serveReq(h, httptest.NewRequest(http.MethodGet, "/x", nil)); w.Code != 401 {
			t.Fatalf("no token: %d", w.Code)
		}
	})

	t.Run("ok/introspect", func(t *testing.T) {
		in := r.gw.Introspect(tok.AccessToken)
		if !in.Active || in.Sub != holder.did || in.Scope != "EmployeeCredential" || in.TokenType != "Bearer" || in.Iss != testIssuer {
			t.Fatalf("%+v", in)
		}
		if r.gw.Introspect("nope").Active {
			t.Fatal("garbage is active")
		}
		req := httptest.NewRequest(http.MethodPost, "/v1/gateway/introspect", form(map[string]string{"token": tok.AccessToken}))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := serveReq(http.HandlerFunc(r.gw.HandleIntrospect), req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"active":true`) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

func TestTooManyCredentials(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	// 1,000 entries that are not even credentials: the count is refused
	// before any of them (or the presentation's signature) is looked at.
	creds := make([]any, 1000)
	for i := range creds {
		creds[i] = "x.y.z"
	}
	start := time.Now()
	_, _, oerr := r.exchange(t, holder, creds...)
	if oerr == nil || oerr.VerificationCode != vc.CodeTooLarge {
		t.Fatalf("err = %v", oerr)
	}
	// And with real credentials, 11 (over the default 10) is refused too.
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
	eleven := make([]any, 11)
	for i := range eleven {
		eleven[i] = c
	}
	if _, _, oerr := r.exchange(t, holder, eleven...); oerr == nil || oerr.VerificationCode != vc.CodeTooLarge {
		t.Fatalf("11 credentials: %v", oerr)
	}
	t.Logf("1,000-credential refusal took %s", time.Since(start))
}

func TestPolicyRoutesAndAccess(t *testing.T) {
	r := newRig(t, rigOptions{})
	src := strings.ReplaceAll(`policies:
  - name: staff
    credentials:
      - {name: employee, types: [EmployeeCredential], issuers: [ISS]}
    scopes:
      - scope: finance
        when: credentials.exists(c, c.credentialSubject.department == "Finance")
    access: '"finance" in token.scopes || request.method == "GET"'
  - name: admin
    audience: https://admin.example
    routes: [/admin/]
    credentials:
      - {name: employee, types: [EmployeeCredential], issuers: [ISS]}
    access: token.claims.level >= 3
    claims:
      level: credentials[0].credentialSubject.level
`, "ISS", r.iss.did)
	p, err := ParsePolicy("p.yaml", []byte(src), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.gw.SetPolicy(p)
	holder := newParty(t)
	sales := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, map[string]any{"department": "Sales", "level": 2}))
	ch, _ := r.gw.NewChallenge(context.Background())
	adminTok, _, oerr := r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectTokenType: TokenTypeJWT, Audience: "https://admin.example",
		SubjectToken: holder.present(t, ch.Nonce, testIssuer, r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, map[string]any{"level": 4}))})
	if oerr != nil {
		t.Fatal(oerr)
	}
	for _, c := range []struct {
		name, method, path, token string
		status                    int
		rule                      string
	}{
		{"ok/get-without-finance", "GET", "/api/x", sales.AccessToken, 200, ""},
		{"fail/post-without-finance", "POST", "/api/x", sales.AccessToken, 403, "staff/access"},
		{"fail/staff-token-on-admin-route", "GET", "/admin/x", sales.AccessToken, 401, ""},
		{"ok/admin", "DELETE", "/admin/x", adminTok.AccessToken, 200, ""},
		{"fail/admin-token-elsewhere", "GET", "/api/x", adminTok.AccessToken, 401, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, aerr := r.gw.Authorize(context.Background(), AccessRequest{Method: c.method, Path: c.path, URL: testIssuer + c.path, Authorization: "Bearer " + c.token})
			if c.status == 200 {
				if aerr != nil || id.Subject != holder.did {
					t.Fatalf("%v", aerr)
				}
				return
			}
			if aerr == nil || aerr.Status != c.status || aerr.Rule != c.rule {
				t.Fatalf("got %+v, want %d rule %q", aerr, c.status, c.rule)
			}
		})
	}
	t.Run("fail/unknown-audience", func(t *testing.T) {
		ch, _ := r.gw.NewChallenge(context.Background())
		_, _, oerr := r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectTokenType: TokenTypeJWT, Audience: "https://nobody.example",
			SubjectToken: holder.present(t, ch.Nonce, testIssuer, r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))})
		if oerr == nil || oerr.Code != "invalid_target" {
			t.Fatalf("%v", oerr)
		}
	})
}

// TestSIGHUPSwapUnderLoad swaps policies while exchanges run: none fails
// for a reason other than the policy it started with.
func TestPolicySwapUnderLoad(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
	a := DefaultPolicy(func(d string) bool { return d == r.iss.did })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				r.gw.SetPolicy(DefaultPolicy(func(d string) bool { return d == r.iss.did }))
				r.gw.SetPolicy(a)
			}
		}
	}()
	for i := 0; i < 20; i++ {
		r.token(t, holder, "", c)
	}
	close(stop)
	wg.Wait()
}

func TestDPoP(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
	key := newDPoPKey(t)
	tok := r.token(t, holder, key.proof(t, "POST", testIssuer+TokenPath, "", r.clock.Now()), c)
	if tok.TokenType != "DPoP" {
		t.Fatalf("token_type %s", tok.TokenType)
	}
	if in := r.gw.Introspect(tok.AccessToken); in.TokenType != "DPoP" || in.Cnf.(map[string]string)["jkt"] != key.jkt {
		t.Fatalf("introspect %+v", in)
	}
	access := func(scheme, proof string) *AccessError {
		req := AccessRequest{Method: "GET", Path: "/api/x", URL: testIssuer + "/api/x", Authorization: scheme + " " + tok.AccessToken}
		if proof != "" {
			req.DPoP = []string{proof}
		}
		_, aerr := r.gw.Authorize(context.Background(), req)
		return aerr
	}
	good := key.proof(t, "GET", testIssuer+"/api/x", tok.AccessToken, r.clock.Now())
	if aerr := access("DPoP", good); aerr != nil {
		t.Fatalf("ok/proof: %v", aerr)
	}
	other := newDPoPKey(t)
	for _, c := range []struct {
		name, scheme, proof, code string
	}{
		{"fail/replayed-proof", "DPoP", good, "invalid_dpop_proof"},
		{"fail/bound-token-as-bearer", "Bearer", "", "invalid_token"},
		{"fail/no-proof", "DPoP", "", "invalid_dpop_proof"},
		{"fail/other-key", "DPoP", other.proof(t, "GET", testIssuer+"/api/x", tok.AccessToken, r.clock.Now()), "invalid_dpop_proof"},
		{"fail/wrong-method", "DPoP", key.proof(t, "POST", testIssuer+"/api/x", tok.AccessToken, r.clock.Now()), "invalid_dpop_proof"},
		{"fail/wrong-uri", "DPoP", key.proof(t, "GET", testIssuer+"/api/y", tok.AccessToken, r.clock.Now()), "invalid_dpop_proof"},
		{"fail/no-ath", "DPoP", key.proof(t, "GET", testIssuer+"/api/x", "", r.clock.Now()), "invalid_dpop_proof"},
		{"fail/stale", "DPoP", key.proof(t, "GET", testIssuer+"/api/x", tok.AccessToken, r.clock.Now().Add(-2*DPoPWindow)), "invalid_dpop_proof"},
	} {
		t.Run(c.name, func(t *testing.T) {
			aerr := access(c.scheme, c.proof)
			if aerr == nil || aerr.Status != 401 || aerr.Code != c.code {
				t.Fatalf("got %+v, want 401 %s", aerr, c.code)
			}
		})
	}
	t.Run("fail/replayed-proof-at-token-endpoint", func(t *testing.T) {
		p := key.proof(t, "POST", testIssuer+TokenPath, "", r.clock.Now())
		r.token(t, holder, p, c)
		ch, _ := r.gw.NewChallenge(context.Background())
		_, _, oerr := r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectTokenType: TokenTypeJWT,
			SubjectToken: holder.present(t, ch.Nonce, testIssuer, c), DPoP: p})
		if oerr == nil || oerr.Code != "invalid_dpop_proof" || !strings.Contains(oerr.Description, "already used") {
			t.Fatalf("%v", oerr)
		}
	})
	t.Run("fail/hmac-proof", func(t *testing.T) {
		h := jws.NewHeaders()
		_ = h.Set(jws.TypeKey, "dpop+jwt")
		payload, _ := json.Marshal(map[string]any{"jti": "x", "htm": "POST", "htu": testIssuer + TokenPath, "iat": r.clock.Now().Unix()})
		p, err := jws.Sign(payload, jws.WithKey(jwa.HS256, []byte("secretsecretsecretsecretsecret12"), jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.gw.checkDPoP(context.Background(), string(p), "POST", testIssuer+TokenPath, "")
		if !errors.Is(err, ErrDPoP) || !strings.Contains(err.Error(), "HS256") {
			t.Fatalf("%v", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	r := newRig(t, rigOptions{})
	holder := newParty(t)
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
	old := r.token(t, holder, "", c)
	if err := r.keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	set, _ := r.keys.PublicKeys()
	if set.Len() != 2 {
		t.Fatalf("JWKS has %d keys after rotation, want current + previous", set.Len())
	}
	if _, err := r.gw.Authenticate(old.AccessToken, ""); err != nil {
		t.Fatalf("a token of the previous key, still valid: %v", err)
	}
	fresh := r.token(t, holder, "", c)
	if kidOf(t, fresh.AccessToken) == kidOf(t, old.AccessToken) {
		t.Fatal("new tokens still signed by the old key")
	}
	// Past the token lifetime (+ skew), the old key leaves the JWKS and its token fails.
	r.clock.Add(DefaultTokenTTL + AcceptableSkew + time.Second)
	if set, _ := r.keys.PublicKeys(); set.Len() != 1 {
		t.Fatalf("JWKS has %d keys once the previous key's tokens expired", set.Len())
	}
	if _, err := r.gw.Authenticate(old.AccessToken, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("rotated-out key after expiry: %v", err)
	}
	if r.gw.Introspect(old.AccessToken).Active {
		t.Fatal("introspection says active")
	}
	t.Run("ok/schedule", func(t *testing.T) {
		if did, err := r.keys.RotateIfDue(); err != nil || did {
			t.Fatalf("rotated early: %v %v", did, err)
		}
		r.clock.Add(DefaultKeyRotation)
		if did, err := r.keys.RotateIfDue(); err != nil || !did {
			t.Fatalf("not rotated when due: %v %v", did, err)
		}
	})
	t.Run("ok/ring-survives-restart", func(t *testing.T) {
		k2, err := NewKMSKeys(r.db, r.keys.kms, KeyOptions{Now: r.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		_, a, _ := r.keys.SigningKey()
		_, b, _ := k2.SigningKey()
		s1, _ := r.keys.PublicKeys()
		s2, _ := k2.PublicKeys()
		if a.KeyID() != b.KeyID() || s1.Len() != s2.Len() {
			t.Fatalf("reloaded ring differs: %s/%s %d/%d", a.KeyID(), b.KeyID(), s1.Len(), s2.Len())
		}
	})
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	m, err := jws.Parse([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	return m.Signatures()[0].ProtectedHeaders().KeyID()
}

func TestRateLimits(t *testing.T) {
	r := newRig(t, rigOptions{limits: RateLimits{PerIP: 1, IPBurst: 2, PerHolder: 1, HolderBurst: 1}})
	h := http.HandlerFunc(r.gw.HandleChallenge)
	codes := []int{}
	var last *httptest.ResponseRecorder
	for i := 0; i < 3; i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/gateway/challenge", nil)
		req.RemoteAddr = "192.0.2.7:1234"
		last = serveReq(h, req)
		codes = append(codes, last.Code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 || last.Header().Get("Retry-After") != "1" {
		t.Fatalf("codes %v Retry-After %q", codes, last.Header().Get("Retry-After"))
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/gateway/challenge", nil)
	req.RemoteAddr = "192.0.2.8:1234"
	if w := serveReq(h, req); w.Code != 200 {
		t.Fatalf("another IP: %d", w.Code)
	}
	t.Run("fail/per-holder", func(t *testing.T) {
		holder := newParty(t)
		c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
		r.token(t, holder, "", c)
		_, _, oerr := r.exchange(t, holder, c)
		if oerr == nil || oerr.Status != 429 || oerr.RetryAfter <= 0 {
			t.Fatalf("%+v", oerr)
		}
		// Another holder is not affected.
		other := newParty(t)
		r.token(t, other, "", r.iss.issue(t, other.did, []string{"EmployeeCredential"}, nil))
	})
	t.Run("ok/replays-do-not-lock-the-holder-out", func(t *testing.T) {
		// Anyone who saw a used presentation can replay it; replays must
		// not spend its holder's allowance (they are refused at the nonce).
		r := newRig(t, rigOptions{limits: RateLimits{PerIP: 1e6, IPBurst: 1e6, PerHolder: 1, HolderBurst: 2}})
		holder := newParty(t)
		c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
		ch, _ := r.gw.NewChallenge(context.Background())
		req := ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectTokenType: TokenTypeJWT, SubjectToken: holder.present(t, ch.Nonce, testIssuer, c)}
		if _, _, oerr := r.gw.Exchange(context.Background(), req); oerr != nil {
			t.Fatal(oerr)
		}
		for i := 0; i < 10; i++ {
			if _, _, oerr := r.gw.Exchange(context.Background(), req); oerr == nil || oerr.VerificationCode != vc.CodeNonceReused {
				t.Fatalf("replay %d: %+v", i, oerr)
			}
		}
		r.token(t, holder, "", c) // the second of the burst is still there
		_, _, oerr := r.exchange(t, holder, c)
		if oerr == nil || oerr.Status != 429 {
			t.Fatalf("third fresh exchange: %+v", oerr)
		}
	})
}

// TestSharedNonceStore is the replica seam: two gateways over one
// NonceStore and one KeySource act as one.
func TestSharedNonceStore(t *testing.T) {
	for name, mk := range map[string]func(r *rig) NonceStore{
		"badger": func(r *rig) NonceStore { return NewBadgerNonces(r.db) },
		"memory": func(*rig) NonceStore { return NewMemoryNonces() },
	} {
		t.Run(name, func(t *testing.T) {
			a := newRig(t, rigOptions{})
			shared := mk(a)
			a = newRig(t, rigOptions{nonces: shared, db: a.db, keys: a.keys})
			b := newRig(t, rigOptions{nonces: shared, db: a.db, keys: a.keys})
			b.iss = a.iss
			b.gw.SetPolicy(DefaultPolicy(func(d string) bool { return d == a.iss.did }))
			holder := newParty(t)
			c := a.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
			ch, err := a.gw.NewChallenge(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			vp := holder.present(t, ch.Nonce, testIssuer, c)
			req := ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectToken: vp, SubjectTokenType: TokenTypeJWT}
			// Issued by a, consumed at b, then refused at both.
			tok, _, oerr := b.gw.Exchange(context.Background(), req)
			if oerr != nil {
				t.Fatalf("b: %v", oerr)
			}
			for n, g := range map[string]*Gateway{"a": a.gw, "b": b.gw} {
				if _, _, oerr := g.Exchange(context.Background(), req); oerr == nil || oerr.VerificationCode != vc.CodeNonceReused {
					t.Errorf("replay at %s: %v", n, oerr)
				}
			}
			// A token minted by b is accepted by a (same key source).
			if _, err := a.gw.Authenticate(tok.AccessToken, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestNonceStores is the conformance suite every NonceStore runs.
func TestNonceStores(t *testing.T) {
	db, _ := openDB(t)
	for name, s := range map[string]NonceStore{"badger": NewBadgerNonces(db), "memory": NewMemoryNonces()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			n, err := s.Issue(ctx, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, reused := 0, 0
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.Consume(ctx, n)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, ErrNonceReused):
						reused++
					}
				}()
			}
			wg.Wait()
			if ok != 1 || reused != 7 {
				t.Fatalf("%d consumed, %d reused", ok, reused)
			}
			if err := s.Consume(ctx, "never-issued"); !errors.Is(err, ErrNonceUnknown) {
				t.Fatalf("unknown: %v", err)
			}
		})
	}
}

func TestJTIStores(t *testing.T) {
	db, _ := openDB(t)
	for name, s := range map[string]JTIStore{"badger": NewBadgerJTIs(db), "memory": NewMemoryJTIs()} {
		t.Run(name, func(t *testing.T) {
			exp := time.Now().Add(time.Minute)
			if err := s.Use(context.Background(), "a", exp); err != nil {
				t.Fatal(err)
			}
			if err := s.Use(context.Background(), "a", exp); !errors.Is(err, ErrReplayed) {
				t.Fatalf("replay: %v", err)
			}
			if err := s.Use(context.Background(), "b", exp); err != nil {
				t.Fatal(err)
			}
		})
	}
}
