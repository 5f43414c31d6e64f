package adversarial

import (
	"net/http"
	"strconv"
	"testing"
)

// TestReview2VerifyRateLimited: /v1/credentials/verify,
// /v1/presentations/verify and /v1/gateway/authorize are open to anyone,
// and each verification appends a synced audit entry, so one address could
// grow the log without bound (3,000 requests → 1.2 MB). They count against
// the per-IP limit (--rate-ip, here 5/s, burst 10): past the burst the
// answer is 429 with Retry-After, before anything is verified or audited.
func TestReview2VerifyRateLimited(t *testing.T) {
	s := start(t, "", "--rate-ip", "5")
	for _, c := range []struct {
		name, method, path, ctype, body string
		hdr                             []string
		code                            string // the code member (problem+json) or error (OAuth)
	}{
		{"verify-credential", "POST", "/v1/credentials/verify", "application/json", `{"verifiableCredential":"e30.e30.AA"}`, nil, "rate_limited"},
		{"verify-presentation", "POST", "/v1/presentations/verify", "application/json", `{"verifiablePresentation":"e30.e30.AA"}`, nil, "rate_limited"},
		{"authorize", "GET", "/v1/gateway/authorize", "", "", []string{"X-Original-Method", "GET", "X-Original-URI", "/api/x"}, "slow_down"},
	} {
		t.Run(c.name, func(t *testing.T) {
			limited := 0
			var last resp
			for i := 0; i < 40; i++ {
				r := do(t, c.method, s.URL+c.path, c.ctype, []byte(c.body), c.hdr...)
				if r.status == http.StatusTooManyRequests {
					limited++
					last = r
				}
			}
			// 40 requests in well under a second: at least 40 - 10 (burst) - a few refilled.
			if limited < 20 {
				t.Fatalf("%d of 40 anonymous requests refused with 429, want most past the burst of 10", limited)
			}
			if n, err := strconv.Atoi(last.hdr.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After %q", last.hdr.Get("Retry-After"))
			}
			m := last.obj(t)
			got, _ := m["code"].(string)
			if c.code == "slow_down" {
				got, _ = m["error"].(string)
			}
			if got != c.code {
				t.Errorf("429 body %s, want %s", last.body, c.code)
			}
		})
	}
}
