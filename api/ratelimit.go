package api

import (
	"net/http"

	"github.com/credentialflow/cflow/verifier/gateway"
)

// limitIP refuses a client IP over Config.IPLimiter's rate with 429
// problem+json and Retry-After (RFC 6585 §4, RFC 9110 §10.2.3), before
// the body is read: the verify endpoints are open to anyone and each
// answer is audited, so one address must not be able to fill the log.
func (s *server) limitIP(next http.HandlerFunc) http.HandlerFunc {
	if s.cfg.IPLimiter == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.cfg.IPLimiter.Allow(r); !ok {
			after := gateway.RetryAfter(wait)
			w.Header().Set("Retry-After", after)
			writeProblem(w, r, http.StatusTooManyRequests, ProblemRateLimited, CodeRateLimited,
				"too many requests from this address; retry after "+after+" s")
			return
		}
		next(w, r)
	}
}
