package did_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
)

// remote stands in for a method whose registry is elsewhere (did:web,
// did:ethr): a fixed table of documents, an error to fail with, and a call
// counter. did:key and did:jwk run for real wherever a test can use them.
type remote struct {
	mu    sync.Mutex
	docs  map[string]*did.Document
	fail  error
	calls int
}

func (r *remote) Resolve(_ context.Context, s string) (*did.Resolution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		return nil, fmt.Errorf("remote: %s: %w", s, r.fail)
	}
	doc, ok := r.docs[s]
	if !ok {
		return nil, fmt.Errorf("remote: %s: %w", s, did.ErrNotFound)
	}
	return &did.Resolution{Context: did.ContextResolution, Document: doc}, nil
}

func (r *remote) set(fail error) {
	r.mu.Lock()
	r.fail = fail
	r.mu.Unlock()
}

func (r *remote) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

const (
	edDID  = "did:key:" + mkEd25519
	jwkDID = "did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9"
)

func TestRegistry(t *testing.T) {
	ex := &remote{docs: map[string]*did.Document{"did:ex:a": parseDoc(t, testDoc)}}
	methods := map[string]did.Resolver{"key": didkey.Resolver{}, "jwk": didjwk.Resolver{}, "ex": ex}
	reg := did.NewRegistry(methods)
	delete(methods, "ex") // the registry keeps its own copy
	for _, tc := range []struct {
		name, in string
		wantID   string
		wantErr  error
	}{
		{name: "ok/key", in: edDID, wantID: edDID},
		{name: "ok/jwk", in: jwkDID, wantID: jwkDID},
		{name: "ok/ex", in: "did:ex:a", wantID: "did:ex:a"},
		{name: "fail/not-supported", in: "did:web:example.com", wantErr: did.ErrMethodNotSupported},
		{name: "fail/not-found", in: "did:ex:b", wantErr: did.ErrNotFound},
		{name: "fail/invalid", in: "did:KEY:z6Mk", wantErr: did.ErrInvalidDID},
		{name: "fail/fragment", in: edDID + "#" + mkEd25519, wantErr: did.ErrInvalidDID},
		{name: "fail/path", in: "did:ex:a/p", wantErr: did.ErrInvalidDID},
		{name: "fail/method-says-invalid", in: "did:key:zzz", wantErr: did.ErrInvalidDID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := reg.Resolve(context.Background(), tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || res != nil {
					t.Fatalf("Resolve(%q) = %v, %v; want %v", tc.in, res, err, tc.wantErr)
				}
				return
			}
			if err != nil || res.Document.ID != tc.wantID {
				t.Fatalf("Resolve(%q) = %v, %v", tc.in, res, err)
			}
		})
	}
	got := reg.Methods()
	slices.Sort(got)
	if want := []string{"ex", "jwk", "key"}; !slices.Equal(got, want) {
		t.Fatalf("Methods() = %v, want %v", got, want)
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"ok/nil", nil, ""},
		{"ok/invalid", fmt.Errorf("didkey: %w: x", did.ErrInvalidDID), "INVALID_DID"},
		{"ok/not-found", fmt.Errorf("a: %w", fmt.Errorf("b: %w", did.ErrNotFound)), "NOT_FOUND"},
		{"ok/method", did.ErrMethodNotSupported, "METHOD_NOT_SUPPORTED"},
		{"ok/deactivated", did.ErrDeactivated, "DEACTIVATED"},
		{"ok/unavailable", did.ErrUnavailable, "INTERNAL_ERROR"},
		{"ok/not-authorized", did.ErrMethodNotAuthorized, "INTERNAL_ERROR"},
		{"ok/other", errors.New("boom"), "INTERNAL_ERROR"},
		{"ok/context", context.DeadlineExceeded, "INTERNAL_ERROR"},
		{"ok/joined-invalid-checked-first", errors.Join(did.ErrNotFound, did.ErrInvalidDID), "INVALID_DID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := did.ErrorCode(tc.err); got != tc.want {
				t.Fatalf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestResolveMethod(t *testing.T) {
	deact := parseDoc(t, testDoc)
	deact.ID = "did:ex:gone"
	ex := &remote{docs: map[string]*did.Document{
		"did:ex:a":    parseDoc(t, testDoc),
		"did:ex:liar": parseDoc(t, testDoc), // answers with did:ex:a's document
		"did:ex:nil":  nil,
	}}
	gone := &deactivated{doc: deact}
	reg := did.NewRegistry(map[string]did.Resolver{"key": didkey.Resolver{}, "ex": ex, "gone": gone})
	for _, tc := range []struct {
		name    string
		vmID    string
		purpose did.Purpose
		wantID  string
		wantErr error
	}{
		{name: "ok/key-fragment", vmID: edDID + "#" + mkEd25519, purpose: did.AssertionMethod, wantID: edDID + "#" + mkEd25519},
		{name: "ok/key-bare", vmID: edDID, purpose: did.Authentication, wantID: edDID + "#" + mkEd25519},
		{name: "ok/ex-relative-method", vmID: "did:ex:a#k2", purpose: did.Authentication, wantID: "did:ex:a#k2"},
		{name: "fail/key-agreement-on-signing-key", vmID: edDID + "#" + mkEd25519, purpose: did.KeyAgreement, wantErr: did.ErrMethodNotAuthorized},
		{name: "fail/other-fragment", vmID: edDID + "#other", purpose: did.AssertionMethod, wantErr: did.ErrMethodNotAuthorized},
		{name: "fail/document-of-another-did", vmID: "did:ex:liar#k1", purpose: did.Authentication, wantErr: did.ErrNotFound},
		{name: "fail/no-document", vmID: "did:ex:nil#k1", purpose: did.Authentication, wantErr: did.ErrNotFound},
		{name: "fail/deactivated", vmID: "did:gone:x#k1", purpose: did.Authentication, wantErr: did.ErrDeactivated},
		{name: "fail/invalid", vmID: "did:ex:a#", purpose: did.Authentication, wantErr: did.ErrInvalidDID},
		{name: "fail/unsupported", vmID: "did:web:x#k", purpose: did.Authentication, wantErr: did.ErrMethodNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, _, err := did.ResolveMethod(context.Background(), reg, tc.vmID, tc.purpose)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || vm != nil {
					t.Fatalf("ResolveMethod(%q) = %+v, %v; want %v", tc.vmID, vm, err, tc.wantErr)
				}
				return
			}
			if err != nil || vm.ID != tc.wantID {
				t.Fatalf("ResolveMethod(%q) = %+v, %v; want id %s", tc.vmID, vm, err, tc.wantID)
			}
			if _, err := vm.PublicKey(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// deactivated answers every DID with its document marked deactivated.
type deactivated struct{ doc *did.Document }

func (d *deactivated) Resolve(context.Context, string) (*did.Resolution, error) {
	return &did.Resolution{Document: d.doc, DocumentMetadata: did.DocumentMetadata{Deactivated: true}}, nil
}
