package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ForwardAuthMode names the proxy in front of HandleAuthorize. It decides
// which parts of the authorization request describe the original request;
// nothing else is read, because a forward-auth proxy passes every other
// header as the client sent it.
type ForwardAuthMode string

// Forward-auth modes.
const (
	// ForwardAuthNginx reads X-Original-Method and X-Original-URI, which
	// the nginx configuration sets with proxy_set_header in the
	// auth_request location (a client-sent header of the same name is then
	// replaced, not passed on). The DPoP htu is Config.Issuer + the path.
	ForwardAuthNginx ForwardAuthMode = "nginx"
	// ForwardAuthTraefik reads X-Forwarded-Method, -Uri, -Host and -Proto,
	// which Traefik's ForwardAuth middleware sets from the request it
	// received, replacing any a client sent, unless trustForwardHeader is
	// on. The DPoP htu is -Proto://-Host + the path.
	ForwardAuthTraefik ForwardAuthMode = "traefik"
	// ForwardAuthEnvoy reads the path after AuthorizePath and the
	// request's own method: Envoy's HTTP ext_authz service prepends its
	// path_prefix to the original path and keeps the original method. The
	// DPoP htu is Config.Issuer + the path.
	ForwardAuthEnvoy ForwardAuthMode = "envoy"
)

// DefaultForwardAuthMode is the mode of a Config that names none.
const DefaultForwardAuthMode = ForwardAuthNginx

// ErrForwardAuthMode is returned for a mode that is not one of the above.
var ErrForwardAuthMode = errors.New("gateway: unknown forward-auth mode")

// ParseForwardAuthMode reads a mode name: nginx, traefik or envoy.
func ParseForwardAuthMode(s string) (ForwardAuthMode, error) {
	switch m := ForwardAuthMode(strings.ToLower(strings.TrimSpace(s))); m {
	case ForwardAuthNginx, ForwardAuthTraefik, ForwardAuthEnvoy:
		return m, nil
	}
	return "", fmt.Errorf("%w %q (want nginx, traefik or envoy)", ErrForwardAuthMode, s)
}

// Headers each mode reads the original request from.
const (
	headerOriginalMethod  = "X-Original-Method"
	headerOriginalURI     = "X-Original-URI"
	headerForwardedMethod = "X-Forwarded-Method"
	headerForwardedURI    = "X-Forwarded-Uri"
	headerForwardedHost   = "X-Forwarded-Host"
	headerForwardedProto  = "X-Forwarded-Proto"
)

// HandleAuthorize serves GET|POST /v1/gateway/authorize (and /authorize/*
// for Envoy's path_prefix), the forward-auth endpoint: 200 with identity
// headers, 401 without a valid token, 403 when the policy refuses, 400
// when the original request cannot be read. Config.ForwardAuth decides
// where the original request comes from (see ForwardAuthMode); a mode's
// header that is missing is refused rather than guessed. Requests count
// against the per-client-IP limit (429 slow_down with Retry-After, RFC
// 6585 §4); behind a forward-auth proxy the client is the proxy.
func (g *Gateway) HandleAuthorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !g.limitIP(w, r) {
		return
	}
	orig, oerr := g.originalRequest(r)
	if oerr != nil {
		writeOAuth(w, oerr.Status, oerr)
		return
	}
	id, aerr := g.Authorize(r.Context(), AccessRequest{Method: orig.method, Path: orig.path, URL: orig.htu,
		Authorization: r.Header.Get("Authorization"), DPoP: r.Header.Values(HeaderDPoP)})
	if aerr != nil {
		writeAccessError(w, aerr)
		return
	}
	setIdentity(w.Header(), id)
	w.WriteHeader(http.StatusOK)
}

// original is the request a forward-auth proxy asks about.
type original struct {
	method string
	path   string // decoded, for the route
	htu    string // absolute, without query (RFC 9449 §4.3 check 9)
}

// originalRequest reads the original request the way g's mode says.
func (g *Gateway) originalRequest(r *http.Request) (*original, *OAuthError) {
	switch g.cfg.ForwardAuth {
	case ForwardAuthNginx, "":
		return g.fromHeaders(r, headerOriginalMethod, headerOriginalURI, false)
	case ForwardAuthTraefik:
		return g.fromHeaders(r, headerForwardedMethod, headerForwardedURI, true)
	case ForwardAuthEnvoy:
		// The check request is path_prefix + the original path as sent
		// (escaped), so it is decoded once, here, like any request path.
		escaped := r.URL.EscapedPath()
		rest, ok := strings.CutPrefix(escaped, AuthorizePath)
		if !ok || !strings.HasPrefix(rest, "/") {
			return nil, badOriginal("envoy mode: the original path follows %s/ (ext_authz path_prefix)", AuthorizePath)
		}
		p, err := url.PathUnescape(rest)
		if err != nil {
			return nil, badOriginal("envoy mode: the original path %q is not a path", rest)
		}
		return &original{method: r.Method, path: p, htu: g.cfg.Issuer + rest}, nil
	}
	return nil, &OAuthError{Code: "server_error", Status: http.StatusInternalServerError,
		Description: fmt.Sprintf("forward-auth mode %q is not configured right", g.cfg.ForwardAuth)}
}

// fromHeaders reads the method and the request-target from the two named
// headers, each required exactly once. With hostHeaders (Traefik) the
// DPoP htu's scheme and host come from X-Forwarded-Proto/-Host when they
// are sent; otherwise from Config.Issuer, whatever the request carries.
func (g *Gateway) fromHeaders(r *http.Request, methodHeader, uriHeader string, hostHeaders bool) (*original, *OAuthError) {
	method, ok := oneHeader(r, methodHeader)
	if !ok || !isToken(method) {
		return nil, badOriginal("%s mode: %s must be sent once, with the original method", g.mode(), methodHeader)
	}
	uri, ok := oneHeader(r, uriHeader)
	if !ok {
		return nil, badOriginal("%s mode: %s must be sent once, with the original request URI", g.mode(), uriHeader)
	}
	path, escaped, ok := parseTarget(uri)
	if !ok {
		return nil, badOriginal("the original URI %q is not a path", uri)
	}
	base := g.cfg.Issuer
	if hostHeaders {
		if host, ok := oneHeader(r, headerForwardedHost); ok {
			proto, ok := oneHeader(r, headerForwardedProto)
			if !ok {
				proto = "https"
			}
			b, ok := originOf(proto, host)
			if !ok {
				return nil, badOriginal("%s %q and %s %q are not a scheme and a host", headerForwardedProto, proto, headerForwardedHost, host)
			}
			base = b
		}
	}
	return &original{method: method, path: path, htu: base + escaped}, nil
}

func (g *Gateway) mode() ForwardAuthMode {
	if g.cfg.ForwardAuth == "" {
		return DefaultForwardAuthMode
	}
	return g.cfg.ForwardAuth
}

func badOriginal(format string, args ...any) *OAuthError {
	e := oauthErr("invalid_request", format, args...)
	e.Status = http.StatusBadRequest
	return e
}

// oneHeader returns the header's value if it is sent exactly once and not empty.
func oneHeader(r *http.Request, name string) (string, bool) {
	v := r.Header.Values(name)
	if len(v) != 1 || v[0] == "" {
		return "", false
	}
	return v[0], true
}

// parseTarget reads an HTTP request-target in origin form, or in absolute
// form whose scheme and host are ignored (RFC 9112 §3.2): the decoded path
// and its escaped form. "//a/b" is a path here, not an authority.
func parseTarget(uri string) (path, escaped string, ok bool) {
	u, err := url.ParseRequestURI(uri)
	if err != nil || u.Opaque != "" {
		return "", "", false
	}
	if u.Path == "" {
		if u.Host == "" {
			return "", "", false
		}
		u.Path = "/"
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", "", false
	}
	return u.Path, u.EscapedPath(), true
}

// originOf renders scheme://host when both are what they claim to be.
func originOf(proto, host string) (string, bool) {
	proto = strings.ToLower(proto)
	if proto != "http" && proto != "https" {
		return "", false
	}
	u, err := url.Parse(proto + "://" + host)
	if err != nil || u.Host != host || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return proto + "://" + host, true
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, the syntax of a
// method (§9.1).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
