package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// TestVerifyRateLimit: the verify endpoints, open to anyone and audited
// per answer, count against the per-IP limit before the body is read; a
// client over it gets 429 problem+json with Retry-After and writes nothing
// to the audit log. This server runs the verifier role alone, so the
// limit does not depend on the gateway.
func TestVerifyRateLimit(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := audit.Open(db, nil)
	t.Cleanup(func() { log.Close() })
	v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
	h := api.NewRouter(api.Config{Roles: []string{api.RoleVerifier}, Verifier: v,
		Events: api.NewEvents(log, nil, nil), IPLimiter: gateway.NewIPLimiter(0.01, 2)}) // one more every 100 s
	send := func(path, ip, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = ip + ":4321"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	const cred = `{"verifiableCredential":"e30.e30.AA"}`
	for _, c := range []struct {
		name, path, ip, body string
		limited              bool
	}{
		{"ok/first", "/v1/credentials/verify", "192.0.2.1", cred, false},
		{"ok/second-other-endpoint", "/v1/presentations/verify", "192.0.2.1", `{"verifiablePresentation":"e30.e30.AA"}`, false},
		{"fail/credential-over-the-limit", "/v1/credentials/verify", "192.0.2.1", cred, true},
		{"fail/presentation-over-the-limit", "/v1/presentations/verify", "192.0.2.1", `{"verifiablePresentation":"e30.e30.AA"}`, true},
		{"fail/before-the-body-is-read", "/v1/credentials/verify", "192.0.2.1", `{not json`, true},
		{"ok/another-ip", "/v1/credentials/verify", "192.0.2.2", cred, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := send(c.path, c.ip, c.body)
			if !c.limited {
				if w.Code == http.StatusTooManyRequests {
					t.Fatalf("refused within the limit: %s", w.Body)
				}
				return
			}
			var p api.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusTooManyRequests ||
				w.Header().Get("Content-Type") != "application/problem+json" || !retryAfterIn(w.Header().Get("Retry-After"), 1, 100) ||
				p.Type != api.ProblemRateLimited || p.Code != api.CodeRateLimited || p.Status != 429 || p.Instance != c.path {
				t.Fatalf("%d %v %s (%v)", w.Code, w.Header(), w.Body, err)
			}
		})
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(db)
	if err != nil || rep.Entries != 3 {
		t.Errorf("audit log holds %d entries (%v), want 3: the refused requests wrote none", rep.Entries, err)
	}
}

func retryAfterIn(v string, lo, hi int) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= lo && n <= hi
}
