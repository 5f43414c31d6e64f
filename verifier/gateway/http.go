package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// HandleChallenge serves POST /v1/gateway/challenge.
func (g *Gateway) HandleChallenge(w http.ResponseWriter, r *http.Request) {
	if !g.limitIP(w, r) {
		return
	}
	c, err := g.NewChallenge(r.Context())
	if err != nil {
		writeOAuth(w, http.StatusInternalServerError, oauthErr("server_error", "cannot issue a challenge"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// limitIP applies the per-client-IP limit, answering 429 itself.
func (g *Gateway) limitIP(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := g.byIP.allow(clientIP(r), g.cfg.Now())
	if !ok {
		// RFC 6585 §4: 429 with Retry-After.
		w.Header().Set("Retry-After", retryAfter(wait))
		writeOAuth(w, http.StatusTooManyRequests, oauthErr("slow_down", "too many requests from this address"))
	}
	return ok
}

// readForm parses an RFC 6749 §3.2 form body, answering errors itself.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_request", "the body must be application/x-www-form-urlencoded (RFC 6749 §3.2)"))
		return false
	}
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		writeOAuth(w, status, oauthErr("invalid_request", "cannot read the form: %v", err))
		return false
	}
	// RFC 6749 §3.2: parameters must not be repeated (so one request
	// carries one presentation).
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_request", "parameter %s is repeated", k))
			return false
		}
	}
	return true
}

// HandleToken serves POST /v1/gateway/token (RFC 8693 §2.1: form-encoded).
func (g *Gateway) HandleToken(w http.ResponseWriter, r *http.Request) {
	if !g.limitIP(w, r) || !readForm(w, r) {
		return
	}
	if len(r.Header.Values(HeaderDPoP)) > 1 {
		// RFC 9449 §4.3 check 1: exactly one DPoP header.
		writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_dpop_proof", "more than one DPoP header"))
		return
	}
	f := r.PostForm
	resp, _, oerr := g.Exchange(r.Context(), ExchangeRequest{
		GrantType: f.Get("grant_type"), SubjectToken: f.Get("subject_token"), SubjectTokenType: f.Get("subject_token_type"),
		Audience: f.Get("audience"), Scope: f.Get("scope"), RequestedTokenType: f.Get("requested_token_type"),
		DPoP: r.Header.Get(HeaderDPoP),
	})
	if oerr != nil {
		status := oerr.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		if oerr.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfter(oerr.RetryAfter))
		}
		if oerr.Code == "server_error" {
			status = http.StatusInternalServerError
		}
		writeOAuth(w, status, oerr)
		return
	}
	// RFC 6749 §5.1: token responses must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// HandleJWKS serves /.well-known/jwks.json.
func (g *Gateway) HandleJWKS(w http.ResponseWriter, _ *http.Request) {
	set, err := g.cfg.Keys.PublicKeys()
	if err != nil {
		writeOAuth(w, http.StatusInternalServerError, oauthErr("server_error", "keys unavailable"))
		return
	}
	// Short enough that a rotated key reaches caches well within a token lifetime.
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, set)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOAuth(w http.ResponseWriter, status int, e *OAuthError) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, e)
}
