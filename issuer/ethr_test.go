package issuer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
)

// clock is a settable clock for rotation deadlines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type ethrEnv struct {
	s        *issuer.Service
	resolver did.Resolver
	clock    *clock
	changed  []string
}

// newEthrService is a service with did:ethr profiles on the embedded chain.
func newEthrService(t *testing.T) *ethrEnv {
	t.Helper()
	l := ledgertest.Embedded(t)
	e := &ethrEnv{clock: &clock{t: time.Now()}}
	s, db, _ := issuertest.New(t, issuertest.WithNow(e.clock.now))
	e.s = s
	ctrl, err := didethr.NewController(l)
	if err != nil {
		t.Fatal(err)
	}
	r, err := didethr.New(didethr.Options{}, didethr.NetworkOf(l))
	if err != nil {
		t.Fatal(err)
	}
	e.resolver = did.NewRegistry(map[string]did.Resolver{didethr.Method: r})
	err = e.s.EnableEthr(db, issuer.EthrConfig{Controller: ctrl, Resolver: r, Now: e.clock.now,
		OnChange: func(d string) { e.changed = append(e.changed, d) }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *ethrEnv) issue(t *testing.T, p *issuer.Profile, validFor time.Duration) string {
	t.Helper()
	cred := map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}}
	if validFor > 0 {
		cred["@context"] = []any{"https://www.w3.org/ns/credentials/v2"}
		cred["validUntil"] = e.clock.now().Add(validFor).UTC().Format(time.RFC3339)
	}
	out, err := e.s.Issue(context.Background(), issuer.Request{Credential: cred, Options: issuer.Options{Issuer: p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Credential.(string)
}

// verify returns "" when the credential verifies, else its first code.
func verify(e *ethrEnv, jwt string, atIssuance bool) (string, []verifier.Problem) {
	v := verifier.New(verifier.Config{Resolver: e.resolver, VerifyAtIssuanceTime: atIssuance})
	res := v.VerifyCredential(context.Background(), jwt)
	if res.Verified {
		return "", res.Warnings
	}
	return res.Errors[0].Code, res.Warnings
}

func TestEthrProfiles(t *testing.T) {
	e := newEthrService(t)
	for _, tc := range []struct {
		name, keyType, fragment, alg string
	}{
		{"ok/Ed25519", "Ed25519", "#delegate-1", "EdDSA"},
		{"ok/P-256", "P-256", "#delegate-1", "ES256"},
		{"ok/secp256k1-controller", "secp256k1", "#controller", "ES256K"},
		{"ok/default-Ed25519", "", "#delegate-1", "EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.s.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "Ledger Corp", Method: "ethr", KeyType: tc.keyType})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.DID, "did:ethr:0x539:0x") || p.VerificationMethod != p.DID+tc.fragment || p.Method != "ethr" {
				t.Fatalf("profile did %s vm %s method %s", p.DID, p.VerificationMethod, p.Method)
			}
			if e.changed[len(e.changed)-1] != p.DID {
				t.Errorf("OnChange not told about %s", p.DID)
			}
			jwt := e.issue(t, p, 0)
			if h := jwtHeader(t, jwt); h["alg"] != tc.alg || h["kid"] != p.VerificationMethod {
				t.Errorf("header = %v", h)
			}
			if code, _ := verify(e, jwt, false); code != "" {
				t.Errorf("verify: %s", code)
			}
		})
	}
	t.Run("fail/keyType", func(t *testing.T) {
		_, err := e.s.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "x", Method: "ethr", KeyType: "RSA"})
		if !errors.Is(err, issuer.ErrInvalidRequest) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("fail/no-ledger", func(t *testing.T) {
		_, err := newService(t).CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "x", Method: "ethr"})
		if !errors.Is(err, issuer.ErrInvalidRequest) || !errors.Is(err, issuer.ErrNoLedger) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestEthrRotate(t *testing.T) {
	e := newEthrService(t)
	ctx := context.Background()
	p, err := e.s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "Rotating", Method: "ethr"})
	if err != nil {
		t.Fatal(err)
	}
	old := e.issue(t, p, 2*time.Hour)

	// Default deadline: the latest expiry of what the old key signed.
	rot, err := e.s.RotateKey(ctx, p.ID, issuer.RotateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := e.clock.now().Add(2 * time.Hour).Truncate(time.Second)
	if !rot.PreviousValidUntil.Equal(want) || rot.PreviousRevoked || rot.Previous != p.VerificationMethod ||
		rot.Profile.VerificationMethod != p.DID+"#delegate-2" {
		t.Fatalf("rotation = %+v (want deadline %s)", rot, want)
	}
	if got, _ := e.s.Profile(p.ID); got.VerificationMethod != rot.Profile.VerificationMethod {
		t.Errorf("profile vm = %s", got.VerificationMethod)
	}
	if code, _ := verify(e, old, false); code != "" {
		t.Errorf("old key before its deadline: %s", code)
	}
	cur := e.issue(t, rot.Profile, 0) // never expires

	// A credential without expiry keeps the key DefaultKeepOldKey.
	rot2, err := e.s.RotateKey(ctx, p.ID, issuer.RotateRequest{KeyType: "P-256"})
	if err != nil {
		t.Fatal(err)
	}
	if d := rot2.PreviousValidUntil.Sub(e.clock.now()); d < issuer.DefaultKeepOldKey-time.Minute || d > issuer.DefaultKeepOldKey {
		t.Errorf("deadline of a key that signed a credential without expiry: %s from now", d)
	}
	if rot2.Profile.KeyType != "P-256" {
		t.Errorf("keyType = %s", rot2.Profile.KeyType)
	}

	// Deadlines pass: the revoker revokes both old keys on the ledger.
	if err := e.s.RevokeDueKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _ := verify(e, old, false); code != "" {
		t.Errorf("nothing is due yet, old key: %s", code)
	}
	e.clock.add(issuer.DefaultKeepOldKey + time.Hour)
	if err := e.s.RevokeDueKeys(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := e.s.EthrRecord(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range rec.Keys[:2] {
		if k.RevokedAt.IsZero() {
			t.Errorf("key %d (%s) not revoked", i, k.VerificationMethod)
		}
	}
	for name, jwt := range map[string]string{"first": old, "second": cur} {
		code, _ := verify(e, jwt, false)
		if code != "key_revoked" {
			t.Errorf("%s key after revocation: %q, want key_revoked", name, code)
		}
		code, warns := verify(e, jwt, true)
		if code != "" || len(warns) != 1 || warns[0].Code != verifier.CodeKeyRevokedSince {
			t.Errorf("%s key, verify at issuance time: %q %v", name, code, warns)
		}
	}

	for _, tc := range []struct {
		name string
		ref  string
		req  issuer.RotateRequest
		want error
	}{
		{"fail/unknown", "nope", issuer.RotateRequest{}, issuer.ErrProfileNotFound},
		{"fail/secp256k1-new-key", p.ID, issuer.RotateRequest{KeyType: "secp256k1"}, issuer.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.s.RotateKey(ctx, tc.ref, tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("fail/did-key-profile", func(t *testing.T) {
		pk, err := e.s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RotateKey(ctx, pk.ID, issuer.RotateRequest{}); !errors.Is(err, issuer.ErrInvalidRequest) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestEthrKeyNeverOfTheDID: a kid naming a method the DID never had stays
// key_not_found, whatever the policy.
func TestEthrKeyNeverOfTheDID(t *testing.T) {
	e := newEthrService(t)
	p, err := e.s.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "x", Method: "ethr"})
	if err != nil {
		t.Fatal(err)
	}
	jwt := e.issue(t, p, 0)
	forged := resign(t, jwt, p.DID+"#delegate-9")
	for _, at := range []bool{false, true} {
		if code, _ := verify(e, forged, at); code != "key_not_found" {
			t.Errorf("verifyAtIssuance=%v: %q, want key_not_found", at, code)
		}
	}
}

func jwtHeader(t *testing.T, jwt string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// resign replaces the kid of a compact JWS, keeping payload and signature.
func resign(t *testing.T, jwt, kid string) string {
	t.Helper()
	h := jwtHeader(t, jwt)
	h["kid"] = kid
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jwt, ".")
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
}
