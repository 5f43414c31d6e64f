package did_test

import (
	"context"
	"errors"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
)

// A kid such as did:key:X/../did:key:Y must not select X's key by dropping
// the path: a verification method is DID#fragment.
func TestResolveMethodRefusesPath(t *testing.T) {
	r := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})
	const x = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	for _, kid := range []string{x + "/../did:key:z6Mk", x + "/path#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"} {
		if _, _, err := did.ResolveMethod(context.Background(), r, kid, did.AssertionMethod); !errors.Is(err, did.ErrMethodNotAuthorized) {
			t.Errorf("%s: got %v, want ErrMethodNotAuthorized", kid, err)
		}
	}
	if _, _, err := did.ResolveMethod(context.Background(), r, x+"#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", did.AssertionMethod); err != nil {
		t.Fatalf("DID#fragment: %v", err)
	}
}
