package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// Standing of a credential, as Refresh records it and Status reports it.
const (
	StatusValid     = "valid"     // verified, status checked (or it has none)
	StatusRevoked   = "revoked"   // its revocation bit is set (permanent)
	StatusSuspended = "suspended" // its suspension bit is set
	StatusExpired   = "expired"   // past its validUntil / exp
	StatusInvalid   = "invalid"   // failed verification for another reason (Code says which)
	StatusUnknown   = "unknown"   // status could not be checked, or never was
)

// CodeNotChecked is the Code of a credential with a credentialStatus that
// no refresh has checked yet (the verifier's warning code for the same).
const CodeNotChecked = "status_not_checked"

// statusBucket keeps one sealed CredentialStatus per credential, under the
// credential's wallet id.
const statusBucket = "status"

// CredentialStatus is what the wallet knows about a credential's standing.
type CredentialStatus struct {
	Status  string `json:"status"`
	Code    string `json:"code,omitempty"` // the verifier's code when not valid
	Message string `json:"message,omitempty"`
	// CheckedAt is when Refresh checked; zero when the standing follows
	// from the credential alone (no credentialStatus, or past its expiry)
	// or was never checked.
	CheckedAt time.Time `json:"checkedAt,omitzero"`
}

// Refreshed is one credential's outcome of Refresh.
type Refreshed struct {
	Entry  Entry
	Status CredentialStatus
}

// Refresh verifies every stored credential again with v, which should
// check credential status (Bitstring Status List §3.2), and records each
// outcome, sealed like the credentials, with the time of the check. A
// credential the verifier refuses is revoked, suspended, expired or
// invalid (with the verifier's code); one whose status list could not be
// read (status_list_unavailable), or that v did not check, is unknown —
// never valid. A credential found revoked stays revoked, with the time it
// was found so. A nil v is the wallet's own verifier (did:key, did:jwk,
// embedded JSON-LD contexts) with status lists fetched over HTTP(S),
// loopback and private addresses refused.
//
// Refresh is not a verification verdict on the wallet: it fails only when
// the wallet itself cannot be read or written, or ctx ends.
func (w *Wallet) Refresh(ctx context.Context, v *verifier.Verifier) ([]Refreshed, error) {
	if v == nil {
		var err error
		if v, err = w.statusVerifier(); err != nil {
			return nil, err
		}
	}
	entries, err := w.List()
	if err != nil {
		return nil, err
	}
	out := make([]Refreshed, 0, len(entries))
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("wallet: refresh: %w", err)
		}
		// Revocation is permanent (Bitstring Status List §2.1, "revocation":
		// "cannot be reversed"): once seen, it is not asked again, and a
		// list that later cannot be read, or reads otherwise, does not undo it.
		prev, found, err := w.getStatus(e.ID)
		if err != nil {
			return out, err
		}
		if found && prev.Status == StatusRevoked {
			out = append(out, Refreshed{Entry: e, Status: prev})
			continue
		}
		st := check(ctx, v, e)
		st.CheckedAt = w.now().UTC()
		if err := w.putStatus(e.ID, st); err != nil {
			return out, err
		}
		out = append(out, Refreshed{Entry: e, Status: st})
	}
	return out, nil
}

// check verifies e and maps the outcome to a standing.
func check(ctx context.Context, v *verifier.Verifier, e Entry) CredentialStatus {
	input, err := e.Credential()
	if err != nil {
		return CredentialStatus{Status: StatusInvalid, Code: vc.CodeMalformed, Message: err.Error()}
	}
	res := v.VerifyCredential(ctx, input)
	if !res.Verified {
		p := verifier.Problem{Code: vc.CodeMalformed, Message: "no result"}
		if len(res.Errors) > 0 {
			p = res.Errors[0]
		}
		st := CredentialStatus{Status: StatusInvalid, Code: p.Code, Message: p.Message}
		switch p.Code {
		case vc.CodeRevoked:
			st.Status = StatusRevoked
		case vc.CodeSuspended:
			st.Status = StatusSuspended
		case vc.CodeExpired:
			st.Status = StatusExpired
		case vc.CodeStatusUnavailable:
			st.Status = StatusUnknown
		}
		return st
	}
	for _, p := range res.Warnings {
		if p.Code == CodeNotChecked {
			return CredentialStatus{Status: StatusUnknown, Code: p.Code, Message: p.Message}
		}
	}
	return CredentialStatus{Status: StatusValid}
}

// Status returns the standing of e at now: revoked if a refresh found it
// revoked (revocation is permanent); expired once its validity ended;
// otherwise what the last refresh found; without a refresh, valid for a
// credential that has no credentialStatus and unknown (CodeNotChecked) for
// one that has.
func (w *Wallet) Status(e Entry, now time.Time) (CredentialStatus, error) {
	rec, found, err := w.getStatus(e.ID)
	if err != nil {
		return CredentialStatus{}, err
	}
	switch {
	case found && (rec.Status == StatusRevoked || rec.Status == StatusExpired):
		return rec, nil
	case e.Expired(now):
		return CredentialStatus{Status: StatusExpired, Code: vc.CodeExpired,
			Message: "expired at " + e.ValidUntil.UTC().Format(time.RFC3339)}, nil
	case found:
		return rec, nil
	case !e.hasStatus():
		return CredentialStatus{Status: StatusValid}, nil
	}
	return CredentialStatus{Status: StatusUnknown, Code: CodeNotChecked,
		Message: "the credential has a credentialStatus that was never checked (cflow wallet refresh)"}, nil
}

// hasStatus reports whether the credential carries a credentialStatus. One
// that cannot be read counts as having one: its standing is then unknown
// rather than valid.
func (e Entry) hasStatus() bool {
	if e.Format == FormatLDPVC {
		doc, err := e.Credential()
		if err != nil {
			return true
		}
		_, ok := doc.(map[string]any)["credentialStatus"]
		return ok
	}
	t, err := vcjose.Parse(e.Raw)
	if err != nil {
		return true
	}
	c, _, _, err := vcjose.DecodeCredential(t)
	return err != nil || len(c.Status) > 0
}

func (w *Wallet) putStatus(id string, st CredentialStatus) error {
	sealed, err := w.seal("status", id, st)
	if err != nil {
		return err
	}
	if err := w.db.Bucket(statusBucket).Put(id, sealed); err != nil {
		return fmt.Errorf("wallet: store status of %s: %w", id, err)
	}
	return nil
}

func (w *Wallet) getStatus(id string) (CredentialStatus, bool, error) {
	var st CredentialStatus
	sealed, err := w.db.Bucket(statusBucket).Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("wallet: status of %s: %w", id, err)
	}
	if err := w.unseal("status", id, sealed, &st); err != nil {
		return st, false, err
	}
	return st, true, nil
}

// forgetStatus drops the recorded standing of a deleted credential.
func (w *Wallet) forgetStatus(id string) error {
	if err := w.db.Bucket(statusBucket).Delete(id); err != nil {
		return fmt.Errorf("wallet: delete status of %s: %w", id, err)
	}
	return nil
}

// statusVerifier is defaultVerifier plus status lists over HTTP(S),
// private addresses refused, ledger anchors not read (the wallet has no
// chain).
func (w *Wallet) statusVerifier() (*verifier.Verifier, error) {
	cfg := verifier.Config{Resolver: w.resolver, Now: w.now,
		Proofs: verifier.NewDataIntegrityProofs(dataintegrity.New(jsonld.New(), w.now), w.resolver)}
	checker, err := statuscheck.New(statuscheck.Config{Verifier: verifier.New(cfg), AnchorMode: statuscheck.AnchorOff, Now: w.now})
	if err != nil {
		return nil, fmt.Errorf("wallet: status checker: %w", err)
	}
	cfg.Status = checker
	return verifier.New(cfg), nil
}
