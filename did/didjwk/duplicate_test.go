package didjwk_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
)

// A JWK that repeats "x" names two keys depending on the parser: refused.
func TestDuplicateMemberRefused(t *testing.T) {
	jwk := `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"NvUhsjZe7Mdv8Esoc60o3ma1U5j2tFUTDsOQd39xMnI"}`
	id := "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(jwk))
	if _, err := (didjwk.Resolver{}).Resolve(context.Background(), id); !errors.Is(err, did.ErrInvalidDID) {
		t.Fatalf("got %v, want ErrInvalidDID", err)
	}
}
