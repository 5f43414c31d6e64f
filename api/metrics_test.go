package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// observed is a router with metrics and a real audit log, wired as openApp does.
type observed struct {
	*env
	db      *store.DB
	log     *audit.Log
	metrics *api.Metrics
	events  *api.Events
}

func newObserved(t *testing.T, withStatus ...bool) *observed {
	t.Helper()
	iss, db, _ := issuertest.New(t) // closes db after the log (cleanups run last-in first-out)
	cache := did.NewCache(did.NewRegistry(map[string]did.Resolver{
		didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{},
	}), did.CacheOptions{})
	v := verifier.New(verifier.Config{Resolver: cache})
	if len(withStatus) > 0 && withStatus[0] {
		if err := iss.EnableStatus(db, issuer.StatusConfig{BaseURL: publicURL}); err != nil {
			t.Fatal(err)
		}
	}
	o := &observed{db: db, log: audit.Open(db, nil), metrics: api.NewMetrics()}
	t.Cleanup(func() { o.log.Close() })
	if err := o.metrics.WatchCache("did", cache.Stats); err != nil {
		t.Fatal(err)
	}
	o.events = api.NewEvents(o.log, o.metrics, nil)
	iss.UseAuditor(o.events)
	h := api.NewRouter(api.Config{
		Roles: []string{api.RoleIssuer, api.RoleVerifier, api.RoleResolver}, Issuer: iss, Verifier: v, Resolver: cache,
		Metrics: o.metrics, Events: o.events, Ready: func(context.Context) error { return db.Ping() },
	})
	o.env = &env{t: t, h: h, issuer: iss, resolver: cache, verifier: v}
	return o
}

func (o *observed) scrape(t *testing.T) string {
	t.Helper()
	r := o.do(http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	return string(r.body)
}

func TestMetricsAndAudit(t *testing.T) {
	o := newObserved(t)
	holder := newParty(t)
	prof := o.createIssuer("Metrics Corp", "key", "Ed25519")
	jwt := o.issue(prof["id"].(string), "jwt_vc_json", map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": holder.did, "employee": map[string]any{"name": "Alex", "salary": "secret-value-123"}},
	})
	if r := o.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": jwt}); r.status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	tampered := jwt[:len(jwt)-4] + "AAAA"
	if r := o.postJSON("/v1/credentials/verify", map[string]any{"verifiableCredential": tampered}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("verify tampered: %d %s", r.status, r.body)
	}
	for _, id := range []string{"a", "b"} {
		o.do(http.MethodGet, "/v1/issuers/"+id, "", nil)
	}
	o.do(http.MethodGet, "/no/such/path", "", nil)
	o.do("BREW", "/healthz", "", nil)

	body := o.scrape(t)
	for _, want := range []string{
		// per chi route pattern, not per raw path
		`cflow_http_requests_total{code="404",method="GET",route="/v1/issuers/{id}"} 2`,
		`cflow_http_requests_total{code="201",method="POST",route="/v1/credentials/issue"} 1`,
		`cflow_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`cflow_http_requests_total{code="405",method="other",route="unmatched"} 1`,
		`cflow_http_request_duration_seconds_count{method="POST",route="/v1/credentials/verify"} 2`,
		`cflow_verifications_total{code="ok",kind="credential"} 1`,
		`cflow_verifications_total{code="signature_invalid",kind="credential"} 1`,
		`cflow_audit_events_total{decision="issued",type="credential.issued"} 1`,
		`cflow_audit_events_total{decision="deny",type="credential.verified"} 1`,
		`cflow_cache_hits_total{cache="did"} `,
		`cflow_cache_hit_ratio{cache="did"} `,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/v1/issuers/a") {
		t.Error("/metrics carries a raw path")
	}

	entries, err := audit.Tail(o.db, 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ typ, decision, code, holder, issuer string }
	want := []row{
		{audit.TypeIssued, audit.DecisionIssued, "", holder.did, prof["did"].(string)},
		{audit.TypeVerifyCred, audit.DecisionAllow, "", "", prof["did"].(string)},
		{audit.TypeVerifyCred, audit.DecisionDeny, "signature_invalid", "", ""},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		got := row{e.Type, e.Decision, e.Code, e.Holder, e.Issuer}
		if got != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i+1, got, want[i])
		}
	}
	if e := entries[0]; len(e.CredentialIDs) != 1 || !strings.HasPrefix(e.CredentialIDs[0], "urn:uuid:") ||
		strings.Join(e.CredentialTypes, ",") != "VerifiableCredential,EmployeeCredential" || e.Format != "jwt_vc_json" {
		t.Errorf("issuance entry = %+v", e)
	}
	// No credential, claim or signature in the log.
	err = o.db.Bucket("audit").Each(0, func(_ string, v []byte) error {
		for _, secret := range []string{jwt[:40], "secret-value-123", "Alex"} {
			if strings.Contains(string(v), secret) {
				t.Errorf("audit entry carries %q: %s", secret, v[32:])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(o.db); err != nil || rep.Entries != 3 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// TestEventsToken drives the gateway's audit hook directly: a grant and a
// refusal with its verification code.
func TestEventsToken(t *testing.T) {
	o := newObserved(t)
	ctx := context.Background()
	res := &verifier.Result{Verified: true, Holder: "did:key:zHolder"}
	o.events.Token(ctx, res, &gateway.TokenResponse{Scope: "EmployeeCredential"}, &gateway.Decision{Rule: "trust"}, nil)
	o.events.Token(ctx, &verifier.Result{}, nil, nil, &gateway.OAuthError{Code: "invalid_grant", VerificationCode: "nonce_reused"})
	o.events.Token(ctx, nil, nil, &gateway.Decision{Rule: "scope"}, &gateway.OAuthError{Code: "invalid_scope"})
	var nilEvents *api.Events
	nilEvents.Token(ctx, res, nil, nil, nil) // no-op

	entries, err := audit.Tail(o.db, 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ decision, code, rule, holder, scope string }
	want := []row{
		{audit.DecisionAllow, "", "trust", "did:key:zHolder", "EmployeeCredential"},
		{audit.DecisionDeny, "nonce_reused", "", "", ""},
		{audit.DecisionDeny, "invalid_scope", "scope", "", ""},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d entries: %+v", len(entries), entries)
	}
	for i, e := range entries {
		if got := (row{e.Decision, e.Code, e.Rule, e.Holder, e.Scope}); got != want[i] || e.Type != audit.TypeTokenGranted {
			t.Errorf("entry %d = %s %+v, want %+v", i+1, e.Type, got, want[i])
		}
	}
	body := o.scrape(t)
	for _, want := range []string{
		`cflow_tokens_issued_total 1`,
		`cflow_verifications_total{code="ok",kind="token_exchange"} 1`,
		`cflow_verifications_total{code="nonce_reused",kind="token_exchange"} 1`,
		`cflow_verifications_total{code="invalid_scope",kind="token_exchange"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestLedgerCallsAndAuditFailures(t *testing.T) {
	o := newObserved(t)
	o.metrics.LedgerCall("anchor", nil)
	o.metrics.LedgerCall("anchor", io.EOF)
	var nilMetrics *api.Metrics
	nilMetrics.LedgerCall("anchor", nil)
	o.log.Close()
	if err := o.events.Record(context.Background(), audit.Event{Type: audit.TypeStatus, Decision: audit.DecisionChanged}); err == nil {
		t.Fatal("Record on a closed log succeeded")
	}
	body := o.scrape(t)
	for _, want := range []string{
		`cflow_ledger_calls_total{op="anchor",outcome="ok"} 1`,
		`cflow_ledger_calls_total{op="anchor",outcome="error"} 1`,
		`cflow_audit_failures_total 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestReadyzStoreClosed: /readyz answers 503 problem+json once the store is unusable.
func TestReadyzStoreClosed(t *testing.T) {
	o := newObserved(t)
	if r := o.do(http.MethodGet, "/readyz", "", nil); r.status != http.StatusOK {
		t.Fatalf("readyz with an open store: %d %s", r.status, r.body)
	}
	o.log.Close()
	o.db.Close()
	r := o.do(http.MethodGet, "/readyz", "", nil)
	p := problem(t, r, http.StatusServiceUnavailable, api.ProblemInternal, "not_ready")
	if d, _ := p["detail"].(string); !strings.Contains(d, "store") {
		t.Errorf("detail %q does not name the store", d)
	}
}

// TestStatusChangeAudited: revoking, suspending and reinstating each write
// one entry; a request that changes nothing writes none.
func TestStatusChangeAudited(t *testing.T) {
	o := newObserved(t, true)
	prof := o.createIssuer("Status Corp", "key", "Ed25519")
	r := o.postJSON("/v1/issuers", map[string]any{"name": "Suspending Corp", "suspension": true})
	if r.status != http.StatusCreated {
		t.Fatalf("issuer: %d %s", r.status, r.body)
	}
	susp := r.json(t)
	holder := newParty(t)
	issue := func(p map[string]any) string {
		jwt := o.issue(p["id"].(string), "jwt_vc_json", map[string]any{"credentialSubject": map[string]any{"id": holder.did}})
		return payloadOf(t, jwt)["jti"].(string)
	}
	set := func(id, purpose string, value bool, want int) {
		t.Helper()
		r := o.postJSON("/v1/credentials/status", map[string]any{"credentialId": id,
			"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose, "value": value}}})
		if r.status != want {
			t.Fatalf("status %s=%v: %d %s", purpose, value, r.status, r.body)
		}
	}
	a, b := issue(prof), issue(susp)
	set(a, "revocation", true, http.StatusOK)
	set(a, "revocation", true, http.StatusOK) // no change: no entry
	set(b, "suspension", true, http.StatusOK)
	set(b, "suspension", false, http.StatusOK)

	entries, err := audit.Tail(o.db, 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ typ, decision, status, id string }
	want := []row{
		{audit.TypeIssued, audit.DecisionIssued, "", a},
		{audit.TypeIssued, audit.DecisionIssued, "", b},
		{audit.TypeStatus, audit.DecisionChanged, "revoked", a},
		{audit.TypeStatus, audit.DecisionChanged, "suspended", b},
		{audit.TypeStatus, audit.DecisionChanged, "reinstated", b},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		got := row{e.Type, e.Decision, e.Status, ""}
		if len(e.CredentialIDs) == 1 {
			got.id = e.CredentialIDs[0]
		}
		if got != want[i] || e.Holder != holder.did {
			t.Errorf("entry %d = %+v (holder %s), want %+v", i+1, got, e.Holder, want[i])
		}
	}
}
