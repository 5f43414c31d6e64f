package statuscheck_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/did/didkey/didkeytest"
	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// key is a did:key issuer that signs status list credentials.
type key struct {
	did, vm string
	priv    ed25519.PrivateKey
}

func newKey(t testing.TB) key {
	t.Helper()
	p := didkeytest.New(t)
	return key{did: p.DID, vm: p.KID, priv: p.Priv}
}

// listDoc is a BitstringStatusListCredential (§2.2) for url.
func listDoc(url, issuer, purpose, encoded string) map[string]any {
	return map[string]any{
		"@context":  []any{vc.ContextV2},
		"id":        url,
		"type":      []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    issuer,
		"validFrom": "2024-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id": url + "#list", "type": "BitstringStatusList", "statusPurpose": purpose, "encodedList": encoded,
		},
	}
}

func (k key) sign(t testing.TB, doc map[string]any) string {
	t.Helper()
	c, err := vc.ParseCredential(doc)
	if err != nil {
		t.Fatal(err)
	}
	f := vcjose.VCJWT
	if c.Version == 1 {
		f = vcjose.JWTVCJSON
	}
	jws, err := vcjose.SignCredential(c, f, k.priv, k.vm)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// encoded is the encodedList of a list of n entries with the given bits set.
func encoded(t testing.TB, n int, set ...int) string {
	t.Helper()
	l, err := status.New(n)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range set {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	s, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawEncoded gzips arbitrary bytes into a multibase encodedList (lists the
// status package would refuse to build).
func rawEncoded(b []byte) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func credential(t testing.TB, issuer string, entries ...map[string]any) *vc.Credential {
	t.Helper()
	st := make([]any, len(entries))
	for i, e := range entries {
		st[i] = e
	}
	c, err := vc.ParseCredential(map[string]any{
		"@context": []any{vc.ContextV2}, "type": []any{"VerifiableCredential"}, "issuer": issuer,
		"credentialSubject": map[string]any{"id": "did:example:holder"}, "credentialStatus": st,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func entry(url, purpose string, index int) map[string]any {
	return map[string]any{"id": url + "#" + strconv.Itoa(index), "type": "BitstringStatusListEntry",
		"statusPurpose": purpose, "statusListIndex": strconv.Itoa(index), "statusListCredential": url}
}

func newVerifier() *verifier.Verifier {
	return verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
}

// site serves fixed bodies by path and counts requests.
type site struct {
	*httptest.Server
	bodies map[string]string
	hits   atomic.Int64
}

func newSite(t *testing.T) *site {
	s := &site{bodies: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect-away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(bytes.Repeat([]byte("a"), statuscheck.DefaultMaxBytes+10))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		b, ok := s.bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vc+jwt")
		w.Write([]byte(b))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func newChecker(t testing.TB, cfg statuscheck.Config) *statuscheck.Checker {
	t.Helper()
	if cfg.Verifier == nil {
		cfg.Verifier = newVerifier()
	}
	c, err := statuscheck.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckStatus(t *testing.T) {
	iss, other := newKey(t), newKey(t)
	s := newSite(t)
	u := func(p string) string { return s.URL + p }
	n := status.MinEntries
	last := n - 1
	good := encoded(t, n, 0, 7, 8, last)
	s.bodies["/rev"] = iss.sign(t, listDoc(u("/rev"), iss.did, "revocation", good))
	s.bodies["/sus"] = iss.sign(t, listDoc(u("/sus"), iss.did, "suspension", good))
	s.bodies["/other-issuer"] = other.sign(t, listDoc(u("/other-issuer"), other.did, "revocation", good))
	s.bodies["/id-mismatch"] = iss.sign(t, listDoc(u("/rev"), iss.did, "revocation", good))
	s.bodies["/not-gzip"] = iss.sign(t, listDoc(u("/not-gzip"), iss.did, "revocation", "uAAAA"))
	s.bodies["/no-multibase"] = iss.sign(t, listDoc(u("/no-multibase"), iss.did, "revocation", good[1:]))
	s.bodies["/short"] = iss.sign(t, listDoc(u("/short"), iss.did, "revocation", rawEncoded(make([]byte, n/8-1))))
	tampered := s.bodies["/rev"]
	s.bodies["/tampered"] = tampered[:len(tampered)-4] + "AAAA"
	s.bodies["/not-a-credential"] = "hello"
	notList := listDoc(u("/not-list"), iss.did, "revocation", good)
	notList["type"] = []any{"VerifiableCredential"}
	s.bodies["/not-list"] = iss.sign(t, notList)
	s.bodies["/purpose"] = iss.sign(t, listDoc(u("/purpose"), iss.did, "suspension", good))
	big := encoded(t, 2*n, n+5)
	s.bodies["/big"] = iss.sign(t, listDoc(u("/big"), iss.did, "revocation", big))
	legacy := listDoc(u("/legacy"), iss.did, "revocation", "")
	legacy["@context"] = []any{vc.ContextV1, "https://w3id.org/vc/status-list/2021/v1"}
	legacy["issuanceDate"] = "2024-01-01T00:00:00Z"
	delete(legacy, "validFrom")
	legacy["type"] = []any{"VerifiableCredential", "StatusList2021Credential"}
	ll, _ := status.New(n)
	ll.Set(3, true)
	legEnc, _ := ll.EncodeLegacy()
	legacy["credentialSubject"] = map[string]any{"id": u("/legacy#list"), "type": "StatusList2021", "statusPurpose": "revocation", "encodedList": legEnc}
	s.bodies["/legacy"] = iss.sign(t, legacy)

	c := newChecker(t, statuscheck.Config{AllowPrivate: true})
	legacyEntry := func(i int) map[string]any {
		e := entry(u("/legacy"), "revocation", i)
		e["type"] = "StatusList2021Entry"
		return e
	}
	for _, tc := range []struct {
		name   string
		issuer string
		entry  map[string]any
		code   string
	}{
		{"ok/not-revoked", iss.did, entry(u("/rev"), "revocation", 1), ""},
		{"ok/not-revoked-index-6", iss.did, entry(u("/rev"), "revocation", 6), ""},
		{"ok/not-revoked-index-9", iss.did, entry(u("/rev"), "revocation", 9), ""},
		{"ok/bigger-list", iss.did, entry(u("/big"), "revocation", n+4), ""},
		{"ok/legacy-not-revoked", iss.did, legacyEntry(2), ""},
		{"fail/revoked-index-0", iss.did, entry(u("/rev"), "revocation", 0), vc.CodeRevoked},
		{"fail/revoked-index-7", iss.did, entry(u("/rev"), "revocation", 7), vc.CodeRevoked},
		{"fail/revoked-index-8", iss.did, entry(u("/rev"), "revocation", 8), vc.CodeRevoked},
		{"fail/revoked-last-index", iss.did, entry(u("/rev"), "revocation", last), vc.CodeRevoked},
		{"fail/revoked-in-bigger-list", iss.did, entry(u("/big"), "revocation", n+5), vc.CodeRevoked},
		{"fail/suspended", iss.did, entry(u("/sus"), "suspension", 8), vc.CodeSuspended},
		{"fail/legacy-revoked", iss.did, legacyEntry(3), vc.CodeRevoked},
		{"fail/index-out-of-range", iss.did, entry(u("/rev"), "revocation", n), vc.CodeStatusOutOfRange},
		{"fail/list-not-gzip", iss.did, entry(u("/not-gzip"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/list-without-multibase-prefix", iss.did, entry(u("/no-multibase"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/list-under-16KB", iss.did, entry(u("/short"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/id-does-not-match-url", iss.did, entry(u("/id-mismatch"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/list-by-another-issuer", iss.did, entry(u("/other-issuer"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/list-signature-invalid", iss.did, entry(u("/tampered"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/not-a-credential", iss.did, entry(u("/not-a-credential"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/not-a-status-list", iss.did, entry(u("/not-list"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/purpose-differs", iss.did, entry(u("/purpose"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/legacy-entry-bitstring-list", iss.did, func() map[string]any {
			e := entry(u("/rev"), "revocation", 1)
			e["type"] = "StatusList2021Entry"
			return e
		}(), vc.CodeStatusInvalid},
		{"fail/404", iss.did, entry(u("/missing"), "revocation", 1), vc.CodeStatusUnavailable},
		{"fail/redirect-to-another-host", iss.did, entry(u("/redirect-away"), "revocation", 1), vc.CodeStatusUnavailable},
		{"fail/too-large", iss.did, entry(u("/huge"), "revocation", 1), vc.CodeStatusInvalid},
		{"fail/unsupported-type", iss.did, func() map[string]any {
			e := entry(u("/rev"), "revocation", 1)
			e["type"] = "RevocationList2020Status"
			return e
		}(), vc.CodeStatusInvalid},
		{"fail/message-purpose", iss.did, func() map[string]any { e := entry(u("/rev"), "message", 1); e["statusSize"] = 2.0; return e }(), vc.CodeStatusInvalid},
		{"fail/index-leading-zero", iss.did, func() map[string]any { e := entry(u("/rev"), "revocation", 1); e["statusListIndex"] = "01"; return e }(), vc.CodeStatusInvalid},
		{"fail/index-a-number", iss.did, func() map[string]any { e := entry(u("/rev"), "revocation", 1); e["statusListIndex"] = 1.0; return e }(), vc.CodeStatusInvalid},
		{"fail/list-url-not-http", iss.did, entry("ftp://example.com/x", "revocation", 1), vc.CodeStatusInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckStatus(context.Background(), credential(t, tc.issuer, tc.entry))
			if got := vc.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestFetchGuards(t *testing.T) {
	iss := newKey(t)
	s := newSite(t)
	s.bodies["/rev"] = iss.sign(t, listDoc(s.URL+"/rev", iss.did, "revocation", encoded(t, status.MinEntries)))
	cred := credential(t, iss.did, entry(s.URL+"/rev", "revocation", 1))
	t.Run("fail/loopback-refused-by-default", func(t *testing.T) {
		err := newChecker(t, statuscheck.Config{}).CheckStatus(context.Background(), cred)
		if vc.CodeOf(err) != vc.CodeStatusUnavailable || !errors.Is(err, statuscheck.ErrPrivateAddress) {
			t.Fatalf("err = %v, want status_list_unavailable from ErrPrivateAddress", err)
		}
	})
	t.Run("ok/loopback-allowed", func(t *testing.T) {
		if err := newChecker(t, statuscheck.Config{AllowPrivate: true}).CheckStatus(context.Background(), cred); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("fail/timeout", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}))
		defer slow.Close()
		c := newChecker(t, statuscheck.Config{AllowPrivate: true, Timeout: 100 * time.Millisecond})
		start := time.Now()
		err := c.CheckStatus(context.Background(), credential(t, iss.did, entry(slow.URL+"/x", "revocation", 1)))
		if vc.CodeOf(err) != vc.CodeStatusUnavailable || time.Since(start) > time.Second {
			t.Fatalf("err = %v after %s", err, time.Since(start))
		}
	})
	for _, tc := range []struct {
		addr    string
		private bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true}, {"169.254.169.254", true},
		{"100.64.0.1", true}, {"0.0.0.0", true}, {"::1", true}, {"fc00::1", true}, {"fe80::1", true}, {"::ffff:127.0.0.1", true},
		{"93.184.216.34", false}, {"2606:2800:220:1:248:1893:25c8:1946", false},
	} {
		name := "ok/public/" + tc.addr
		if tc.private {
			name = "fail/private/" + tc.addr
		}
		t.Run(name, func(t *testing.T) {
			if got := statuscheck.IsPrivate(mustAddr(t, tc.addr)); got != tc.private {
				t.Errorf("IsPrivate(%s) = %v", tc.addr, got)
			}
		})
	}
}

func TestCache(t *testing.T) {
	iss := newKey(t)
	s := newSite(t)
	url := s.URL + "/rev"
	s.bodies["/rev"] = iss.sign(t, listDoc(url, iss.did, "revocation", encoded(t, status.MinEntries)))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newChecker(t, statuscheck.Config{AllowPrivate: true, TTL: time.Minute, Now: func() time.Time { return now }})
	cred := credential(t, iss.did, entry(url, "revocation", 5))
	for range 3 {
		if err := c.CheckStatus(context.Background(), cred); err != nil {
			t.Fatal(err)
		}
	}
	if h := s.hits.Load(); h != 1 {
		t.Fatalf("%d fetches within the TTL, want 1", h)
	}
	// Revoked upstream: seen only after the TTL.
	s.bodies["/rev"] = iss.sign(t, listDoc(url, iss.did, "revocation", encoded(t, status.MinEntries, 5)))
	if err := c.CheckStatus(context.Background(), cred); err != nil {
		t.Fatalf("within the TTL: %v", err)
	}
	now = now.Add(61 * time.Second)
	if err := c.CheckStatus(context.Background(), cred); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("after the TTL: %v, want revoked", err)
	}
	// The list's own ttl (ms) shortens the cache.
	doc := listDoc(url, iss.did, "revocation", encoded(t, status.MinEntries))
	doc["credentialSubject"].(map[string]any)["ttl"] = 1000
	s.bodies["/rev"] = iss.sign(t, doc)
	now = now.Add(time.Hour)
	c.CheckStatus(context.Background(), cred)
	hits := s.hits.Load()
	now = now.Add(1500 * time.Millisecond)
	c.CheckStatus(context.Background(), cred)
	if s.hits.Load() != hits+1 {
		t.Errorf("the list's ttl of 1 s did not expire the cache")
	}
}

// anchors is an in-memory ledger view for the anchor-mode table: per list
// URL, the anchored versions newest first, in whichever slot is asked. The real chain is exercised in
// ledgeranchors and by the Anchorer's own tests.
type anchors map[string][]statuscheck.AnchorVersion

// testRef is the anchor the signed test lists name; unknownChain names a
// chain the table's Anchors does not read.
var (
	testRef      = statuscheck.AnchorRef{Chain: "eip155:1337", Contract: "0x" + strings.Repeat("ab", 20), Account: "0x" + strings.Repeat("cd", 20)}
	unknownChain = "eip155:99"
)

func (a anchors) History(_ context.Context, ref statuscheck.AnchorRef, listURL string, since time.Time) ([]statuscheck.AnchorVersion, error) {
	if ref.Chain == unknownChain {
		return nil, statuscheck.ErrUnknownChain
	}
	vs, ok := a[listURL] // whatever slot the list names: the issuer may have anchored there
	if !ok {
		return nil, statuscheck.ErrNotAnchored
	}
	out := vs[:1]
	for i := 1; i < len(vs) && !vs[i-1].At.Before(since); i++ {
		out = vs[:i+1]
	}
	return out, nil
}

func refJSON(r statuscheck.AnchorRef) map[string]any {
	return map[string]any{"chain": r.Chain, "contract": r.Contract, "account": r.Account}
}

func TestAnchorModes(t *testing.T) {
	iss := newKey(t)
	s := newSite(t)
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	mk := func(path string, anchor any) string {
		doc := listDoc(s.URL+path, iss.did, "revocation", encoded(t, status.MinEntries))
		doc["validFrom"] = vc.FormatDateTime(now.Add(-time.Hour))
		if anchor != nil {
			doc["credentialSubject"].(map[string]any)[statuscheck.AnchorProperty] = anchor
		}
		s.bodies[path] = iss.sign(t, doc)
		return s.URL + path
	}
	sum := func(path string) [32]byte { return sha256.Sum256([]byte(s.bodies[path])) }
	other := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	ref := refJSON(testRef)
	latestURL := mk("/latest", ref)
	prevURL := mk("/previous", ref)          // replaced 30 s ago: within the lag
	oldURL := mk("/previous-old", ref)       // replaced 10 min ago
	secondURL := mk("/second-previous", ref) // two versions back, both within the lag
	splitURL := mk("/split-view", ref)       // never anchored; another version is
	neverURL := mk("/never", ref)
	bareURL := mk("/no-anchor-property", nil)
	unknownURL := mk("/unknown-chain", map[string]any{"chain": unknownChain, "contract": testRef.Contract, "account": testRef.Account})
	// The issuer's second slot: anchored there (History would answer for
	// it), but no verifier was told to trust it.
	secondSlot := statuscheck.AnchorRef{Chain: testRef.Chain, Contract: "0x" + strings.Repeat("ef", 20), Account: testRef.Account}
	secondAcct := statuscheck.AnchorRef{Chain: testRef.Chain, Contract: testRef.Contract, Account: "0x" + strings.Repeat("12", 20)}
	slotURL := mk("/second-contract", refJSON(secondSlot))
	acctURL := mk("/second-account", refJSON(secondAcct))
	upperURL := mk("/checksummed", map[string]any{"chain": testRef.Chain, "contract": "0x" + strings.ToUpper(testRef.Contract[2:]), "account": testRef.Account})
	badURL := mk("/malformed-anchor", map[string]any{"chain": "1337", "contract": testRef.Contract, "account": testRef.Account})
	a := anchors{
		latestURL:  {{Hash: sum("/latest"), At: now.Add(-50 * time.Minute)}},
		prevURL:    {{Hash: other("v2"), At: now.Add(-30 * time.Second)}, {Hash: sum("/previous"), At: now.Add(-50 * time.Minute)}},
		oldURL:     {{Hash: other("v2"), At: now.Add(-10 * time.Minute)}, {Hash: sum("/previous-old"), At: now.Add(-50 * time.Minute)}},
		secondURL:  {{Hash: other("v3"), At: now.Add(-10 * time.Second)}, {Hash: other("v2"), At: now.Add(-20 * time.Second)}, {Hash: sum("/second-previous"), At: now.Add(-time.Hour)}},
		splitURL:   {{Hash: other("the version everyone else sees"), At: now.Add(-50 * time.Minute)}},
		unknownURL: {{Hash: sum("/unknown-chain"), At: now.Add(-time.Hour)}},
		slotURL:    {{Hash: sum("/second-contract"), At: now.Add(-time.Hour)}},
		acctURL:    {{Hash: sum("/second-account"), At: now.Add(-time.Hour)}},
		upperURL:   {{Hash: sum("/checksummed"), At: now.Add(-time.Hour)}},
	}
	trustAll := []statuscheck.AnchorTrust{{Ref: testRef}}
	boundElsewhere := []statuscheck.AnchorTrust{{Ref: testRef}, {Issuer: iss.did, Ref: secondSlot}}
	boundHere := []statuscheck.AnchorTrust{{Ref: secondSlot}, {Issuer: "did:key:", Ref: testRef}}
	boundOther := []statuscheck.AnchorTrust{{Ref: testRef}, {Issuer: "did:web:example.com", Ref: secondSlot}}
	for _, tc := range []struct {
		name  string
		mode  statuscheck.AnchorMode
		url   string
		code  string
		trust []statuscheck.AnchorTrust // nil: trustAll
	}{
		{"ok/required/latest", statuscheck.AnchorRequired, latestURL, "", nil},
		{"ok/required/previous-within-lag", statuscheck.AnchorRequired, prevURL, "", nil},
		{"ok/required/two-back-within-lag", statuscheck.AnchorRequired, secondURL, "", nil},
		{"fail/required/previous-after-lag", statuscheck.AnchorRequired, oldURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/differs-from-anchor", statuscheck.AnchorRequired, splitURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/never-anchored", statuscheck.AnchorRequired, neverURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/no-anchor-property", statuscheck.AnchorRequired, bareURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/unknown-chain", statuscheck.AnchorRequired, unknownURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/malformed-anchor", statuscheck.AnchorRequired, badURL, vc.CodeStatusInvalid, nil},
		{"ok/optional/never-anchored", statuscheck.AnchorOptional, neverURL, "", nil},
		{"ok/optional/no-anchor-property", statuscheck.AnchorOptional, bareURL, "", nil},
		{"ok/optional/unknown-chain", statuscheck.AnchorOptional, unknownURL, "", nil},
		{"fail/optional/differs-from-anchor", statuscheck.AnchorOptional, splitURL, vc.CodeStatusUnanchored, nil},
		{"fail/optional/previous-after-lag", statuscheck.AnchorOptional, oldURL, vc.CodeStatusUnanchored, nil},
		{"ok/off/differs-from-anchor", statuscheck.AnchorOff, splitURL, "", nil},
		// The slot comes from the verifier's trust, not from the list.
		{"fail/required/untrusted-contract", statuscheck.AnchorRequired, slotURL, vc.CodeStatusUnanchored, nil},
		{"fail/required/untrusted-account", statuscheck.AnchorRequired, acctURL, vc.CodeStatusUnanchored, nil},
		{"ok/optional/untrusted-contract", statuscheck.AnchorOptional, slotURL, "", nil},
		{"ok/required/address-case-ignored", statuscheck.AnchorRequired, upperURL, "", nil},
		{"fail/required/unknown-chain-trusted", statuscheck.AnchorRequired, unknownURL, vc.CodeStatusUnanchored,
			[]statuscheck.AnchorTrust{{Ref: statuscheck.AnchorRef{Chain: unknownChain, Contract: testRef.Contract, Account: testRef.Account}}}},
		{"ok/required/second-slot-trusted", statuscheck.AnchorRequired, slotURL, "", []statuscheck.AnchorTrust{{Ref: testRef}, {Ref: secondSlot}}},
		// Issuer-bound entries: an issuer some bound entry matches is held
		// to its bound slots only.
		{"fail/required/bound-elsewhere", statuscheck.AnchorRequired, latestURL, vc.CodeStatusUnanchored, boundElsewhere},
		{"ok/required/bound-here", statuscheck.AnchorRequired, slotURL, "", boundElsewhere},
		{"ok/required/bound-by-prefix", statuscheck.AnchorRequired, latestURL, "", boundHere},
		{"fail/required/bound-by-prefix-other-slot", statuscheck.AnchorRequired, slotURL, vc.CodeStatusUnanchored, boundHere},
		{"ok/required/bound-to-other-issuer", statuscheck.AnchorRequired, latestURL, "", boundOther},
		{"fail/required/bound-to-other-issuer", statuscheck.AnchorRequired, slotURL, vc.CodeStatusUnanchored, boundOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trust := tc.trust
			if trust == nil {
				trust = trustAll
			}
			c := newChecker(t, statuscheck.Config{AllowPrivate: true, Anchors: a, AnchorMode: tc.mode, AnchorTrust: trust, Now: func() time.Time { return now }})
			err := c.CheckStatus(context.Background(), credential(t, iss.did, entry(tc.url, "revocation", 1)))
			if got := vc.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
	t.Run("fail/required-without-ledger", func(t *testing.T) {
		if _, err := statuscheck.New(statuscheck.Config{Verifier: newVerifier(), AnchorMode: statuscheck.AnchorRequired, AnchorTrust: trustAll}); err == nil {
			t.Error("required mode without Anchors was accepted")
		}
	})
	t.Run("fail/required-without-trust", func(t *testing.T) {
		if _, err := statuscheck.New(statuscheck.Config{Verifier: newVerifier(), AnchorMode: statuscheck.AnchorRequired, Anchors: a}); err == nil {
			t.Error("required mode without a trusted anchor was accepted")
		}
	})
	t.Run("fail/malformed-trust", func(t *testing.T) {
		bad := []statuscheck.AnchorTrust{{Ref: statuscheck.AnchorRef{Chain: "1337", Contract: testRef.Contract, Account: testRef.Account}}}
		if _, err := statuscheck.New(statuscheck.Config{Verifier: newVerifier(), AnchorMode: statuscheck.AnchorOptional, Anchors: a, AnchorTrust: bad}); err == nil {
			t.Error("a malformed trust entry was accepted")
		}
	})
}

// trustJSON "verifies" an unsigned JSON credential: the spec's examples
// are not signed, and their issuer (did:example) does not resolve.
type trustJSON struct{}

func (trustJSON) VerifyCredential(_ context.Context, in any) *verifier.Result {
	m, _ := in.(map[string]any)
	c, err := vc.ParseCredential(m)
	if err != nil {
		return &verifier.Result{Errors: []verifier.Problem{{Code: vc.CodeOf(err), Message: err.Error()}}}
	}
	return &verifier.Result{Verified: true, Credential: &verifier.VerifiedCredential{Credential: c}}
}

// TestSpecExamples runs the spec's revocable credential against the spec's
// status list credential (all 131,072 bits clear): not revoked; and its
// simple-entries example, whose suspension list is not served.
func TestSpecExamples(t *testing.T) {
	raw, err := os.ReadFile("../../test/vectors/bitstring-status-list/spec-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Examples []struct {
			Title     string `json:"title"`
			ValidJSON bool   `json:"valid_json"`
			Text      string `json:"text"`
		} `json:"examples"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	docs := map[string]map[string]any{}
	for _, ex := range vec.Examples {
		if !ex.ValidJSON {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ex.Text), &m); err != nil {
			t.Fatalf("%s: %v", ex.Title, err)
		}
		docs[ex.Title] = m
	}
	list := docs["A Status List Verifiable Credential"]
	listJSON, _ := json.Marshal(list)
	fetch := statuscheck.FetcherFunc(func(_ context.Context, u string) ([]byte, error) {
		if u == list["id"] {
			return listJSON, nil
		}
		return nil, errors.New("not served")
	})
	c := newChecker(t, statuscheck.Config{Verifier: trustJSON{}, Fetcher: fetch})
	for _, tc := range []struct {
		name, title, code string
	}{
		{"ok/revocable-credential", "A Revocable Verifiable Credential", ""},
		{"fail/simple-entries-suspension-list-unserved", "Example StatusListCredential using simple entries", vc.CodeStatusUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := vc.ParseCredential(docs[tc.title])
			if err != nil {
				t.Fatal(err)
			}
			if got := vc.CodeOf(c.CheckStatus(context.Background(), cred)); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseAnchorTrust(t *testing.T) {
	const c, a = "0xabababababababababababababababababababab", "0xCdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	for _, tc := range []struct {
		name, in string
		want     statuscheck.AnchorTrust
		fail     bool
	}{
		{name: "ok/unbound", in: "eip155:1337:" + c + ":" + a, want: statuscheck.AnchorTrust{Ref: statuscheck.AnchorRef{Chain: "eip155:1337", Contract: c, Account: a}}},
		{name: "ok/issuer", in: "did:key:z6MkA=eip155:1:" + c + ":" + a, want: statuscheck.AnchorTrust{Issuer: "did:key:z6MkA", Ref: statuscheck.AnchorRef{Chain: "eip155:1", Contract: c, Account: a}}},
		{name: "ok/issuer-prefix", in: "did:web:example.com:=eip155:1:" + c + ":" + a, want: statuscheck.AnchorTrust{Issuer: "did:web:example.com:", Ref: statuscheck.AnchorRef{Chain: "eip155:1", Contract: c, Account: a}}},
		{name: "fail/chain-leading-zero", in: "eip155:01:" + c + ":" + a, fail: true},
		{name: "fail/not-eip155", in: "cosmos:1:" + c + ":" + a, fail: true},
		{name: "fail/three-parts", in: "eip155:1:" + c, fail: true},
		{name: "fail/short-address", in: "eip155:1:0xab:" + a, fail: true},
		{name: "fail/no-0x", in: "eip155:1:" + c[2:] + ":" + a, fail: true},
		{name: "fail/issuer-not-did", in: "example=eip155:1:" + c + ":" + a, fail: true},
		{name: "fail/issuer-empty", in: "=eip155:1:" + c + ":" + a, fail: true},
		{name: "fail/issuer-did-url", in: "did:web:x#k=eip155:1:" + c + ":" + a, fail: true},
		{name: "fail/empty", in: "", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := statuscheck.ParseAnchorTrust(tc.in)
			if tc.fail {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Fatalf("String %q, want %q", got.String(), tc.in)
			}
		})
	}
}

// gate is a fetcher that blocks every fetch until released and reports
// the context each fetch ran under.
type gate struct {
	body    []byte
	started chan context.Context
	release chan struct{}
	calls   atomic.Int64
}

func newGate(body []byte) *gate {
	return &gate{body: body, started: make(chan context.Context, 8), release: make(chan struct{})}
}

func (g *gate) Fetch(ctx context.Context, _ string) ([]byte, error) {
	g.calls.Add(1)
	g.started <- ctx
	select {
	case <-g.release:
		return g.body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestSharedFetchOutlivesFirstCaller: the caller that started a fetch
// goes away; the callers that joined it still get the list, and the fetch
// was not cancelled with it.
func TestSharedFetchOutlivesFirstCaller(t *testing.T) {
	iss := newKey(t)
	const u = "https://lists.example/rev"
	g := newGate([]byte(iss.sign(t, listDoc(u, iss.did, "revocation", encoded(t, status.MinEntries, 5)))))
	c := newChecker(t, statuscheck.Config{Fetcher: g})
	cred := credential(t, iss.did, entry(u, "revocation", 5))

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { firstErr <- c.CheckStatus(first, cred) }()
	fctx := <-g.started
	// The second caller joins the fetch under way (no second fetch starts).
	secondErr := make(chan error, 1)
	go func() { secondErr <- c.CheckStatus(context.Background(), cred) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-firstErr; vc.CodeOf(err) != vc.CodeStatusUnavailable {
		t.Fatalf("first caller: %v, want status_list_unavailable (its own context ended)", err)
	}
	if fctx.Err() != nil {
		t.Fatalf("the shared fetch was cancelled with the first caller: %v", fctx.Err())
	}
	close(g.release)
	if err := <-secondErr; vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("second caller: %v, want revoked", err)
	}
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1 shared", n)
	}
	// The result is cached for the next caller.
	if err := c.CheckStatus(context.Background(), cred); vc.CodeOf(err) != vc.CodeRevoked || g.calls.Load() != 1 {
		t.Fatalf("cached: %v after %d fetches", err, g.calls.Load())
	}
	if _, ok := fctx.Deadline(); !ok {
		t.Error("the shared fetch has no deadline of its own")
	}
}

// TestForget: Forget drops the cached list at once, and a fetch that was
// under way when Forget ran is answered but not cached (it may hold the
// version being replaced).
func TestForget(t *testing.T) {
	iss := newKey(t)
	s := newSite(t)
	u := s.URL + "/rev"
	s.bodies["/rev"] = iss.sign(t, listDoc(u, iss.did, "revocation", encoded(t, status.MinEntries)))
	c := newChecker(t, statuscheck.Config{AllowPrivate: true, TTL: time.Hour})
	cred := credential(t, iss.did, entry(u, "revocation", 5))
	if err := c.CheckStatus(context.Background(), cred); err != nil {
		t.Fatal(err)
	}
	s.bodies["/rev"] = iss.sign(t, listDoc(u, iss.did, "revocation", encoded(t, status.MinEntries, 5)))
	if err := c.CheckStatus(context.Background(), cred); err != nil {
		t.Fatalf("ok/cached-within-ttl: %v", err)
	}
	c.Forget(u)
	if err := c.CheckStatus(context.Background(), cred); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("ok/after-forget: %v, want revoked", err)
	}

	old := []byte(iss.sign(t, listDoc("https://lists.example/l", iss.did, "revocation", encoded(t, status.MinEntries))))
	g := newGate(old)
	c = newChecker(t, statuscheck.Config{Fetcher: g, TTL: time.Hour})
	cred = credential(t, iss.did, entry("https://lists.example/l", "revocation", 5))
	done := make(chan error, 1)
	go func() { done <- c.CheckStatus(context.Background(), cred) }()
	<-g.started
	c.Forget("https://lists.example/l")
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("the fetch under way: %v", err)
	}
	if err := c.CheckStatus(context.Background(), cred); err != nil || g.calls.Load() != 2 {
		t.Fatalf("after a forgotten fetch: %v, %d fetches, want a second fetch", err, g.calls.Load())
	}
}
