package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalletLDP is issue 5's wallet item through the real binary: the
// server issues an ldp_vc, the wallet verifies and stores it, presents it
// as an ldp_vp and inside a jwt_vp_json, and the gateway exchanges both
// (each nonce once); a tampered ldp_vc is refused on receive.
func TestWalletLDP(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir())
	issuerID, issuerDID := createIssuer(t, base, "Example University")

	dir := t.TempDir()
	wdir := filepath.Join(dir, "wallet")
	env := []string{"CFLOW_WALLET_PASSPHRASE=correct horse battery staple"}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }
	mustCflow(t, env, w("init")...)
	holder := oneLine(t, "wallet did create", mustCflow(t, env, w("did", "create")...).stdout)

	r := postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{
			"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
			"type":              []any{"VerifiableCredential"},
			"credentialSubject": map[string]any{"id": holder},
		},
		"options": map[string]any{"issuer": issuerID, "format": "ldp_vc"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/credentials/issue ldp_vc: %s", r)
	}
	cred, _ := r.json(t)["verifiableCredential"].(map[string]any)
	if p, _ := cred["proof"].(map[string]any); p["cryptosuite"] != "eddsa-rdfc-2022" || cred["issuer"] != issuerDID {
		t.Fatalf("issued %v", cred)
	}
	answer := writeFile(t, dir, "answer.json", string(r.body))

	// Tampered: refused with the verifier's code, nothing stored.
	bad := map[string]any{}
	for k, v := range cred {
		bad[k] = v
	}
	bad["validFrom"] = "2020-01-01T00:00:00Z"
	if r := cflow(t, env, nil, w("receive", writeFile(t, dir, "bad.json", mustJSON(t, bad)))...); r.code != 1 || !strings.Contains(r.stderr, "signature_invalid") {
		t.Errorf("receive tampered ldp_vc:\n%s", r)
	}

	id := oneLine(t, "wallet receive", mustCflow(t, env, w("receive", answer)...).stdout)
	var shown struct {
		Format     string         `json:"format"`
		Credential map[string]any `json:"credential"`
	}
	if err := json.Unmarshal([]byte(mustCflow(t, env, w("show", id)...).stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Format != "ldp_vc" || shown.Credential["issuer"] != issuerDID {
		t.Errorf("wallet show: format %q credential %v", shown.Format, shown.Credential)
	}

	exchange := func(name, subjectToken string) response {
		form := url.Values{
			"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token":      {subjectToken},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"},
		}.Encode()
		return do(t, http.MethodPost, base+"/v1/gateway/token", "application/x-www-form-urlencoded", []byte(form))
	}
	challenge := func() string {
		ch := do(t, http.MethodPost, base+"/v1/gateway/challenge", "", nil).json(t)
		n, _ := ch["nonce"].(string)
		if n == "" || ch["audience"] != base {
			t.Fatalf("challenge %v", ch)
		}
		return n
	}

	for _, format := range []string{"ldp_vp", "jwt_vp_json"} {
		t.Run("ok/"+format, func(t *testing.T) {
			nonce := challenge()
			vp := oneLine(t, "wallet present", mustCflow(t, env, w("present", "--format", format, "--challenge", nonce, "--audience", base, "--credential", id)...).stdout)
			if format == "ldp_vp" {
				var doc map[string]any
				if err := json.Unmarshal([]byte(vp), &doc); err != nil {
					t.Fatalf("ldp_vp is not JSON: %v", err)
				}
				p, _ := doc["proof"].(map[string]any)
				if p["proofPurpose"] != "authentication" || p["challenge"] != nonce || p["domain"] != base || doc["holder"] != holder {
					t.Fatalf("ldp_vp proof %v holder %v", p, doc["holder"])
				}
			} else if c := jwtClaims(t, vp); c["nonce"] != nonce {
				t.Fatalf("jwt_vp_json claims %v", c)
			}
			// The CLI verifier agrees, with the same challenge and domain.
			if r := cflow(t, nil, nil, "verify", "--challenge", nonce, "--domain", base, writeFile(t, t.TempDir(), "vp", vp)); r.code != 0 {
				t.Errorf("cflow verify %s:\n%s", format, r)
			}
			r := exchange(format, vp)
			if r.status != http.StatusOK || r.json(t)["access_token"] == "" {
				t.Fatalf("token exchange with %s: %s", format, r)
			}
			if c := jwtClaims(t, r.json(t)["access_token"].(string)); c["sub"] != holder {
				t.Errorf("access token sub = %v, want %s", c["sub"], holder)
			}
			if r := exchange(format, vp); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "nonce_reused") {
				t.Errorf("replayed %s: %s, want nonce_reused", format, r)
			}
		})
	}

	t.Run("ok/wallet-token-ldp_vp", func(t *testing.T) {
		tok := oneLine(t, "wallet token", mustCflow(t, env, w("token", "--format", "ldp_vp", "--gateway", base)...).stdout)
		if c := jwtClaims(t, tok); c["sub"] != holder {
			t.Errorf("access token sub = %v, want %s", c["sub"], holder)
		}
	})

	t.Run("fail/ldp_vp-tampered", func(t *testing.T) {
		nonce := challenge()
		vp := oneLine(t, "wallet present", mustCflow(t, env, w("present", "--format", "ldp_vp", "--challenge", nonce, "--audience", base)...).stdout)
		var doc map[string]any
		_ = json.Unmarshal([]byte(vp), &doc)
		doc["holder"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
		if r := exchange("tampered", mustJSON(t, doc)); r.status != http.StatusBadRequest || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("tampered ldp_vp: %s, want 400 invalid_grant", r)
		}
	})
}
