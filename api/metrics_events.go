package api

import (
	"context"
	"log/slog"

	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// Auditor appends to the audit log (*audit.Log).
type Auditor interface {
	Record(ctx context.Context, e audit.Event) error
}

var _ Auditor = (*audit.Log)(nil)

// TxAuditor is an Auditor that can append inside a store transaction
// (*audit.Log), so the gateway commits the entry with the nonce it spends.
type TxAuditor interface {
	Append(tx store.Tx, e audit.Event) error
}

var _ TxAuditor = (*audit.Log)(nil)

// Events turns what the roles decide into audit entries and metrics. It is
// the Auditor handed to the issuer (issuances, status changes), is called
// by the verify endpoints, and its Token method is the gateway's audit
// hook. A nil *Events, or one with a nil Auditor or Metrics, skips that part.
type Events struct {
	audit   Auditor
	metrics *Metrics
	log     *slog.Logger
}

// NewEvents returns Events writing to a (may be nil) and counting in m
// (may be nil); failures to write are logged on log (may be nil).
func NewEvents(a Auditor, m *Metrics, log *slog.Logger) *Events {
	return &Events{audit: a, metrics: m, log: log}
}

// Record appends e to the audit log and counts it. The error is the
// audit log's; callers that must not act unaudited (issuance) fail on it.
func (ev *Events) Record(ctx context.Context, e audit.Event) error {
	if ev == nil {
		return nil
	}
	ev.countEvent(e)
	if ev.audit == nil {
		return nil
	}
	// A client that hangs up, or an exchange that timed out, is audited
	// all the same: the append is not tied to the request's cancellation.
	err := ev.audit.Record(context.WithoutCancel(ctx), e)
	if err != nil {
		if ev.metrics != nil {
			ev.metrics.auditFailures.Inc()
		}
		if ev.log != nil {
			ev.log.LogAttrs(ctx, slog.LevelError, "audit", slog.String("type", e.Type), slog.String("err", err.Error()))
		}
	}
	return err
}

// Verified audits and counts a verification answered by the verify
// endpoints; typ is audit.TypeVerifyCred or audit.TypeVerifyPres. The
// answer does not wait on the audit outcome beyond the append itself: a
// failed append is logged and counted, the result still goes out.
func (ev *Events) Verified(ctx context.Context, typ string, res *verifier.Result) {
	if ev == nil || res == nil {
		return
	}
	kind := "credential"
	if typ == audit.TypeVerifyPres {
		kind = "presentation"
	}
	e := audit.Event{Type: typ, Decision: audit.DecisionAllow, Holder: res.Holder}
	if !res.Verified && len(res.Errors) > 0 {
		e.Decision, e.Code = audit.DecisionDeny, res.Errors[0].Code
	}
	creds := res.Credentials
	if res.Credential != nil {
		creds = []*verifier.VerifiedCredential{res.Credential}
		e.Issuer = res.Credential.Issuer
	}
	e.CredentialIDs, e.CredentialTypes = describe(creds)
	ev.metrics.verification(kind, e.Code)
	_ = ev.Record(ctx, e)
}

// Token is the gateway's audit hook (gateway.Config.Audit): one entry per
// token decision, with the holder, the presented credentials' ids and
// types, the policy rule and the refusal code; never the tokens.
func (ev *Events) Token(ctx context.Context, res *verifier.Result, resp *gateway.TokenResponse, dec *gateway.Decision, oerr *gateway.OAuthError) {
	if ev == nil {
		return
	}
	e := tokenEvent(res, resp, dec, oerr)
	ev.countToken(e, resp)
	_ = ev.Record(ctx, e)
}

// TokenTx is Token for the decisions the gateway records in the commit
// that spends the presentation's nonce (gateway.Config.AuditTx): write
// appends the entry in that transaction, committed counts it once the
// commit is durable. An Auditor that cannot append in a transaction
// records the entry in its own commit from committed, before the answer.
func (ev *Events) TokenTx(ctx context.Context, res *verifier.Result, resp *gateway.TokenResponse, dec *gateway.Decision, oerr *gateway.OAuthError) (write func(store.Tx) error, committed func()) {
	if ev == nil {
		return nil, nil
	}
	e := tokenEvent(res, resp, dec, oerr)
	ta, ok := ev.audit.(TxAuditor)
	if !ok || ev.audit == nil {
		return nil, func() {
			ev.countToken(e, resp)
			_ = ev.Record(ctx, e)
		}
	}
	return func(tx store.Tx) error { return ta.Append(tx, e) }, func() {
		ev.countToken(e, resp)
		ev.countEvent(e)
	}
}

func (ev *Events) countEvent(e audit.Event) {
	if ev.metrics != nil {
		ev.metrics.events.WithLabelValues(e.Type, e.Decision).Inc()
	}
}

func (ev *Events) countToken(e audit.Event, resp *gateway.TokenResponse) {
	if e.Decision == audit.DecisionAllow && resp != nil && ev.metrics != nil {
		ev.metrics.tokens.Inc()
	}
	ev.metrics.verification("token_exchange", e.Code)
}

// tokenEvent is the audit entry of one token decision.
func tokenEvent(res *verifier.Result, resp *gateway.TokenResponse, dec *gateway.Decision, oerr *gateway.OAuthError) audit.Event {
	e := audit.Event{Type: audit.TypeTokenGranted, Decision: audit.DecisionAllow}
	if res != nil {
		e.Holder = res.Holder
		e.CredentialIDs, e.CredentialTypes = describe(res.Credentials)
	}
	if dec != nil {
		e.Rule = dec.Rule
	}
	switch {
	case oerr != nil:
		e.Decision, e.Code = audit.DecisionDeny, oerr.VerificationCode
		if e.Code == "" {
			e.Code = oerr.Code
		}
	case resp != nil:
		e.Scope = resp.Scope
	}
	return e
}

// describe lists credential ids and the distinct types beyond the base type.
func describe(creds []*verifier.VerifiedCredential) (ids, types []string) {
	for _, c := range creds {
		if c == nil || c.Credential == nil {
			continue
		}
		if c.ID != "" {
			ids = append(ids, c.ID)
		}
		for _, t := range c.Types {
			if t == "VerifiableCredential" || contains(types, t) {
				continue
			}
			types = append(types, t)
		}
	}
	return ids, types
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
