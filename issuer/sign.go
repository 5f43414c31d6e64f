package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

// FormatLDPVC is a credential secured with an embedded Data Integrity proof
// (VC Data Integrity 1.0; OpenID4VCI Appendix A.1.3 "ldp_vc").
const FormatLDPVC vcjose.Format = "ldp_vc"

// ContextDataIntegrity defines DataIntegrityProof and cryptosuite for VCDM 1.1
// documents, whose base context predates them (VC Data Integrity §2.1).
const ContextDataIntegrity = "https://w3id.org/security/data-integrity/v2"

// Cryptosuites this issuer signs ldp_vc with, by name.
var Cryptosuites = []string{dataintegrity.EddsaRdfc2022, dataintegrity.EcdsaRdfc2019, dataintegrity.EddsaJcs2022}

// UseProofEngine sets the Data Integrity engine ldp_vc credentials are signed
// with; share the verifier's so JSON-LD contexts are processed once. Without
// it the service makes its own over the embedded contexts on first use.
func (s *Service) UseProofEngine(e *dataintegrity.Engine) { s.proofs.Store(e) }

func (s *Service) proofEngine() *dataintegrity.Engine {
	if e := s.proofs.Load(); e != nil {
		return e
	}
	s.proofs.CompareAndSwap(nil, dataintegrity.New(jsonld.New(), s.now))
	return s.proofs.Load()
}

// sign secures a completed, validated credential in format. A JWT format
// returns the compact JWS string; ldp_vc returns the credential object with
// its proof.
func (s *Service) sign(ctx context.Context, c *vc.Credential, format vcjose.Format, cryptosuite string, p *Profile, signer crypto.Signer) (any, error) {
	if format != FormatLDPVC {
		if cryptosuite != "" {
			return nil, vc.Errorf(vc.CodeUnsupportedFormat, "options.cryptosuite applies to ldp_vc only, not %s", format)
		}
		return vcjose.SignCredential(c, format, signer, p.VerificationMethod)
	}
	suite, err := chooseSuite(cryptosuite, signer.Public())
	if err != nil {
		return nil, err
	}
	doc := c.Doc
	if c.Version == 1 && !hasContext(doc["@context"], ContextDataIntegrity) {
		doc = withContext(doc, ContextDataIntegrity)
	}
	out, err := s.proofEngine().Sign(ctx, doc, signer, dataintegrity.Options{
		Cryptosuite:        suite,
		VerificationMethod: p.VerificationMethod,
		Purpose:            "assertionMethod",
		Created:            vc.FormatDateTime(s.now()),
	})
	if err != nil {
		return nil, signError(err)
	}
	return out, nil
}

// chooseSuite picks the cryptosuite: eddsa-rdfc-2022 for an Ed25519 key and
// ecdsa-rdfc-2019 for P-256 unless asked otherwise; one that does not fit the
// key is refused.
func chooseSuite(asked string, pub crypto.PublicKey) (string, error) {
	_, isEd := pub.(ed25519.PublicKey)
	_, isEC := pub.(*ecdsa.PublicKey)
	if asked == "" {
		switch {
		case isEd:
			return dataintegrity.EddsaRdfc2022, nil
		case isEC:
			return dataintegrity.EcdsaRdfc2019, nil
		}
		return "", vc.Errorf(vc.CodeUnsupportedFormat, "no cryptosuite signs with a %T key", pub)
	}
	switch asked {
	case dataintegrity.EddsaRdfc2022, dataintegrity.EddsaJcs2022:
		if isEd {
			return asked, nil
		}
	case dataintegrity.EcdsaRdfc2019:
		if isEC {
			return asked, nil
		}
	default:
		return "", vc.Errorf(vc.CodeProofUnsupported, "cryptosuite %q is not supported (eddsa-rdfc-2022, ecdsa-rdfc-2019, eddsa-jcs-2022)", asked)
	}
	return "", vc.Errorf(vc.CodeProofUnsupported, "cryptosuite %s does not fit this issuer's key", asked)
}

// signError keeps the JSON-LD safe-mode code (jsonld_*, context_not_allowed)
// so the API answers 400 with it.
func signError(err error) error {
	code := dataintegrity.Code(err)
	if code == "" {
		return err
	}
	msg := err.Error()
	var de *dataintegrity.Error
	if errors.As(err, &de) {
		msg = de.Message
	}
	return &vc.Error{Code: code, Message: msg, Err: err}
}

func hasContext(ctx any, url string) bool {
	switch c := ctx.(type) {
	case string:
		return c == url
	case []any:
		for _, e := range c {
			if e == url {
				return true
			}
		}
	}
	return false
}

// withContext returns a shallow copy of doc with url appended to @context.
func withContext(doc map[string]any, url string) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	var list []any
	switch c := doc["@context"].(type) {
	case string:
		list = []any{c}
	case []any:
		list = append(list, c...)
	}
	out["@context"] = append(list, url)
	return out
}
