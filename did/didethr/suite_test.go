package didethr_test

import (
	"context"
	gocrypto "crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/did/resolvertest"
	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
)

func TestSuiteEmbedded(t *testing.T) { runSuite(t, ledgertest.Embedded) }
func TestSuiteGeth(t *testing.T)     { runSuite(t, ledgertest.Geth) }

type env struct {
	l   *ledger.Ledger
	c   *didethr.Controller
	r   *didethr.Resolver
	now time.Time // the resolver's clock; tests move it
}

func newEnv(t *testing.T, open ledgertest.Opener) *env {
	l := open(t)
	c, err := didethr.NewController(l)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{l: l, c: c, now: time.Now()}
	e.r, err = didethr.New(didethr.Options{Now: func() time.Time { return e.now }}, didethr.NetworkOf(l, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (e *env) resolve(t *testing.T, s string) *did.Resolution {
	t.Helper()
	res, err := e.r.Resolve(context.Background(), s)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", s, err)
	}
	return res
}

func vmIDs(doc *did.Document) []string {
	var out []string
	for _, vm := range doc.VerificationMethod {
		out = append(out, vm.ID[strings.Index(vm.ID, "#"):])
	}
	return out
}

func refIDs(refs []did.Reference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.ID[strings.Index(r.ID, "#"):])
	}
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func runSuite(t *testing.T, open ledgertest.Opener) {
	e := newEnv(t, open)
	ctx := context.Background()
	chain := e.l.ChainID

	t.Run("ok/default-document", func(t *testing.T) {
		a := crypto.PubkeyToAddress(newKey(t).PublicKey)
		id := didethr.DIDForAddress(chain, a)
		res := e.resolve(t, id)
		eq(t, "verificationMethod", vmIDs(res.Document), []string{"#controller"})
		if got, want := res.Document.VerificationMethod[0].BlockchainAccountID, fmt.Sprintf("eip155:%s:%s", chain, a.Hex()); got != want {
			t.Fatalf("blockchainAccountId = %s, want %s", got, want)
		}
		if res.DocumentMetadata != (did.DocumentMetadata{}) {
			t.Fatalf("metadata of an untouched DID = %+v, want empty", res.DocumentMetadata)
		}
		// Checksummed and lowercase addresses resolve to the same document.
		mixed := didethr.DIDPrefix(chain) + a.Hex()
		res2 := e.resolve(t, mixed)
		if res2.Document.ID != mixed || res2.Document.VerificationMethod[0].BlockchainAccountID != res.Document.VerificationMethod[0].BlockchainAccountID {
			t.Fatalf("checksummed DID resolved differently: %+v", res2.Document)
		}
		// The chain can be named by the configured name too.
		res3 := e.resolve(t, "did:ethr:dev:"+strings.ToLower(a.Hex()))
		eq(t, "by name", vmIDs(res3.Document), []string{"#controller"})
	})

	t.Run("ok/public-key-did", func(t *testing.T) {
		k := newKey(t)
		id, err := didethr.DIDForPublicKey(chain, crypto.CompressPubkey(&k.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		res := e.resolve(t, id)
		eq(t, "verificationMethod", vmIDs(res.Document), []string{"#controller", "#controllerKey"})
		eq(t, "authentication", refIDs(res.Document.Authentication), []string{"#controller", "#controllerKey"})
		pub, err := res.Document.VerificationMethod[1].PublicKey()
		if err != nil || !sameKey(pub, &k.PublicKey) {
			t.Fatalf("controllerKey = %v, %v", pub, err)
		}
		// The key's owner changes: #controllerKey goes away.
		next := newKey(t)
		if _, err := e.c.ChangeOwner(ctx, didethr.KeySigner(k), crypto.PubkeyToAddress(k.PublicKey), crypto.PubkeyToAddress(next.PublicKey)); err != nil {
			t.Fatal(err)
		}
		res = e.resolve(t, id)
		eq(t, "after owner change", vmIDs(res.Document), []string{"#controller"})
		if got := res.Document.VerificationMethod[0].BlockchainAccountID; !strings.HasSuffix(got, crypto.PubkeyToAddress(next.PublicKey).Hex()) {
			t.Fatalf("controller = %s, want the new owner", got)
		}
	})

	// An issuer with no ether publishes keys through signed meta-transactions.
	issuer := newKey(t)
	signer := didethr.KeySigner(issuer)
	ident := signer.Address()
	id := didethr.DIDForAddress(chain, ident)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edAuth, _, _ := ed25519.GenerateKey(rand.Reader)
	xKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k1 := newKey(t)
	delegate := crypto.PubkeyToAddress(newKey(t).PublicKey)
	var blocks []uint64
	var edName string
	var edValue []byte

	t.Run("ok/keys-delegates-services", func(t *testing.T) {
		steps := []func() (didethr.Change, error){
			func() (didethr.Change, error) {
				var ch didethr.Change
				var err error
				edName, edValue, ch, err = e.c.PublishKey(ctx, signer, ident, edPub, didethr.VeriKey, 24*time.Hour)
				return ch, err
			},
			func() (didethr.Change, error) {
				_, _, ch, err := e.c.PublishKey(ctx, signer, ident, edAuth, didethr.SigAuth, didethr.Forever)
				return ch, err
			},
			func() (didethr.Change, error) {
				_, _, ch, err := e.c.PublishKey(ctx, signer, ident, xKey.PublicKey(), didethr.Enc, time.Hour)
				return ch, err
			},
			func() (didethr.Change, error) {
				_, _, ch, err := e.c.PublishKey(ctx, signer, ident, &p256.PublicKey, didethr.VeriKey, time.Hour)
				return ch, err
			},
			func() (didethr.Change, error) {
				_, _, ch, err := e.c.PublishKey(ctx, signer, ident, &k1.PublicKey, didethr.VeriKey, time.Hour)
				return ch, err
			},
			func() (didethr.Change, error) {
				return e.c.AddDelegate(ctx, signer, ident, didethr.SigAuth, delegate, time.Hour)
			},
			func() (didethr.Change, error) {
				return e.c.SetAttribute(ctx, signer, ident, "did/svc/LinkedDomains", []byte("https://issuer.example"), time.Hour)
			},
			func() (didethr.Change, error) {
				return e.c.SetAttribute(ctx, signer, ident, "did/svc/Messaging", []byte(`{"uri":"https://m.example","accept":["didcomm/v2"]}`), time.Hour)
			},
		}
		for i, step := range steps {
			ch, err := step()
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			blocks = append(blocks, ch.Block)
		}
		res := e.resolve(t, id)
		doc := res.Document
		eq(t, "verificationMethod", vmIDs(doc), []string{"#controller", "#delegate-1", "#delegate-2", "#delegate-3", "#delegate-4", "#delegate-5", "#delegate-6"})
		eq(t, "authentication", refIDs(doc.Authentication), []string{"#controller", "#delegate-2", "#delegate-6"})
		eq(t, "assertionMethod", refIDs(doc.AssertionMethod), []string{"#controller", "#delegate-1", "#delegate-2", "#delegate-4", "#delegate-5", "#delegate-6"})
		eq(t, "keyAgreement", refIDs(doc.KeyAgreement), []string{"#delegate-3"})
		wantTypes := []string{did.TypeEcdsaSecp256k1Recovery2020, did.TypeEd25519VerificationKey2020, did.TypeEd25519VerificationKey2020,
			did.TypeX25519KeyAgreementKey2020, did.TypeMultikey, did.TypeEcdsaSecp256k1Verification, did.TypeEcdsaSecp256k1Recovery2020}
		for i, vm := range doc.VerificationMethod {
			if vm.Type != wantTypes[i] {
				t.Errorf("%s type %s, want %s", vm.ID, vm.Type, wantTypes[i])
			}
		}
		keys := []any{nil, edPub, edAuth, xKey.PublicKey(), &p256.PublicKey, &k1.PublicKey}
		for i := 1; i < len(keys); i++ {
			got, err := doc.VerificationMethod[i].PublicKey()
			if err != nil {
				t.Fatalf("%s: %v", doc.VerificationMethod[i].ID, err)
			}
			if !sameKey(got, keys[i]) {
				t.Errorf("%s: key differs", doc.VerificationMethod[i].ID)
			}
		}
		if got := doc.VerificationMethod[6].BlockchainAccountID; got != fmt.Sprintf("eip155:%s:%s", chain, delegate.Hex()) {
			t.Errorf("delegate account %s", got)
		}
		if len(doc.Service) != 2 || doc.Service[0].ID != id+"#service-1" || doc.Service[0].Type != "LinkedDomains" ||
			doc.Service[0].ServiceEndpoint != "https://issuer.example" || doc.Service[1].ID != id+"#service-2" {
			t.Fatalf("services = %+v", doc.Service)
		}
		if m, ok := doc.Service[1].ServiceEndpoint.(map[string]any); !ok || m["uri"] != "https://m.example" {
			t.Fatalf("JSON service endpoint = %#v", doc.Service[1].ServiceEndpoint)
		}
		wantCtx := fmt.Sprint([]any{did.ContextDIDv1, "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
			"https://w3id.org/security/v2", map[string]any{"publicKeyJwk": map[string]any{"@id": "https://w3id.org/security#publicKeyJwk", "@type": "@json"}},
			"https://w3id.org/security/suites/ed25519-2020/v1", "https://w3id.org/security/suites/x25519-2020/v1", "https://w3id.org/security/multikey/v1"})
		if got := fmt.Sprint(doc.Context); got != wantCtx {
			t.Errorf("@context = %s\nwant %s", got, wantCtx)
		}
		if res.DocumentMetadata.VersionID != fmt.Sprint(blocks[len(blocks)-1]) || res.DocumentMetadata.Updated == "" || res.DocumentMetadata.NextVersionID != "" {
			t.Errorf("metadata = %+v", res.DocumentMetadata)
		}
		// An EdDSA verifier finds the issuer's key through the usual API.
		vm, _, err := did.ResolveMethod(ctx, e.r, id+"#delegate-1", did.AssertionMethod)
		if err != nil || vm.Type != did.TypeEd25519VerificationKey2020 {
			t.Fatalf("ResolveMethod: %v %v", vm, err)
		}
	})

	t.Run("ok/rotation-stable-ids-and-history", func(t *testing.T) {
		if len(blocks) == 0 {
			t.Skip("needs the previous subtest")
		}
		// Rotate: a new key, then revoke the old one.
		newEd, _, _ := ed25519.GenerateKey(rand.Reader)
		if _, _, _, err := e.c.PublishKey(ctx, signer, ident, newEd, didethr.VeriKey, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		rev, err := e.c.RevokeAttribute(ctx, signer, ident, edName, edValue)
		if err != nil {
			t.Fatal(err)
		}
		doc := e.resolve(t, id).Document
		eq(t, "after rotation", vmIDs(doc), []string{"#controller", "#delegate-2", "#delegate-3", "#delegate-4", "#delegate-5", "#delegate-6", "#delegate-7"})
		if _, err := doc.Method(id+"#delegate-1", did.AssertionMethod); !errors.Is(err, did.ErrMethodNotAuthorized) {
			t.Fatalf("revoked key still authorised: %v", err)
		}
		// versionId: the document as of the first key's block.
		res := e.resolve(t, fmt.Sprintf("%s?versionId=%d", id, blocks[0]))
		eq(t, "at first version", vmIDs(res.Document), []string{"#controller", "#delegate-1"})
		if res.DocumentMetadata.VersionID != fmt.Sprint(blocks[0]) || res.DocumentMetadata.NextVersionID != fmt.Sprint(blocks[1]) || res.DocumentMetadata.NextUpdate == "" {
			t.Fatalf("versioned metadata = %+v", res.DocumentMetadata)
		}
		// Before any change: the default document, with the next version named.
		res = e.resolve(t, fmt.Sprintf("%s?versionId=%d", id, blocks[0]-1))
		eq(t, "before first version", vmIDs(res.Document), []string{"#controller"})
		if res.DocumentMetadata.VersionID != "" || res.DocumentMetadata.NextVersionID != fmt.Sprint(blocks[0]) {
			t.Fatalf("pre-history metadata = %+v", res.DocumentMetadata)
		}
		// Just before the revocation the old key is still there.
		res = e.resolve(t, fmt.Sprintf("%s?versionId=%d", id, rev.Block-1))
		if _, err := res.Document.Method(id+"#delegate-1", did.AssertionMethod); err != nil {
			t.Fatalf("old key missing before revocation: %v", err)
		}
		// versionTime = that block's time works the same way.
		updated, _ := time.Parse(time.RFC3339, res.DocumentMetadata.Updated)
		res2 := e.resolve(t, fmt.Sprintf("%s?versionTime=%d", id, updated.Unix()))
		if _, err := res2.Document.Method(id+"#delegate-1", did.AssertionMethod); err != nil && updated.Unix() < time.Now().Unix() {
			// Blocks on dev chains can share a second; the revocation may
			// fall in the same second, so only check the metadata ordering.
			if res2.DocumentMetadata.NextVersionID == "" {
				t.Fatalf("versionTime resolution has neither the key nor a next version: %+v", res2.DocumentMetadata)
			}
		}
		res3 := e.resolve(t, id+"?versionTime="+updated.Add(-time.Hour).UTC().Format(time.RFC3339))
		eq(t, "an hour before", vmIDs(res3.Document), []string{"#controller"})
	})

	t.Run("ok/expiry-follows-the-clock", func(t *testing.T) {
		if len(blocks) == 0 {
			t.Skip("needs the previous subtests")
		}
		saved := e.now
		defer func() { e.now = saved }()
		e.now = saved.Add(2 * time.Hour) // the 1h entries expire, the 24h and forever ones stay
		doc := e.resolve(t, id).Document
		eq(t, "two hours later", vmIDs(doc), []string{"#controller", "#delegate-2", "#delegate-7"})
		if len(doc.Service) != 0 {
			t.Fatalf("expired services still listed: %+v", doc.Service)
		}
	})

	t.Run("ok/deactivation", func(t *testing.T) {
		k := newKey(t)
		s := didethr.KeySigner(k)
		if _, err := e.c.SetAttribute(ctx, s, s.Address(), "did/svc/X", []byte("https://x.example"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.Deactivate(ctx, s, s.Address()); err != nil {
			t.Fatal(err)
		}
		res := e.resolve(t, didethr.DIDForAddress(chain, s.Address()))
		if !res.DocumentMetadata.Deactivated || len(res.Document.VerificationMethod) != 0 || len(res.Document.Service) != 0 {
			t.Fatalf("deactivated resolution = %+v %+v", res.DocumentMetadata, res.Document)
		}
		if _, err := e.c.SetAttribute(ctx, s, s.Address(), "did/svc/X", []byte("y"), time.Hour); !errors.Is(err, didethr.ErrNotOwner) {
			t.Fatalf("write after deactivation: %v, want ErrNotOwner", err)
		}
	})

	t.Run("fail/not-owner", func(t *testing.T) {
		k := newKey(t)
		if _, err := e.c.SetAttribute(ctx, didethr.KeySigner(k), ident, "did/svc/X", []byte("x"), time.Hour); !errors.Is(err, didethr.ErrNotOwner) {
			t.Fatalf("err = %v, want ErrNotOwner", err)
		}
	})

	t.Run("fail/errors", func(t *testing.T) {
		for _, c := range []struct {
			name, did string
			want      error
		}{
			{"fail/unknown-network", "did:ethr:0x5:" + strings.ToLower(ident.Hex()), didethr.ErrUnknownNetwork},
			{"fail/unknown-network-name", "did:ethr:nowhere:" + strings.ToLower(ident.Hex()), did.ErrMethodNotSupported},
			{"fail/both-versions", id + "?versionId=1&versionTime=1", did.ErrInvalidDID},
			{"fail/bad-version", id + "?versionId=abc", did.ErrInvalidDID},
			{"fail/short-address", "did:ethr:0x1234", did.ErrInvalidDID},
			{"fail/not-a-point", "did:ethr:0x02" + strings.Repeat("ff", 32), did.ErrInvalidDID},
			{"fail/no-id", "did:ethr:", did.ErrInvalidDID},
		} {
			t.Run(c.name, func(t *testing.T) {
				if _, err := e.r.Resolve(ctx, c.did); !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
			})
		}
	})

	t.Run("conformance", func(t *testing.T) {
		pk, _ := didethr.DIDForPublicKey(chain, crypto.CompressPubkey(&newKey(t).PublicKey))
		resolvertest.Run(t, e.r, resolvertest.Cases{
			Valid:       []string{id, pk, didethr.DIDPrefix(chain) + crypto.PubkeyToAddress(newKey(t).PublicKey).Hex()},
			Invalid:     []string{"did:ethr", "did:ethr:0xzz", "did:ethr:1:2:0x" + strings.Repeat("a", 40)},
			OtherMethod: []string{"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
		})
	})
}

// sameKey compares keys; secp256k1 keys by point, since go-ethereum and
// decred use different curve values for it.
func sameKey(a, b any) bool {
	if ea, ok := a.(*ecdsa.PublicKey); ok {
		eb, ok := b.(*ecdsa.PublicKey)
		return ok && ea.X.Cmp(eb.X) == 0 && ea.Y.Cmp(eb.Y) == 0 && ea.Curve.Params().P.Cmp(eb.Curve.Params().P) == 0
	}
	return a.(interface{ Equal(gocrypto.PublicKey) bool }).Equal(b)
}
