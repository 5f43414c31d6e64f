package verifier

import (
	"context"
	"crypto"
	"errors"
	"strings"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
)

// DataIntegrityProofs verifies embedded Data Integrity proofs (ldp_vc,
// ldp_vp) with a dataintegrity.Engine, resolving verification methods
// through a did.Resolver under the purpose the verifier asks for.
type DataIntegrityProofs struct {
	engine   *dataintegrity.Engine
	resolver did.Resolver
}

var _ ProofVerifier = (*DataIntegrityProofs)(nil)

// NewDataIntegrityProofs returns the ProofVerifier for Config.Proofs. Use the
// same resolver as the Verifier so DID documents are cached once.
func NewDataIntegrityProofs(e *dataintegrity.Engine, r did.Resolver) *DataIntegrityProofs {
	return &DataIntegrityProofs{engine: e, resolver: r}
}

// VerifyProof checks every proof on doc (a proof set or chain) for purpose,
// and, when given, the challenge and domain (VC Data Integrity §4.4). It
// returns the verification method of the first proof; all of them verified.
func (p *DataIntegrityProofs) VerifyProof(ctx context.Context, doc map[string]any, purpose did.Purpose, challenge, domain string) (string, error) {
	res, err := p.engine.Verify(ctx, doc, proofKeys{p.resolver}, dataintegrity.Expect{
		Purpose: string(purpose), Challenge: challenge, Domain: domain,
	})
	if err != nil {
		return "", proofError(err)
	}
	return res.Proofs[0].VerificationMethod, nil
}

// proofError keeps the most specific stable code: the key resolution's own
// code (key_not_found, did_unresolvable, ...) when that is what failed, else
// the Data Integrity or JSON-LD code.
func proofError(err error) error {
	code := dataintegrity.Code(err)
	var ve *vc.Error
	if code == dataintegrity.CodeKeyUnresolved && errors.As(err, &ve) {
		return ve
	}
	if code == "" {
		code = vc.CodeMalformed
	}
	msg := err.Error()
	var de *dataintegrity.Error
	if errors.As(err, &de) {
		msg = de.Message
	}
	return &vc.Error{Code: code, Message: msg, Err: err}
}

// proofKeys adapts the DID resolver to dataintegrity.KeyResolver.
type proofKeys struct{ r did.Resolver }

func (k proofKeys) PublicKey(ctx context.Context, vmID, purpose string) (crypto.PublicKey, error) {
	if !strings.HasPrefix(vmID, "did:") {
		return nil, vc.Errorf(vc.CodeKeyNotFound, "verification method %q is not a DID URL", vmID)
	}
	vm, _, err := did.ResolveMethod(ctx, k.r, vmID, did.Purpose(purpose))
	if err != nil {
		// Same codes as a JWT's kid (DID Core §5.3): a method that is not
		// in the relationship is key_not_found.
		return nil, resolveError(vmID, did.Purpose(purpose), err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, vc.Wrap(vc.CodeKeyNotFound, err, "key of %s", vm.ID)
	}
	return pub, nil
}
