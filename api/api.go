// Package api is the HTTP surface of Credentialflow: the chi router, one
// handler per endpoint, request decoding under size and strictness limits,
// and RFC 9457 problem+json for every error (the token endpoint answers RFC
// 6749 errors instead). It depends on the role packages, never the reverse.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// DefaultMaxBody is the request body limit (1 MiB).
const DefaultMaxBody = 1 << 20

// Roles.
const (
	RoleIssuer   = "issuer"
	RoleVerifier = "verifier"
	RoleGateway  = "gateway"
	RoleResolver = "resolver"
)

// AllRoles is the default role set.
var AllRoles = []string{RoleIssuer, RoleVerifier, RoleGateway, RoleResolver}

// Upstream is a reverse-proxy route: requests under Prefix go to URL.
type Upstream struct {
	Prefix string
	URL    *url.URL
}

// Config wires the router. Role services are nil when the role is off.
type Config struct {
	Roles     []string
	Issuer    *issuer.Service
	Verifier  *verifier.Verifier
	Gateway   *gateway.Gateway
	Resolver  did.Resolver
	Upstreams []Upstream
	MaxBody   int64
	Logger    *slog.Logger
	Ready     func(context.Context) error
	// AdminToken, when set, is required as a Bearer token on the issuer's
	// write endpoints (create issuer, issue, change status, rotate).
	AdminToken string
	// Metrics, when set, instruments every route and serves /metrics;
	// Events audits and counts verifications (metrics_events.go).
	Metrics *Metrics
	Events  *Events
	// IPLimiter, when set, limits the verify endpoints per client IP
	// (429 problem+json); cmd/cflow shares the gateway's, so one address
	// has one --rate-ip budget. The gateway's endpoints, forward auth
	// included, count against the gateway's own limiter whatever this is.
	IPLimiter *gateway.IPLimiter
}

type server struct{ cfg Config }

// NewRouter builds the HTTP handler.
func NewRouter(cfg Config) http.Handler {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &server{cfg: cfg}
	r := chi.NewRouter()
	// No middleware.RealIP: it believes X-Forwarded-For / X-Real-IP /
	// True-Client-IP from anyone, and the reverse proxy derives the
	// upstream's X-Forwarded-For from RemoteAddr.
	// logRequests is outermost so refusals by the others (413, panics) are logged too.
	if cfg.Metrics != nil { // outermost, so 413s and panics are counted too
		r.Use(cfg.Metrics.instrument)
	}
	r.Use(s.logRequests, s.recoverer, s.limitBody)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "", "no such endpoint")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// RFC 9110 §15.5.6: a 405 MUST carry Allow. chi only sets it in its
		// own default handler, so list the methods this path answers.
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, req, http.StatusMethodNotAllowed, ProblemMethod, "", req.Method+" is not allowed here")
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.readyz)
	if cfg.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", cfg.Metrics.Handler())
	}
	has := func(role string) bool {
		for _, x := range cfg.Roles {
			if x == role {
				return true
			}
		}
		return false
	}
	if has(RoleIssuer) && cfg.Issuer != nil {
		r.Post("/v1/issuers", s.requireAdmin(s.createIssuer))
		r.Get("/v1/issuers", s.listIssuers)
		r.Get("/v1/issuers/{id}", s.getIssuer)
		r.Post("/v1/issuers/{id}/rotate", s.requireAdmin(s.rotateIssuer)) // rotate.go
		r.Post("/v1/credentials/issue", s.requireAdmin(s.issue))
		if cfg.Issuer.StatusEnabled() { // status.go
			r.Get("/v1/status/{listId}", s.getStatusList)
			r.Post("/v1/credentials/status", s.requireAdmin(s.updateStatus))
		}
	}
	if has(RoleVerifier) && cfg.Verifier != nil {
		r.Post("/v1/credentials/verify", s.limitIP(s.verifyCredential))
		r.Post("/v1/presentations/verify", s.limitIP(s.verifyPresentation))
	}
	if has(RoleResolver) && cfg.Resolver != nil {
		r.Get("/1.0/identifiers/*", s.resolve)
	}
	if has(RoleGateway) && cfg.Gateway != nil {
		r.Post("/v1/gateway/challenge", cfg.Gateway.HandleChallenge)
		r.Post("/v1/gateway/token", cfg.Gateway.HandleToken)
		r.Get("/.well-known/jwks.json", cfg.Gateway.HandleJWKS)
		r.Get("/v1/gateway/authorize", cfg.Gateway.HandleAuthorize)
		r.Post("/v1/gateway/authorize", cfg.Gateway.HandleAuthorize)
		r.Get("/v1/gateway/authorize/*", cfg.Gateway.HandleAuthorize)
		r.Post("/v1/gateway/authorize/*", cfg.Gateway.HandleAuthorize)
		r.Post("/v1/gateway/introspect", cfg.Gateway.HandleIntrospect)
		for _, u := range cfg.Upstreams {
			p := cfg.Gateway.ProxyRoute(u.URL, gateway.ProxyOptions{Prefix: u.Prefix, Logger: cfg.Logger})
			r.Handle(strings.TrimSuffix(u.Prefix, "/")+"/*", p)
		}
	}
	return r
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeProblem(w, r, http.StatusServiceUnavailable, ProblemInternal, "not_ready", err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// recoverer turns a panic into a logged 500 problem+json (chi's
// middleware.Recoverer answers an empty 500). http.ErrAbortHandler is
// re-raised so net/http aborts the response as intended.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.cfg.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "", "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; a larger one is refused with 413.
// The gateway's OAuth endpoints answer RFC 6749 §5.2 errors, 413 included,
// so their body is only capped here: the gateway refuses it, in its own
// shape, when reading the form runs into the cap.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oauth := r.URL.Path == gateway.TokenPath || r.URL.Path == gateway.IntrospectPath
		if r.ContentLength > s.cfg.MaxBody && !oauth {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "too_large", fmt.Sprintf("the body is over %d bytes", s.cfg.MaxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		next.ServeHTTP(w, r)
	})
}

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", ww.Status()), slog.Duration("took", time.Since(start)))
	})
}

// decode reads a strict JSON body into v, answering the problem itself.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeWith(w, r, v, jsonx.Unmarshal)
}

// decodeKnown is decode that also refuses members the request type does
// not define, for endpoints whose every option changes what is created.
func decodeKnown(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeWith(w, r, v, jsonx.UnmarshalKnown)
}

func decodeWith(w http.ResponseWriter, r *http.Request, v any, unmarshal func([]byte, any) error) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONMediaType(ct) {
		writeProblem(w, r, http.StatusUnsupportedMediaType, ProblemUnsupportedMT, "", "send application/json")
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "too_large", fmt.Sprintf("the body is over %d bytes", mbe.Limit))
			return false
		}
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "", "cannot read the body")
		return false
	}
	if err := unmarshal(body, v); err != nil {
		if errors.Is(err, jsonx.ErrDuplicateKey) {
			writeProblem(w, r, http.StatusBadRequest, ProblemDuplicateKey, "duplicate_key", err.Error())
			return false
		}
		writeProblem(w, r, http.StatusBadRequest, ProblemMalformedJSON, "malformed", err.Error())
		return false
	}
	return true
}

// isJSONMediaType accepts application/json and any application/*+json
// (RFC 6839 §3.1), with parameters; prefixes such as application/jsonx or
// text/plain+json are not JSON.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}
