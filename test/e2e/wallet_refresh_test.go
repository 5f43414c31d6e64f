package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWalletRefresh is issue 4 item 6's wallet part through the real
// binary: a JWT and an ldp_vc from a server with status lists; `wallet
// list` says unknown until `wallet refresh` checks them (valid), then
// follows revoke, suspend and reinstate made with `cflow issue`, and says
// unknown once the server is gone — except for the revoked one, which
// stays revoked. refresh exits 0 throughout; without --allow-private-fetch
// (CFLOW_ALLOW_PRIVATE_FETCH) a loopback list is not fetched.
func TestWalletRefresh(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	srv := startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--allow-private-fetch",
		"--status-publish-interval", "100ms", "--status-ttl", "1s")
	r := postJSON(t, base+"/v1/issuers", map[string]any{"name": "HR", "suspension": true})
	if r.status != http.StatusCreated {
		t.Fatal(r)
	}
	issuerID := r.json(t)["id"].(string)

	dir := t.TempDir()
	wdir := filepath.Join(dir, "wallet")
	env := []string{"CFLOW_WALLET_PASSPHRASE=correct horse battery staple"}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }
	mustCflow(t, env, w("init")...)
	holder := oneLine(t, "wallet did create", mustCflow(t, env, w("did", "create")...).stdout)

	issue := func(format string) (walletID, credID string) {
		t.Helper()
		cred := map[string]any{"credentialSubject": map[string]any{"id": holder}}
		if format == "ldp_vc" {
			cred["@context"] = []any{"https://www.w3.org/ns/credentials/v2"}
			cred["type"] = []any{"VerifiableCredential"}
		}
		r := postJSON(t, base+"/v1/credentials/issue", map[string]any{"credential": cred, "options": map[string]any{"issuer": issuerID, "format": format}})
		if r.status != http.StatusCreated {
			t.Fatalf("issue %s: %s", format, r)
		}
		walletID = oneLine(t, "wallet receive", mustCflow(t, env, w("receive", writeFile(t, dir, format+".json", string(r.body)))...).stdout)
		switch v := r.json(t)["verifiableCredential"].(type) {
		case string:
			credID, _ = jwtClaims(t, v)["jti"].(string)
		case map[string]any:
			credID, _ = v["id"].(string)
		}
		if credID == "" {
			t.Fatalf("issue %s: no credential id in %s", format, r)
		}
		return walletID, credID
	}
	jwtID, jwtCred := issue("jwt_vc_json")
	ldpID, ldpCred := issue("ldp_vc")

	type row struct {
		ID              string    `json:"id"`
		Status          string    `json:"status"`
		StatusCode      string    `json:"statusCode"`
		StatusCheckedAt time.Time `json:"statusCheckedAt"`
	}
	list := func() map[string]row {
		t.Helper()
		var rows []row
		out := mustCflow(t, env, w("list", "--json")...).stdout
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("wallet list --json: %v: %s", err, out)
		}
		m := map[string]row{}
		for _, r := range rows {
			m[r.ID] = r
		}
		return m
	}
	// refreshUntil runs refresh until list shows want (a list is
	// republished within its publish interval), or fails after 10 s.
	refreshUntil := func(want map[string]string) (result, map[string]row) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			res := cflow(t, env, nil, w("refresh")...)
			if res.code != 0 {
				t.Fatalf("wallet refresh:\n%s", res)
			}
			got := list()
			ok := len(got) == len(want)
			for id, s := range want {
				ok = ok && got[id].Status == s
			}
			if ok {
				return res, got
			}
			if time.Now().After(deadline) {
				t.Fatalf("wallet list %v, want %v\nlast refresh:\n%s", got, want, res)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Never refreshed: both carry a credentialStatus nobody checked.
	for id, r := range list() {
		if r.Status != "unknown" || r.StatusCode != "status_not_checked" || !r.StatusCheckedAt.IsZero() {
			t.Errorf("before refresh %s: %+v", id, r)
		}
	}

	// Without the private-fetch switch the loopback lists are refused:
	// unknown, and still exit 0.
	noPrivate := cflow(t, append(env, "CFLOW_ALLOW_PRIVATE_FETCH=false"), nil, w("refresh")...)
	if noPrivate.code != 0 || !strings.Contains(noPrivate.stderr, "status_list_unavailable") ||
		!strings.Contains(noPrivate.stderr, "Checked 2 credentials: 2 unknown.") {
		t.Errorf("refresh without --allow-private-fetch:\n%s", noPrivate)
	}

	before := time.Now().Add(-time.Second)
	res, got := refreshUntil(map[string]string{jwtID: "valid", ldpID: "valid"})
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if len(lines) != 3 || lines[2] != "Checked 2 credentials: 2 valid." || res.stdout != "" {
		t.Errorf("refresh output:\n%s", res)
	}
	for _, id := range []string{jwtID, ldpID} {
		if r := got[id]; r.StatusCheckedAt.Before(before) || r.StatusCheckedAt.After(time.Now()) {
			t.Errorf("checked at %s, want after %s", r.StatusCheckedAt, before)
		}
		if !strings.Contains(res.stderr, id+"  ") {
			t.Errorf("refresh has no line for %s:\n%s", id, res.stderr)
		}
	}

	mustCflow(t, nil, "issue", "revoke", "--server", base, jwtCred)
	mustCflow(t, nil, "issue", "suspend", "--server", base, ldpCred)
	res, got = refreshUntil(map[string]string{jwtID: "revoked", ldpID: "suspended"})
	if !strings.Contains(res.stderr, "Checked 2 credentials: 1 revoked, 1 suspended.") ||
		got[jwtID].StatusCode != "revoked" || got[ldpID].StatusCode != "suspended" {
		t.Errorf("after revoke and suspend: %v\n%s", got, res)
	}
	table := mustCflow(t, env, w("list")...).stdout
	for _, want := range []string{"STATUS", jwtID, ldpID, "revoked", "suspended"} {
		if !strings.Contains(table, want) {
			t.Errorf("wallet list lacks %q:\n%s", want, table)
		}
	}

	mustCflow(t, nil, "issue", "reinstate", "--server", base, ldpCred)
	refreshUntil(map[string]string{jwtID: "revoked", ldpID: "valid"})

	if code, err := srv.stop(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop server: %d %v", code, err)
	}
	res, got = refreshUntil(map[string]string{jwtID: "revoked", ldpID: "unknown"})
	if got[ldpID].StatusCode != "status_list_unavailable" || !strings.Contains(res.stderr, "Checked 2 credentials: 1 revoked, 1 unknown.") {
		t.Errorf("server gone: %v\n%s", got, res)
	}
}
