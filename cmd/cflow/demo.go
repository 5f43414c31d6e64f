package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/verifier/gateway"
	"github.com/credentialflow/cflow/wallet"
)

//go:embed demodata/employee.json
var demoCredential []byte

func newDemoCmd() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow end to end on a temporary data dir; exit 0 only if every step held",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), keep)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary data and wallet directories")
	return cmd
}

type demo struct {
	out    io.Writer
	step   int
	client *http.Client
	base   string
}

func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.step, fmt.Sprintf(format, args...))
}

func (d *demo) detail(format string, args ...any) {
	fmt.Fprintf(d.out, "   %s\n", fmt.Sprintf(format, args...))
}

func runDemo(ctx context.Context, out io.Writer, keep bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	tmp, err := os.MkdirTemp("", "cflow-demo-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Fprintf(out, "\n(kept %s)\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	d := &demo{out: out, client: &http.Client{Timeout: 30 * time.Second}}

	// A downstream API that shows what it received.
	received := make(chan http.Header, 4)
	downstream, err := listenAndServe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"hello": r.Header.Get(gateway.HeaderSubject), "scope": r.Header.Get(gateway.HeaderScope), "path": r.URL.Path,
		})
	}))
	if err != nil {
		return err
	}
	defer downstream.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.base = "http://" + ln.Addr().String()
	a, err := openApp(serverConfig{
		DataDir: tmp + "/server", PublicURL: d.base, Roles: api.AllRoles,
		Upstreams: []string{"/api/=http://" + downstream.Addr}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Status: demoStatusConfig(), // status_cmd.go
	})
	if err != nil {
		return err
	}
	defer a.Close()
	// The demo plays the issuer's staff too: its client carries the admin
	// token the issuer endpoints require.
	d.client = adminClient(a.adminToken)
	d.client.Timeout = 30 * time.Second
	srv := newHTTPServer(ln.Addr().String(), a.handler)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	d.say("Started the Credentialflow server at %s (issuer, verifier, gateway, resolver) and a downstream API behind it at %s/api/.", d.base, d.base)

	var prof struct{ ID, DID string }
	if err := d.post("/v1/issuers", `{"name":"Example Corp HR","method":"key","keyType":"Ed25519"}`, http.StatusCreated, &prof); err != nil {
		return err
	}
	d.say("Created an issuer profile for Example Corp HR.")
	d.detail("issuer DID: %s", prof.DID)

	w, err := wallet.Init(tmp+"/wallet", []byte("demo passphrase"))
	if err != nil {
		return err
	}
	defer w.Close()
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		return err
	}
	d.say("Created a holder wallet (encrypted at rest) and a holder DID in it.")
	d.detail("holder DID: %s", holder)

	var cred map[string]any
	if err := json.Unmarshal(demoCredential, &cred); err != nil {
		return err
	}
	cred["credentialSubject"].(map[string]any)["id"] = holder
	jwt, err := issueOverHTTP(d.client, d.base, prof.ID, "jwt_vc_json", cred)
	if err != nil {
		return err
	}
	d.say("The issuer issued an EmployeeCredential to the holder over REST (POST /v1/credentials/issue).")
	d.detail("claims: %s", compactJSON(cred["credentialSubject"]))
	d.detail("credential (JWT): %s…", jwt[:60])

	v := newOfflineVerifier()
	entry, err := w.Receive(ctx, []byte(jwt), v, false)
	if err != nil {
		return err
	}
	d.say("The wallet verified the credential and stored it (id %s).", entry.ID)

	var ch gateway.Challenge
	if err := d.post("/v1/gateway/challenge", `{}`, http.StatusOK, &ch); err != nil {
		return err
	}
	vp, err := w.Present(ctx, ch.Nonce, ch.Audience, nil, holder)
	if err != nil {
		return err
	}
	d.say("The gateway handed out a one-time challenge; the wallet signed a presentation bound to it.")
	d.detail("challenge: %s, audience: %s", ch.Nonce, ch.Audience)

	tok, oerr, err := d.exchange(vp)
	if err != nil {
		return err
	}
	if oerr != nil {
		return fmt.Errorf("token exchange refused: %s", oerr.Description)
	}
	d.say("The gateway verified the presentation and exchanged it for an access token (RFC 8693).")
	d.detail("scope: %q, expires in %d s", tok.Scope, tok.ExpiresIn)
	d.detail("token claims: %s", jwtClaims(tok.AccessToken))

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/api/hello", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set(gateway.HeaderSubject, "did:example:forged") // stripped by the gateway
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downstream call: %s: %s", resp.Status, body)
	}
	hdr := <-received
	if hdr.Get(gateway.HeaderSubject) != holder {
		return fmt.Errorf("downstream saw subject %q, want the holder %s", hdr.Get(gateway.HeaderSubject), holder)
	}
	d.say("Called the downstream API through the gateway with the token. The API received:")
	d.detail("%s: %s", gateway.HeaderSubject, hdr.Get(gateway.HeaderSubject))
	d.detail("%s: %s", gateway.HeaderScope, hdr.Get(gateway.HeaderScope))
	d.detail("(a forged %s header sent by the client was removed)", gateway.HeaderSubject)

	_, oerr, err = d.exchange(vp)
	if err != nil {
		return err
	}
	if oerr == nil || !strings.HasPrefix(oerr.Description, "nonce_reused") {
		return fmt.Errorf("a replayed presentation was not refused with nonce_reused: %+v", oerr)
	}
	d.say("Replayed the same presentation: refused.")
	d.detail("%s: %s", oerr.Code, oerr.Description)

	tampered := tamper(jwt)
	code, err := d.verifyCode(tampered)
	if err != nil {
		return err
	}
	if code != "signature_invalid" {
		return fmt.Errorf("a tampered credential was not refused with signature_invalid (got %q)", code)
	}
	d.say("Changed the department in the credential without re-signing it and asked the verifier: refused.")
	d.detail("code: %s", code)

	present := func(nonce, aud string) (string, error) { return w.Present(ctx, nonce, aud, nil, holder) }
	if err := d.revokeStep(ctx, present, jwt); err != nil { // status_cmd.go
		return err
	}

	fmt.Fprintf(d.out, "\nEvery step held.\n")
	return nil
}

func (d *demo) post(path, body string, want int, out any) error {
	return postJSON(d.client, d.base+path, []byte(body), want, out)
}

func (d *demo) exchange(vp string) (*gateway.TokenResponse, *gateway.OAuthError, error) {
	form := url.Values{
		"grant_type": {gateway.GrantTypeTokenExchange}, "subject_token": {vp}, "subject_token_type": {gateway.TokenTypeJWT},
	}
	resp, err := d.client.PostForm(d.base+"/v1/gateway/token", form)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e gateway.OAuthError
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, nil, fmt.Errorf("token endpoint: %s", resp.Status)
		}
		return nil, &e, nil
	}
	var t gateway.TokenResponse
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, nil, err
	}
	return &t, nil, nil
}

// verifyCode posts a credential to the verify endpoint and returns the first
// error code ("" when verified).
func (d *demo) verifyCode(jwt string) (string, error) {
	body, _ := json.Marshal(map[string]string{"verifiableCredential": jwt})
	resp, err := d.client.Post(d.base+"/v1/credentials/verify", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var res struct {
		Verified bool
		Errors   []struct{ Code string }
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return "", err
	}
	if res.Verified {
		return "", nil
	}
	if len(res.Errors) == 0 {
		return "", errors.New("not verified, but no error code")
	}
	return res.Errors[0].Code, nil
}

// tamper rewrites the department claim in a JWT's payload, keeping the signature.
func tamper(jwt string) string {
	parts := strings.Split(jwt, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"Finance"`, `"Treasury"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func jwtClaims(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "?"
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	return string(payload)
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type localServer struct {
	Addr string
	srv  *http.Server
}

func (l *localServer) Close() error { return l.srv.Close() }

func listenAndServe(h http.Handler) (*localServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := newHTTPServer(ln.Addr().String(), h)
	go func() { _ = srv.Serve(ln) }()
	return &localServer{Addr: ln.Addr().String(), srv: srv}, nil
}
