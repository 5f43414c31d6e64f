package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

var didKeyEd25519 = regexp.MustCompile(`^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$`)

// upstream is a downstream API that records what reached it.
type upstream struct {
	*httptest.Server
	mu    sync.Mutex
	calls []*http.Request
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.calls = append(u.calls, r.Clone(r.Context()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) seen() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.calls...)
}

// TestFlow is issue 2's main job through the real binary: issue over REST
// and with `cflow issue`, receive into the wallet, get a gateway token, call
// an API behind the gateway, delete.
func TestFlow(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--upstream", "/api/="+up.URL)
	issuerID, issuerDID := createIssuer(t, base, "Example Corp HR")

	dir := t.TempDir()
	wdir := filepath.Join(dir, "wallet")
	env := []string{"CFLOW_WALLET_PASSPHRASE=correct horse battery staple"}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }

	if r := mustCflow(t, env, w("init")...); r.stdout != "" {
		t.Errorf("wallet init stdout = %q, want nothing (messages go to stderr)", r.stdout)
	}
	holder := oneLine(t, "wallet did create", mustCflow(t, env, w("did", "create")...).stdout)
	if !didKeyEd25519.MatchString(holder) {
		t.Fatalf("wallet did create printed %q, want an Ed25519 did:key", holder)
	}

	// Issue over REST (VC-API shape).
	subject := map[string]any{"id": holder, "employee": map[string]any{"name": "Alex Example", "department": "Finance"}}
	r := postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"}, "credentialSubject": subject},
		"options":    map[string]any{"issuer": issuerID, "format": "jwt_vc_json"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/credentials/issue: %s", r)
	}
	restJWT, _ := r.json(t)["verifiableCredential"].(string)
	if c := jwtClaims(t, restJWT); c["iss"] != issuerDID || c["sub"] != holder {
		t.Errorf("issued iss/sub = %v/%v, want %s/%s", c["iss"], c["sub"], issuerDID, holder)
	}
	answer := writeFile(t, dir, "answer.json", string(r.body))

	// The same through `cflow issue`, in the other format, naming the issuer by DID.
	credFile := writeFile(t, dir, "cred.json", mustJSON(t, map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": subject,
	}))
	cliJWT := oneLine(t, "cflow issue", mustCflow(t, nil, "issue", credFile, "--server", base, "--issuer", issuerDID, "--format", "vc+jwt").stdout)
	if c := jwtClaims(t, cliJWT); c["issuer"] != issuerDID {
		t.Errorf("vc+jwt issuer = %v, want %s", c["issuer"], issuerDID)
	}
	cliFile := writeFile(t, dir, "cli.jwt", cliJWT+"\n")

	// Both verify with the CLI (the API answer is unwrapped).
	for _, f := range []string{answer, cliFile} {
		if r := cflow(t, nil, nil, "verify", f); r.code != 0 {
			t.Errorf("cflow verify %s:\n%s", filepath.Base(f), r)
		}
	}

	id1 := oneLine(t, "wallet receive", mustCflow(t, env, w("receive", answer)...).stdout)
	id2 := oneLine(t, "wallet receive", mustCflow(t, env, w("receive", cliFile)...).stdout)
	if id1 == id2 {
		t.Fatalf("two credentials got the same id %s", id1)
	}

	list := mustCflow(t, env, w("list")...).stdout
	for _, want := range []string{id1, id2, "EmployeeCredential"} {
		if !strings.Contains(list, want) {
			t.Errorf("wallet list lacks %q:\n%s", want, list)
		}
	}
	if ids := listIDs(t, env, wdir); strings.Join(ids, ",") != strings.Join(sorted(id1, id2), ",") {
		t.Errorf("wallet list --json ids = %v, want %v", ids, sorted(id1, id2))
	}

	var shown struct {
		ID         string `json:"id"`
		Credential struct {
			CredentialSubject map[string]any `json:"credentialSubject"`
		} `json:"credential"`
	}
	if err := json.Unmarshal([]byte(mustCflow(t, env, w("show", id1)...).stdout), &shown); err != nil {
		t.Fatalf("wallet show: %v", err)
	}
	if shown.ID != id1 || shown.Credential.CredentialSubject["id"] != holder {
		t.Errorf("wallet show = id %q subject %v, want %s / %s", shown.ID, shown.Credential.CredentialSubject["id"], id1, holder)
	}

	// A presentation by hand: only the JWT on stdout; it verifies with its
	// challenge and domain through the CLI and the API, and not with another.
	const nonce, aud = "e2e-nonce-1", "https://rp.example"
	vp := oneLine(t, "wallet present", mustCflow(t, env, w("present", "--challenge", nonce, "--audience", aud, "--credential", id1)...).stdout)
	if c := jwtClaims(t, vp); c["iss"] != holder || c["nonce"] != nonce || c["aud"] != aud {
		t.Errorf("presentation iss/nonce/aud = %v/%v/%v, want %s/%s/%s", c["iss"], c["nonce"], c["aud"], holder, nonce, aud)
	}
	vpFile := writeFile(t, dir, "vp.jwt", vp)
	if r := cflow(t, nil, nil, "verify", vpFile, "--challenge", nonce, "--domain", aud); r.code != 0 {
		t.Errorf("cflow verify presentation:\n%s", r)
	}
	if r := cflow(t, nil, nil, "verify", vpFile, "--challenge", nonce, "--domain", "https://evil.example"); r.code != 1 || !strings.Contains(r.stdout, `"domain_mismatch"`) {
		t.Errorf("cflow verify presentation for another domain:\n%s\nwant exit 1 domain_mismatch", r)
	}
	if r := postJSON(t, base+"/v1/presentations/verify", map[string]any{"verifiablePresentation": vp,
		"options": map[string]any{"challenge": nonce, "domain": aud}}); r.status != http.StatusOK || r.json(t)["verified"] != true {
		t.Errorf("POST /v1/presentations/verify: %s", r)
	}

	// The exchange by hand (RFC 8693 §2.1): a gateway nonce works once.
	ch := do(t, http.MethodPost, base+"/v1/gateway/challenge", "", nil)
	chm := ch.json(t)
	gwNonce, _ := chm["nonce"].(string)
	if ch.status != http.StatusOK || gwNonce == "" || chm["audience"] != base {
		t.Fatalf("POST /v1/gateway/challenge: %s", ch)
	}
	gwVP := oneLine(t, "wallet present", mustCflow(t, env, w("present", "--challenge", gwNonce, "--audience", base, "--credential", id1)...).stdout)
	form := url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {gwVP},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"},
	}.Encode()
	if r := do(t, http.MethodPost, base+"/v1/gateway/token", "application/x-www-form-urlencoded", []byte(form)); r.status != http.StatusOK ||
		r.json(t)["token_type"] != "Bearer" || r.json(t)["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Errorf("token exchange: %s", r)
	}
	if r := do(t, http.MethodPost, base+"/v1/gateway/token", "application/x-www-form-urlencoded", []byte(form)); r.status != http.StatusBadRequest ||
		r.json(t)["error"] != "invalid_grant" || !strings.Contains(string(r.body), "nonce_reused") {
		t.Errorf("replayed exchange: %s, want 400 invalid_grant nonce_reused", r)
	}

	// Token: only the JWT on stdout; signed by the key in the JWKS.
	tok := oneLine(t, "wallet token", mustCflow(t, env, w("token", "--gateway", base, "--credential", id1)...).stdout)
	jwks := get(t, base+"/.well-known/jwks.json")
	set, err := jwk.Parse(jwks.body)
	if err != nil {
		t.Fatalf("jwks: %v: %s", err, jwks)
	}
	parsed, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithIssuer(base), jwt.WithSubject(holder))
	if err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	if scope, _ := parsed.Get("scope"); scope != "EmployeeCredential" {
		t.Errorf("token scope = %v, want EmployeeCredential", scope)
	}

	// Through the gateway: the upstream sees the holder, never the forged header.
	const forged = "did:example:mallory"
	r = get(t, base+"/api/x?q=1", "Authorization", "Bearer "+tok, "X-Credentialflow-Subject", forged, "X-Credentialflow-Scope", "admin")
	if r.status != http.StatusOK || string(r.body) != `{"ok":true}` {
		t.Fatalf("GET /api/x with token: %s", r)
	}
	calls := up.seen()
	if len(calls) != 1 {
		t.Fatalf("upstream got %d calls, want 1", len(calls))
	}
	got := calls[0]
	if got.URL.Path != "/api/x" || got.URL.RawQuery != "q=1" {
		t.Errorf("upstream path = %s?%s, want /api/x?q=1", got.URL.Path, got.URL.RawQuery)
	}
	if v := got.Header.Values("X-Credentialflow-Subject"); len(v) != 1 || v[0] != holder {
		t.Errorf("upstream X-Credentialflow-Subject = %q, want [%s]", v, holder)
	}
	if v := got.Header.Values("X-Credentialflow-Scope"); len(v) != 1 || v[0] != "EmployeeCredential" {
		t.Errorf("upstream X-Credentialflow-Scope = %q, want [EmployeeCredential]", v)
	}

	for _, tt := range []struct {
		name string
		hdr  []string
	}{
		{"fail/no-token", []string{"X-Credentialflow-Subject", holder}},
		{"fail/not-a-token", []string{"Authorization", "Bearer abc"}},
		{"fail/credential-as-token", []string{"Authorization", "Bearer " + restJWT}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, base+"/api/x", tt.hdr...)
			if r.status != http.StatusUnauthorized {
				t.Errorf("GET /api/x: %s, want 401", r)
			}
			if n := len(up.seen()); n != 1 {
				t.Errorf("upstream got %d calls, want still 1", n)
			}
		})
	}

	mustCflow(t, env, w("delete", id1)...)
	if r := cflow(t, env, nil, w("show", id1)...); r.code == 0 {
		t.Errorf("wallet show of a deleted credential exited 0:\n%s", r)
	}
	if ids := listIDs(t, env, wdir); len(ids) != 1 || ids[0] != id2 {
		t.Errorf("after delete, ids = %v, want [%s]", ids, id2)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listIDs returns the ids `wallet list --json` prints, sorted.
func listIDs(t *testing.T, env []string, wdir string) []string {
	t.Helper()
	out := mustCflow(t, env, "wallet", "--wallet", wdir, "list", "--json").stdout
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("wallet list --json: %v: %q", err, out)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return sorted(ids...)
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
