package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credentialflow/cflow/test/cflowtest"
)

// staffPolicy is a policy-as-code file: this server's issuers, a Finance
// scope from a claim, the holder's name as a token claim, and an access
// rule that lets non-Finance staff read but not write under /api/.
const staffPolicy = `policies:
  - name: staff
    routes: [/api/]
    credentials:
      - name: employee
        types: [EmployeeCredential]
        issuers: [self]
        required: true
    scopes:
      - expr: credentials.map(c, c.type)
      - scope: finance
        when: credentials.exists(c, c.credentialSubject.employee.department == "Finance")
    claims:
      name: credentials[0].credentialSubject.employee.name
    access: '%s'
`

// TestGatewayPolicyFile runs the real binary with a policy file: a bad one
// stops start-up naming file and line; a good one decides at the proxy and
// reloads on SIGHUP.
func TestGatewayPolicyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "policies:\n  - name: staff\n    credentials:\n      - name: employee\n        issuers: [self]\n        when: credential.credentialSubject.employee.department == \"x\" && credential.isuer != \"\"\n")
	addr := freeAddr(t)
	r := cflow(t, nil, nil, "serve", "--addr", addr, "--data", filepath.Join(dir, "data0"), "--policy", bad)
	if r.code == 0 || !strings.Contains(r.stderr, bad+":6: policies[0].credentials[0].when: undefined field 'isuer'") {
		t.Fatalf("serve with a bad policy:\n%s", r)
	}
	if r := cflow(t, nil, nil, "gateway", "check-policy", bad); r.code != 1 || !strings.Contains(r.stderr, bad+":6:") {
		t.Fatalf("check-policy:\n%s", r)
	}

	up := newUpstream(t)
	base := "http://" + addr
	policy := writeFile(t, dir, "policy.yaml", fmt.Sprintf(staffPolicy, `"finance" in token.scopes || request.method == "GET"`))
	srv := startServer(t, base, nil, "--addr", addr, "--data", filepath.Join(dir, "data"), "--policy", policy, "--upstream", "/api/="+up.URL)
	token := holderToken(t, base, dir, "Sales")
	auth := []string{"Authorization", "Bearer " + token}
	if c := jwtClaims(t, token); c["name"] != "Alex Example" || c["scope"] != "EmployeeCredential" {
		t.Fatalf("token claims %v", c)
	}
	if r := get(t, base+"/api/hello", auth...); r.status != http.StatusOK {
		t.Fatalf("GET: %s", r)
	}
	if r := do(t, http.MethodPost, base+"/api/hello", "", nil, auth...); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "staff/access") {
		t.Fatalf("POST by Sales: %s", r)
	}
	// SIGHUP reloads; requests keep being served meanwhile.
	writeFile(t, dir, "policy.yaml", fmt.Sprintf(staffPolicy, `true`))
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := do(t, http.MethodPost, base+"/api/hello", "", nil, auth...)
		if r.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST after SIGHUP: %s\n%s", r, srv.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A broken file on SIGHUP keeps the policy in force.
	writeFile(t, dir, "policy.yaml", "policies: [")
	_ = srv.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond)
	if r := do(t, http.MethodPost, base+"/api/hello", "", nil, auth...); r.status != http.StatusOK {
		t.Fatalf("after a bad reload: %s", r)
	}
	if !strings.Contains(srv.stderr.String(), "policy not reloaded") {
		t.Errorf("no log of the refused reload:\n%s", srv.stderr)
	}
}

// holderToken makes a wallet and holder, issues an EmployeeCredential in
// department dept from a new issuer on base, and gets a gateway token.
func holderToken(t *testing.T, base, dir, dept string) string {
	t.Helper()
	issuerID, _ := createIssuer(t, base, "HR "+dept)
	wdir := filepath.Join(dir, "wallet-"+dept)
	env := []string{"CFLOW_WALLET_PASSPHRASE=correct horse battery staple"}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }
	mustCflow(t, env, w("init")...)
	holder := oneLine(t, "wallet did create", mustCflow(t, env, w("did", "create")...).stdout)
	r := postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": holder, "employee": map[string]any{"name": "Alex Example", "department": dept}}},
		"options": map[string]any{"issuer": issuerID, "format": "jwt_vc_json"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("issue: %s", r)
	}
	mustCflow(t, env, w("receive", writeFile(t, dir, "cred-"+dept+".json", string(r.body)))...)
	return oneLine(t, "wallet token", mustCflow(t, env, w("token", "--gateway", base)...).stdout)
}

// TestGatewayNginxForwardAuth puts Debian's nginx in front of a sample
// upstream with auth_request → /v1/gateway/authorize of the real binary.
func TestGatewayNginxForwardAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	up := newUpstream(t)
	addr := freeAddr(t)
	base := "http://" + addr
	policy := writeFile(t, dir, "policy.yaml", fmt.Sprintf(staffPolicy, `"finance" in token.scopes || request.method == "GET"`))
	startServer(t, base, nil, "--addr", addr, "--data", filepath.Join(dir, "data"), "--policy", policy)
	finance := holderToken(t, base, dir, "Finance")
	sales := holderToken(t, base, dir, "Sales")

	// The recipe of the README: the original request only as X-Original-*,
	// the X-Forwarded-* a client may send cleared.
	front := cflowtest.Nginx(t, base, up.URL, `      proxy_set_header X-Forwarded-Method "";
      proxy_set_header X-Forwarded-Uri "";
      proxy_set_header X-Forwarded-Host "";
      proxy_set_header X-Forwarded-Proto "";`)
	url := "http://" + front + "/api/hello"
	cases := []struct {
		name, method string
		hdr          []string
		status       int
		subject      bool
	}{
		{"fail/no-token", "GET", nil, 401, false},
		{"fail/forged-identity-without-token", "GET", []string{"X-Credentialflow-Subject", "did:key:forged"}, 401, false},
		{"fail/garbage-token", "GET", []string{"Authorization", "Bearer not.a.token"}, 401, false},
		{"ok/finance-post", "POST", []string{"Authorization", "Bearer " + finance, "X-Credentialflow-Subject", "did:key:forged"}, 200, true},
		{"ok/sales-get", "GET", []string{"Authorization", "Bearer " + sales}, 200, true},
		{"fail/sales-post", "POST", []string{"Authorization", "Bearer " + sales}, 403, false},
		{"fail/sales-post-claiming-get", "POST", []string{"Authorization", "Bearer " + sales, "X-Forwarded-Method", "GET", "X-Original-Method", "GET"}, 403, false},
	}
	for _, c := range cases {
		before := len(up.seen())
		r := do(t, c.method, url, "", nil, c.hdr...)
		if r.status != c.status {
			t.Errorf("%s: %s", c.name, r)
			continue
		}
		calls := up.seen()[before:]
		if !c.subject {
			if len(calls) != 0 {
				t.Errorf("%s: the upstream was called", c.name)
			}
			continue
		}
		if len(calls) != 1 {
			t.Errorf("%s: %d upstream calls", c.name, len(calls))
			continue
		}
		tok := finance
		if strings.HasPrefix(c.name, "ok/sales") {
			tok = sales
		}
		want := jwtClaims(t, tok)["sub"]
		if got := calls[0].Header.Get("X-Credentialflow-Subject"); got != want {
			t.Errorf("%s: upstream saw subject %q, want %v", c.name, got, want)
		}
		if got := calls[0].Header.Get("X-Credentialflow-Scope"); !strings.Contains(got, "EmployeeCredential") {
			t.Errorf("%s: upstream saw scope %q", c.name, got)
		}
	}
}
