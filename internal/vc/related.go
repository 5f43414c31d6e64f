package vc

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-varint"
)

// sriHashes are the Subresource Integrity algorithms (W3C SRI §3.2).
var sriHashes = map[string]crypto.Hash{"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512}

// multihashCodes are the multihash codes of the same digests (multicodec table).
var multihashCodes = map[uint64]crypto.Hash{0x12: crypto.SHA256, 0x20: crypto.SHA384, 0x13: crypto.SHA512}

// parseSRI reads a digestSRI value: "<alg>-<base64 digest>" (W3C SRI §3.5).
func parseSRI(v any) (crypto.Hash, []byte, error) {
	s, _ := v.(string)
	alg, b64, ok := strings.Cut(s, "-")
	h, known := sriHashes[alg]
	if !ok || !known {
		return 0, nil, Errorf(CodeCredentialInvalid, "digestSRI %q is not sha256-, sha384- or sha512-<base64> (W3C SRI §3.5)", s)
	}
	d, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(d) != h.Size() {
		return 0, nil, Errorf(CodeCredentialInvalid, "digestSRI %q does not hold a %s digest", s, alg)
	}
	return h, d, nil
}

// parseDigestMultibase reads a digestMultibase value: a multibase-encoded
// multihash (Controlled Identifiers 1.0 §2.2.2, used by VCDM 2.0 §5.3).
func parseDigestMultibase(v any) (crypto.Hash, []byte, error) {
	s, _ := v.(string)
	_, raw, err := multibase.Decode(s)
	if err != nil {
		return 0, nil, Errorf(CodeCredentialInvalid, "digestMultibase %q is not multibase", s)
	}
	code, n, err := varint.FromUvarint(raw)
	if err != nil {
		return 0, nil, Errorf(CodeCredentialInvalid, "digestMultibase %q is not a multihash", s)
	}
	size, m, err := varint.FromUvarint(raw[n:])
	h, known := multihashCodes[code]
	if err != nil || !known || int(size) != h.Size() || len(raw[n+m:]) != h.Size() {
		return 0, nil, Errorf(CodeCredentialInvalid, "digestMultibase %q is not a SHA-2 multihash", s)
	}
	return h, raw[n+m:], nil
}

// VerifyRelatedResource checks content the caller holds against every digest
// the credential's relatedResource entry for id declares (VCDM 2.0 §5.3).
// It fetches nothing.
func VerifyRelatedResource(doc map[string]any, id string, content []byte) error {
	res, err := objects(doc, "relatedResource")
	if err != nil {
		return err
	}
	for _, r := range res {
		if r["id"] != id {
			continue
		}
		checked := 0
		for name, parse := range map[string]func(any) (crypto.Hash, []byte, error){"digestSRI": parseSRI, "digestMultibase": parseDigestMultibase} {
			v, ok := r[name]
			if !ok {
				continue
			}
			h, want, err := parse(v)
			if err != nil {
				return err
			}
			hh := h.New()
			hh.Write(content)
			if subtle.ConstantTimeCompare(hh.Sum(nil), want) != 1 {
				return Errorf(CodeRelatedResource, "the content of %s does not match its %s", id, name)
			}
			checked++
		}
		if checked == 0 {
			return Errorf(CodeCredentialInvalid, "relatedResource %s has no digest", id)
		}
		return nil
	}
	return fmt.Errorf("vc: related resource %s: %w", id, Errorf(CodeRelatedResource, "the credential lists no relatedResource %s", id))
}
