package api

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireAdmin guards the issuer's write endpoints: whoever can issue or
// revoke speaks for the organization, and with the default gateway policy
// (trust this server's issuers) open issuance would let anyone mint
// themselves a token. With Config.AdminToken empty the guard is off, which
// only tests and embedders that authenticate in front of the router use.
func (s *server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	if s.cfg.AdminToken == "" {
		return next
	}
	want := []byte(s.cfg.AdminToken)
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), want) != 1 {
			// RFC 6750 §3: a protected resource answers 401 with a challenge.
			w.Header().Set("WWW-Authenticate", `Bearer realm="credentialflow-admin"`)
			writeProblem(w, r, http.StatusUnauthorized, ProblemUnauthorized, "unauthorized",
				"this endpoint needs the admin token: Authorization: Bearer <token> (the server keeps it in <data>/admin.token, or CFLOW_ADMIN_TOKEN)")
			return
		}
		next(w, r)
	}
}
