package adversarial

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/credentialflow/cflow/test/cflowtest"
)

// review2Policy: GET only, and nothing under /api/admin/.
const review2Policy = `policies:
  - name: readonly
    routes: [/api/]
    credentials:
      - name: employee
        types: [EmployeeCredential]
        issuers: [self]
        required: true
    access: 'request.method == "GET" && !request.route.startsWith("/api/admin/")'
`

// TestReview2ForwardAuthSpoofedOriginal: README's nginx recipe (and the e2e
// test's nginx.conf) passes the original request as X-Original-URI /
// X-Original-Method. nginx also forwards every header the client sent to
// the auth subrequest, and HandleAuthorize prefers X-Forwarded-Method /
// X-Forwarded-Uri (Traefik's names) over X-Original-*. A client that adds
// X-Forwarded-Method: GET or X-Forwarded-Uri: /api/ to its own request has
// the gateway decide for a request it is not making, and nginx forwards
// the real one (POST, /api/admin/…) to the upstream.
//
// Fixed: the gateway runs in --forward-auth-mode nginx by default and then
// reads X-Original-Method / X-Original-URI only, which proxy_set_header
// replaces whatever the client sent.
func TestReview2ForwardAuthSpoofedOriginal(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(review2Policy), 0o600); err != nil {
		t.Fatal(err)
	}
	s, issuerID, _ := setup(t, "--policy", pol)
	h := newHolder(t)
	cred := issue(t, s, issuerID, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	vp := h.sign(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": h.Kid}, h.vpClaims(nonce, aud, cred))
	r := exchange(t, s, vp)
	if r.status != 200 {
		t.Fatalf("exchange: %s", r)
	}
	tok := r.obj(t)["access_token"].(string)

	var mu sync.Mutex
	var seen []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer up.Close()
	// Without the README's clearing of X-Forwarded-*: the gateway must not
	// read them in nginx mode at all.
	front := cflowtest.Nginx(t, s.URL, up.URL, "")
	base := "http://" + front
	auth := []string{"Authorization", "Bearer " + tok}
	for _, c := range []struct {
		name, method, path string
		hdr                []string
	}{
		{"baseline/post", "POST", "/api/x", nil},
		{"baseline/admin", "GET", "/api/admin/users", nil},
		{"spoof/x-forwarded-method", "POST", "/api/x", []string{"X-Forwarded-Method", "GET"}},
		{"spoof/x-forwarded-uri", "GET", "/api/admin/users", []string{"X-Forwarded-Uri", "/api/x"}},
		{"spoof/x-forwarded-both", "POST", "/api/admin/users", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/x"}},
		{"spoof/x-original-method", "POST", "/api/x", []string{"X-Original-Method", "GET"}},
		{"spoof/x-original-uri", "GET", "/api/admin/users", []string{"X-Original-URI", "/api/x"}},
	} {
		r := do(t, c.method, base+c.path, "", nil, append(append([]string{}, auth...), c.hdr...)...)
		if r.status != http.StatusForbidden {
			t.Errorf("%s: %s %s through nginx answered %d, want 403 (upstream saw %v)", c.name, c.method, c.path, r.status, seen)
		}
	}
	// The control: what the policy allows still goes through, and nothing else reached the upstream.
	if r := do(t, "GET", base+"/api/x", "", nil, auth...); r.status != http.StatusOK {
		t.Errorf("GET /api/x through nginx answered %s, want 200", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "GET /api/x" {
		t.Errorf("upstream saw %v, want [GET /api/x]", seen)
	}
}
