package verifier_test

import (
	"encoding/base64"
	"strings"
)

func decodeSig(s string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return b
}

// tamper changes one claim value in a JWT's payload and keeps the signature.
func tamper(jwt string) string {
	parts := strings.Split(jwt, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "Finance", "Treasury", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
