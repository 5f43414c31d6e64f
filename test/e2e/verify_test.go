package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// verifyOutput is what `cflow verify` prints and the verify endpoints answer.
type verifyOutput struct {
	Verified bool     `json:"verified"`
	Checks   []string `json:"checks"`
	Errors   []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

func firstCode(o verifyOutput) string {
	if len(o.Errors) == 0 {
		return ""
	}
	return o.Errors[0].Code
}

// TestVerifyCLI runs every did-jwt-vc case through `cflow verify`: exit 0
// and no errors when valid, exit 1 and the expected code first otherwise.
func TestVerifyCLI(t *testing.T) {
	t.Parallel()
	cases := loadVectors(t)
	dir := t.TempDir()
	for _, name := range sortedKeys(cases) {
		c, want := cases[name], vectorWant[name]
		prefix := "ok/"
		if want != "" {
			prefix = "fail/"
		}
		t.Run(prefix+name, func(t *testing.T) {
			t.Parallel()
			file := writeFile(t, dir, name+".jwt", c.JWT+"\n")
			args := []string{"verify", file}
			if isPresentation(name) {
				args = append(args, "--challenge", vectorChallenge, "--domain", vectorDomain)
			}
			r := cflow(t, nil, nil, args...)
			var out verifyOutput
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("stdout is not the JSON result: %v\n%s", err, r)
			}
			wantExit := 0
			if want != "" {
				wantExit = 1
			}
			if r.code != wantExit || out.Verified != (want == "") || firstCode(out) != want {
				t.Errorf("exit %d verified %v code %q, want exit %d verified %v code %q\n%s",
					r.code, out.Verified, firstCode(out), wantExit, want == "", want, r)
			}
			if want == "" && len(out.Errors) != 0 {
				t.Errorf("errors = %v, want none", out.Errors)
			}
		})
	}

	t.Run("ok/stdin", func(t *testing.T) {
		t.Parallel()
		r := cflow(t, nil, strings.NewReader(cases["ed25519-valid"].JWT), "verify", "-")
		if r.code != 0 {
			t.Errorf("cflow verify - :\n%s", r)
		}
	})
	t.Run("fail/presentation-without-the-challenge", func(t *testing.T) {
		t.Parallel()
		file := writeFile(t, dir, "vp-nochallenge.jwt", cases["vp-valid"].JWT)
		r := cflow(t, nil, nil, "verify", file, "--challenge", "other", "--domain", vectorDomain)
		var out verifyOutput
		_ = json.Unmarshal([]byte(r.stdout), &out)
		if r.code != 1 || firstCode(out) != "challenge_mismatch" {
			t.Errorf("exit %d code %q, want 1 challenge_mismatch\n%s", r.code, firstCode(out), r)
		}
	})
	for _, tt := range []struct{ name, content string }{
		{"fail/garbage", "this is not a credential\n"},
		{"fail/empty", ""},
		{"fail/json-array", "[1,2]"},
		{"fail/two-segments", "eyJhbGciOiJFZERTQSJ9.e30"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeFile(t, dir, strings.ReplaceAll(tt.name, "/", "-"), tt.content)
			if r := cflow(t, nil, nil, "verify", file); r.code != 2 {
				t.Errorf("exit %d, want 2 (unreadable input)\n%s", r.code, r)
			}
		})
	}
	t.Run("fail/missing-file", func(t *testing.T) {
		t.Parallel()
		r := cflow(t, nil, nil, "verify", filepath.Join(dir, "does-not-exist"))
		if r.code != 2 || r.stdout != "" {
			t.Errorf("exit %d stdout %q, want 2 and nothing\n%s", r.code, r.stdout, r)
		}
	})
	t.Run("fail/no-argument", func(t *testing.T) {
		t.Parallel()
		if r := cflow(t, nil, nil, "verify"); r.code != 2 {
			t.Errorf("exit %d, want 2 (usage)\n%s", r.code, r)
		}
	})
}

// TestVerifyAPI sends the same cases to the running server: 200 and
// verified when valid, 422 problem+json with the code otherwise.
func TestVerifyAPI(t *testing.T) {
	t.Parallel()
	cases := loadVectors(t)
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir())
	for _, name := range sortedKeys(cases) {
		c, want := cases[name], vectorWant[name]
		prefix := "ok/"
		if want != "" {
			prefix = "fail/"
		}
		t.Run(prefix+name, func(t *testing.T) {
			var r response
			if isPresentation(name) {
				r = postJSON(t, base+"/v1/presentations/verify", map[string]any{"verifiablePresentation": c.JWT,
					"options": map[string]any{"challenge": vectorChallenge, "domain": vectorDomain}})
			} else {
				r = postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": c.JWT})
			}
			var out verifyOutput
			if err := json.Unmarshal(r.body, &out); err != nil {
				t.Fatalf("%v: %s", err, r)
			}
			if want == "" {
				if r.status != http.StatusOK || !out.Verified || len(out.Errors) != 0 || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("got %s, want 200 verified", r)
				}
				return
			}
			p := r.json(t)
			if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" ||
				p["type"] != "https://credentialflow.dev/problems/verification-failed" || p["code"] != want ||
				out.Verified || firstCode(out) != want {
				t.Errorf("got %s, want 422 problem+json verification-failed code %s", r, want)
			}
		})
	}
}
