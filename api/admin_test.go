package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/issuer/issuertest"
)

// With an admin token configured, the issuer's write endpoints answer 401
// problem+json with a Bearer challenge unless the exact token is presented;
// reading issuer profiles stays open.
func TestAdminToken(t *testing.T) {
	iss, _, _ := issuertest.New(t)
	h := api.NewRouter(api.Config{Roles: []string{api.RoleIssuer}, Issuer: iss, AdminToken: "s3cret"})

	call := func(method, path, auth, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		name, method, path, auth string
		want                     int
	}{
		{"fail/no token", "POST", "/v1/issuers", "", 401},
		{"fail/wrong token", "POST", "/v1/issuers", "Bearer s3cre", 401},
		{"fail/longer token", "POST", "/v1/issuers", "Bearer s3cret1", 401},
		{"fail/basic scheme", "POST", "/v1/issuers", "Basic s3cret", 401},
		{"fail/issue without token", "POST", "/v1/credentials/issue", "", 401},
		{"ok/token", "POST", "/v1/issuers", "Bearer s3cret", 201},
		{"ok/scheme is case-insensitive", "POST", "/v1/issuers", "bearer s3cret", 201},
		{"ok/listing is open", "GET", "/v1/issuers", "", 200},
		{"fail/unknown member (a typo must not fall back to a default)", "POST", "/v1/issuers", "Bearer s3cret", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"name":"HR"}`
			if tc.want == 400 {
				body = `{"name":"HR","keyTyp":"P-256"}`
			}
			w := call(tc.method, tc.path, tc.auth, body)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want != 401 {
				return
			}
			var p api.Problem
			json.Unmarshal(w.Body.Bytes(), &p)
			if w.Header().Get("Content-Type") != "application/problem+json" || p.Type != api.ProblemUnauthorized || p.Code != "unauthorized" {
				t.Fatalf("problem %+v (%s)", p, w.Header().Get("Content-Type"))
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Fatalf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}
