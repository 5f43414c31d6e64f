package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	issuance "github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// statusServer is a real issuer behind the real API router on a loopback
// port, with status lists published every 20 ms, the way `cflow serve`
// wires them.
type statusServer struct {
	t    testing.TB
	srv  *httptest.Server
	base string
}

func newStatusServer(t testing.TB) *statusServer {
	t.Helper()
	iss, db, _ := issuertest.New(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	if err := iss.EnableStatus(db, issuance.StatusConfig{BaseURL: base, PublishInterval: 20 * time.Millisecond, TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	resolver := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{}})
	srv.Config.Handler = api.NewRouter(api.Config{Roles: api.AllRoles, Issuer: iss,
		Verifier: verifier.New(verifier.Config{Resolver: resolver}), Resolver: resolver})
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { iss.RunStatusPublisher(ctx); close(done) }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	return &statusServer{t: t, srv: srv, base: base}
}

func (s *statusServer) post(path string, body any) map[string]any {
	s.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.t.Fatalf("POST %s: %v: %s", path, err, raw)
	}
	return m
}

// issue returns the issue API's answer, as a holder would save it.
func (s *statusServer) issue(profile, format, holder string) []byte {
	s.t.Helper()
	cred := map[string]any{"credentialSubject": map[string]any{"id": holder}}
	if format == FormatLDPVC {
		cred["@context"] = []any{vc.ContextV2}
		cred["type"] = []any{"VerifiableCredential"}
	}
	out := s.post("/v1/credentials/issue", map[string]any{"credential": cred, "options": map[string]any{"issuer": profile, "format": format}})
	b, _ := json.Marshal(out)
	return b
}

func (s *statusServer) setStatus(credID, purpose string, value bool) {
	s.t.Helper()
	s.post("/v1/credentials/status", map[string]any{"credentialId": credID,
		"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": purpose, "value": value}}})
}

// refreshVerifier is what `cflow wallet refresh --allow-private-fetch`
// builds: a fresh status checker per run, loopback allowed.
func refreshVerifier(t testing.TB, w *Wallet) *verifier.Verifier {
	t.Helper()
	cfg := verifier.Config{Resolver: w.resolver, Proofs: verifier.NewDataIntegrityProofs(dataintegrity.New(jsonld.New(), nil), w.resolver)}
	checker, err := statuscheck.New(statuscheck.Config{Verifier: verifier.New(cfg), AllowPrivate: true, AnchorMode: statuscheck.AnchorOff, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Status = checker
	return verifier.New(cfg)
}

// refreshUntil refreshes until every credential has the wanted standing
// (the list is republished within a publish interval), or fails after 5 s.
func refreshUntil(t *testing.T, w *Wallet, want map[string]string) []Refreshed {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := w.Refresh(context.Background(), refreshVerifier(t, w))
		if err != nil {
			t.Fatal(err)
		}
		ok := len(got) == len(want)
		for _, r := range got {
			ok = ok && r.Status.Status == want[r.Entry.ID]
		}
		if ok {
			return got
		}
		if time.Now().After(deadline) {
			for _, r := range got {
				t.Errorf("%s: %+v, want %s", r.Entry.ID, r.Status, want[r.Entry.ID])
			}
			t.FailNow()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func credentialID(t *testing.T, e Entry) string {
	t.Helper()
	if e.CredentialID == "" {
		t.Fatalf("credential %s has no id", e.ID)
	}
	return e.CredentialID
}

// TestRefresh: a JWT and an ldp_vc from a real issuer, checked against its
// published lists over HTTP: valid → revoked / suspended → reinstated →
// unknown once the server is gone; each standing sealed in the store with
// the time of its check.
func TestRefresh(t *testing.T) {
	s := newStatusServer(t)
	w, _ := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	profile := s.post("/v1/issuers", map[string]any{"name": "HR", "suspension": true})["id"].(string)
	ctx := context.Background()
	receive := func(format string) Entry {
		e, err := w.Receive(ctx, s.issue(profile, format, holder), nil, false)
		if err != nil {
			t.Fatalf("receive %s: %v", format, err)
		}
		return e
	}
	jwt, ldp, kept := receive("jwt_vc_json"), receive(FormatLDPVC), receive("vc+jwt")
	if ldp.Format != FormatLDPVC {
		t.Fatalf("ldp format %q", ldp.Format)
	}

	// Before any refresh: never checked.
	for _, e := range []Entry{jwt, ldp} {
		st, err := w.Status(e, time.Now())
		if err != nil || st != (CredentialStatus{Status: StatusUnknown, Code: CodeNotChecked, Message: st.Message}) {
			t.Errorf("ok/never-refreshed %s: %+v %v", e.Format, st, err)
		}
	}

	// The default verifier (nil) refuses loopback lists: unknown, not valid.
	def, err := w.Refresh(ctx, nil)
	if err != nil || len(def) != 3 {
		t.Fatalf("Refresh(nil): %v %v", def, err)
	}
	for _, r := range def {
		if r.Status.Status != StatusUnknown || r.Status.Code != vc.CodeStatusUnavailable || !strings.Contains(r.Status.Message, "private or loopback") {
			t.Errorf("fail/default-refuses-loopback %s: %+v", r.Entry.Format, r.Status)
		}
	}

	before := time.Now().UTC()
	got := refreshUntil(t, w, map[string]string{jwt.ID: StatusValid, ldp.ID: StatusValid, kept.ID: StatusValid})
	for _, r := range got {
		if r.Status.Code != "" || r.Status.CheckedAt.Before(before) || r.Status.CheckedAt.After(time.Now()) {
			t.Errorf("ok/valid %s: %+v", r.Entry.Format, r.Status)
		}
		if st, err := w.Status(r.Entry, time.Now()); err != nil || st != r.Status {
			t.Errorf("ok/valid %s: stored %+v %v, refresh said %+v", r.Entry.Format, st, err, r.Status)
		}
	}

	s.setStatus(credentialID(t, jwt), "revocation", true)
	s.setStatus(credentialID(t, ldp), "suspension", true)
	got = refreshUntil(t, w, map[string]string{jwt.ID: StatusRevoked, ldp.ID: StatusSuspended, kept.ID: StatusValid})
	for _, r := range got {
		want := map[string]string{jwt.ID: vc.CodeRevoked, ldp.ID: vc.CodeSuspended, kept.ID: ""}[r.Entry.ID]
		if r.Status.Code != want {
			t.Errorf("%s: code %q, want %q", r.Entry.Format, r.Status.Code, want)
		}
	}

	s.setStatus(credentialID(t, ldp), "suspension", false)
	refreshUntil(t, w, map[string]string{jwt.ID: StatusRevoked, ldp.ID: StatusValid, kept.ID: StatusValid})

	var revokedAt time.Time
	for _, r := range got {
		if r.Entry.ID == jwt.ID {
			revokedAt = r.Status.CheckedAt
		}
	}
	s.srv.Close()
	got = refreshUntil(t, w, map[string]string{jwt.ID: StatusRevoked, ldp.ID: StatusUnknown, kept.ID: StatusUnknown})
	for _, r := range got {
		switch {
		case r.Entry.ID == jwt.ID:
			// Revocation is permanent: an unreachable list does not undo it.
			if r.Status.Code != vc.CodeRevoked || !r.Status.CheckedAt.Equal(revokedAt) {
				t.Errorf("ok/revoked-sticks: %+v (revoked seen at %s)", r.Status, revokedAt)
			}
		case r.Status.Code != vc.CodeStatusUnavailable:
			t.Errorf("ok/server-gone %s: code %q, want %s", r.Entry.Format, r.Status.Code, vc.CodeStatusUnavailable)
		}
	}

	// Delete forgets the standing with the credential.
	if err := w.Delete(jwt.ID); err != nil {
		t.Fatal(err)
	}
	if _, found, err := w.getStatus(jwt.ID); found || err != nil {
		t.Errorf("status of a deleted credential: found %v, %v", found, err)
	}

	// Sealed at rest: nothing about the standing is in the clear.
	dir := w.Dir()
	w.Close()
	if hits := walkFor(t, dir, vc.CodeStatusUnavailable, "checkedAt", StatusSuspended); len(hits) != 0 {
		t.Errorf("in the clear: %v", hits)
	}
}

// TestStatusRules: the standing of credentials no status list decides —
// no credentialStatus, expiry, a verifier that does not check status, a
// verifier that refuses for another reason — before and after Refresh.
func TestStatusRules(t *testing.T) {
	w, _ := newWallet(t)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t)
	ctx := context.Background()
	now := time.Now()
	until := now.Add(time.Hour).UTC().Truncate(time.Second)
	receive := func(mod func(map[string]any)) Entry {
		e, err := w.Receive(ctx, []byte(is.issue(t, holder, nil, mod)), nil, false)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	plain := receive(nil)
	expiring := receive(func(d map[string]any) { d["expirationDate"] = vc.FormatDateTime(until) })
	withStatus := receive(func(d map[string]any) {
		d["credentialStatus"] = map[string]any{"id": "https://status.example/1#5", "type": "BitstringStatusListEntry",
			"statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://status.example/1"}
	})

	later := until.Add(time.Minute)
	for _, tc := range []struct {
		name string
		e    Entry
		at   time.Time
		want CredentialStatus
	}{
		{"ok/no-status-is-valid-unrefreshed", plain, now, CredentialStatus{Status: StatusValid}},
		{"ok/not-yet-expired", expiring, now, CredentialStatus{Status: StatusValid}},
		{"ok/expired-unrefreshed", expiring, later, CredentialStatus{Status: StatusExpired, Code: vc.CodeExpired,
			Message: "expired at " + until.Format(time.RFC3339)}},
		{"ok/status-never-checked", withStatus, now, CredentialStatus{Status: StatusUnknown, Code: CodeNotChecked,
			Message: "the credential has a credentialStatus that was never checked (cflow wallet refresh)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := w.Status(tc.e, tc.at); err != nil || got != tc.want {
				t.Errorf("Status = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}

	// A verifier without a status checker: the credential with a status is
	// unknown, never valid; the others valid.
	res, err := w.Refresh(ctx, testVerifier(w))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{plain.ID: StatusValid, expiring.ID: StatusValid, withStatus.ID: StatusUnknown}
	for _, r := range res {
		if r.Status.Status != want[r.Entry.ID] || r.Status.CheckedAt.IsZero() {
			t.Errorf("ok/no-checker %s: %+v, want %s", r.Entry.ID, r.Status, want[r.Entry.ID])
		}
	}
	if st, _ := w.Status(withStatus, now); st.Code != CodeNotChecked || st.CheckedAt.IsZero() {
		t.Errorf("ok/no-checker stored: %+v", st)
	}
	// Once past its expiry the refreshed-valid credential shows expired.
	if st, _ := w.Status(expiring, later); st.Status != StatusExpired {
		t.Errorf("ok/refreshed-then-expired: %+v", st)
	}

	// A verifier whose clock is past the expiry records expired; one that
	// cannot resolve did:key records invalid with its code.
	res, err = w.Refresh(ctx, verifier.New(verifier.Config{Resolver: w.resolver, Now: func() time.Time { return later.Add(time.Hour) }}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Entry.ID == expiring.ID && (r.Status.Status != StatusExpired || r.Status.Code != vc.CodeExpired) {
			t.Errorf("ok/refresh-expired: %+v", r.Status)
		}
	}
	res, err = w.Refresh(ctx, verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{})}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status.Status != StatusInvalid || r.Status.Code != vc.CodeMethodUnsupported {
			t.Errorf("fail/unresolvable %s: %+v", r.Entry.ID, r.Status)
		}
	}

	// A cancelled context stops the walk with an error, not a verdict.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Refresh(cctx, testVerifier(w)); !errors.Is(err, context.Canceled) {
		t.Errorf("fail/cancelled: %v", err)
	}
}

// BenchmarkRefresh: one credential re-checked against a real server's list
// (cached by the status checker after the first fetch) and its standing
// sealed and written.
func BenchmarkRefresh(b *testing.B) {
	s := newStatusServer(b)
	w, _ := newWallet(b)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		b.Fatal(err)
	}
	profile := s.post("/v1/issuers", map[string]any{"name": "HR"})["id"].(string)
	if _, err := w.Receive(context.Background(), s.issue(profile, "jwt_vc_json", holder), nil, false); err != nil {
		b.Fatal(err)
	}
	v := refreshVerifier(b, w)
	b.ResetTimer()
	for b.Loop() {
		res, err := w.Refresh(context.Background(), v)
		if err != nil || res[0].Status.Status != StatusValid {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkStatus: what `wallet list` pays per credential.
func BenchmarkStatus(b *testing.B) {
	w, _ := newWallet(b)
	holder, err := w.CreateDID(kms.Ed25519, "key")
	if err != nil {
		b.Fatal(err)
	}
	e, err := w.Receive(context.Background(), []byte(newIssuer(b).issue(b, holder, nil, nil)), nil, false)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		if st, err := w.Status(e, now); err != nil || st.Status != StatusValid {
			b.Fatalf("%+v %v", st, err)
		}
	}
}
