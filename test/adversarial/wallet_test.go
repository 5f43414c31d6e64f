package adversarial

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walletWithCred makes a wallet with one holder DID and a credential for it
// issued by s; it returns the env for cflow wallet commands.
func walletWithCred(t *testing.T, s *srv, iss string) ([]string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	e := []string{"CFLOW_WALLET=" + dir, "CFLOW_WALLET_PASSPHRASE=correct horse"}
	if r := cflow(t, e, nil, "wallet", "init"); r.code != 0 {
		t.Fatal(r)
	}
	r := cflow(t, e, nil, "wallet", "did", "create")
	if r.code != 0 {
		t.Fatal(r)
	}
	holderDID := strings.TrimSpace(r.out)
	cred := issue(t, s, iss, holderDID, "jwt_vc_json")
	if r := cflow(t, e, strings.NewReader(cred), "wallet", "receive", "-"); r.code != 0 {
		t.Fatal(r)
	}
	return e, holderDID
}

// TestWalletTokenRelay: a malicious "gateway" relays the real gateway's
// challenge (nonce and audience) to the wallet. The wallet signs a
// presentation for the real gateway's audience and hands it to the
// attacker, who exchanges it at the real gateway for the holder's token.
// The wallet must bind the audience to the gateway it was told to use.
// Fixed: the wallet refuses a challenge for another audience.
func TestWalletTokenRelay(t *testing.T) {
	real, iss, _ := setup(t)
	e, holderDID := walletWithCred(t, real, iss)
	stolen := make(chan string, 1)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/gateway/challenge":
			resp, err := http.Post(real.URL+"/v1/gateway/challenge", "application/json", nil)
			if err != nil {
				w.WriteHeader(502)
				return
			}
			defer resp.Body.Close()
			w.Header().Set("Content-Type", "application/json")
			io.Copy(w, resp.Body)
		case "/v1/gateway/token":
			_ = r.ParseForm()
			stolen <- r.PostForm.Get("subject_token")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"x","token_type":"Bearer","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","expires_in":1}`))
		}
	}))
	defer evil.Close()
	r := cflow(t, e, nil, "wallet", "token", "--gateway", evil.URL)
	t.Logf("wallet token against the evil gateway: %s", r)
	if r.code == 0 || !strings.Contains(r.err, "refusing to present") {
		t.Errorf("wallet token took a relayed challenge: %s", r)
	}
	var vp string
	select {
	case vp = <-stolen:
	default:
		return // the wallet refused before presenting: good
	}
	er := exchange(t, real, vp)
	if er.status == 200 {
		t.Errorf("a presentation captured by %s was exchanged at %s for %s's token: %.200s", evil.URL, real.URL, holderDID, er.body)
	}
}

// TestWalletTokenRedirect: the gateway answers the token request with a 307
// to another host; the presentation must not follow it there.
// Fixed: the wallet follows no redirect from a gateway.
func TestWalletTokenRedirect(t *testing.T) {
	real, iss, _ := setup(t)
	e, _ := walletWithCred(t, real, iss)
	got := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		got <- v.Get("subject_token")
		w.WriteHeader(400)
	}))
	defer other.Close()
	var front *httptest.Server
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/gateway/token" {
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
			return
		}
		resp, err := http.Post(real.URL+r.URL.Path, "application/json", nil)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		// The challenge names the front as its audience, so the wallet
		// gets as far as the token request.
		var ch map[string]any
		json.NewDecoder(resp.Body).Decode(&ch)
		ch["audience"] = front.URL
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ch)
	}))
	defer front.Close()
	if r := cflow(t, e, nil, "wallet", "token", "--gateway", front.URL); r.code == 0 || !strings.Contains(r.err, "redirect") {
		t.Errorf("wallet token through a redirect: %s", r)
	}
	select {
	case vp := <-got:
		t.Errorf("the wallet followed a cross-host redirect with its presentation (%d bytes) to %s", len(vp), other.URL)
	default:
	}
}

// TestWalletWrongPassphraseUnchanged: a wrong passphrase changes nothing.
func TestWalletWrongPassphraseUnchanged(t *testing.T) {
	real, iss, _ := setup(t)
	e, _ := walletWithCred(t, real, iss)
	dir := strings.TrimPrefix(e[0], "CFLOW_WALLET=")
	before := snapshot(t, dir)
	bad := []string{e[0], "CFLOW_WALLET_PASSPHRASE=wrong"}
	for _, args := range [][]string{{"wallet", "list"}, {"wallet", "did", "create"}, {"wallet", "delete", "x"}, {"wallet", "present", "--challenge", "n", "--audience", "a"}} {
		r := cflow(t, bad, nil, args...)
		if r.code == 0 || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || !strings.Contains(r.err, "wrong passphrase") {
			t.Errorf("%v: %s", args, r)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("wallet files changed after wrong-passphrase attempts")
	}
}

// TestWalletMissingManifest: a wallet whose badger MANIFEST went missing
// (a partial restore, a careless cleanup) must refuse to open; instead a
// read-only `wallet list` answers "No credentials yet" and badger deletes
// every table, so the holder's keys are gone for good.
// Fixed: the store refuses tables without a MANIFEST and changes nothing.
func TestWalletMissingManifest(t *testing.T) {
	real, iss, _ := setup(t)
	e, holderDID := walletWithCred(t, real, iss)
	dir := strings.TrimPrefix(e[0], "CFLOW_WALLET=")
	// force the data into SST files: reopen a few times
	for range 2 {
		cflow(t, e, nil, "wallet", "list")
	}
	man := filepath.Join(dir, "data", "MANIFEST")
	saved, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(man)
	before := snapshot(t, dir)
	r := cflow(t, e, nil, "wallet", "list")
	if r.code == 0 || !strings.Contains(r.err, "no MANIFEST") {
		t.Errorf("wallet without MANIFEST opened as if empty: %s", r)
	}
	if snapshot(t, dir) != before {
		t.Errorf("a refused `wallet list` changed the wallet's files")
	}
	_ = os.WriteFile(man, saved, 0o600)
	r = cflow(t, e, nil, "wallet", "did", "list")
	if r.code != 0 || !strings.Contains(r.out, holderDID) {
		t.Errorf("after putting the MANIFEST back the holder DID is gone: %s", r)
	}
}

// TestWalletParallelCommands: eight `cflow wallet did create` at once on
// one wallet used to fail half the time with badger's raw lock message;
// each now waits its turn.
func TestWalletParallelCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	e := []string{"CFLOW_WALLET=" + dir, "CFLOW_WALLET_PASSPHRASE=correct horse"}
	if r := cflow(t, e, nil, "wallet", "init"); r.code != 0 {
		t.Fatal(r)
	}
	const n = 8
	out := make(chan res, n)
	for range n {
		go func() { out <- cflow(t, e, nil, "wallet", "did", "create") }()
	}
	for range n {
		if r := <-out; r.code != 0 || !strings.HasPrefix(r.out, "did:") {
			t.Errorf("parallel wallet did create: %s", r)
		}
	}
	r := cflow(t, e, nil, "wallet", "did", "list")
	if got := strings.Count(r.out, "did:"); r.code != 0 || got != n {
		t.Errorf("did list after %d parallel creates shows %d DIDs: %s", n, got, r)
	}
}

func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b bytes.Buffer
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + info.Mode().String())
		if info.Mode().IsRegular() {
			c, _ := os.ReadFile(p)
			b.Write(c)
		}
		return nil
	})
	return b.String()
}

// TestVerifyChallengeOnCredential: `cflow verify --challenge N --domain D`
// is how a script checks a holder's presentation. Handed a bare credential
// (no holder proof, no nonce), it must not exit 0.
func TestVerifyChallengeOnCredential(t *testing.T) {
	finding(t)
	s, iss, _ := setup(t)
	h := newHolder(t)
	cred := issue(t, s, iss, h.DID, "jwt_vc_json")
	r := cflow(t, nil, strings.NewReader(cred), "verify", "--challenge", "n-123", "--domain", "https://rp.example", "-")
	if r.code == 0 {
		t.Errorf("a bare credential passed `verify --challenge --domain` with exit 0:\n%s", r)
	}
}
