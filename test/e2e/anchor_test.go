package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
)

// issueWithStatus issues a jwt_vc_json credential and returns it, its id
// and its revocation list URL.
func issueWithStatus(t *testing.T, base, issuerID string) (jwt, id, list string) {
	t.Helper()
	jwt = issueTo(t, base, issuerID, "did:example:holder")
	c := jwtClaims(t, jwt)
	id, _ = c["jti"].(string)
	vcm, _ := c["vc"].(map[string]any)
	if vcm == nil {
		vcm = c
	}
	st, _ := vcm["credentialStatus"].(map[string]any) // one entry: an object
	if arr, ok := vcm["credentialStatus"].([]any); ok && len(arr) > 0 {
		st, _ = arr[0].(map[string]any)
	}
	list, _ = st["statusListCredential"].(string)
	if id == "" || list == "" {
		t.Fatalf("credential id %q, list %q", id, list)
	}
	return jwt, id, list
}

func revoke(t *testing.T, base, id string) {
	t.Helper()
	r := postJSON(t, base+"/v1/credentials/status", map[string]any{"credentialId": id,
		"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "value": true}}})
	if r.status != http.StatusOK {
		t.Fatalf("revoke %s: %s", id, r)
	}
}

// waitChanged waits until the list served at url is no longer old.
func waitChanged(t *testing.T, url, old string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := get(t, url)
		if r.status == http.StatusOK && string(r.body) != old {
			return string(r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the list at %s did not change within 15 s", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tamperJWS rewrites the payload of a compact JWS, keeping the signature.
func tamperJWS(t *testing.T, jws string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// listProxy sits between verifiers and the issuing server: it passes
// everything through, or answers one path with bytes of its choosing.
type listProxy struct {
	*httptest.Server
	mu     sync.Mutex
	pinned map[string]string
}

func newListProxy(t *testing.T, target string) *listProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &listProxy{pinned: map[string]string{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		b, ok := p.pinned[r.URL.Path]
		p.mu.Unlock()
		if ok {
			w.Header().Set("Content-Type", "application/vc+jwt")
			io.WriteString(w, b)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *listProxy) pin(path, body string) {
	p.mu.Lock()
	p.pinned[path] = body
	p.mu.Unlock()
}

// TestStatusAnchorSplitView runs an issuing server and a separate
// verifier server (--status-anchor required) on one real geth --dev chain,
// with a proxy in front of the issuer that can show the verifier a list of
// its choosing. A list that differs from the anchored one fails with
// status_unanchored once the lag is over; a list whose anchor property was
// changed in transit fails its signature (status_list_invalid); three
// lists changed in one publish interval are anchored in one transaction.
func TestStatusAnchorSplitView(t *testing.T) {
	t.Parallel()
	if ledgertest.GethBinary() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but there is no geth: .ci/install-geth.sh should have installed it")
		}
		t.Skip("skipping: no geth binary ($GETH, PATH, GOPATH/bin); .ci/install-geth.sh installs it")
	}
	rpcURL, keyFile := ledgertest.StartGeth(t)
	registry := ledgertest.Deploy(t, rpcURL, keyFile)

	issAddr := freeAddr(t)
	iss := "http://" + issAddr
	proxy := newListProxy(t, iss)
	for strings.HasSuffix(proxy.URL, issAddr) { // the proxy took the port freeAddr just freed: it would proxy to itself
		issAddr = freeAddr(t)
		iss = "http://" + issAddr
		proxy = newListProxy(t, iss)
	}
	issData := t.TempDir()
	startServer(t, iss, nil, "--addr", issAddr, "--data", issData, "--public-url", proxy.URL,
		"--ledger-rpc", rpcURL, "--ledger-registry", registry.Hex(), "--ledger-key", keyFile,
		"--status-publish-interval", "1s", "--allow-private-fetch")
	issuerID, issuerDID := createIssuer(t, iss, "Anchor Corp")
	jwt, credID, list := issueWithStatus(t, iss, issuerID)
	if !strings.HasPrefix(list, proxy.URL+"/v1/status/") {
		t.Fatalf("list URL %s is not behind the proxy %s", list, proxy.URL)
	}
	listPath := strings.TrimPrefix(list, proxy.URL)
	v1 := string(get(t, list).body)
	subj, _ := jwtClaims(t, v1)["credentialSubject"].(map[string]any)
	anchor, _ := subj["anchor"].(map[string]any)
	if anchor["chain"] != "eip155:1337" || !common.IsHexAddress(anchor["contract"].(string)) || !common.IsHexAddress(anchor["account"].(string)) {
		t.Fatalf("the list's anchor property: %v", subj["anchor"])
	}

	// The verifier's operator is told the issuer's anchoring slot (the
	// issuer logs it at start) and trusts that one slot, through the
	// environment here; bound to the issuer's DID.
	trust := issuerDID + "=eip155:1337:" + anchor["contract"].(string) + ":" + anchor["account"].(string)
	verAddr := freeAddr(t)
	ver := "http://" + verAddr
	// Required mode with no trusted slot, or a slot on a chain this
	// verifier does not read, is a configuration error.
	for _, extra := range [][]string{nil, {"--status-anchor-trust", "eip155:1:" + anchor["contract"].(string) + ":" + anchor["account"].(string)}} {
		args := append([]string{"serve", "--addr", verAddr, "--data", t.TempDir(), "--roles", "verifier",
			"--ledger-rpc", rpcURL, "--ledger-registry", registry.Hex(), "--status-anchor", "required"}, extra...)
		if r := cflow(t, nil, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "status-anchor-trust") {
			t.Fatalf("fail/required-without-trust %v:\n%s", extra, r)
		}
	}
	const lag = 2 * time.Second
	startServer(t, ver, []string{"CFLOW_STATUS_ANCHOR_TRUST=" + trust}, "--addr", verAddr, "--data", t.TempDir(), "--roles", "verifier",
		"--ledger-rpc", rpcURL, "--ledger-registry", registry.Hex(),
		"--status-anchor", "required", "--status-anchor-lag", lag.String(), "--status-ttl", "10ms", "--allow-private-fetch")
	if code, _ := verifyCode(t, ver, jwt); code != "" {
		t.Fatalf("ok/anchored-list: %q", code)
	}

	// Revoke: version 2 is anchored, then served.
	revoke(t, iss, credID)
	v2 := waitChanged(t, list, v1)
	if code, _ := verifyCode(t, ver, jwt); code != "revoked" {
		t.Fatalf("ok/revoked: %q, want revoked", code)
	}
	// Someone in between keeps showing version 1 (validly signed, "not
	// revoked"): accepted for the lag after version 2's anchor, then not.
	proxy.pin(listPath, v1)
	time.Sleep(50 * time.Millisecond) // the verifier's copy of v2 (--status-ttl 10ms) expires
	if code, _ := verifyCode(t, ver, jwt); code != "" {
		t.Fatalf("ok/previous-within-lag: %q", code)
	}
	time.Sleep(lag + 1500*time.Millisecond)
	if code, _ := verifyCode(t, ver, jwt); code != "status_unanchored" {
		t.Fatalf("fail/stale-list-after-lag: %q, want status_unanchored", code)
	}
	// Changing the anchor property (to an account the attacker controls)
	// breaks the issuer's signature.
	proxy.pin(listPath, tamperJWS(t, v2, func(m map[string]any) {
		m["credentialSubject"].(map[string]any)["anchor"].(map[string]any)["account"] = "0x000000000000000000000000000000000000dEaD"
	}))
	if code, _ := verifyCode(t, ver, jwt); code != "status_list_invalid" {
		t.Fatalf("fail/anchor-altered: %q, want status_list_invalid", code)
	}
	proxy.pin(listPath, v2)
	if code, _ := verifyCode(t, ver, jwt); code != "revoked" {
		t.Fatalf("ok/latest-again: %q, want revoked", code)
	}

	// Batching: three lists changed in one publish interval, one anchor
	// transaction (the issuer's account nonce moves by one).
	var ids, lists, olds []string
	for _, name := range []string{"B", "C", "D"} {
		id, _ := createIssuer(t, iss, "Anchor "+name)
		_, cid, l := issueWithStatus(t, iss, id)
		ids, lists, olds = append(ids, cid), append(lists, l), append(olds, string(get(t, l).body))
	}
	c, err := ethclient.Dial(rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	account := common.HexToAddress(anchor["account"].(string))
	// Revoke right after a publish round so that all three land in the next.
	time.Sleep(100 * time.Millisecond)
	nonce0, err := c.NonceAt(context.Background(), account, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		revoke(t, iss, id)
	}
	for i, l := range lists {
		waitChanged(t, l, olds[i])
	}
	nonce1, _ := c.NonceAt(context.Background(), account, nil)
	if nonce1-nonce0 != 1 {
		t.Fatalf("three lists changed in one interval took %d transactions, want 1", nonce1-nonce0)
	}
	a := ledger.NewStatusAnchor(c, common.HexToAddress(anchor["contract"].(string)), nil)
	for i, l := range lists {
		rec, ok, err := a.Latest(context.Background(), account, ledger.AnchorKey(l), nil)
		if err != nil || !ok {
			t.Fatalf("list %d not anchored: %v", i, err)
		}
		if i > 0 {
			prev, _, _ := a.Latest(context.Background(), account, ledger.AnchorKey(lists[0]), nil)
			if prev.Block != rec.Block {
				t.Fatalf("lists anchored in blocks %d and %d", prev.Block, rec.Block)
			}
		}
	}
}

// TestStatusAnchorSurvivesKill: on the embedded chain, a list version that
// was served (so anchored first) is still the anchored latest after the
// server is SIGKILLed and restarted: the in-process verifier in required
// mode reads the revocation, not status_unanchored.
func TestStatusAnchorSurvivesKill(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	data := t.TempDir()
	args := []string{"--addr", addr, "--data", data, "--allow-private-fetch",
		"--status-publish-interval", "100ms", "--status-anchor", "required"}
	s := startServer(t, base, nil, args...)
	issuerID, _ := createIssuer(t, base, "Kill Anchor Corp")
	jwt, id, list := issueWithStatus(t, base, issuerID)
	if code, _ := verifyCode(t, base, jwt); code != "" {
		t.Fatalf("before: %q", code)
	}
	old := string(get(t, list).body)
	revoke(t, base, id)
	waitChanged(t, list, old)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	startServer(t, base, nil, args...)
	if code, _ := verifyCode(t, base, jwt); code != "revoked" {
		t.Fatalf("after kill -9 and restart: %q, want revoked", code)
	}
	if r := get(t, list); string(r.body) == old {
		t.Fatal("after restart the old version is served")
	}
}
