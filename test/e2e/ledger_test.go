package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
)

// didEthrDev is a did:ethr on the embedded chain (and geth --dev): chain 1337.
var didEthrDev = regexp.MustCompile(`^did:ethr:0x539:0x[0-9a-f]{40}$`)

// createEthrIssuer makes a did:ethr issuer profile.
func createEthrIssuer(t *testing.T, base, name, keyType string) (id, did, vm string) {
	t.Helper()
	r := postJSON(t, base+"/v1/issuers", map[string]any{"name": name, "method": "ethr", "keyType": keyType})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/issuers (ethr): %s", r)
	}
	m := r.json(t)
	id, _ = m["id"].(string)
	did, _ = m["did"].(string)
	vm, _ = m["verificationMethod"].(string)
	if !didEthrDev.MatchString(did) || !strings.HasPrefix(vm, did+"#") {
		t.Fatalf("ethr issuer: did %q vm %q", did, vm)
	}
	return id, did, vm
}

func issueTo(t *testing.T, base, issuerID, subject string) string {
	t.Helper()
	r := postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": subject, "employee": map[string]any{"name": "Alex"}}},
		"options": map[string]any{"issuer": issuerID, "format": "jwt_vc_json"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("issue: %s", r)
	}
	jwt, _ := r.json(t)["verifiableCredential"].(string)
	return jwt
}

// verifyCode posts a credential to the verify API and returns "" when it
// verified, else the first error code; warnings are returned too.
func verifyCode(t *testing.T, base, jwt string) (code string, warnings []string) {
	t.Helper()
	r := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": jwt})
	var out struct {
		Verified bool
		Errors   []struct{ Code string }
		Warnings []struct{ Code string }
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("verify: %v: %s", err, r)
	}
	for _, w := range out.Warnings {
		warnings = append(warnings, w.Code)
	}
	if out.Verified {
		return "", warnings
	}
	if len(out.Errors) == 0 {
		t.Fatalf("verify: not verified and no error: %s", r)
	}
	return out.Errors[0].Code, warnings
}

// methodIDs resolves d through the server and lists its verification methods.
func methodIDs(t *testing.T, base, d string) []string {
	t.Helper()
	r := get(t, base+"/1.0/identifiers/"+d)
	var res struct {
		DidDocument struct {
			VerificationMethod []struct{ ID string }
		}
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil {
		t.Fatalf("resolve %s: %s", d, r)
	}
	var ids []string
	for _, vm := range res.DidDocument.VerificationMethod {
		ids = append(ids, vm.ID)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestLedgerEthrFlow: a did:ethr issuer on the embedded chain issues to a
// wallet whose did:ethr exists only locally; the wallet verifies the
// credential through the server's resolver and exchanges it at the gateway.
// ES256K issuers (controller key, verified by key recovery) work too.
func TestLedgerEthrFlow(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir())
	issuerID, issuerDID, _ := createEthrIssuer(t, base, "Ledger Corp", "Ed25519")

	wdir := filepath.Join(t.TempDir(), "wallet")
	env := []string{"CFLOW_WALLET_PASSPHRASE=correct horse battery staple", "CFLOW_RESOLVER=" + base}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }
	mustCflow(t, env, w("init")...)
	holder := oneLine(t, "wallet did create --method ethr", mustCflow(t, env, w("did", "create", "--method", "ethr")...).stdout)
	if !didEthrDev.MatchString(holder) {
		t.Fatalf("wallet did create --method ethr printed %q", holder)
	}
	// Unregistered: the server resolves it without any transaction.
	if ids := methodIDs(t, base, holder); len(ids) != 1 || ids[0] != holder+"#controller" {
		t.Fatalf("holder document methods = %v", ids)
	}

	jwt := issueTo(t, base, issuerID, holder)
	if c := jwtClaims(t, jwt); c["iss"] != issuerDID {
		t.Fatalf("iss = %v, want %s", c["iss"], issuerDID)
	}
	f := writeFile(t, t.TempDir(), "cred.jwt", jwt+"\n")
	// Without a resolver the CLI cannot resolve did:ethr; with one it can.
	if r := cflow(t, nil, nil, "verify", f); r.code != 1 || !strings.Contains(r.stdout, "did_method_unsupported") {
		t.Errorf("verify without --resolver:\n%s", r)
	}
	mustCflow(t, nil, "verify", "--resolver", base, f)
	mustCflow(t, env, w("receive", f)...)
	tok := oneLine(t, "wallet token", mustCflow(t, env, w("token", "--gateway", base)...).stdout)
	if c := jwtClaims(t, tok); c["sub"] != holder {
		t.Errorf("access token sub = %v, want %s", c["sub"], holder)
	}

	// ES256K with the controller key: #controller holds only an address.
	k1ID, k1DID, k1VM := createEthrIssuer(t, base, "K1 Corp", "secp256k1")
	if k1VM != k1DID+"#controller" {
		t.Errorf("secp256k1 profile vm = %s", k1VM)
	}
	es := issueTo(t, base, k1ID, holder)
	if h := jwtHeader(t, es); h["alg"] != "ES256K" {
		t.Errorf("alg = %v, want ES256K", h["alg"])
	}
	if code, _ := verifyCode(t, base, es); code != "" {
		t.Errorf("ES256K credential: %s", code)
	}
	// A did:ethr profile needs a ledger; --ledger off refuses it clearly.
	addr2 := freeAddr(t)
	startServer(t, "http://"+addr2, nil, "--addr", addr2, "--data", t.TempDir(), "--ledger", "off")
	if r := postJSON(t, "http://"+addr2+"/v1/issuers", map[string]any{"name": "x", "method": "ethr"}); r.status != http.StatusBadRequest {
		t.Errorf("ethr issuer with --ledger off: %s", r)
	}
}

func jwtHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	return jwtClaims(t, strings.Join([]string{"x", strings.Split(tok, ".")[0], "x"}, "."))
}

// TestLedgerRotationSurvivesKill rotates an issuer's key with `cflow did
// rotate`, kills the server with SIGKILL at once, and finds the rotation
// on the ledger and in the profile after restart. Then the rotated-out key
// is revoked: its credentials fail with key_revoked, and verify again when
// the verifier resolves keys at issuance time.
func TestLedgerRotationSurvivesKill(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	data := t.TempDir()
	args := []string{"--addr", addr, "--data", data}
	s := startServer(t, base, nil, args...)
	issuerID, issuerDID, vm1 := createEthrIssuer(t, base, "Rotating Corp", "Ed25519")
	const holder = "did:example:holder"
	cred1 := issueTo(t, base, issuerID, holder)

	start := time.Now()
	out := mustCflow(t, nil, "did", "rotate", issuerID, "--server", base, "--keep-old-for", "1h").stdout
	t.Logf("rotation round trip (cflow did rotate, one transaction): %s", time.Since(start).Round(time.Millisecond))
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	var rot struct {
		Profile struct {
			VerificationMethod string `json:"verificationMethod"`
		} `json:"profile"`
		Previous   string    `json:"previousVerificationMethod"`
		ValidUntil time.Time `json:"previousValidUntil"`
		Revoked    bool      `json:"previousRevoked"`
	}
	if err := json.Unmarshal([]byte(out), &rot); err != nil {
		t.Fatalf("did rotate output: %v\n%s", err, out)
	}
	vm2 := rot.Profile.VerificationMethod
	if rot.Previous != vm1 || vm2 == vm1 || rot.Revoked || time.Until(rot.ValidUntil) < 59*time.Minute {
		t.Fatalf("rotation = %+v", rot)
	}

	s = startServer(t, base, nil, args...)
	if got := get(t, base+"/v1/issuers/"+issuerID).json(t)["verificationMethod"]; got != vm2 {
		t.Fatalf("after kill -9 the profile's key is %v, want %s", got, vm2)
	}
	if ids := methodIDs(t, base, issuerDID); !contains(ids, vm1) || !contains(ids, vm2) {
		t.Fatalf("after kill -9 the DID document lists %v, want %s and %s", ids, vm1, vm2)
	}
	if code, _ := verifyCode(t, base, cred1); code != "" {
		t.Errorf("credential of the old key, still valid: %s", code)
	}
	cred2 := issueTo(t, base, issuerID, holder)
	if c := jwtHeader(t, cred2); c["kid"] != vm2 {
		t.Errorf("new credential kid = %v, want %s", c["kid"], vm2)
	}
	if code, _ := verifyCode(t, base, cred2); code != "" {
		t.Errorf("credential of the new key: %s", code)
	}

	// Rotate again, revoking vm2 at once: cred2 now fails with key_revoked
	// (vm2 was a key of the DID when cred2 was issued); a credential naming
	// a key the DID never had stays key_not_found.
	r := postJSON(t, base+"/v1/issuers/"+issuerID+"/rotate", map[string]any{"keepOldUntil": "2000-01-01T00:00:00Z"})
	if r.status != http.StatusOK || r.json(t)["previousRevoked"] != true {
		t.Fatalf("rotate with a past deadline: %s", r)
	}
	if code, _ := verifyCode(t, base, cred2); code != "key_revoked" {
		t.Errorf("credential of the revoked key: code %q, want key_revoked", code)
	}
	if code, _ := verifyCode(t, base, cred1); code != "" {
		t.Errorf("credential of the first key (valid for an hour): %s", code)
	}

	// The versionTime policy: the same server restarted to resolve keys at
	// issuance time accepts cred2, with a warning.
	if _, err := s.stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	startServer(t, base, nil, append(args, "--verify-at-issuance-time")...)
	code, warnings := verifyCode(t, base, cred2)
	if code != "" || !contains(warnings, "key_revoked_since_issuance") {
		t.Errorf("with --verify-at-issuance-time: code %q warnings %v, want verified with key_revoked_since_issuance", code, warnings)
	}
}

// TestLedgerGeth runs `cflow serve --ledger-rpc` against a real geth --dev
// (skipped without geth unless CI is set: .ci/install-geth.sh installs it).
// A proxy in front of geth takes the chain away: /readyz fails and a
// did:ethr credential fails with ledger_unavailable.
func TestLedgerGeth(t *testing.T) {
	t.Parallel()
	if ledgertest.GethBinary() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but there is no geth: .ci/install-geth.sh should have installed it")
		}
		t.Skip("skipping: no geth binary ($GETH, PATH, GOPATH/bin); .ci/install-geth.sh installs it, and with CI set this fails instead")
	}
	rpcURL, keyFile := ledgertest.StartGeth(t)
	registry := ledgertest.Deploy(t, rpcURL, keyFile)
	target, err := url.Parse(rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "chain unreachable", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--ledger-rpc", proxy.URL,
		"--ledger-registry", registry.Hex(), "--ledger-key", keyFile, "--did-cache-ttl", "1ms")
	issuerID, _, _ := createEthrIssuer(t, base, "Geth Corp", "P-256")
	cred1 := issueTo(t, base, issuerID, "did:example:holder")
	if code, _ := verifyCode(t, base, cred1); code != "" {
		t.Fatalf("credential on geth: %s", code)
	}
	start := time.Now()
	r := postJSON(t, base+"/v1/issuers/"+issuerID+"/rotate", map[string]any{"keepOldUntil": "2000-01-01T00:00:00Z"})
	if r.status != http.StatusOK {
		t.Fatalf("rotate: %s", r)
	}
	t.Logf("rotation with immediate revocation on geth --dev (two transactions): %s", time.Since(start).Round(time.Millisecond))
	if code, _ := verifyCode(t, base, cred1); code != "key_revoked" {
		t.Errorf("credential of the revoked key: %q, want key_revoked", code)
	}
	cred2 := issueTo(t, base, issuerID, "did:example:holder")
	if code, _ := verifyCode(t, base, cred2); code != "" {
		t.Errorf("credential of the new key: %s", code)
	}

	down.Store(true)
	if r := get(t, base+"/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the chain down: %s", r)
	}
	time.Sleep(5 * time.Millisecond) // past the cache TTL
	if code, _ := verifyCode(t, base, cred2); code != "ledger_unavailable" {
		t.Errorf("verify with the chain down: %q, want ledger_unavailable", code)
	}
	down.Store(false)
	if r := get(t, base+"/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz with the chain back: %s", r)
	}
}
