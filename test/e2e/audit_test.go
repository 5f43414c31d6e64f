package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TestAudit drives the server so it writes audit entries (an issuance, a
// verification that held, one that did not, a refused token exchange),
// checks /metrics counted them per route, reads the log back with `cflow
// audit tail`, and then changes one byte of one stored entry: `cflow audit
// verify` must name that entry and exit 1 (the issue's bad input "an audit
// log with one byte changed").
func TestAudit(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	data := t.TempDir()
	srv := startServer(t, base, nil, "--addr", addr, "--data", data)

	issuerID, issuerDID := createIssuer(t, base, "Audit Corp")
	holder := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	r := postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"type": []string{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": holder, "salary": "confidential-42"}},
		"options": map[string]any{"issuer": issuerID},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("issue: %s", r)
	}
	jwt, _ := r.json(t)["verifiableCredential"].(string)
	if r := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": jwt}); r.status != http.StatusOK {
		t.Fatalf("verify: %s", r)
	}
	if r := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": jwt[:len(jwt)-4] + "AAAA"}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("verify tampered: %s", r)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token": {"not-a-presentation"}, "subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}}
	if r := do(t, http.MethodPost, base+"/v1/gateway/token", "application/x-www-form-urlencoded", []byte(form.Encode())); r.status != http.StatusBadRequest {
		t.Fatalf("token: %s", r)
	}

	metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`cflow_http_requests_total{code="201",method="POST",route="/v1/credentials/issue"} 1`,
		`cflow_http_requests_total{code="422",method="POST",route="/v1/credentials/verify"} 1`,
		`cflow_verifications_total{code="signature_invalid",kind="credential"} 1`,
		`cflow_audit_events_total{decision="issued",type="credential.issued"} 1`,
		`cflow_audit_events_total{decision="deny",type="token.exchange"} 1`,
		`cflow_cache_hit_ratio{cache="did"}`,
	} {
		if !strings.Contains(string(metrics.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// The running server holds the store: audit commands refuse, exit 2.
	if r := cflow(t, nil, nil, "audit", "verify", "--data", data); r.code != 2 {
		t.Errorf("audit verify while serving: %s", r)
	}
	if code, err := srv.stop(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop: %d %v", code, err)
	}

	r1 := mustCflow(t, nil, "audit", "verify", "--data", data)
	if !strings.HasPrefix(r1.stdout, "ok: 4 entries, head ") {
		t.Fatalf("audit verify: %s", r1)
	}
	tail := mustCflow(t, nil, "audit", "tail", "--data", data, "-n", "4", "--json")
	type entry struct {
		Seq                  int
		Type, Decision, Code string
		Issuer, Holder       string
		CredentialTypes      []string
		Prev, Hash           string
	}
	var got []entry
	for _, line := range strings.Split(strings.TrimSpace(tail.stdout), "\n") {
		var e entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("tail line %q: %v", line, err)
		}
		got = append(got, e)
	}
	want := []struct{ typ, decision, code string }{
		{"credential.issued", "issued", ""},
		{"credential.verified", "allow", ""},
		{"credential.verified", "deny", "signature_invalid"},
		{"token.exchange", "deny", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("tail: %d entries\n%s", len(got), tail.stdout)
	}
	for i, w := range want {
		g := got[i]
		if g.Seq != i+1 || g.Type != w.typ || g.Decision != w.decision || (w.code != "" && g.Code != w.code) {
			t.Errorf("entry %d = %+v, want %+v", i+1, g, w)
		}
		if i > 0 && g.Prev != got[i-1].Hash {
			t.Errorf("entry %d prev %s, want %s", i+1, g.Prev, got[i-1].Hash)
		}
	}
	if got[0].Issuer != issuerDID || got[0].Holder != holder || strings.Join(got[0].CredentialTypes, ",") != "VerifiableCredential,EmployeeCredential" {
		t.Errorf("issuance entry %+v", got[0])
	}
	if got[3].Code == "" {
		t.Errorf("refused exchange carries no code: %+v", got[3])
	}
	if strings.Contains(tail.stdout, "confidential-42") || strings.Contains(tail.stdout, jwt[:30]) {
		t.Errorf("the audit log carries claims or the credential:\n%s", tail.stdout)
	}
	if text := mustCflow(t, nil, "audit", "tail", "--data", data, "-n", "1"); !strings.Contains(text.stdout, "token.exchange") || !strings.Contains(text.stdout, "SEQ") {
		t.Errorf("text tail: %s", text)
	}

	// One byte of entry 2 changed in the store.
	changeOneByte(t, filepath.Join(data, "store"), "audit/"+fmt.Sprintf("%020d", 2))
	r2 := cflow(t, nil, nil, "audit", "verify", "--data", data)
	if r2.code != 1 || !strings.HasPrefix(r2.stdout, "broken: entry 2: ") || !strings.Contains(r2.stderr, "entry 2") {
		t.Fatalf("audit verify after one byte changed: %s", r2)
	}
	if r := cflow(t, nil, nil, "audit", "tail", "--data", data, "-n", "4"); r.code != 1 {
		t.Errorf("audit tail over the broken entry: %s", r)
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"fail/no store there", []string{"audit", "verify", "--data", t.TempDir()}},
		{"fail/negative -n", []string{"audit", "tail", "--data", data, "-n", "-1"}},
		{"fail/extra argument", []string{"audit", "verify", "x"}},
	} {
		if r := cflow(t, nil, nil, tc.args...); r.code != 2 {
			t.Errorf("%s: %s", tc.name, r)
		}
	}
}

// changeOneByte flips one bit of the value under key, in the middle of the
// stored JSON body (after the 32-byte hash), with badger itself.
func changeOneByte(t *testing.T, dir, key string) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(key))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		v[32+(len(v)-32)/2] ^= 0x01
		return txn.Set([]byte(key), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}
