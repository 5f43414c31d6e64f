package vcjose_test

import (
	"encoding/base64"
	"testing"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
)

func TestParseEnvelope(t *testing.T) {
	b := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	payload := b(`{"iss":"did:example:1"}`)
	sig := b("sig")
	for _, tc := range []struct{ name, token, code string }{
		{"ok/minimal", b(`{"alg":"EdDSA"}`) + "." + payload + "." + sig, ""},
		{"fail/crit empty list (RFC 7515 §4.1.11)", b(`{"alg":"EdDSA","crit":[]}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/crit", b(`{"alg":"EdDSA","crit":["exp"],"exp":1}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/b64 false", b(`{"alg":"EdDSA","b64":false}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/alg none", b(`{"alg":"none"}`) + "." + payload + ".", vc.CodeAlgNotAllowed},
		{"fail/alg HS256", b(`{"alg":"HS256"}`) + "." + payload + "." + sig, vc.CodeAlgNotAllowed},
		{"fail/duplicate alg", b(`{"alg":"EdDSA","alg":"none"}`) + "." + payload + "." + sig, vc.CodeDuplicateKey},
		{"fail/duplicate claim", b(`{"alg":"EdDSA"}`) + "." + b(`{"iss":"a","iss":"b"}`) + "." + sig, vc.CodeDuplicateKey},
		{"fail/padded", b(`{"alg":"EdDSA"}`) + "=." + payload + "." + sig, vc.CodeEncoding},
		{"fail/standard alphabet", b(`{"alg":"EdDSA"}`) + "." + payload + "." + sig + "+/", vc.CodeEncoding},
		{"fail/alg not a string", b(`{"alg":["EdDSA"]}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/kid not a string", b(`{"alg":"EdDSA","kid":7}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/b64 true is still an extension", b(`{"alg":"EdDSA","b64":true}`) + "." + payload + "." + sig, vc.CodeMalformed},
		{"fail/two segments", b(`{"alg":"EdDSA"}`) + "." + payload, vc.CodeMalformed},
		{"fail/payload not an object", b(`{"alg":"EdDSA"}`) + "." + b(`[1]`) + "." + sig, vc.CodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := vcjose.Parse(tc.token)
			if got := vc.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6ZXhhbXBsZToxIn0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := vcjose.Parse(s)
		if err == nil && !vcjose.Allowed(tok.Header.Alg) {
			t.Fatalf("accepted alg %q", tok.Header.Alg)
		}
		if err != nil && vc.CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
	})
}
