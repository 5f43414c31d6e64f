package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/credentialflow/cflow/internal/vc"
)

// Identity headers set for upstreams and forward-auth answers; any a client
// sends, in any spelling an upstream could read as ours
// (isIdentityHeader), are removed first.
const (
	HeaderSubject = "X-Credentialflow-Subject"
	HeaderScope   = "X-Credentialflow-Scope"
	HeaderPolicy  = "X-Credentialflow-Policy"
	headerPrefix  = "X-Credentialflow-"
)

// AccessRequest is one request for a protected resource, however it reached
// the gateway (proxy, forward-auth, middleware).
type AccessRequest struct {
	Method        string // the original method
	Path          string // the original path, decoded: selects the route's policy once its dot segments are resolved
	URL           string // the original absolute URL without query (DPoP htu)
	Authorization string // the Authorization header
	DPoP          []string
}

// AccessError refuses an access request: 401 (no, invalid or unproven
// token, RFC 6750 §3.1 / RFC 9449 §7.1) or 403 (the policy refuses).
type AccessError struct {
	Status      int
	Code        string // invalid_token, invalid_dpop_proof, insufficient_scope, invalid_request
	Description string
	Rule        string // the policy rule that refused, for 403
	Scheme      string // the scheme to challenge with (Bearer or DPoP)
}

func (e *AccessError) Error() string { return e.Code + ": " + e.Description }

// Authorize is the one decision every enforcement mode makes: pick the
// route's policy, validate the token for that policy's audience, check
// its DPoP binding, then the policy's access expression.
func (g *Gateway) Authorize(ctx context.Context, r AccessRequest) (*Identity, *AccessError) {
	scheme, tok, ok := strings.Cut(r.Authorization, " ")
	tok = strings.TrimSpace(tok)
	dpop := strings.EqualFold(scheme, "DPoP")
	if !ok || tok == "" || !(dpop || strings.EqualFold(scheme, "Bearer")) {
		return nil, &AccessError{Status: http.StatusUnauthorized, Code: "invalid_token", Scheme: "Bearer",
			Description: "a Bearer (or DPoP) access token from /v1/gateway/token is required"}
	}
	// The route is chosen on the path with its dot segments resolved, which
	// is what an upstream that normalizes paths serves; one that does not
	// routes on the path as sent, so both must fall to the same policy.
	routePath, ok := cleanPath(r.Path)
	if !ok {
		return nil, &AccessError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the path holds a NUL or a backslash"}
	}
	pol := g.policy.Load()
	cp := pol.forRoute(routePath, g.cfg.Issuer)
	if cp == nil {
		return nil, &AccessError{Status: http.StatusForbidden, Code: "insufficient_scope", Rule: "route",
			Description: fmt.Sprintf("no policy governs %s", routePath)}
	}
	if routePath != r.Path && pol.forRoute(r.Path, g.cfg.Issuer) != cp {
		return nil, &AccessError{Status: http.StatusForbidden, Code: "insufficient_scope", Rule: "route",
			Description: fmt.Sprintf("%s resolves to %s, which another policy governs", r.Path, routePath)}
	}
	id, err := g.Authenticate(tok, cp.audienceOr(g.cfg.Issuer))
	if err != nil {
		return nil, &AccessError{Status: http.StatusUnauthorized, Code: "invalid_token", Scheme: "Bearer",
			Description: "the access token is invalid, expired, or not for this audience"}
	}
	if id.JKT != "" || dpop {
		// RFC 9449 §7.1: a bound token needs the DPoP scheme and a proof by
		// its key over this request and this token (ath).
		if !dpop || id.JKT == "" {
			return nil, &AccessError{Status: http.StatusUnauthorized, Code: "invalid_token", Scheme: "DPoP",
				Description: "a DPoP-bound token is sent with the DPoP scheme, a Bearer token with Bearer"}
		}
		if len(r.DPoP) != 1 {
			return nil, &AccessError{Status: http.StatusUnauthorized, Code: "invalid_dpop_proof", Scheme: "DPoP",
				Description: "exactly one DPoP proof header is required"}
		}
		ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
		defer cancel()
		jkt, err := g.checkDPoP(ctx, r.DPoP[0], r.Method, r.URL, tok)
		if err != nil || jkt != id.JKT {
			desc := "the proof's key is not the one the token is bound to"
			if err != nil {
				desc = err.Error()
			}
			return nil, &AccessError{Status: http.StatusUnauthorized, Code: "invalid_dpop_proof", Scheme: "DPoP", Description: desc}
		}
	}
	if err := cp.checkAccess(func() celToken {
		claims, _ := id.Token.AsMap(ctx)
		for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "cnf"} {
			delete(claims, k)
		}
		ct := celToken{Sub: id.Subject, Scopes: id.Scopes, Aud: id.Token.Audience(), Claims: toStruct(claims), JKT: id.JKT}
		if ct.Scopes == nil {
			ct.Scopes = []string{}
		}
		return ct
	}, Request{Audience: cp.audienceOr(g.cfg.Issuer), Route: routePath, Method: r.Method}, g.cfg.Now()); err != nil {
		var ve *vc.Error
		desc := err.Error()
		if errors.As(err, &ve) {
			desc = ve.Message
		}
		return nil, &AccessError{Status: http.StatusForbidden, Code: "insufficient_scope", Rule: cp.name + "/access", Description: desc}
	}
	id.Policy = cp.name
	return id, nil
}

// writeAccessError answers RFC 6750 §3 / RFC 9449 §7.1 style.
func writeAccessError(w http.ResponseWriter, e *AccessError) {
	if e.Status == http.StatusUnauthorized {
		scheme := e.Scheme
		if scheme == "" {
			scheme = "Bearer"
		}
		v := scheme + ` realm="credentialflow"`
		if e.Code != "" {
			v += `, error="` + e.Code + `"`
		}
		if scheme == "DPoP" {
			v += `, algs="EdDSA ES256 ES384"`
		}
		w.Header().Set("WWW-Authenticate", v)
	}
	writeOAuth(w, e.Status, &OAuthError{Code: e.Code, Description: e.Description})
}

// stripIdentity removes identity headers a client sent: they only ever come from us.
func stripIdentity(h http.Header) {
	for k := range h {
		if isIdentityHeader(k) {
			delete(h, k)
		}
	}
}

// isIdentityHeader reports whether an upstream may read the header name as
// one of ours. CGI (RFC 3875 §4.1.18) and the servers modelled on it (PHP,
// WSGI, Rack) turn '-' into '_' and upper-case the name, so
// X_Credentialflow_Subject reaches them as HTTP_X_CREDENTIALFLOW_SUBJECT,
// exactly like X-Credentialflow-Subject; some also fold '.' the same way.
// So every byte that is not a letter or digit counts as the prefix's '-',
// and letters compare without case.
func isIdentityHeader(name string) bool {
	if len(name) < len(headerPrefix) {
		return false
	}
	for i := 0; i < len(headerPrefix); i++ {
		c, want := name[i], headerPrefix[i]
		if want == '-' {
			if isAlnum(c) {
				return false
			}
			continue
		}
		if c|0x20 != want|0x20 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func setIdentity(h http.Header, id *Identity) {
	h.Set(HeaderSubject, id.Subject)
	h.Set(HeaderScope, strings.Join(id.Scopes, " "))
	h.Set(HeaderPolicy, id.Policy)
}

// ProxyOptions configure one reverse-proxy route.
type ProxyOptions struct {
	// Prefix is the path prefix the route serves ("/api/"); a request whose
	// path, dot segments resolved, leaves it is refused. Default "/".
	Prefix string
	// Logger receives upstream failures and the proxy's own error log;
	// default slog.Default().
	Logger *slog.Logger
}

// Proxy is ProxyRoute for a route that serves every path.
func (g *Gateway) Proxy(upstream *url.URL) http.Handler {
	return g.ProxyRoute(upstream, ProxyOptions{})
}

// ProxyRoute forwards requests to upstream only with an access token the
// route's policy accepts, with the verified identity in
// X-Credentialflow-Subject / -Scope / -Policy. The path is passed on as
// sent unless it has dot segments or empty segments: then it is passed on
// with them resolved (RFC 3986 §5.2.4), and refused with 400 when that
// leaves o.Prefix, so /api/../admin never reaches an upstream that would
// resolve it to /admin. The decoded path is what is resolved, so
// /api/%2e%2e/admin and /api/..%2fadmin count as dot segments too.
func (g *Gateway) ProxyRoute(upstream *url.URL, o ProxyOptions) http.Handler {
	if o.Prefix == "" {
		o.Prefix = "/"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	rp := &httputil.ReverseProxy{
		// Rewrite runs after ReverseProxy removed the hop-by-hop headers
		// (RFC 9110 §7.6.1), including any the client named in Connection;
		// identity headers set before that could be removed by naming them
		// there, so they are set here, on the outgoing request.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
			pr.SetXForwarded()
			stripIdentity(pr.Out.Header)
			if id, ok := IdentityFrom(pr.In.Context()); ok {
				setIdentity(pr.Out.Header, id)
			}
		},
		// Every outgoing fetch has a timeout.
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   64,
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			upstreamFailed(o.Logger, upstream, w, r, err)
		},
		// What ReverseProxy logs by itself (a body copy cut short, say).
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stripIdentity(r.Header) // before anything else
		clean, ok := cleanPath(r.URL.Path)
		if !ok {
			writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, CodeInvalidPath, "the path holds a NUL or a backslash")
			return
		}
		if !routeMatch(o.Prefix, clean) {
			writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, CodeInvalidPath,
				fmt.Sprintf("the path leaves %s once its dot segments are resolved", o.Prefix))
			return
		}
		id, aerr := g.Authorize(r.Context(), AccessRequest{Method: r.Method, Path: r.URL.Path, URL: g.cfg.Issuer + r.URL.EscapedPath(),
			Authorization: r.Header.Get("Authorization"), DPoP: r.Header.Values(HeaderDPoP)})
		if aerr != nil {
			writeAccessError(w, aerr)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
		if clean != r.URL.Path {
			u := *r.URL
			u.Path, u.RawPath = clean, ""
			r.URL = &u // WithContext made a shallow copy: the caller's URL is untouched
		}
		rp.ServeHTTP(w, r)
	})
}

// upstreamFailed answers a request the upstream did not: 502 problem+json
// (RFC 9110 §15.6.3), logged with the route and the cause; the query and
// the headers stay out of the log, they may carry secrets. A client that
// went away gets nothing written.
func upstreamFailed(log *slog.Logger, upstream *url.URL, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		log.LogAttrs(r.Context(), slog.LevelDebug, "proxy: client went away",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("upstream", upstream.Host))
		return
	}
	log.LogAttrs(r.Context(), slog.LevelError, "proxy: upstream failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("upstream", upstream.Host), slog.String("error", err.Error()))
	writeProblem(w, r, http.StatusBadGateway, ProblemBadGateway, CodeUpstream, "the upstream service could not be reached or did not answer in time")
}

// cleanPath resolves the dot segments of a decoded request path (RFC 3986
// §5.2.4) and collapses repeated slashes, keeping a final slash. ok is
// false for a path no upstream should be handed: one with a NUL, or with
// a backslash, which Windows servers read as a slash (so ..\ would be a
// dot segment there and not here).
func cleanPath(p string) (string, bool) {
	if strings.ContainsAny(p, "\x00\\") {
		return "", false
	}
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if c != "/" && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")) {
		c += "/"
	}
	return c, true
}

type identityKey struct{}

// IdentityFrom returns the identity Middleware put in the request context.
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	return id, ok
}

// Middleware protects a net/http (or chi) handler with the gateway's
// decision for the request's path: the handler runs only with a token the
// route's policy accepts, and finds the identity with IdentityFrom.
// Identity headers a client sent are removed. DPoP proofs are checked
// against the URL the request reached (scheme from TLS, r.Host, path).
func Middleware(g *Gateway) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			stripIdentity(r.Header)
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			id, aerr := g.Authorize(r.Context(), AccessRequest{Method: r.Method, Path: r.URL.Path,
				URL: scheme + "://" + r.Host + r.URL.EscapedPath(), Authorization: r.Header.Get("Authorization"), DPoP: r.Header.Values(HeaderDPoP)})
			if aerr != nil {
				writeAccessError(w, aerr)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
		})
	}
}

// IntrospectionResponse is RFC 7662 §2.2.
type IntrospectionResponse struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	Cnf       any      `json:"cnf,omitempty"`
}

// Introspect answers RFC 7662 §2.2 for a token: active only if it is one of
// ours, unexpired and verified by the current JWKS.
func (g *Gateway) Introspect(token string) *IntrospectionResponse {
	id, err := g.Authenticate(token, "")
	if err != nil {
		return &IntrospectionResponse{Active: false}
	}
	t := id.Token
	out := &IntrospectionResponse{Active: true, Scope: strings.Join(id.Scopes, " "), TokenType: "Bearer",
		Exp: t.Expiration().Unix(), Iat: t.IssuedAt().Unix(), Nbf: t.NotBefore().Unix(),
		Sub: t.Subject(), Aud: t.Audience(), Iss: t.Issuer(), Jti: t.JwtID()}
	if id.JKT != "" {
		out.TokenType = "DPoP"
		out.Cnf = map[string]string{"jkt": id.JKT}
	}
	return out
}

// HandleIntrospect serves POST /v1/gateway/introspect (RFC 7662 §2.1,
// form-encoded `token`). The answer reveals no more than the token's own
// (unencrypted) claims, so holding the token is the authorization; the
// endpoint is rate-limited per client IP against token scanning (§4).
func (g *Gateway) HandleIntrospect(w http.ResponseWriter, r *http.Request) {
	if !g.limitIP(w, r) || !readForm(w, r) {
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeOAuth(w, http.StatusBadRequest, oauthErr("invalid_request", "token is required (RFC 7662 §2.1)"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, g.Introspect(tok))
}
