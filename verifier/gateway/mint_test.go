package gateway

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// TestMintShape checks the access token member by member (RFC 9068 §2.1,
// §2.2; RFC 9449 §6.1) and that jwx verifies its signature with the
// published key.
func TestMintShape(t *testing.T) {
	r := newRig(t, rigOptions{})
	_, pub, err := r.keys.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	now := r.clock.Now().Unix()
	for _, c := range []struct {
		name   string
		claims map[string]any
		jkt    string
		want   map[string]any
	}{
		{"ok/plain", nil, "", map[string]any{}},
		{"ok/policy-claims", map[string]any{"name": "Alex <&>", "n": 2.0, "l": []any{"a"}}, "",
			map[string]any{"name": "Alex <&>", "n": 2.0, "l": []any{"a"}}},
		{"ok/dpop-bound", nil, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
			map[string]any{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := r.gw.mint("did:key:zHolder", "https://api.example", []string{"a", "b"}, c.claims, c.jkt)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("%d parts", len(parts))
			}
			hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
			if want := `{"alg":"EdDSA","kid":"` + pub.KeyID() + `","typ":"at+jwt"}`; string(hdr) != want {
				t.Fatalf("header %s, want %s", hdr, want)
			}
			payload, err := jws.Verify([]byte(tok), jws.WithKey(jwa.EdDSA, pub))
			if err != nil {
				t.Fatalf("jwx does not verify the token: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"iss": testIssuer, "sub": "did:key:zHolder", "aud": []any{"https://api.example"},
				"iat": float64(now), "nbf": float64(now), "exp": float64(now + 300), "scope": "a b", "jti": got["jti"]}
			for k, v := range c.want {
				want[k] = v
			}
			if jti, _ := got["jti"].(string); len(jti) != 36 {
				t.Fatalf("jti %q", got["jti"])
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			if string(a) != string(b) {
				t.Fatalf("claims\n got %s\nwant %s", a, b)
			}
			if _, err := r.gw.Authenticate(tok, "https://api.example"); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
		})
	}
}
