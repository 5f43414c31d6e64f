package interop_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
)

// server is the issuer and verifier wired as cmd/cflow wires them, except
// that the W3C examples contexts are served too: the test-suite inputs and
// the Node side use them.
type server struct {
	t        testing.TB
	h        http.Handler
	issuer   *issuer.Service
	verifier *verifier.Verifier
	engine   *dataintegrity.Engine
	keys     *kms.Manager
	profile  *issuer.Profile // Ed25519 did:key
	holder   ed25519.PrivateKey
	holderID string // did:key of the holder
}

func newServer(t testing.TB) *server {
	t.Helper()
	iss, _, keys := issuertest.New(t)
	var err error
	resolver := did.NewCache(did.NewRegistry(map[string]did.Resolver{
		didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{},
	}), did.CacheOptions{})
	engine := dataintegrity.New(jsonld.New(jsonld.WithExampleContexts()), nil)
	v := verifier.New(verifier.Config{Resolver: resolver, Proofs: verifier.NewDataIntegrityProofs(engine, resolver)})
	iss.UseProofEngine(engine)
	s := &server{t: t, issuer: iss, verifier: v, engine: engine, keys: keys}
	s.h = api.NewRouter(api.Config{Roles: []string{api.RoleIssuer, api.RoleVerifier, api.RoleResolver},
		Issuer: iss, Verifier: v, Resolver: resolver})
	if s.profile, err = iss.CreateProfile(context.Background(), issuer.CreateProfileRequest{Name: "interop"}); err != nil {
		t.Fatal(err)
	}
	_, s.holder, _ = ed25519.GenerateKey(rand.Reader)
	if s.holderID, err = didkey.New(s.holder.Public()); err != nil {
		t.Fatal(err)
	}
	return s
}

func holderVM(d string) string { return d + "#" + strings.TrimPrefix(d, "did:key:") }

// post sends a JSON body to the router and returns the status and body.
func (s *server) post(path string, body any) (int, map[string]any) {
	s.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		s.t.Fatalf("%s answered %d with non-JSON %q", path, rec.Code, rec.Body.String())
	}
	return rec.Code, out
}

func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func vectors(t testing.TB, dir, glob string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join("..", "vectors", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := filepath.Match(glob, d.Name()); ok && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no vectors %s/%s: %v", dir, glob, err)
	}
	return out
}

func (s *server) signer(t testing.TB) crypto.Signer {
	t.Helper()
	sg, err := s.keys.Signer(s.profile.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}
