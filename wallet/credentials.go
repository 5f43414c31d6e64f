package wallet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// MaxInputBytes bounds what Receive reads: a credential wrapped in the
// issue API's JSON answer.
const MaxInputBytes = 1 << 20

// minPrefix is the shortest id prefix Get and Delete accept.
const minPrefix = 4

// ErrInput means Receive could not find a credential in its input.
var ErrInput = errors.New("wallet: no credential found in the input")

// Entry is a stored credential.
type Entry struct {
	ID           string    `json:"id"`                     // wallet id
	CredentialID string    `json:"credentialId,omitempty"` // the credential's own id, if any
	Types        []string  `json:"types"`
	Issuer       string    `json:"issuer"`
	Subject      string    `json:"subject,omitempty"` // the wallet DID it is about, else its first subject id
	Format       string    `json:"format"`            // jwt_vc_json, vc+jwt or ldp_vc
	ValidFrom    time.Time `json:"validFrom,omitzero"`
	ValidUntil   time.Time `json:"validUntil,omitzero"`
	ReceivedAt   time.Time `json:"receivedAt"`
	Raw          string    `json:"raw"` // the credential as received: compact JWT, or the ldp_vc's compact JSON

	// Warnings the verifier raised on Receive (not stored).
	Warnings []verifier.Problem `json:"-"`
}

// Expired reports whether the credential's validity ended before now.
func (e Entry) Expired(now time.Time) bool { return !e.ValidUntil.IsZero() && now.After(e.ValidUntil) }

// ExtractJWT finds the compact JWT credential in raw: the JWT itself, a JSON
// string holding it, or the VC-API issue answer {"verifiableCredential": "…"}.
// Embedded-proof (ldp_vc) and SD-JWT credentials are ErrUnsupported.
func ExtractJWT(raw []byte) (string, error) {
	if len(raw) > MaxInputBytes {
		return "", fmt.Errorf("%w: input over %d bytes", ErrInput, MaxInputBytes)
	}
	raw = bytes.TrimSpace(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))
	if len(raw) == 0 {
		return "", fmt.Errorf("%w: input is empty", ErrInput)
	}
	var s string
	switch raw[0] {
	case '{':
		var doc map[string]any
		if err := jsonx.Unmarshal(raw, &doc); err != nil {
			return "", fmt.Errorf("%w: %v", ErrInput, err)
		}
		switch v := doc["verifiableCredential"].(type) {
		case string:
			s = v
		case map[string]any:
			return "", fmt.Errorf("%w: embedded-proof (ldp_vc) credentials; the wallet keeps JWT credentials", ErrUnsupported)
		case nil:
			if _, ok := doc["proof"]; ok {
				return "", fmt.Errorf("%w: embedded-proof (ldp_vc) credentials; the wallet keeps JWT credentials", ErrUnsupported)
			}
			return "", fmt.Errorf("%w: a JSON object without verifiableCredential", ErrInput)
		default:
			return "", fmt.Errorf("%w: verifiableCredential must be a JWT string", ErrInput)
		}
	case '"':
		if err := jsonx.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%w: %v", ErrInput, err)
		}
	default:
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if strings.Contains(s, "~") {
		return "", fmt.Errorf("%w: SD-JWT credentials", ErrUnsupported)
	}
	if strings.Count(s, ".") != 2 || strings.ContainsAny(s, " \t\r\n") {
		return "", fmt.Errorf("%w: not a compact JWT", ErrInput)
	}
	return s, nil
}

// Receive verifies a credential and stores it encrypted. raw is what
// ExtractJWT accepts, or an ldp_vc: a JSON credential with an embedded Data
// Integrity proof, bare or as the issue API's {"verifiableCredential": {…}}
// answer (ldp.go). A credential that fails verification is refused with
// ErrRejected wrapping a *vc.Error that carries the verifier's code. Unless
// force is set, a credential none of whose subjects is a DID of this wallet
// is refused with ErrNotMine. A nil v verifies with did:key and did:jwk and
// the JSON-LD contexts embedded in the binary.
func (w *Wallet) Receive(ctx context.Context, raw []byte, v *verifier.Verifier, force bool) (Entry, error) {
	input, token, err := extractCredential(raw)
	if err != nil {
		return Entry{}, err
	}
	if v == nil {
		v = w.defaultVerifier()
	}
	res := v.VerifyCredential(ctx, input)
	if !res.Verified || res.Credential == nil {
		p := verifier.Problem{Code: vc.CodeMalformed, Message: "no result"}
		if len(res.Errors) > 0 {
			p = res.Errors[0]
		}
		return Entry{}, fmt.Errorf("%w: %w", ErrRejected, &vc.Error{Code: p.Code, Message: p.Message})
	}
	c := res.Credential
	dids, err := w.DIDs()
	if err != nil {
		return Entry{}, err
	}
	subjects := c.SubjectIDs()
	subject := ""
	for _, d := range dids {
		if slices.Contains(subjects, d.DID) {
			subject = d.DID
			break
		}
	}
	if subject == "" {
		if !force {
			return Entry{}, fmt.Errorf("%w: it is about %s", ErrNotMine, describe(subjects))
		}
		if len(subjects) > 0 {
			subject = subjects[0]
		}
	}
	existing, err := w.List()
	if err != nil {
		return Entry{}, err
	}
	for _, e := range existing {
		if e.Raw == token {
			return e, fmt.Errorf("%w: stored as %s", ErrDuplicate, e.ID)
		}
	}
	id, err := newID()
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		ID: id, CredentialID: c.ID, Types: c.Types, Issuer: c.Issuer, Subject: subject,
		Format: c.Format, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
		ReceivedAt: w.now().UTC(), Raw: token,
	}
	sealed, err := w.seal("cred", id, e)
	if err != nil {
		return Entry{}, err
	}
	if err := w.creds.Create(id, sealed, 0); err != nil {
		return Entry{}, fmt.Errorf("wallet: store credential: %w", err)
	}
	e.Warnings = res.Warnings
	return e, nil
}

func describe(subjects []string) string {
	switch len(subjects) {
	case 0:
		return "no subject id"
	case 1:
		return subjects[0]
	}
	return strings.Join(subjects, ", ")
}

// List returns every stored credential, oldest first.
func (w *Wallet) List() ([]Entry, error) {
	var out []Entry
	err := w.creds.Each(0, func(id string, sealed []byte) error {
		var e Entry
		if err := w.unseal("cred", id, sealed, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wallet: list credentials: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ReceivedAt.Equal(out[j].ReceivedAt) {
			return out[i].ReceivedAt.Before(out[j].ReceivedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns the credential with wallet id id, or the only one whose id
// starts with id (at least 4 characters).
func (w *Wallet) Get(id string) (Entry, error) {
	key, err := w.resolveID(id)
	if err != nil {
		return Entry{}, err
	}
	sealed, err := w.creds.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, fmt.Errorf("%w: credential %s", ErrNotFound, id)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("wallet: get %s: %w", id, err)
	}
	var e Entry
	if err := w.unseal("cred", key, sealed, &e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Delete removes a credential (id as for Get).
func (w *Wallet) Delete(id string) error {
	key, err := w.resolveID(id)
	if err != nil {
		return err
	}
	if err := w.creds.Delete(key); err != nil {
		return fmt.Errorf("wallet: delete %s: %w", id, err)
	}
	return w.forgetStatus(key) // status.go
}

// resolveID maps an id or a unique prefix of one to the stored key.
func (w *Wallet) resolveID(id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: empty credential id", ErrNotFound)
	}
	if _, err := w.creds.Get(id); err == nil {
		return id, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("wallet: get %s: %w", id, err)
	}
	if len(id) < minPrefix {
		return "", fmt.Errorf("%w: credential %s", ErrNotFound, id)
	}
	var match []string
	err := w.creds.Each(0, func(k string, _ []byte) error {
		if strings.HasPrefix(k, id) {
			match = append(match, k)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("wallet: find %s: %w", id, err)
	}
	switch len(match) {
	case 0:
		return "", fmt.Errorf("%w: credential %s", ErrNotFound, id)
	case 1:
		return match[0], nil
	}
	return "", fmt.Errorf("%w: %s matches %s", ErrAmbiguous, id, strings.Join(match, ", "))
}
