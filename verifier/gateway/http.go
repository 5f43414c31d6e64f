package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Identity headers set for upstreams; any a client sends are removed first.
const (
	HeaderSubject = "X-Credentialflow-Subject"
	HeaderScope   = "X-Credentialflow-Scope"
	headerPrefix  = "X-Credentialflow-"
)

// HandleChallenge serves POST /v1/gateway/challenge.
func (g *Gateway) HandleChallenge(w http.ResponseWriter, r *http.Request) {
	c, err := g.NewChallenge(r.Context())
	if err != nil {
		writeOAuth(w, http.StatusInternalServerError, oauthErr("server_error", "cannot issue a challenge"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// HandleToken serves POST /v1/gateway/token (RFC 8693 §2.1: form-encoded).
func (g *Gateway) HandleToken(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_request", "the body must be application/x-www-form-urlencoded (RFC 6749 §3.2)"))
		return
	}
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		writeOAuth(w, status, oauthErr("invalid_request", "cannot read the form: %v", err))
		return
	}
	// RFC 6749 §3.2: parameters must not be repeated.
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_request", "parameter %s is repeated", k))
			return
		}
	}
	f := r.PostForm
	resp, _, oerr := g.Exchange(r.Context(), ExchangeRequest{
		GrantType: f.Get("grant_type"), SubjectToken: f.Get("subject_token"), SubjectTokenType: f.Get("subject_token_type"),
		Audience: f.Get("audience"), Scope: f.Get("scope"), RequestedTokenType: f.Get("requested_token_type"),
	})
	if oerr != nil {
		writeOAuth(w, http.StatusBadRequest, oerr)
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
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}

// Proxy forwards requests to upstream only with a valid access token, with
// the verified identity in X-Credentialflow-Subject / -Scope. The request
// path is passed on unchanged.
func (g *Gateway) Proxy(upstream *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
			pr.SetXForwarded()
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Identity headers only ever come from us (strip before anything else).
		for k := range r.Header {
			if strings.HasPrefix(http.CanonicalHeaderKey(k), headerPrefix) {
				r.Header.Del(k)
			}
		}
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="credentialflow"`)
			writeOAuth(w, http.StatusUnauthorized, oauthErr("invalid_token", "a Bearer access token from /v1/gateway/token is required"))
			return
		}
		id, err := g.Authenticate(tok, "")
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="credentialflow", error="invalid_token"`)
			writeOAuth(w, http.StatusUnauthorized, oauthErr("invalid_token", "the access token is invalid or expired"))
			return
		}
		r.Header.Set(HeaderSubject, id.Subject)
		r.Header.Set(HeaderScope, strings.Join(id.Scopes, " "))
		rp.ServeHTTP(w, r)
	})
}

// bearer extracts an RFC 6750 §2.1 bearer token.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
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
