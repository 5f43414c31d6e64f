package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// TestSingleCommitExchange: with AuditTx, the nonce is spent in the
// commit that records the decision; single use, spending on refusal,
// and no token without that commit all hold as with Consume.
func TestSingleCommitExchange(t *testing.T) {
	r := newRig(t, rigOptions{})
	log := audit.Open(r.db, nil)
	t.Cleanup(func() { log.Close() })
	var failWrite bool
	var mu sync.Mutex
	r.gw.SetAudit(func(ctx context.Context, res *verifier.Result, resp *TokenResponse, dec *Decision, oerr *OAuthError) {
		e := audit.Event{Type: audit.TypeTokenGranted, Decision: audit.DecisionAllow}
		if oerr != nil {
			e.Decision, e.Code = audit.DecisionDeny, oerr.VerificationCode+oerr.Code
		}
		if err := log.Record(context.WithoutCancel(ctx), e); err != nil { // as api.Events does
			t.Error(err)
		}
	})
	r.gw.SetAuditTx(func(ctx context.Context, res *verifier.Result, resp *TokenResponse, dec *Decision, oerr *OAuthError) (func(store.Tx) error, func()) {
		e := audit.Event{Type: audit.TypeTokenGranted, Decision: audit.DecisionAllow, Holder: res.Holder}
		if oerr != nil {
			e.Decision, e.Code = audit.DecisionDeny, oerr.Code
		}
		mu.Lock()
		fail := failWrite
		mu.Unlock()
		return func(tx store.Tx) error {
			if fail {
				return errors.New("disk full")
			}
			return log.Append(tx, e)
		}, nil
	})
	holder := newParty(t)
	c := r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil)
	present := func(scope string) ExchangeRequest {
		ch, err := r.gw.NewChallenge(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectToken: holder.present(t, ch.Nonce, testIssuer, c),
			SubjectTokenType: TokenTypeJWT, Scope: scope}
	}
	last := func(t *testing.T) audit.Entry {
		t.Helper()
		es, err := audit.Tail(r.db, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("tail: %v %v", es, err)
		}
		return es[0]
	}
	exchange := func(req ExchangeRequest) (*TokenResponse, *OAuthError) {
		resp, _, oerr := r.gw.Exchange(context.Background(), req)
		return resp, oerr
	}

	t.Run("ok/granted-then-replay-refused", func(t *testing.T) {
		req := present("")
		if _, oerr := exchange(req); oerr != nil {
			t.Fatal(oerr)
		}
		if e := last(t); e.Decision != audit.DecisionAllow || e.Holder != holder.did {
			t.Fatalf("audit %+v", e)
		}
		if _, oerr := exchange(req); oerr == nil || oerr.VerificationCode != vc.CodeNonceReused {
			t.Fatalf("replay: %v", oerr)
		}
		if e := last(t); e.Decision != audit.DecisionDeny || e.Code != vc.CodeNonceReused+"invalid_grant" {
			t.Fatalf("audit of the replay %+v", e)
		}
	})
	t.Run("ok/refusal-after-the-nonce-spends-it", func(t *testing.T) {
		req := present("admin")
		if _, oerr := exchange(req); oerr == nil || oerr.Code != "invalid_scope" {
			t.Fatalf("scope: %v", oerr)
		}
		if e := last(t); e.Decision != audit.DecisionDeny || e.Code != "invalid_scope" {
			t.Fatalf("audit %+v", e)
		}
		req.Scope = ""
		if _, oerr := exchange(req); oerr == nil || oerr.VerificationCode != vc.CodeNonceReused {
			t.Fatalf("replay after a refusal: %v", oerr)
		}
	})
	t.Run("ok/concurrent-replays-one-token", func(t *testing.T) {
		req := present("")
		var wg sync.WaitGroup
		var ok, reused, other int
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, oerr := exchange(req)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case oerr == nil:
					ok++
				case oerr.VerificationCode == vc.CodeNonceReused:
					reused++
				default:
					other++
				}
			}()
		}
		wg.Wait()
		if ok != 1 || reused != 7 || other != 0 {
			t.Fatalf("%d tokens, %d reused, %d other", ok, reused, other)
		}
	})
	t.Run("fail/no-token-without-the-audit-commit", func(t *testing.T) {
		req := present("")
		mu.Lock()
		failWrite = true
		mu.Unlock()
		resp, oerr := exchange(req)
		if resp != nil || oerr == nil || oerr.Code != "server_error" {
			t.Fatalf("%v %v", resp, oerr)
		}
		if e := last(t); e.Decision != audit.DecisionDeny || e.Code != "server_error" {
			t.Fatalf("audit of the failure %+v", e)
		}
		// Nothing was committed, so the nonce was not spent.
		mu.Lock()
		failWrite = false
		mu.Unlock()
		if _, oerr := exchange(req); oerr != nil {
			t.Fatalf("retry: %v", oerr)
		}
	})
	if _, err := audit.Verify(r.db); err != nil {
		t.Fatal(err)
	}
}
