package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// TestEventsTokenTx: the gateway's single-commit hook appends the entry in
// the caller's transaction and counts it only once committed.
func TestEventsTokenTx(t *testing.T) {
	o := newObserved(t)
	ctx := context.Background()
	res := &verifier.Result{Verified: true, Holder: "did:key:zHolder"}
	write, committed := o.events.TokenTx(ctx, res, &gateway.TokenResponse{Scope: "EmployeeCredential"}, &gateway.Decision{Rule: "trust"}, nil)
	if write == nil || committed == nil {
		t.Fatal("no write or no committed hook for an audit log that appends in transactions")
	}
	if !strings.Contains(o.scrape(t), "cflow_tokens_issued_total 0") {
		t.Fatal("counted before the commit")
	}
	if err := o.db.Batch(write); err != nil {
		t.Fatal(err)
	}
	committed()
	deny, _ := o.events.TokenTx(ctx, res, nil, &gateway.Decision{Rule: "scope"}, &gateway.OAuthError{Code: "invalid_scope"})
	if err := o.db.Batch(deny); err != nil {
		t.Fatal(err)
	}
	var nilEvents *api.Events
	if w, c := nilEvents.TokenTx(ctx, res, nil, nil, nil); w != nil || c != nil {
		t.Fatal("nil Events returned hooks")
	}
	entries, err := audit.Tail(o.db, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Decision != audit.DecisionAllow || entries[0].Scope != "EmployeeCredential" ||
		entries[0].Holder != "did:key:zHolder" || entries[1].Decision != audit.DecisionDeny || entries[1].Code != "invalid_scope" {
		t.Fatalf("entries %+v", entries)
	}
	if !strings.Contains(o.scrape(t), "cflow_tokens_issued_total 1") {
		t.Fatal("the committed grant was not counted")
	}
}
