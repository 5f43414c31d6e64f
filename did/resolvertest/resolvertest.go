// Package resolvertest is the conformance suite every did.Resolver runs
// (one suite for every method, in the way of dex's storage/conformance). It
// owns only the generic rules of DID Core §7.1 and §5; what a method's
// documents look like is checked by that method's own tests.
package resolvertest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/credentialflow/cflow/did"
)

// Cases are the inputs a method hands to Run.
type Cases struct {
	// Valid DIDs must resolve to a document whose id is the DID.
	Valid []string
	// Invalid DIDs must fail with an error wrapping did.ErrInvalidDID.
	Invalid []string
	// NotFound DIDs are well formed but have no document: did.ErrNotFound.
	NotFound []string
	// OtherMethod DIDs belong to a method this resolver does not serve:
	// did.ErrMethodNotSupported. Run always adds "did:example:123".
	OtherMethod []string
}

var purposes = []did.Purpose{
	did.Authentication, did.AssertionMethod, did.KeyAgreement,
	did.CapabilityInvocation, did.CapabilityDelegation,
}

// Run checks r against the shared rules. Each case is a subtest named
// ok/<did> or fail/<did>.
func Run(t *testing.T, r did.Resolver, cases Cases) {
	t.Helper()
	ctx := context.Background()
	for _, s := range cases.Valid {
		t.Run("ok/"+s, func(t *testing.T) { checkValid(t, ctx, r, s) })
		// DID Core §7.1: resolve takes a DID; a DID URL with a fragment is
		// dereferenced, not resolved.
		t.Run("fail/fragment/"+s, func(t *testing.T) {
			wantErr(t, ctx, r, s+"#0", did.ErrInvalidDID)
		})
	}
	for _, s := range cases.Invalid {
		t.Run("fail/invalid/"+s, func(t *testing.T) { wantErr(t, ctx, r, s, did.ErrInvalidDID) })
	}
	for _, s := range cases.NotFound {
		t.Run("fail/notfound/"+s, func(t *testing.T) { wantErr(t, ctx, r, s, did.ErrNotFound) })
	}
	for _, s := range append([]string{"did:example:123"}, cases.OtherMethod...) {
		t.Run("fail/method/"+s, func(t *testing.T) { wantErr(t, ctx, r, s, did.ErrMethodNotSupported) })
	}
	if len(cases.Valid) > 0 {
		t.Run("ok/concurrent", func(t *testing.T) { checkConcurrent(t, ctx, r, cases.Valid) })
	}
}

func checkValid(t *testing.T, ctx context.Context, r did.Resolver, s string) {
	res, err := r.Resolve(ctx, s)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", s, err)
	}
	if res == nil || res.Document == nil {
		t.Fatalf("Resolve(%s): no document", s)
	}
	doc := res.Document
	if doc.ID != s {
		t.Fatalf("document id = %q, want the DID %q", doc.ID, s)
	}
	if len(doc.VerificationMethod) == 0 {
		t.Fatalf("document has no verification method")
	}
	// §5.2: every verification method has a DID URL id, a type, a
	// controller, and (unless it is a recovery method that only names an
	// account) a key we can read.
	for _, vm := range doc.VerificationMethod {
		u, err := did.ParseURL(vm.ID)
		if err != nil || u.Fragment == "" {
			t.Errorf("verification method id %q is not a DID URL with a fragment: %v", vm.ID, err)
		}
		if vm.Type == "" || vm.Controller == "" {
			t.Errorf("verification method %s: type %q controller %q", vm.ID, vm.Type, vm.Controller)
		}
		if keyless(vm) {
			continue
		}
		if _, err := vm.PublicKey(); err != nil {
			t.Errorf("verification method %s: PublicKey: %v", vm.ID, err)
		}
	}
	// §5.3: every relationship entry is reachable through Document.Method,
	// and through ResolveMethod from a fresh resolution.
	n := 0
	for _, p := range purposes {
		for _, vm := range doc.Methods(p) {
			n++
			got, err := doc.Method(vm.ID, p)
			if err != nil {
				t.Errorf("Method(%s, %s): %v", vm.ID, p, err)
				continue
			}
			if !keyless(*got) {
				if _, err := got.PublicKey(); err != nil {
					t.Errorf("Method(%s, %s).PublicKey: %v", vm.ID, p, err)
				}
			}
			if _, _, err := did.ResolveMethod(ctx, r, vm.ID, p); err != nil {
				t.Errorf("ResolveMethod(%s, %s): %v", vm.ID, p, err)
			}
		}
		if refs := countRefs(doc, p); refs != len(doc.Methods(p)) {
			t.Errorf("%s lists %d entries, %d resolve through Document.Method", p, refs, len(doc.Methods(p)))
		}
	}
	if n == 0 {
		t.Errorf("no verification relationship lists a method")
	}
	// The document survives a JSON round trip unchanged.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("marshal resolution: %v", err)
	}
	var back did.Resolution
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal resolution: %v", err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatalf("re-marshal resolution: %v", err)
	}
	if string(b) != string(b2) {
		t.Errorf("JSON round trip changed the resolution:\n%s\n%s", b, b2)
	}
}

func countRefs(doc *did.Document, p did.Purpose) int {
	switch p {
	case did.Authentication:
		return len(doc.Authentication)
	case did.AssertionMethod:
		return len(doc.AssertionMethod)
	case did.KeyAgreement:
		return len(doc.KeyAgreement)
	case did.CapabilityInvocation:
		return len(doc.CapabilityInvocation)
	case did.CapabilityDelegation:
		return len(doc.CapabilityDelegation)
	}
	return 0
}

// keyless reports a method that carries an account, not a key
// (EcdsaSecp256k1RecoveryMethod2020 with only blockchainAccountId).
func keyless(vm did.VerificationMethod) bool {
	return vm.BlockchainAccountID != "" && len(vm.PublicKeyJwk) == 0 &&
		vm.PublicKeyMultibase == "" && vm.PublicKeyBase58 == "" && vm.PublicKeyHex == ""
}

func wantErr(t *testing.T, ctx context.Context, r did.Resolver, s string, want error) {
	res, err := r.Resolve(ctx, s)
	if !errors.Is(err, want) {
		t.Fatalf("Resolve(%q) = %v, want an error wrapping %v", s, err, want)
	}
	if res != nil && res.Document != nil {
		t.Errorf("Resolve(%q) failed but returned a document", s)
	}
	if got, wantCode := did.ErrorCode(err), did.ErrorCode(want); got != wantCode {
		t.Errorf("ErrorCode = %q, want %q", got, wantCode)
	}
}

// checkConcurrent resolves every valid DID from several goroutines; under
// -race it finds shared state a resolver forgot to guard.
func checkConcurrent(t *testing.T, ctx context.Context, r did.Resolver, dids []string) {
	first := make(map[string]*did.Document, len(dids))
	for _, s := range dids {
		res, err := r.Resolve(ctx, s)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", s, err)
		}
		first[s] = res.Document
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(dids))
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range dids {
				res, err := r.Resolve(ctx, s)
				if err != nil {
					errs <- err
					continue
				}
				if !reflect.DeepEqual(res.Document, first[s]) {
					errs <- errors.New("resolving " + s + " twice gave different documents")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
