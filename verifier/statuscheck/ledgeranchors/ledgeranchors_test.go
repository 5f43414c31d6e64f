package ledgeranchors_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

// env: the embedded chain with a StatusAnchor, a did:key issuer, and a web
// server that serves whatever list bytes the test puts at a path.
type env struct {
	t      *testing.T
	l      *ledger.Ledger
	a      *ledger.StatusAnchor
	ref    map[string]any
	issuer string
	vm     string
	priv   ed25519.PrivateKey
	srv    *httptest.Server
	mu     sync.Mutex
	bodies map[string]string
}

func newEnv(t *testing.T) *env {
	l := ledgertest.Embedded(t)
	a, err := ledger.OpenStatusAnchor(context.Background(), l, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	d, err := didkey.New(pub)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, l: l, a: a, issuer: d, vm: d + "#" + strings.TrimPrefix(d, "did:key:"), priv: priv, bodies: map[string]string{}}
	e.ref = map[string]any{"chain": ledgeranchors.CAIP2(l.ChainID), "contract": a.Address().Hex(), "account": l.Tx.From().Hex()}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		b, ok := e.bodies[r.URL.Path]
		e.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(b))
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) url(path string) string { return e.srv.URL + path }

func (e *env) serve(path, body string) {
	e.mu.Lock()
	e.bodies[path] = body
	e.mu.Unlock()
}

// list signs a list credential for path with the given bits set, naming
// anchor (nil: none).
func (e *env) list(path string, anchor map[string]any, set ...int) string {
	e.t.Helper()
	bits, _ := status.New(status.MinEntries)
	for _, i := range set {
		bits.Set(i, true)
	}
	enc, err := bits.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	subj := map[string]any{"id": e.url(path) + "#list", "type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": enc}
	if anchor != nil {
		subj[statuscheck.AnchorProperty] = anchor
	}
	c, err := vc.ParseCredential(map[string]any{
		"@context": []any{vc.ContextV2}, "id": e.url(path),
		"type":              []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":            e.issuer,
		"validFrom":         vc.FormatDateTime(time.Now().Add(-time.Minute)),
		"credentialSubject": subj,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	jws, err := vcjose.SignCredential(c, vcjose.VCJWT, e.priv, e.vm)
	if err != nil {
		e.t.Fatal(err)
	}
	return jws
}

func (e *env) anchor(path, body string) {
	e.t.Helper()
	if _, err := e.a.Anchor(context.Background(), []ledger.AnchorEntry{{Key: ledger.AnchorKey(e.url(path)), Hash: sha256.Sum256([]byte(body))}}); err != nil {
		e.t.Fatal(err)
	}
}

// trust is the verifier's trust in the env's own slot.
func (e *env) trust() []statuscheck.AnchorTrust {
	return []statuscheck.AnchorTrust{{Ref: statuscheck.AnchorRef{Chain: e.ref["chain"].(string), Contract: e.ref["contract"].(string), Account: e.ref["account"].(string)}}}
}

// check verifies a credential whose index 3 is on the list at path with a
// fresh checker (no cache) in mode, its clock offset by skew, trusting
// the env's slot.
func (e *env) check(path string, mode statuscheck.AnchorMode, skew time.Duration) error {
	e.t.Helper()
	return e.checkTrusting(path, mode, skew, e.trust())
}

func (e *env) checkTrusting(path string, mode statuscheck.AnchorMode, skew time.Duration, trust []statuscheck.AnchorTrust) error {
	e.t.Helper()
	v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
	c, err := statuscheck.New(statuscheck.Config{
		Verifier: v, AllowPrivate: true, AnchorMode: mode, AnchorLag: time.Minute, AnchorTrust: trust,
		Anchors: ledgeranchors.New(ledgeranchors.Chain{ID: e.l.ChainID, Client: e.l.Client}),
		Now:     func() time.Time { return time.Now().Add(skew) },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	cred, err := vc.ParseCredential(map[string]any{
		"@context": []any{vc.ContextV2}, "type": []any{"VerifiableCredential"}, "issuer": e.issuer,
		"credentialSubject": map[string]any{"id": "did:example:holder"},
		"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": "3", "statusListCredential": e.url(path)}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.CheckStatus(context.Background(), cred)
}

// tamperPayload rewrites the JWS payload without re-signing: what a man in
// the middle can do.
func tamperPayload(t *testing.T, jws string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, _ := json.Marshal(m)
	parts[1] = base64.RawURLEncoding.EncodeToString(out)
	return strings.Join(parts, ".")
}

// TestSplitView is the test on the real embedded chain: a list
// that differs from the anchored one fails with status_unanchored.
func TestSplitView(t *testing.T) {
	e := newEnv(t)
	const p = "/v1/status/list"
	v1 := e.list(p, e.ref)
	e.anchor(p, v1)
	e.serve(p, v1)
	if err := e.check(p, statuscheck.AnchorRequired, 0); err != nil {
		t.Fatalf("ok/required/anchored-latest: %v", err)
	}

	// The issuer signs another version (index 3 revoked) and shows it to
	// this verifier only: validly signed, never anchored.
	other := e.list(p, e.ref, 3)
	e.serve(p, other)
	for _, mode := range []statuscheck.AnchorMode{statuscheck.AnchorRequired, statuscheck.AnchorOptional} {
		if err := e.check(p, mode, 0); vc.CodeOf(err) != vc.CodeStatusUnanchored {
			t.Fatalf("fail/%s/split-view: %v, want status_unanchored", mode, err)
		}
	}
	if err := e.check(p, statuscheck.AnchorOff, 0); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("ok/off/split-view: %v, want revoked (the list's own answer)", err)
	}

	// The issuer anchors v2 (index 3 revoked): v2 is the latest, v1 is
	// accepted for the lag after v2's anchor, then refused.
	v2 := e.list(p, e.ref, 3)
	e.anchor(p, v2)
	e.serve(p, v2)
	if err := e.check(p, statuscheck.AnchorRequired, 0); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("ok/required/new-latest: %v, want revoked", err)
	}
	e.serve(p, v1)
	if err := e.check(p, statuscheck.AnchorRequired, 0); err != nil {
		t.Fatalf("ok/required/previous-within-lag: %v", err)
	}
	if err := e.check(p, statuscheck.AnchorRequired, 2*time.Minute); vc.CodeOf(err) != vc.CodeStatusUnanchored {
		t.Fatalf("fail/required/previous-after-lag: %v, want status_unanchored", err)
	}
}

func TestAnchorRefs(t *testing.T) {
	e := newEnv(t)
	named := func(path string, ref map[string]any) {
		b := e.list(path, ref)
		e.anchor(path, b)
		e.serve(path, b)
	}
	with := func(k, v string) map[string]any {
		m := map[string]any{}
		for kk, vv := range e.ref {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	// Anchored, but the list names a contract that is not StatusAnchor (the
	// DID registry), a chain we do not read, another account, or nothing.
	named("/registry", with("contract", e.l.Registry.Hex()))
	named("/chain", with("chain", "eip155:1"))
	named("/account", with("account", "0x000000000000000000000000000000000000dEaD"))
	named("/bare", nil)
	// A man in the middle points the anchor at an account of his own: the
	// issuer's signature breaks.
	good := e.list("/mitm", e.ref)
	e.anchor("/mitm", good)
	e.serve("/mitm", tamperPayload(t, good, func(m map[string]any) {
		m["credentialSubject"].(map[string]any)["anchor"].(map[string]any)["account"] = "0x000000000000000000000000000000000000dEaD"
	}))
	// A verifier misconfigured to trust the registry's address, or a
	// chain it does not read, still gets no answer from either.
	trustAlso := func(k, v string) []statuscheck.AnchorTrust {
		tr := e.trust()
		r := tr[0].Ref
		switch k {
		case "contract":
			r.Contract = v
		case "chain":
			r.Chain = v
		}
		return append(tr, statuscheck.AnchorTrust{Ref: r})
	}
	for _, tc := range []struct {
		name, path string
		mode       statuscheck.AnchorMode
		code       string
		trust      []statuscheck.AnchorTrust // nil: the env's slot
	}{
		{"fail/required/not-an-anchor-contract", "/registry", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, trustAlso("contract", e.l.Registry.Hex())},
		{"ok/optional/not-an-anchor-contract", "/registry", statuscheck.AnchorOptional, "", trustAlso("contract", e.l.Registry.Hex())},
		{"fail/required/unknown-chain", "/chain", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, trustAlso("chain", "eip155:1")},
		{"ok/optional/unknown-chain", "/chain", statuscheck.AnchorOptional, "", trustAlso("chain", "eip155:1")},
		{"fail/required/untrusted-contract", "/registry", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, nil},
		{"fail/required/untrusted-chain", "/chain", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, nil},
		{"fail/required/other-account", "/account", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, nil},
		{"fail/required/no-anchor-property", "/bare", statuscheck.AnchorRequired, vc.CodeStatusUnanchored, nil},
		{"ok/optional/no-anchor-property", "/bare", statuscheck.AnchorOptional, "", nil},
		{"fail/required/anchor-altered-in-transit", "/mitm", statuscheck.AnchorRequired, vc.CodeStatusInvalid, nil},
		{"fail/optional/anchor-altered-in-transit", "/mitm", statuscheck.AnchorOptional, vc.CodeStatusInvalid, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trust := tc.trust
			if trust == nil {
				trust = e.trust()
			}
			if got := vc.CodeOf(e.checkTrusting(tc.path, tc.mode, 0, trust)); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
}

// TestSecondSlot is the review's split view on the real chain: the issuer
// deploys a second StatusAnchor (and uses a second account in the first),
// anchors a "not revoked" version there and names that slot in the list it
// shows some verifiers. A verifier trusting only the issuer's slot refuses
// it in required mode; a verifier trusting both slots is not protected,
// which is why every verifier must be given the same single slot.
func TestSecondSlot(t *testing.T) {
	e := newEnv(t)
	const p = "/v1/status/list"
	x := e.list(p, e.ref, 3) // index 3 revoked, in the trusted slot
	e.anchor(p, x)

	addr2, err := ledger.DeployStatusAnchor(context.Background(), e.l.Tx)
	if err != nil {
		t.Fatal(err)
	}
	ref2 := map[string]any{"chain": e.ref["chain"], "contract": addr2.Hex(), "account": e.ref["account"]}
	y := e.list(p, ref2) // not revoked, in the second contract
	if _, err := ledger.NewStatusAnchor(e.l.Client, addr2, e.l.Tx).Anchor(context.Background(),
		[]ledger.AnchorEntry{{Key: ledger.AnchorKey(e.url(p)), Hash: sha256.Sum256([]byte(y))}}); err != nil {
		t.Fatal(err)
	}
	e.serve(p, x)
	if err := e.check(p, statuscheck.AnchorRequired, 0); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("ok/required/trusted-slot: %v, want revoked", err)
	}
	e.serve(p, y)
	if err := e.check(p, statuscheck.AnchorRequired, 0); vc.CodeOf(err) != vc.CodeStatusUnanchored {
		t.Fatalf("fail/required/second-contract: %v, want status_unanchored", err)
	}
	both := append(e.trust(), statuscheck.AnchorTrust{Ref: statuscheck.AnchorRef{Chain: ref2["chain"].(string), Contract: addr2.Hex(), Account: ref2["account"].(string)}})
	if err := e.checkTrusting(p, statuscheck.AnchorRequired, 0, both); err != nil {
		t.Fatalf("ok/required/both-slots-trusted: %v (the documented limit: trust one slot per issuer)", err)
	}
}
