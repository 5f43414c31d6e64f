package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// A chi service protected by gateway.Middleware: the handler runs only with
// an access token the route's policy accepts and reads the holder from the
// request context.
func ExampleMiddleware() {
	gw, token, done := exampleGateway()
	defer done()

	r := chi.NewRouter()
	r.Use(gateway.Middleware(gw))
	r.Get("/api/payslips", func(w http.ResponseWriter, req *http.Request) {
		id, _ := gateway.IdentityFrom(req.Context())
		fmt.Fprintf(w, "payslips of a holder with scopes %v", id.Scopes)
	})

	for _, auth := range []string{"", "Bearer " + token} {
		req := httptest.NewRequest(http.MethodGet, "/api/payslips", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 401 {"error":"invalid_token","error_description":"a Bearer (or DPoP) access token from /v1/gateway/token is required"}
	// 200 payslips of a holder with scopes [EmployeeCredential]
}

// exampleGateway runs the token exchange once (issuer → holder →
// presentation → token) on a throwaway store.
func exampleGateway() (*gateway.Gateway, string, func()) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	dir, err := os.MkdirTemp("", "gw-example-")
	must(err)
	db, err := store.Open(dir, store.Options{})
	must(err)
	keys, err := kms.New(db.Bucket("kms"), make([]byte, 32))
	must(err)
	gwKeys, err := gateway.NewKMSKeys(db, keys)
	must(err)
	newDID := func() (string, string, ed25519.PrivateKey) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		must(err)
		d, err := didkey.New(pub)
		must(err)
		return d, d + "#" + strings.TrimPrefix(d, "did:key:"), priv
	}
	issuer, issuerKid, issuerKey := newDID()
	holder, holderKid, holderKey := newDID()

	const url = "https://gateway.example"
	v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
	gw := gateway.New(gateway.Config{Issuer: url, Verifier: v, Nonces: gateway.NewBadgerNonces(db), Keys: gwKeys,
		Policy: gateway.DefaultPolicy(func(d string) bool { return d == issuer })})

	c, err := vc.ParseCredential(map[string]any{"@context": []any{vc.ContextV1}, "type": []any{"VerifiableCredential", "EmployeeCredential"},
		"issuer": issuer, "issuanceDate": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": holder, "name": "Alex"}})
	must(err)
	cred, err := vcjose.SignCredential(c, vcjose.JWTVCJSON, issuerKey, issuerKid)
	must(err)
	ch, err := gw.NewChallenge(context.Background())
	must(err)
	vp, err := vcjose.SignPresentation(map[string]any{"@context": []any{vc.ContextV1}, "type": []any{vc.TypePresentation},
		"verifiableCredential": []any{cred}}, vcjose.JWTVPJSON, holderKey, holderKid, holder, ch.Nonce, url, "urn:uuid:example", time.Now(), time.Minute)
	must(err)
	tok, _, oerr := gw.Exchange(context.Background(), gateway.ExchangeRequest{GrantType: gateway.GrantTypeTokenExchange,
		SubjectToken: vp, SubjectTokenType: gateway.TokenTypeJWT})
	if oerr != nil {
		panic(oerr)
	}
	return gw, tok.AccessToken, func() { db.Close(); os.RemoveAll(dir) }
}
