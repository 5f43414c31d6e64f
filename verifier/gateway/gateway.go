// Package gateway exchanges a verified presentation for a short-lived access
// token (OAuth 2.0 Token Exchange, RFC 8693), publishes the keys that verify
// those tokens (JWKS), and enforces them in front of other services: as a
// reverse proxy, as a forward-auth endpoint (nginx auth_request, Traefik
// ForwardAuth, Envoy ext_authz), as Go middleware, and by token
// introspection (RFC 7662). It owns challenges (one-time nonces), the
// rotating token-signing keys, DPoP proof checks (RFC 9449), rate limits,
// and the policy decision (CEL policies); verification itself is the
// verifier's.
package gateway

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// Defaults (named in the README).
const (
	DefaultNonceTTL       = 5 * time.Minute
	DefaultTokenTTL       = 5 * time.Minute
	DefaultMaxCredentials = 10
	DefaultTimeout        = 10 * time.Second
)

// RFC 8693 identifiers.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
)

// Endpoint paths (the DPoP htu of a token request is Issuer + TokenPath).
const (
	TokenPath      = "/v1/gateway/token"
	AuthorizePath  = "/v1/gateway/authorize"
	IntrospectPath = "/v1/gateway/introspect"
)

// Config wires a Gateway. Verifier and Nonces may be nil in a gateway that
// only enforces tokens (Authorize, Middleware, Introspect).
type Config struct {
	Issuer   string // the public URL: iss of tokens and the presentations' expected audience
	Verifier *verifier.Verifier
	Nonces   NonceStore
	Keys     KeySource
	Policy   *Policy
	JTIs     JTIStore // DPoP proof ids; default in-memory (replicas need a shared one)
	Limits   RateLimits
	NonceTTL time.Duration
	TokenTTL time.Duration
	// MaxCredentials caps the credentials of one presentation, refused as
	// too_large before any signature is checked (default DefaultMaxCredentials).
	MaxCredentials int
	// Timeout bounds one exchange or authorization, DID resolution included.
	Timeout time.Duration
	// ForwardAuth names the proxy in front of HandleAuthorize, which
	// decides the only headers the original request is read from
	// (default DefaultForwardAuthMode, nginx).
	ForwardAuth ForwardAuthMode
	Now         func() time.Time
	// Audit, when set, is told every token decision with the verified (or
	// refused) presentation; cmd/cflow wires api.Events.Token, which
	// writes the audit log and the metrics.
	Audit AuditFunc
	// AuditTx, when set and Nonces is a NonceSpender, records every
	// decision taken after the presentation's nonce is reserved in the
	// transaction that consumes the nonce: one durable commit per
	// exchange instead of two. Audit still records the other decisions.
	AuditTx AuditTxFunc
}

// AuditFunc receives one token decision; res is nil when the request was
// refused before the presentation was verified.
type AuditFunc func(ctx context.Context, res *verifier.Result, resp *TokenResponse, dec *Decision, oerr *OAuthError)

// AuditTxFunc is AuditFunc for a decision taken once the presentation's
// nonce is reserved: it returns the write that records the decision, run
// in the transaction that consumes the nonce, and committed, called once
// that transaction is durable (for metrics). Either may be nil. If the
// commit fails, no token goes out and Audit records the refusal instead.
type AuditTxFunc func(ctx context.Context, res *verifier.Result, resp *TokenResponse, dec *Decision, oerr *OAuthError) (write func(store.Tx) error, committed func())

// SetAudit installs Config.Audit on a built Gateway; call it before serving.
func (g *Gateway) SetAudit(f AuditFunc) { g.cfg.Audit = f }

// SetAuditTx installs Config.AuditTx on a built Gateway; call it before serving.
func (g *Gateway) SetAuditTx(f AuditTxFunc) { g.cfg.AuditTx = f }

// Gateway is the token exchange and enforcement service.
type Gateway struct {
	cfg      Config
	policy   atomic.Pointer[Policy]
	byIP     *keyedLimiter
	byHolder *keyedLimiter
	hdr      atomic.Pointer[encodedHeader] // the signing key's encoded token header
	inflight sync.Map                      // nonces reserved by exchanges not yet settled
}

// New returns a Gateway.
func New(cfg Config) *Gateway {
	if cfg.NonceTTL == 0 {
		cfg.NonceTTL = DefaultNonceTTL
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxCredentials <= 0 {
		cfg.MaxCredentials = DefaultMaxCredentials
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.JTIs == nil {
		cfg.JTIs = NewMemoryJTIs()
	}
	if cfg.ForwardAuth == "" {
		cfg.ForwardAuth = DefaultForwardAuthMode
	}
	d := DefaultRateLimits
	if cfg.Limits.PerIP == 0 {
		cfg.Limits.PerIP, cfg.Limits.IPBurst = d.PerIP, d.IPBurst
	}
	if cfg.Limits.PerHolder == 0 {
		cfg.Limits.PerHolder, cfg.Limits.HolderBurst = d.PerHolder, d.HolderBurst
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	g := &Gateway{cfg: cfg,
		byIP:     newKeyedLimiter(cfg.Limits.PerIP, cfg.Limits.IPBurst),
		byHolder: newKeyedLimiter(cfg.Limits.PerHolder, cfg.Limits.HolderBurst)}
	g.policy.Store(cfg.Policy)
	return g
}

// SetPolicy swaps the policy; requests in flight keep the one they started with.
func (g *Gateway) SetPolicy(p *Policy) { g.policy.Store(p) }

// Policy returns the policy in force.
func (g *Gateway) Policy() *Policy { return g.policy.Load() }

// Challenge is the answer of POST /v1/gateway/challenge.
type Challenge struct {
	Nonce     string `json:"nonce"`
	Audience  string `json:"audience"`
	ExpiresIn int    `json:"expires_in"`
}

// NewChallenge issues a one-time nonce.
func (g *Gateway) NewChallenge(ctx context.Context) (*Challenge, error) {
	n, err := g.cfg.Nonces.Issue(ctx, g.cfg.NonceTTL)
	if err != nil {
		return nil, err
	}
	return &Challenge{Nonce: n, Audience: g.cfg.Issuer, ExpiresIn: int(g.cfg.NonceTTL.Seconds())}, nil
}

// ExchangeRequest holds the RFC 8693 §2.1 parameters and, when the client
// wants a sender-constrained token, its DPoP proof (RFC 9449 §5).
type ExchangeRequest struct {
	GrantType          string
	SubjectToken       string
	SubjectTokenType   string
	Audience           string
	Scope              string
	RequestedTokenType string
	DPoP               string // the DPoP header of the token request, if any
}

// TokenResponse is RFC 8693 §2.2.1.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"` // Bearer, or DPoP (RFC 9449 §5)
	ExpiresIn       int    `json:"expires_in"`
	Scope           string `json:"scope,omitempty"`
}

// OAuthError is an RFC 6749 §5.2 error answer.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// VerificationCode is the verifier's stable code, for logs and metrics.
	VerificationCode string `json:"-"`
	// Status is the HTTP status (default 400); RetryAfter is set with 429.
	Status     int           `json:"-"`
	RetryAfter time.Duration `json:"-"`
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, format string, args ...any) *OAuthError {
	return &OAuthError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// grantErr refuses the presentation with the verifier's code first in the
// description, so clients can branch on it (issue: "with the code in
// error_description").
func grantErr(code, msg string) *OAuthError {
	return &OAuthError{Code: "invalid_grant", Description: code + ": " + msg, VerificationCode: code}
}

// Exchange verifies the presentation and mints an access token. The checks
// run in this order: request shape (RFC 8693 §2.1) → DPoP proof (RFC 9449
// §4.3, when sent) → policy for the audience exists → presentation pipeline
// (credential count before any signature, then signature, validity,
// status, holder binding, audience) → nonce single use → per-holder rate
// limit (after the nonce, so replays of a used presentation do not count
// against its holder) → policy (every credential, required rules, allow,
// scopes, claims).
//
// With a NonceSpender and Config.AuditTx, the nonce is reserved at its
// place in that order (checked unused in the store, and held in this
// process so a concurrent replay is refused as reused), and consumed at
// the end in the same durable commit as the decision's audit entry, before
// the answer: exactly as if it had been consumed first, since every path
// after the reservation settles it, refusals included. If that commit
// fails, the answer is a refusal and no token goes out.
func (g *Gateway) Exchange(ctx context.Context, req ExchangeRequest) (resp *TokenResponse, dec *Decision, oerr *OAuthError) {
	var res *verifier.Result // nil when refused before verification
	var reserved string      // the nonce to consume with the audit entry
	spender, _ := g.cfg.Nonces.(NonceSpender)
	if spender == nil || g.cfg.AuditTx == nil {
		spender = nil
	}
	defer func() {
		if reserved != "" {
			resp, oerr = g.settle(context.WithoutCancel(ctx), spender, reserved, res, resp, dec, oerr)
			return
		}
		if g.cfg.Audit != nil {
			g.cfg.Audit(ctx, res, resp, dec, oerr)
		}
	}()
	if req.GrantType != GrantTypeTokenExchange {
		return nil, nil, oauthErr("unsupported_grant_type", "grant_type must be %s", GrantTypeTokenExchange)
	}
	if req.SubjectToken == "" {
		return nil, nil, oauthErr("invalid_request", "subject_token is required")
	}
	if req.SubjectTokenType != TokenTypeJWT {
		return nil, nil, oauthErr("invalid_request", "subject_token_type must be %s", TokenTypeJWT)
	}
	if req.RequestedTokenType != "" && req.RequestedTokenType != TokenTypeAccessToken && req.RequestedTokenType != TokenTypeJWT {
		return nil, nil, oauthErr("invalid_request", "requested_token_type %q is not supported", req.RequestedTokenType)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	jkt := ""
	if req.DPoP != "" {
		var err error
		if jkt, err = g.checkDPoP(ctx, req.DPoP, http.MethodPost, g.cfg.Issuer+TokenPath, ""); err != nil {
			if errors.Is(err, ErrDPoP) {
				return nil, nil, oauthErr("invalid_dpop_proof", "%v", err) // RFC 9449 §5
			}
			return nil, nil, oauthErr("server_error", "DPoP replay store unavailable")
		}
	}
	aud := strings.TrimSuffix(req.Audience, "/")
	if aud == "" {
		aud = g.cfg.Issuer
	}
	pol := g.policy.Load()
	if pol.forAudience(aud, g.cfg.Issuer) == nil {
		return nil, &Decision{Rule: "audience"}, oauthErr("invalid_target", "no policy issues tokens for audience %q", aud) // RFC 8693 §2.2.2
	}
	var subject any = req.SubjectToken
	if strings.HasPrefix(strings.TrimSpace(req.SubjectToken), "{") {
		// An ldp_vp (Data Integrity proof) travels as its JSON object.
		var doc map[string]any
		if err := jsonx.CheckStrict([]byte(req.SubjectToken)); err != nil {
			return nil, nil, oauthErr("invalid_request", "subject_token is not a JWT or a JSON presentation: %v", err)
		}
		if err := json.Unmarshal([]byte(req.SubjectToken), &doc); err != nil {
			return nil, nil, oauthErr("invalid_request", "subject_token is not a JSON object: %v", err)
		}
		subject = doc
	}
	res = g.cfg.Verifier.VerifyPresentation(ctx, subject, verifier.Options{Domain: g.cfg.Issuer, MaxCredentials: g.cfg.MaxCredentials})
	if !res.Verified {
		e := res.Errors[0]
		return nil, nil, grantErr(e.Code, e.Message)
	}
	if res.Nonce == "" {
		return nil, nil, grantErr(vc.CodeChallengeMismatch, "the presentation carries no nonce; get one from /v1/gateway/challenge")
	}
	if spender != nil {
		if err := g.reserve(ctx, spender, res.Nonce); err != nil {
			return nil, nil, nonceErr(err)
		}
		reserved = res.Nonce
	} else if err := g.cfg.Nonces.Consume(ctx, res.Nonce); err != nil {
		return nil, nil, nonceErr(err)
	}
	// The holder is counted only now that its nonce is spent (or reserved,
	// to be spent whatever the outcome): anyone who saw a used
	// presentation can replay it, and if replays counted they would lock
	// its holder out. A refusal here spends the nonce too.
	if ok, wait := g.byHolder.allow(res.Holder, g.cfg.Now()); !ok {
		return nil, nil, &OAuthError{Code: "slow_down", Description: "too many token requests for this holder; get a new challenge after Retry-After",
			Status: http.StatusTooManyRequests, RetryAfter: wait}
	}
	requested := strings.Fields(req.Scope)
	dec, err := pol.Evaluate(g.cfg.Issuer, Input{Holder: res.Holder, Credentials: res.Credentials,
		Request: Request{Audience: aud, Scopes: requested}, Now: g.cfg.Now()})
	if err != nil {
		var ve *vc.Error
		if errors.As(err, &ve) {
			return nil, dec, grantErr(ve.Code, ve.Message)
		}
		return nil, dec, oauthErr("invalid_target", "%v", err)
	}
	scopes := dec.Scopes
	if len(requested) > 0 {
		// RFC 6749 §3.3: grant what was asked for, never more; asking for a
		// scope the policy does not allow is invalid_scope (§5.2).
		scopes = nil
		for _, s := range requested {
			if !contains(dec.Scopes, s) {
				return nil, dec, oauthErr("invalid_scope", "scope %q is not granted by the presented credentials", s)
			}
			scopes = append(scopes, s)
		}
	}
	tok, err := g.mint(res.Holder, aud, scopes, dec.Claims, jkt)
	if err != nil {
		return nil, dec, oauthErr("server_error", "cannot sign the access token")
	}
	tt := "Bearer"
	if jkt != "" {
		tt = "DPoP"
	}
	return &TokenResponse{AccessToken: tok, IssuedTokenType: TokenTypeAccessToken, TokenType: tt,
		ExpiresIn: int(g.cfg.TokenTTL.Seconds()), Scope: strings.Join(scopes, " ")}, dec, nil
}

func nonceErr(err error) *OAuthError {
	switch {
	case errors.Is(err, ErrNonceReused):
		return grantErr(vc.CodeNonceReused, "this presentation's nonce was already used")
	case errors.Is(err, ErrNonceUnknown):
		return grantErr(vc.CodeNonceUnknown, "this presentation's nonce was not issued here or has expired")
	}
	return oauthErr("server_error", "nonce store unavailable")
}

// reserve holds nonce for this exchange: refused if another exchange in
// this process holds it, or if the store says it is used or unknown.
func (g *Gateway) reserve(ctx context.Context, sp NonceSpender, nonce string) error {
	if _, held := g.inflight.LoadOrStore(nonce, struct{}{}); held {
		return ErrNonceReused
	}
	if err := sp.Check(ctx, nonce); err != nil {
		g.inflight.Delete(nonce)
		return err
	}
	return nil
}

// settle consumes the reserved nonce in the commit that records the
// decision, and releases the reservation. If the nonce cannot be consumed
// (used or expired meanwhile, or the store failed), the exchange is
// refused instead and that refusal is audited.
func (g *Gateway) settle(ctx context.Context, sp NonceSpender, nonce string, res *verifier.Result, resp *TokenResponse, dec *Decision, oerr *OAuthError) (*TokenResponse, *OAuthError) {
	defer g.inflight.Delete(nonce)
	write, committed := g.cfg.AuditTx(ctx, res, resp, dec, oerr)
	err := sp.Spend(ctx, nonce, write)
	if err == nil {
		if committed != nil {
			committed()
		}
		return resp, oerr
	}
	oerr = nonceErr(err)
	if g.cfg.Audit != nil {
		g.cfg.Audit(ctx, res, nil, dec, oerr)
	}
	return nil, oerr
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// accessClaims are the registered claims of an access token (RFC 9068
// §2.2); a policy's own claims are merged in beside them (policies may not
// use these names, see reserved).
type accessClaims struct {
	Iss   string    `json:"iss"`
	Sub   string    `json:"sub"`
	Aud   []string  `json:"aud"`
	Iat   int64     `json:"iat"`
	Nbf   int64     `json:"nbf"`
	Exp   int64     `json:"exp"`
	Jti   string    `json:"jti"`
	Scope string    `json:"scope"`
	Cnf   *cnfClaim `json:"cnf,omitempty"`
}

type cnfClaim struct {
	JKT string `json:"jkt"` // RFC 9449 §6.1
}

// tokenHeader is the protected header of an access token (RFC 9068 §2.1:
// typ at+jwt), encoded once per signing key.
type tokenHeader struct {
	Alg jwa.SignatureAlgorithm `json:"alg"`
	Kid string                 `json:"kid"`
	Typ string                 `json:"typ"`
}

type encodedHeader struct {
	kid string
	b64 string // base64url of the header JSON
}

// eddsa is jwx's EdDSA signer: it signs the JWS signing input (RFC 7515
// §5.1 step 5) with the crypto.Signer the key source hands out.
var eddsa = func() jws.Signer {
	s, err := jws.NewSigner(jwa.EdDSA)
	if err != nil {
		panic(err) // jwx always registers EdDSA
	}
	return s
}()

// mint signs an access token (RFC 9068 shape: typ at+jwt); jkt binds it to
// a DPoP key (RFC 9449 §6.1: cnf.jkt). The payload is one json.Marshal of
// a struct and the header is encoded once per key, so a token costs its
// signature and little else; jwx's signer makes the signature and jwx
// parses every token back (Authenticate, the tests).
func (g *Gateway) mint(holder, aud string, scopes []string, claims map[string]any, jkt string) (string, error) {
	signer, pub, err := g.cfg.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	hdr, err := g.header(pub.KeyID())
	if err != nil {
		return "", err
	}
	now := g.cfg.Now().Unix()
	c := accessClaims{Iss: g.cfg.Issuer, Sub: holder, Aud: []string{aud}, Iat: now, Nbf: now,
		Exp: now + int64(g.cfg.TokenTTL/time.Second), Jti: uuid.NewString(), Scope: strings.Join(scopes, " ")}
	if jkt != "" {
		c.Cnf = &cnfClaim{JKT: jkt}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("gateway: build token: %w", err)
	}
	if len(claims) > 0 {
		extra, err := json.Marshal(claims)
		if err != nil {
			return "", fmt.Errorf("gateway: build token: %w", err)
		}
		// Both are JSON objects with disjoint members: join their bodies.
		payload = append(append(payload[:len(payload)-1], ','), extra[1:]...)
	}
	b64 := base64.RawURLEncoding
	out := make([]byte, 0, len(hdr)+1+b64.EncodedLen(len(payload))+1+b64.EncodedLen(ed25519.SignatureSize))
	out = append(append(out, hdr...), '.')
	out = b64.AppendEncode(out, payload)
	sig, err := eddsa.Sign(out, signer)
	if err != nil {
		return "", fmt.Errorf("gateway: sign token: %w", err)
	}
	out = b64.AppendEncode(append(out, '.'), sig)
	return string(out), nil
}

// header returns the encoded protected header for the key kid.
func (g *Gateway) header(kid string) (string, error) {
	if h := g.hdr.Load(); h != nil && h.kid == kid {
		return h.b64, nil
	}
	raw, err := json.Marshal(tokenHeader{Alg: jwa.EdDSA, Kid: kid, Typ: "at+jwt"})
	if err != nil {
		return "", fmt.Errorf("gateway: token header: %w", err)
	}
	h := &encodedHeader{kid: kid, b64: base64.RawURLEncoding.EncodeToString(raw)}
	g.hdr.Store(h)
	return h.b64, nil
}

// Identity is what a valid access token says.
type Identity struct {
	Subject string
	Scopes  []string
	JKT     string // the DPoP key thumbprint the token is bound to, if any
	Policy  string // the policy that admitted the request (enforcement only)
	Token   jwt.Token
}

// ErrTokenInvalid is returned for a missing, malformed, expired or foreign token.
var ErrTokenInvalid = errors.New("access token invalid")

// Authenticate validates an access token minted here: signature against the
// gateway's JWKS (so a key rotated out of it no longer verifies), iss,
// exp/nbf (AcceptableSkew), and audience when aud is set.
func (g *Gateway) Authenticate(token, aud string) (*Identity, error) {
	set, err := g.cfg.Keys.PublicKeys()
	if err != nil {
		return nil, err
	}
	opts := []jwt.ParseOption{jwt.WithKeySet(set, jws.WithRequireKid(true)), jwt.WithValidate(true),
		jwt.WithIssuer(g.cfg.Issuer), jwt.WithClock(jwt.ClockFunc(g.cfg.Now)), jwt.WithAcceptableSkew(AcceptableSkew)}
	if aud != "" {
		opts = append(opts, jwt.WithAudience(aud))
	}
	t, err := jwt.ParseString(token, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	id := &Identity{Subject: t.Subject(), Token: t}
	if s, ok := t.Get("scope"); ok {
		if str, ok := s.(string); ok {
			id.Scopes = strings.Fields(str)
		}
	}
	if c, ok := t.Get("cnf"); ok {
		m, _ := c.(map[string]any)
		id.JKT, _ = m["jkt"].(string)
		if id.JKT == "" {
			return nil, fmt.Errorf("%w: cnf without jkt", ErrTokenInvalid)
		}
	}
	return id, nil
}
