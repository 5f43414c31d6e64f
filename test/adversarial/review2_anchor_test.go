package adversarial

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
	"github.com/credentialflow/cflow/verifier/statuscheck/ledgeranchors"
)

// TestReview2IssuerSplitViewSecondAnchor (regression, was a finding): a
// dishonest issuer — the threat issue 4 names — deploys a second
// StatusAnchor on the same chain, anchors version Y there, and shows Y
// (naming the second contract) to verifier B while verifier A gets X
// anchored in the first. The slot used to come from the list, so both
// passed --status-anchor required. Now it comes from the verifiers'
// configuration (--status-anchor-trust): both verifiers, configured
// alike with the issuer's one slot, read the same slot; B's list names
// an untrusted slot and fails with status_unanchored.
func TestReview2IssuerSplitViewSecondAnchor(t *testing.T) {
	ctx := context.Background()
	l := ledgertest.Embedded(t)
	a1, err := ledger.OpenStatusAnchor(ctx, l, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	addr2, err := ledger.DeployStatusAnchor(ctx, l.Tx) // the issuer's second slot
	if err != nil {
		t.Fatal(err)
	}
	a2 := ledger.NewStatusAnchor(l.Client, addr2, l.Tx)

	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	issuer, _ := didkey.New(pub)
	vm := issuer + "#" + strings.TrimPrefix(issuer, "did:key:")

	var mu sync.Mutex
	var body string // what the issuer serves to whoever asks now
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Write([]byte(body))
	}))
	defer srv.Close()
	listURL := srv.URL + "/v1/status/list"

	sign := func(contract string, set ...int) string {
		bits, _ := status.New(status.MinEntries)
		for _, i := range set {
			bits.Set(i, true)
		}
		enc, _ := bits.Encode()
		c, err := vc.ParseCredential(map[string]any{
			"@context": []any{vc.ContextV2}, "id": listURL,
			"type": []any{"VerifiableCredential", "BitstringStatusListCredential"}, "issuer": issuer,
			"validFrom": vc.FormatDateTime(time.Now().Add(-time.Minute)),
			"credentialSubject": map[string]any{"id": listURL + "#list", "type": "BitstringStatusList",
				"statusPurpose": "revocation", "encodedList": enc,
				"anchor": map[string]any{"chain": ledgeranchors.CAIP2(l.ChainID), "contract": contract, "account": l.Tx.From().Hex()}},
		})
		if err != nil {
			t.Fatal(err)
		}
		jws, err := vcjose.SignCredential(c, vcjose.VCJWT, priv, vm)
		if err != nil {
			t.Fatal(err)
		}
		return jws
	}
	anchor := func(a *ledger.StatusAnchor, b string) {
		if _, err := a.Anchor(ctx, []ledger.AnchorEntry{{Key: ledger.AnchorKey(listURL), Hash: sha256.Sum256([]byte(b))}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func() error {
		v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
		// Every verifier trusts the issuer's one published slot.
		trust, err := statuscheck.ParseAnchorTrust(ledgeranchors.CAIP2(l.ChainID) + ":" + a1.Address().Hex() + ":" + l.Tx.From().Hex())
		if err != nil {
			t.Fatal(err)
		}
		c, err := statuscheck.New(statuscheck.Config{Verifier: v, AllowPrivate: true, AnchorMode: statuscheck.AnchorRequired,
			Anchors:     ledgeranchors.New(ledgeranchors.Chain{ID: l.ChainID, Client: l.Client}),
			AnchorTrust: []statuscheck.AnchorTrust{trust}})
		if err != nil {
			t.Fatal(err)
		}
		cred, _ := vc.ParseCredential(map[string]any{
			"@context": []any{vc.ContextV2}, "type": []any{"VerifiableCredential"}, "issuer": issuer,
			"credentialSubject": map[string]any{"id": "did:example:holder"},
			"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
				"statusListIndex": "3", "statusListCredential": listURL}},
		})
		return c.CheckStatus(ctx, cred)
	}

	x := sign(a1.Address().Hex(), 3) // index 3 revoked
	y := sign(addr2.Hex())           // index 3 not revoked
	anchor(a1, x)
	anchor(a2, y)

	mu.Lock()
	body = x
	mu.Unlock()
	errA := check()
	mu.Lock()
	body = y
	mu.Unlock()
	errB := check()
	if vc.CodeOf(errA) != vc.CodeRevoked {
		t.Fatalf("verifier A (list in the trusted slot): %v, want revoked", errA)
	}
	if vc.CodeOf(errB) != vc.CodeStatusUnanchored {
		t.Fatalf("split view undetected under --status-anchor required: verifier B: %v, want status_unanchored (its list names the issuer's second StatusAnchor, which no verifier trusts)", errB)
	}
}
