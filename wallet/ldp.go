package wallet

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/verifier"
)

// Credential formats an Entry can hold.
const (
	FormatLDPVC = "ldp_vc" // JSON credential with an embedded Data Integrity proof
	FormatLDPVP = "ldp_vp" // presentation with an embedded Data Integrity proof
	FormatJWTVP = "jwt_vp_json"
)

// contextDataIntegrity defines DataIntegrityProof for VCDM 1.1 documents,
// whose base context predates it (VC Data Integrity §2.1).
const contextDataIntegrity = "https://w3id.org/security/data-integrity/v2"

// Credential returns the stored credential as a verifier takes it: the
// compact JWT string, or the ldp_vc object decoded from its JSON.
func (e Entry) Credential() (any, error) {
	if e.Format != FormatLDPVC {
		return e.Raw, nil
	}
	doc, err := decodeObject([]byte(e.Raw))
	if err != nil {
		return nil, fmt.Errorf("wallet: credential %s: %w", e.ID, err)
	}
	return doc, nil
}

// extractCredential finds the credential in a Receive input. An ldp_vc (a
// JSON object with a proof, bare or as the issue API's
// {"verifiableCredential": {…}} answer) comes back as its decoded object
// and its compact JSON, kept as received apart from insignificant
// whitespace: a Data Integrity proof covers the JSON-LD data, not the bytes,
// but numbers keep their lexical form this way. Anything else goes through
// ExtractJWT.
func extractCredential(raw []byte) (input any, stored string, err error) {
	if len(raw) > MaxInputBytes {
		return nil, "", fmt.Errorf("%w: input over %d bytes", ErrInput, MaxInputBytes)
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := jsonx.CheckStrict(trimmed); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrInput, err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &top); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrInput, err)
		}
		obj := []byte(nil)
		if inner, ok := top["verifiableCredential"]; ok && top["type"] == nil && len(inner) > 0 && inner[0] == '{' {
			obj = inner
		} else if _, ok := top["proof"]; ok && top["verifiableCredential"] == nil {
			obj = trimmed
		}
		if obj != nil {
			var buf bytes.Buffer
			if err := json.Compact(&buf, obj); err != nil {
				return nil, "", fmt.Errorf("%w: %v", ErrInput, err)
			}
			doc, err := decodeObject(buf.Bytes())
			if err != nil {
				return nil, "", fmt.Errorf("%w: %v", ErrInput, err)
			}
			if _, ok := doc["proof"]; !ok {
				return nil, "", fmt.Errorf("%w: the credential object has no proof", ErrInput)
			}
			return doc, buf.String(), nil
		}
	}
	token, err := ExtractJWT(raw)
	return token, token, err
}

// decodeObject decodes one strict JSON object the way the verifier's HTTP
// callers do (numbers as float64), so what the wallet signs over is what a
// gateway will read back.
func decodeObject(b []byte) (map[string]any, error) {
	if err := jsonx.CheckStrict(b); err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return doc, nil
}

// defaultVerifier verifies JWT and Data Integrity proofs with did:key and
// did:jwk, JSON-LD contexts only from the binary.
func (w *Wallet) defaultVerifier() *verifier.Verifier {
	return verifier.New(verifier.Config{Resolver: w.resolver,
		Proofs: verifier.NewDataIntegrityProofs(dataintegrity.New(jsonld.New(), w.now), w.resolver)})
}

// PresentLDP builds an ldp_vp: a presentation of the credentials named in
// credIDs (chosen as for Present) secured with a Data Integrity proof by
// the holder DID's authentication key, with proofPurpose authentication and
// the verifier's challenge and domain (VC Data Integrity §2.1.1, §2.2), and
// an expires PresentationTTL ahead. Ed25519 keys sign with eddsa-rdfc-2022,
// P-256 keys with ecdsa-rdfc-2019.
//
// ldp_vc credentials are embedded as objects and vc+jwt credentials as
// EnvelopedVerifiableCredential (VCDM 2.0 §4.13.1); a VCDM 1.1 JWT
// (jwt_vc_json) has no place in a JSON-LD presentation and is refused with
// ErrUnsupported — present it with Present. The presentation's base context
// follows the credentials' (VCDM 1.1 and 2.0 contexts are both @protected,
// so one presentation cannot mix them). A nil engine processes JSON-LD with
// the contexts embedded in the binary.
func (w *Wallet) PresentLDP(ctx context.Context, engine *dataintegrity.Engine, challenge, domain string, credIDs []string, holderDID string) (map[string]any, error) {
	holder, chosen, err := w.choose(ctx, challenge, domain, credIDs, holderDID)
	if err != nil {
		return nil, err
	}
	version := 0
	creds := make([]any, len(chosen))
	for i, e := range chosen {
		v := 2
		switch e.Format {
		case FormatLDPVC:
			doc, err := e.Credential()
			if err != nil {
				return nil, err
			}
			if first, _ := firstContext(doc.(map[string]any)); first == vc.ContextV1 {
				v = 1
			}
			creds[i] = doc
		case "vc+jwt":
			creds[i] = map[string]any{
				"@context": vc.ContextV2,
				"type":     "EnvelopedVerifiableCredential",
				"id":       "data:application/vc+jwt," + e.Raw,
			}
		default:
			return nil, fmt.Errorf("%w: credential %s is %s; an ldp_vp carries ldp_vc and vc+jwt credentials (present it as %s)", ErrUnsupported, e.ID, e.Format, FormatJWTVP)
		}
		if version != 0 && v != version {
			return nil, fmt.Errorf("%w: one ldp_vp cannot mix VCDM 1.1 and 2.0 credentials; present them separately", ErrUnsupported)
		}
		version = v
	}
	context := []any{vc.ContextV2}
	if version == 1 {
		context = []any{vc.ContextV1, contextDataIntegrity}
	}
	vp := map[string]any{
		"@context":             context,
		"type":                 []any{vc.TypePresentation},
		"id":                   "urn:uuid:" + uuid.NewString(),
		"holder":               holder.DID,
		"verifiableCredential": creds,
	}
	signer, err := w.kms.Signer(holder.KeyID)
	if err != nil {
		return nil, fmt.Errorf("wallet: present: key of %s: %w", holder.DID, err)
	}
	suite, err := holderSuite(signer.Public())
	if err != nil {
		return nil, err
	}
	if engine == nil {
		engine = dataintegrity.New(jsonld.New(), w.now)
	}
	now := w.now().UTC().Truncate(time.Second)
	out, err := engine.Sign(ctx, vp, signer, dataintegrity.Options{
		Cryptosuite:        suite,
		VerificationMethod: holder.VerificationMethod,
		Purpose:            "authentication",
		Created:            now.Format(time.RFC3339),
		Expires:            now.Add(PresentationTTL).Format(time.RFC3339),
		Challenge:          challenge,
		Domain:             domain,
	})
	if err != nil {
		return nil, fmt.Errorf("wallet: present: %w", err)
	}
	return out, nil
}

func holderSuite(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case ed25519.PublicKey:
		return dataintegrity.EddsaRdfc2022, nil
	case *ecdsa.PublicKey:
		return dataintegrity.EcdsaRdfc2019, nil
	}
	return "", fmt.Errorf("%w: no cryptosuite signs with a %T key", ErrUnsupported, pub)
}

func firstContext(doc map[string]any) (string, bool) {
	switch c := doc["@context"].(type) {
	case string:
		return c, true
	case []any:
		if len(c) > 0 {
			s, ok := c[0].(string)
			return s, ok
		}
	}
	return "", false
}

// TokenLDP is Token with an ldp_vp (PresentLDP, domain = the gateway's
// audience) as the subject_token, sent as its JSON text.
func (w *Wallet) TokenLDP(ctx context.Context, engine *dataintegrity.Engine, gatewayURL string, credIDs []string, client *http.Client) (TokenResponse, error) {
	return w.token(ctx, gatewayURL, client, func(nonce, aud string) (string, error) {
		vp, err := w.PresentLDP(ctx, engine, nonce, aud, credIDs, "")
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(vp)
		if err != nil {
			return "", fmt.Errorf("wallet: present: %w", err)
		}
		return string(b), nil
	})
}
