package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// newStatusEnv wires issuer and verifier with status lists the way
// cmd/cflow does: lists of this server are read in-process.
func newStatusEnv(t *testing.T) (*env, *issuer.Service) {
	t.Helper()
	iss, db, _ := issuertest.New(t)
	resolver := did.NewCache(did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{}}), did.CacheOptions{})
	if err := iss.EnableStatus(db, issuer.StatusConfig{BaseURL: publicURL}); err != nil {
		t.Fatal(err)
	}
	own := publicURL + issuer.StatusPath
	checker, err := statuscheck.New(statuscheck.Config{
		Verifier: verifier.New(verifier.Config{Resolver: resolver}),
		TTL:      time.Nanosecond, // no caching: each verification sees the latest version
		Fetcher: statuscheck.FetcherFunc(func(_ context.Context, u string) ([]byte, error) {
			pub, err := iss.StatusList(strings.TrimPrefix(u, own))
			if err != nil {
				return nil, err
			}
			return []byte(pub.Credential), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	v := verifier.New(verifier.Config{Resolver: resolver, Status: checker})
	h := api.NewRouter(api.Config{Roles: api.AllRoles, Issuer: iss, Verifier: v, Resolver: resolver})
	return &env{t: t, h: h, issuer: iss, resolver: resolver, verifier: v}, iss
}

func TestStatusList(t *testing.T) {
	e, iss := newStatusEnv(t)
	prof := e.createIssuer("HR", "", "")
	e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{"credentialSubject": map[string]any{"id": "did:example:h"}})
	ids := iss.StatusListIDs()
	if len(ids) != 1 {
		t.Fatalf("%d lists", len(ids))
	}
	path := "/v1/status/" + ids[0]
	r := e.do(http.MethodGet, path, "", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vc+jwt" || strings.Count(string(r.body), ".") != 2 {
		t.Fatalf("GET %s = %d %s %q", path, r.status, r.header.Get("Content-Type"), r.body)
	}
	etag := r.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || r.header.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("ETag %q Cache-Control %q", etag, r.header.Get("Cache-Control"))
	}
	t.Run("ok/not-modified", func(t *testing.T) {
		if r := e.do(http.MethodGet, path, "", nil, "If-None-Match", etag); r.status != http.StatusNotModified || len(r.body) != 0 {
			t.Errorf("If-None-Match = %d %q", r.status, r.body)
		}
	})
	t.Run("ok/other-etag", func(t *testing.T) {
		if r := e.do(http.MethodGet, path, "", nil, "If-None-Match", `"x"`); r.status != http.StatusOK {
			t.Errorf("If-None-Match other = %d", r.status)
		}
	})
	t.Run("fail/unknown-list", func(t *testing.T) {
		problem(t, e.do(http.MethodGet, "/v1/status/nope", "", nil), http.StatusNotFound, api.ProblemStatusListNotFound, "status_list_not_found")
	})
}

func TestUpdateStatus(t *testing.T) {
	e, iss := newStatusEnv(t)
	ctx := context.Background()
	r := e.postJSON("/v1/issuers", map[string]any{"name": "HR", "suspension": true})
	if r.status != http.StatusCreated {
		t.Fatalf("create issuer: %d %s", r.status, r.body)
	}
	profID := r.json(t)["id"].(string)
	newCred := func() (string, string) {
		jwt := e.issue(profID, "jwt_vc_json", map[string]any{"credentialSubject": map[string]any{"id": "did:example:h"}})
		return jwt, payloadOf(t, jwt)["jti"].(string)
	}
	set := func(id, purpose string, value any) response {
		return e.postJSON("/v1/credentials/status", map[string]any{"credentialId": id,
			"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose, "value": value}}})
	}
	verifyCode := func(jwt string) string {
		if _, err := iss.PublishStatusLists(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": jwt})
		if r.status == http.StatusOK {
			return ""
		}
		errs, _ := r.json(t)["errors"].([]any)
		if len(errs) == 0 {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		return errs[0].(map[string]any)["code"].(string)
	}

	t.Run("ok/revoke-then-verify-fails", func(t *testing.T) {
		jwt, id := newCred()
		if c := verifyCode(jwt); c != "" {
			t.Fatalf("fresh credential: %s", c)
		}
		r := set(id, "revocation", true)
		if r.status != http.StatusOK || r.json(t)["revoked"] != true {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if c := verifyCode(jwt); c != "revoked" {
			t.Fatalf("after revoke: %q, want revoked", c)
		}
		problem(t, set(id, "revocation", false), http.StatusConflict, api.ProblemStatusConflict, "revocation_permanent")
		problem(t, set(id, "suspension", false), http.StatusConflict, api.ProblemStatusConflict, "revocation_permanent")
	})
	t.Run("ok/suspend-then-reinstate", func(t *testing.T) {
		jwt, id := newCred()
		if r := set(id, "suspension", true); r.status != http.StatusOK {
			t.Fatalf("suspend: %d %s", r.status, r.body)
		}
		if c := verifyCode(jwt); c != "suspended" {
			t.Fatalf("after suspend: %q, want suspended", c)
		}
		if r := set(id, "suspension", false); r.status != http.StatusOK || r.json(t)["suspended"] != false {
			t.Fatalf("reinstate: %d %s", r.status, r.body)
		}
		if c := verifyCode(jwt); c != "" {
			t.Fatalf("after reinstate: %q", c)
		}
	})
	t.Run("ok/single-object", func(t *testing.T) {
		_, id := newCred()
		r := e.postJSON("/v1/credentials/status", map[string]any{"credentialId": id,
			"credentialStatus": map[string]any{"statusPurpose": "revocation", "value": true}})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	_, id := newCred()
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		typ    string
		code   string
	}{
		{"fail/unknown-credential", map[string]any{"credentialId": "urn:uuid:nope", "credentialStatus": []any{map[string]any{"statusPurpose": "revocation", "value": true}}}, 404, api.ProblemCredentialNotFound, "credential_not_found"},
		{"fail/no-id", map[string]any{"credentialStatus": []any{map[string]any{"statusPurpose": "revocation", "value": true}}}, 400, api.ProblemBadRequest, "invalid_request"},
		{"fail/no-value", map[string]any{"credentialId": id, "credentialStatus": []any{map[string]any{"statusPurpose": "revocation"}}}, 400, api.ProblemBadRequest, "invalid_request"},
		{"fail/message-purpose", map[string]any{"credentialId": id, "credentialStatus": []any{map[string]any{"statusPurpose": "message", "value": true}}}, 400, api.ProblemBadRequest, "invalid_request"},
		{"fail/other-type", map[string]any{"credentialId": id, "credentialStatus": []any{map[string]any{"type": "RevocationList2020", "statusPurpose": "revocation", "value": true}}}, 400, api.ProblemBadRequest, "invalid_request"},
		{"fail/no-status", map[string]any{"credentialId": id}, 400, api.ProblemBadRequest, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, e.postJSON("/v1/credentials/status", tc.body), tc.status, tc.typ, tc.code)
		})
	}
	t.Run("fail/suspend-on-revocation-only-profile", func(t *testing.T) {
		prof := e.createIssuer("Plain", "", "")
		jwt := e.issue(prof["id"].(string), "jwt_vc_json", map[string]any{"credentialSubject": map[string]any{"id": "did:example:h"}})
		problem(t, set(payloadOf(t, jwt)["jti"].(string), "suspension", true), http.StatusConflict, api.ProblemStatusConflict, "status_purpose_absent")
	})
}
