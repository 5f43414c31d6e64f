package issuer_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
)

// flaky fails AnchorBatch while down is set and counts calls; everything
// else is the real LedgerAnchorer on the embedded chain.
type flaky struct {
	*issuer.LedgerAnchorer
	down  atomic.Bool
	calls atomic.Int32
}

func (f *flaky) AnchorBatch(ctx context.Context, lists []issuer.ListHash) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errors.New("ledger down")
	}
	return f.LedgerAnchorer.AnchorBatch(ctx, lists)
}

type anchorEnv struct {
	l   *ledger.Ledger
	a   *ledger.StatusAnchor
	anc *flaky
	svc *issuer.Service
}

func newAnchorEnv(t *testing.T) *anchorEnv {
	t.Helper()
	l := ledgertest.Embedded(t)
	a, err := ledger.OpenStatusAnchor(context.Background(), l, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	anc := &flaky{LedgerAnchorer: issuer.NewLedgerAnchorer(a, l.ChainID, nil)}
	svc, db, _ := issuertest.New(t)
	if err := svc.EnableStatus(db, issuer.StatusConfig{BaseURL: statusBase, Anchorer: anc}); err != nil {
		t.Fatal(err)
	}
	return &anchorEnv{l: l, a: a, anc: anc, svc: svc}
}

// issueOn issues one credential from a new profile (so a new list) and
// returns its record id and list URL.
func (e *anchorEnv) issueOn(t *testing.T, name string) (string, string) {
	t.Helper()
	p, err := e.svc.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.Issue(context.Background(), issuer.Request{
		Credential: map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}}, Options: issuer.Options{Issuer: p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.Parse(out.Credential.(string))
	if err != nil {
		t.Fatal(err)
	}
	c, _, _, err := vcjose.DecodeCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	return out.Record.ID, c.Status[0]["statusListCredential"].(string)
}

func listID(url string) string { return url[len(statusBase+issuer.StatusPath):] }

// checkAnchored: the served bytes hash to the anchored latest, and the list
// names the anchor in its signed subject.
func (e *anchorEnv) checkAnchored(t *testing.T, url string) *issuer.PublishedList {
	t.Helper()
	pub, err := e.svc.StatusList(listID(url))
	if err != nil {
		t.Fatal(err)
	}
	rec, ok, err := e.a.Latest(context.Background(), e.l.Tx.From(), ledger.AnchorKey(url), nil)
	if err != nil || !ok {
		t.Fatalf("%s not anchored: %v", url, err)
	}
	if rec.Hash != sha256.Sum256([]byte(pub.Credential)) || !pub.Anchored {
		t.Fatalf("%s: version %d served (anchored=%v), another hash anchored", url, pub.Version, pub.Anchored)
	}
	tok, err := vcjose.Parse(pub.Credential)
	if err != nil {
		t.Fatal(err)
	}
	c, _, _, err := vcjose.DecodeCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"chain": "eip155:1337", "contract": e.a.Address().Hex(), "account": e.l.Tx.From().Hex()}
	if got := c.Subjects[0][issuer.AnchorProperty]; !reflect.DeepEqual(got, want) {
		t.Fatalf("anchor property %v, want %v", got, want)
	}
	return pub
}

func TestLedgerAnchorerOneTransactionPerRound(t *testing.T) {
	e := newAnchorEnv(t)
	ctx := context.Background()
	var creds, urls []string
	for _, name := range []string{"A", "B", "C"} {
		id, u := e.issueOn(t, name)
		creds, urls = append(creds, id), append(urls, u)
		e.checkAnchored(t, u) // version 1, anchored when the list opened
	}
	for _, id := range creds {
		if _, err := e.svc.SetStatus(ctx, id, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := e.l.Client.BlockNumber(ctx)
	calls := e.anc.calls.Load()
	if n, err := e.svc.PublishStatusLists(ctx); err != nil || n != 3 {
		t.Fatalf("publish = %d, %v", n, err)
	}
	after, _ := e.l.Client.BlockNumber(ctx)
	if after != before+1 || e.anc.calls.Load() != calls+1 {
		t.Fatalf("three changed lists took %d blocks and %d AnchorBatch calls, want 1 and 1", after-before, e.anc.calls.Load()-calls)
	}
	for _, u := range urls {
		if pub := e.checkAnchored(t, u); pub.Version != 2 {
			t.Fatalf("%s at version %d", u, pub.Version)
		}
	}
	h, at, err := e.anc.Latest(ctx, "", urls[0])
	if err != nil || at.IsZero() || h == ([32]byte{}) {
		t.Fatalf("Latest: %v", err)
	}
	if _, _, err := e.anc.Latest(ctx, "", statusBase+"/v1/status/nope"); !errors.Is(err, issuer.ErrNotAnchored) {
		t.Fatalf("fail/never-anchored: %v", err)
	}
}

// TestLedgerAnchorerDown: a round whose anchoring fails still serves the
// new version (revocation must not wait for a chain), unanchored; the next
// round anchors it even with nothing new to publish.
func TestLedgerAnchorerDown(t *testing.T) {
	e := newAnchorEnv(t)
	ctx := context.Background()
	id, u := e.issueOn(t, "A")
	if _, err := e.svc.SetStatus(ctx, id, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	e.anc.down.Store(true)
	if n, err := e.svc.PublishStatusLists(ctx); n != 1 || err == nil {
		t.Fatalf("publish with the ledger down = %d, %v (want 1 and an error)", n, err)
	}
	pub, err := e.svc.StatusList(listID(u))
	if err != nil || pub.Version != 2 || pub.Anchored {
		t.Fatalf("served version %d anchored=%v (%v), want 2 unanchored", pub.Version, pub.Anchored, err)
	}
	rec, _, _ := e.a.Latest(ctx, e.l.Tx.From(), ledger.AnchorKey(u), nil)
	if rec.Hash == sha256.Sum256([]byte(pub.Credential)) {
		t.Fatal("version 2 anchored while the ledger was down")
	}
	e.anc.down.Store(false)
	if n, err := e.svc.PublishStatusLists(ctx); n != 0 || err != nil {
		t.Fatalf("catch-up round = %d, %v", n, err)
	}
	if pub := e.checkAnchored(t, u); pub.Version != 2 {
		t.Fatalf("version %d after catch-up", pub.Version)
	}
}
