// Package gateway exchanges a verified presentation for a short-lived access
// token (OAuth 2.0 Token Exchange, RFC 8693), publishes the keys that verify
// those tokens (JWKS), and enforces them in front of other services as a
// reverse proxy. It owns challenges (one-time nonces), the token-signing key,
// and the policy decision; verification itself is the verifier's.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// Defaults (named in the README).
const (
	DefaultNonceTTL = 5 * time.Minute
	DefaultTokenTTL = 5 * time.Minute
)

// RFC 8693 identifiers.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
)

// Config wires a Gateway.
type Config struct {
	Issuer   string // the public URL: iss of tokens and the presentations' expected audience
	Verifier *verifier.Verifier
	Nonces   NonceStore
	Keys     KeySource
	Policy   *Policy
	NonceTTL time.Duration
	TokenTTL time.Duration
	Now      func() time.Time
}

// Gateway is the token exchange service.
type Gateway struct {
	cfg    Config
	policy atomic.Pointer[Policy]
}

// New returns a Gateway.
func New(cfg Config) *Gateway {
	if cfg.NonceTTL == 0 {
		cfg.NonceTTL = DefaultNonceTTL
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg}
	g.policy.Store(cfg.Policy)
	return g
}

// SetPolicy swaps the policy; requests in flight keep the one they started with.
func (g *Gateway) SetPolicy(p *Policy) { g.policy.Store(p) }

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

// ExchangeRequest holds the RFC 8693 §2.1 parameters.
type ExchangeRequest struct {
	GrantType          string
	SubjectToken       string
	SubjectTokenType   string
	Audience           string
	Scope              string
	RequestedTokenType string
}

// TokenResponse is RFC 8693 §2.2.1.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int    `json:"expires_in"`
	Scope           string `json:"scope,omitempty"`
}

// OAuthError is an RFC 6749 §5.2 error answer.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// VerificationCode is the verifier's stable code, for logs and metrics.
	VerificationCode string `json:"-"`
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
// run in this order: request shape (RFC 8693 §2.1) → presentation pipeline
// (signature, validity, status, holder binding, audience) → nonce single use
// → policy (trusted issuers, scopes).
func (g *Gateway) Exchange(ctx context.Context, req ExchangeRequest) (*TokenResponse, *Decision, *OAuthError) {
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
	res := g.cfg.Verifier.VerifyPresentation(ctx, subject, verifier.Options{Domain: g.cfg.Issuer})
	if !res.Verified {
		e := res.Errors[0]
		return nil, nil, grantErr(e.Code, e.Message)
	}
	if res.Nonce == "" {
		return nil, nil, grantErr(vc.CodeChallengeMismatch, "the presentation carries no nonce; get one from /v1/gateway/challenge")
	}
	if len(res.Credentials) == 0 {
		return nil, nil, grantErr(vc.CodePolicyDenied, "the presentation carries no credential")
	}
	if err := g.cfg.Nonces.Consume(ctx, res.Nonce); err != nil {
		switch {
		case errors.Is(err, ErrNonceReused):
			return nil, nil, grantErr(vc.CodeNonceReused, "this presentation's nonce was already used")
		case errors.Is(err, ErrNonceUnknown):
			return nil, nil, grantErr(vc.CodeNonceUnknown, "this presentation's nonce was not issued here or has expired")
		}
		return nil, nil, oauthErr("server_error", "nonce store unavailable")
	}
	pol := g.policy.Load()
	dec, err := pol.Evaluate(res.Credentials)
	if err != nil {
		return nil, dec, grantErr(vc.CodeOf(err), err.(*vc.Error).Message)
	}
	scopes := dec.Scopes
	if req.Scope != "" {
		// RFC 6749 §3.3: grant what was asked for, never more; asking for a
		// scope the policy does not allow is invalid_scope (§5.2).
		scopes = nil
		for _, s := range strings.Fields(req.Scope) {
			if !contains(dec.Scopes, s) {
				return nil, dec, oauthErr("invalid_scope", "scope %q is not granted by the presented credentials", s)
			}
			scopes = append(scopes, s)
		}
	}
	aud := req.Audience
	if aud == "" {
		aud = g.cfg.Issuer
	}
	tok, err := g.mint(res.Holder, aud, scopes, dec.Claims)
	if err != nil {
		return nil, dec, oauthErr("server_error", "cannot sign the access token")
	}
	return &TokenResponse{AccessToken: tok, IssuedTokenType: TokenTypeAccessToken, TokenType: "Bearer",
		ExpiresIn: int(g.cfg.TokenTTL.Seconds()), Scope: strings.Join(scopes, " ")}, dec, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// mint signs an access token (RFC 9068 shape: typ at+jwt).
func (g *Gateway) mint(holder, aud string, scopes []string, claims map[string]any) (string, error) {
	signer, pub, err := g.cfg.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	now := g.cfg.Now()
	b := jwt.NewBuilder().
		Issuer(g.cfg.Issuer).Subject(holder).Audience([]string{aud}).
		IssuedAt(now).NotBefore(now).Expiration(now.Add(g.cfg.TokenTTL)).JwtID(uuid.NewString()).
		Claim("scope", strings.Join(scopes, " "))
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	t, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("gateway: build token: %w", err)
	}
	h := jws.NewHeaders()
	if err := h.Set(jws.KeyIDKey, pub.KeyID()); err != nil {
		return "", err
	}
	if err := h.Set(jws.TypeKey, "at+jwt"); err != nil {
		return "", err
	}
	out, err := jwt.Sign(t, jwt.WithKey(jwa.EdDSA, signer, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("gateway: sign token: %w", err)
	}
	return string(out), nil
}

// Identity is what a valid access token says.
type Identity struct {
	Subject string
	Scopes  []string
	Token   jwt.Token
}

// ErrTokenInvalid is returned for a missing, malformed, expired or foreign token.
var ErrTokenInvalid = errors.New("access token invalid")

// Authenticate validates an access token minted here: signature against the
// gateway's JWKS, iss, exp/nbf (no skew beyond 5 s), and audience when aud is set.
func (g *Gateway) Authenticate(token, aud string) (*Identity, error) {
	set, err := g.cfg.Keys.PublicKeys()
	if err != nil {
		return nil, err
	}
	opts := []jwt.ParseOption{jwt.WithKeySet(set, jws.WithRequireKid(true)), jwt.WithValidate(true),
		jwt.WithIssuer(g.cfg.Issuer), jwt.WithClock(jwt.ClockFunc(g.cfg.Now)), jwt.WithAcceptableSkew(5 * time.Second)}
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
	return id, nil
}
