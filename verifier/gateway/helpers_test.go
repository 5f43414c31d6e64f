package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/did/didkey/didkeytest"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

const testIssuer = "https://gw.example"

// party is a did:key identity with its Ed25519 key.
type party struct {
	did, kid string
	priv     ed25519.PrivateKey
}

func newParty(t testing.TB) party {
	t.Helper()
	p := didkeytest.New(t)
	return party{did: p.DID, kid: p.KID, priv: p.Priv}
}

// issue signs a jwt_vc_json credential by p about subject.
func (p party) issue(t testing.TB, subject string, types []string, claims map[string]any) string {
	t.Helper()
	subj := map[string]any{"id": subject}
	for k, v := range claims {
		subj[k] = v
	}
	ts := []any{vc.TypeCredential}
	for _, x := range types {
		ts = append(ts, x)
	}
	doc := map[string]any{"@context": []any{vc.ContextV1}, "type": ts, "issuer": p.did,
		"issuanceDate": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "credentialSubject": subj}
	c, err := vc.ParseCredential(doc)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.SignCredential(c, vcjose.JWTVCJSON, p.priv, p.kid)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// present signs a jwt_vp_json presentation of creds by p.
func (p party) present(t testing.TB, nonce, aud string, creds ...any) string {
	t.Helper()
	if creds == nil {
		creds = []any{}
	}
	vp := map[string]any{"@context": []any{vc.ContextV1}, "type": []any{vc.TypePresentation}, "verifiableCredential": creds}
	tok, err := vcjose.SignPresentation(vp, vcjose.JWTVPJSON, p.priv, p.kid, p.did, nonce, aud, "urn:uuid:"+randHex(t), time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func randHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is a gateway over a real badger store, kms and verifier.
type rig struct {
	gw    *Gateway
	db    *store.DB
	keys  *KMSKeys
	clock *clock
	iss   party
}

type rigOptions struct {
	policy *Policy
	limits RateLimits
	nonces NonceStore
	keys   *KMSKeys
	db     *store.DB
	// forwardAuth is HandleAuthorize's mode (default nginx).
	forwardAuth ForwardAuthMode
}

func openDB(t testing.TB) (*store.DB, *kms.Manager) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := kms.New(db.Bucket("kms"), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return db, m
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{clock: newClock(), iss: newParty(t)}
	db := o.db
	var m *kms.Manager
	if db == nil {
		db, m = openDB(t)
	} else {
		var err error
		if m, err = kms.New(db.Bucket("kms"), make([]byte, 32)); err != nil {
			t.Fatal(err)
		}
	}
	r.db = db
	r.keys = o.keys
	if r.keys == nil {
		var err error
		if r.keys, err = NewKMSKeys(db, m, KeyOptions{Now: r.clock.Now}); err != nil {
			t.Fatal(err)
		}
	}
	pol := o.policy
	if pol == nil {
		iss := r.iss.did
		pol = DefaultPolicy(func(d string) bool { return d == iss })
	}
	nonces := o.nonces
	if nonces == nil {
		nonces = NewBadgerNonces(db)
	}
	if o.limits == (RateLimits{}) {
		o.limits = RateLimits{PerIP: 1e6, IPBurst: 1e6, PerHolder: 1e6, HolderBurst: 1e6}
	}
	v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
	r.gw = New(Config{Issuer: testIssuer, Verifier: v, Nonces: nonces, Keys: r.keys, Policy: pol,
		JTIs: NewBadgerJTIs(db), Limits: o.limits, Now: r.clock.Now, ForwardAuth: o.forwardAuth})
	return r
}

// token runs challenge → present → exchange and fails the test on refusal.
func (r *rig) token(t testing.TB, holder party, dpop string, creds ...any) *TokenResponse {
	t.Helper()
	ch, err := r.gw.NewChallenge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, _, oerr := r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange,
		SubjectToken: holder.present(t, ch.Nonce, testIssuer, creds...), SubjectTokenType: TokenTypeJWT, DPoP: dpop})
	if oerr != nil {
		t.Fatalf("exchange: %v", oerr)
	}
	return resp
}

// exchange runs challenge → present → exchange and returns the refusal.
func (r *rig) exchange(t testing.TB, holder party, creds ...any) (*TokenResponse, *Decision, *OAuthError) {
	t.Helper()
	ch, err := r.gw.NewChallenge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange,
		SubjectToken: holder.present(t, ch.Nonce, testIssuer, creds...), SubjectTokenType: TokenTypeJWT})
}

func form(vals map[string]string) *strings.Reader {
	f := url.Values{}
	for k, v := range vals {
		f.Set(k, v)
	}
	return strings.NewReader(f.Encode())
}

func serveReq(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}
