package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RFC 8693 §2.1 and §3 identifiers.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
)

// Gateway endpoints, relative to the gateway's base URL.
const (
	ChallengePath = "/v1/gateway/challenge"
	TokenPath     = "/v1/gateway/token"
)

// MaxResponseBytes bounds what the wallet reads from a gateway answer.
const MaxResponseBytes = 1 << 20

// DefaultHTTPTimeout bounds the whole exchange when the caller's client
// sets no timeout.
const DefaultHTTPTimeout = 30 * time.Second

// ErrGateway means the gateway answered something the wallet cannot use.
var ErrGateway = errors.New("wallet: gateway error")

// Challenge is the gateway's answer to POST /v1/gateway/challenge.
type Challenge struct {
	Nonce     string `json:"nonce"`
	Audience  string `json:"audience"`
	ExpiresIn int64  `json:"expires_in"`
}

// TokenResponse is the RFC 8693 §2.2.1 success response.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope,omitempty"`
}

// TokenError is a refusal from the gateway: RFC 6749 §5.2 (error,
// error_description) or, for non-OAuth endpoints, RFC 9457 problem details.
type TokenError struct {
	Status      int
	Code        string // RFC 6749 error, e.g. invalid_grant; or the problem type
	Description string
}

func (e *TokenError) Error() string {
	msg := fmt.Sprintf("wallet: gateway refused (HTTP %d)", e.Status)
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

func (e *TokenError) Unwrap() error { return ErrGateway }

// Token runs the gateway round trip: fetch a one-time challenge, present
// the credentials (as Present with no holder named) bound to its nonce and
// audience, and exchange the presentation for an access token (RFC 8693).
// A nil client uses one with DefaultHTTPTimeout.
//
// The presentation's audience is gatewayURL itself (scheme and host in
// lower case, no trailing slash), never what the challenge says: a
// challenge naming another audience is refused with ErrGateway, so a
// server that relays a real gateway's challenge gets nothing it can
// exchange there. Redirects are not followed (ErrGateway): the
// presentation goes to gatewayURL or nowhere.
func (w *Wallet) Token(ctx context.Context, gatewayURL string, credIDs []string, client *http.Client) (TokenResponse, error) {
	return w.token(ctx, gatewayURL, client, func(nonce, aud string) (string, error) {
		return w.Present(ctx, nonce, aud, credIDs, "")
	})
}

// token runs the round trip with present building the subject_token.
func (w *Wallet) token(ctx context.Context, gatewayURL string, client *http.Client, present func(nonce, aud string) (string, error)) (TokenResponse, error) {
	base, err := gatewayBase(gatewayURL)
	if err != nil {
		return TokenResponse{}, err
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	noRedirect := *client // the caller's client stays as it was
	noRedirect.CheckRedirect = refuseRedirect
	client = &noRedirect
	if client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultHTTPTimeout)
		defer cancel()
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+ChallengePath, strings.NewReader("{}"))
	if err != nil {
		return TokenResponse{}, fmt.Errorf("wallet: challenge: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	var ch Challenge
	if err := do(client, req, &ch); err != nil {
		return TokenResponse{}, fmt.Errorf("wallet: challenge from %s: %w", base, err)
	}
	if ch.Nonce == "" || ch.Audience == "" {
		return TokenResponse{}, fmt.Errorf("%w: the challenge has no nonce or no audience", ErrGateway)
	}
	// VCDM 1.1 §6.3.1 / RFC 7519 §4.1.3: aud names the party the holder
	// means to present to, which is the gateway the holder chose.
	if got := normalizeAudience(ch.Audience); got != base {
		return TokenResponse{}, fmt.Errorf("%w: the challenge names audience %q, not the gateway URL %q: refusing to present (give the gateway's public URL)", ErrGateway, ch.Audience, base)
	}

	vp, err := present(ch.Nonce, base)
	if err != nil {
		return TokenResponse{}, err
	}

	// RFC 8693 §2.1: form-encoded request to the token endpoint.
	form := url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {vp},
		"subject_token_type": {TokenTypeJWT},
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return TokenResponse{}, fmt.Errorf("wallet: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var tr TokenResponse
	if err := do(client, req, &tr); err != nil {
		return TokenResponse{}, fmt.Errorf("wallet: token from %s: %w", base, err)
	}
	if tr.AccessToken == "" {
		return TokenResponse{}, fmt.Errorf("%w: the token response has no access_token", ErrGateway)
	}
	return tr, nil
}

// gatewayBase checks the gateway URL and returns it normalized (see
// normalizeAudience); it is both where the wallet sends requests and the
// audience of the presentation.
func gatewayBase(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: gateway URL %q must be http(s)://host[:port][/path]", ErrGateway, s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%w: gateway URL %q takes no query, fragment or user info", ErrGateway, s)
	}
	return normalizeURL(u), nil
}

// normalizeURL is u with scheme and host in lower case (RFC 3986 §6.2.2.1)
// and no trailing slash; the port and path stay as written.
func normalizeURL(u *url.URL) string {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	n.Host = strings.ToLower(n.Host)
	return strings.TrimRight(n.String(), "/")
}

// normalizeAudience normalizes a challenge's audience like gatewayBase;
// anything that is not an absolute http(s) URL comes back as it is (and so
// matches no gateway URL).
func normalizeAudience(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return s
	}
	return normalizeURL(u)
}

// refuseRedirect is the CheckRedirect of every gateway request: a redirect
// would carry the presentation to wherever the gateway points (a 307/308
// re-sends the body), so the wallet stops at the 3xx and do reports it.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// do sends req and decodes a 2xx JSON answer into v; anything else becomes
// a *TokenError with what the gateway said.
func do(client *http.Client, req *http.Request, v any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return fmt.Errorf("%w: answer over %d bytes", ErrGateway, MaxResponseBytes)
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return fmt.Errorf("%w: HTTP %d redirect to %q not followed (the wallet talks only to the gateway URL it was given)", ErrGateway, resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return refusal(resp.StatusCode, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("%w: answer is %q, want application/json", ErrGateway, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", ErrGateway, err)
	}
	return nil
}

func refusal(status int, body []byte) *TokenError {
	e := &TokenError{Status: status}
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Type        string `json:"type"`
		Title       string `json:"title"`
		Detail      string `json:"detail"`
	}
	if json.Unmarshal(body, &b) == nil {
		switch {
		case b.Error != "":
			e.Code, e.Description = b.Error, b.Description
		case b.Type != "" || b.Title != "" || b.Detail != "":
			e.Code, e.Description = b.Type, b.Title
			if b.Detail != "" {
				e.Description = strings.TrimPrefix(e.Description+": "+b.Detail, ": ")
			}
		}
	}
	if e.Code == "" && e.Description == "" {
		e.Description = snippet(body)
	}
	return e
}

// snippet is a short, printable excerpt of an unexpected answer.
func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}
