package did_test

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/credentialflow/cflow/did"
)

// Keys from the did:key vectors (test/vectors/did-key).
const (
	mkEd25519 = "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	mkP256    = "zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"
	mkX25519  = "z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F"
)

const testDoc = `{
  "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
  "id": "did:ex:a",
  "controller": "did:ex:a",
  "verificationMethod": [
    {"id": "did:ex:a#k1", "type": "Multikey", "controller": "did:ex:a", "publicKeyMultibase": "` + mkEd25519 + `"},
    {"id": "#k2", "type": "Multikey", "controller": "did:ex:a", "publicKeyMultibase": "` + mkP256 + `"},
    {"id": "did:ex:a#k3", "type": "Multikey", "controller": "did:ex:a", "publicKeyMultibase": "` + mkEd25519 + `"}
  ],
  "authentication": ["did:ex:a#k1", "#k2"],
  "assertionMethod": ["#k1"],
  "keyAgreement": [
    {"id": "#x1", "type": "Multikey", "controller": "did:ex:a", "publicKeyMultibase": "` + mkX25519 + `"}
  ],
  "capabilityInvocation": ["did:ex:a#missing"],
  "service": [{"id": "#s", "type": "LinkedDomains", "serviceEndpoint": "https://example.com"}]
}`

func parseDoc(t testing.TB, s string) *did.Document {
	t.Helper()
	var d did.Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestDocumentMethod(t *testing.T) {
	doc := parseDoc(t, testDoc)
	for _, tc := range []struct {
		name    string
		id      string
		purpose did.Purpose
		wantID  string // "" → want ErrMethodNotAuthorized
		keyType any
	}{
		{"ok/absolute", "did:ex:a#k1", did.Authentication, "did:ex:a#k1", ed25519.PublicKey(nil)},
		{"ok/relative-method-id", "did:ex:a#k2", did.Authentication, "did:ex:a#k2", (*ecdsa.PublicKey)(nil)},
		{"ok/relative-query", "#k2", did.Authentication, "did:ex:a#k2", (*ecdsa.PublicKey)(nil)},
		{"ok/relative-reference", "did:ex:a#k1", did.AssertionMethod, "did:ex:a#k1", ed25519.PublicKey(nil)},
		{"ok/bare-did-one-method", "did:ex:a", did.AssertionMethod, "did:ex:a#k1", ed25519.PublicKey(nil)},
		{"ok/embedded", "did:ex:a#x1", did.KeyAgreement, "did:ex:a#x1", (*ecdh.PublicKey)(nil)},
		{"ok/bare-did-embedded", "did:ex:a", did.KeyAgreement, "did:ex:a#x1", (*ecdh.PublicKey)(nil)},
		{"fail/bare-did-two-methods", "did:ex:a", did.Authentication, "", nil},
		{"fail/bare-did-no-method", "did:ex:a", did.CapabilityDelegation, "", nil},
		{"fail/defined-not-listed", "did:ex:a#k3", did.Authentication, "", nil},
		{"fail/listed-under-other-purpose", "did:ex:a#k2", did.AssertionMethod, "", nil},
		{"fail/embedded-other-purpose", "did:ex:a#x1", did.Authentication, "", nil},
		{"fail/referenced-not-defined", "did:ex:a#missing", did.CapabilityInvocation, "", nil},
		{"fail/unknown-fragment", "did:ex:a#nope", did.Authentication, "", nil},
		{"fail/other-did", "did:ex:b", did.AssertionMethod, "", nil},
		{"fail/other-did-same-fragment", "did:ex:b#k1", did.Authentication, "", nil},
		{"fail/unknown-purpose", "did:ex:a#k1", did.Purpose("signing"), "", nil},
		{"fail/empty-id", "", did.Authentication, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, err := doc.Method(tc.id, tc.purpose)
			if tc.wantID == "" {
				if !errors.Is(err, did.ErrMethodNotAuthorized) || vm != nil {
					t.Fatalf("Method(%q, %s) = %+v, %v; want ErrMethodNotAuthorized", tc.id, tc.purpose, vm, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Method(%q, %s): %v", tc.id, tc.purpose, err)
			}
			if vm.ID != tc.wantID {
				t.Fatalf("id = %q, want %q", vm.ID, tc.wantID)
			}
			k, err := vm.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(k) != reflect.TypeOf(tc.keyType) {
				t.Fatalf("key %T, want %T", k, tc.keyType)
			}
		})
	}
	// Method hands out copies with absolute ids; the document is untouched.
	if doc.VerificationMethod[1].ID != "#k2" {
		t.Fatalf("Method rewrote the document: %q", doc.VerificationMethod[1].ID)
	}
	var ids []string
	for _, vm := range doc.Methods(did.Authentication) {
		ids = append(ids, vm.ID)
	}
	if want := []string{"did:ex:a#k1", "did:ex:a#k2"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("Methods(authentication) = %v, want %v", ids, want)
	}
	if got := doc.Methods(did.CapabilityInvocation); len(got) != 0 {
		t.Fatalf("Methods(capabilityInvocation) = %v, want none (dangling reference)", got)
	}
}

func TestReferenceJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     did.Reference
		wantErr  bool
	}{
		{name: "ok/string", in: `"did:ex:a#k1"`, want: did.Reference{ID: "did:ex:a#k1"}},
		{name: "ok/relative", in: `"#k1"`, want: did.Reference{ID: "#k1"}},
		{
			name: "ok/embedded", in: `{"id":"#x","type":"Multikey","controller":"did:ex:a","publicKeyMultibase":"` + mkX25519 + `"}`,
			want: did.Reference{ID: "#x", Embedded: &did.VerificationMethod{ID: "#x", Type: "Multikey", Controller: "did:ex:a", PublicKeyMultibase: mkX25519}},
		},
		{name: "fail/null", in: `null`, wantErr: true},
		{name: "fail/number", in: `1`, wantErr: true},
		{name: "fail/array", in: `["#k"]`, wantErr: true},
		{name: "fail/bad-object", in: `{"id":1}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r did.Reference
			err := json.Unmarshal([]byte(tc.in), &r)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Unmarshal(%s) = %+v, want an error", tc.in, r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, tc.want) {
				t.Fatalf("Unmarshal = %+v, want %+v", r, tc.want)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.in {
				t.Fatalf("Marshal = %s, want %s", b, tc.in)
			}
		})
	}
	// Reusing a Reference: a string after an embedded method clears it.
	var r did.Reference
	_ = json.Unmarshal([]byte(`{"id":"#x","type":"Multikey"}`), &r)
	if err := json.Unmarshal([]byte(`"#y"`), &r); err != nil || r.Embedded != nil || r.ID != "#y" {
		t.Fatalf("reused reference = %+v, %v", r, err)
	}
}

func TestStringOrSetJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, out string
		want          did.StringOrSet
		wantErr       bool
	}{
		{name: "ok/one", in: `"did:ex:a"`, out: `"did:ex:a"`, want: did.StringOrSet{"did:ex:a"}},
		{name: "ok/set", in: `["did:ex:a","did:ex:b"]`, out: `["did:ex:a","did:ex:b"]`, want: did.StringOrSet{"did:ex:a", "did:ex:b"}},
		{name: "ok/set-of-one", in: `["did:ex:a"]`, out: `"did:ex:a"`, want: did.StringOrSet{"did:ex:a"}},
		{name: "ok/empty-set", in: `[]`, out: `[]`, want: did.StringOrSet{}},
		{name: "fail/number", in: `1`, wantErr: true},
		{name: "fail/mixed", in: `["a",1]`, wantErr: true},
		{name: "fail/object", in: `{"a":"b"}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s did.StringOrSet
			err := json.Unmarshal([]byte(tc.in), &s)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Unmarshal(%s) = %v, want an error", tc.in, s)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(s, tc.want) {
				t.Fatalf("Unmarshal(%s) = %#v, %v; want %#v", tc.in, s, err, tc.want)
			}
			b, err := json.Marshal(s)
			if err != nil || string(b) != tc.out {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tc.out)
			}
		})
	}
}

func TestDocumentJSONRoundTrip(t *testing.T) {
	doc := parseDoc(t, testDoc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	again := parseDoc(t, string(b))
	if !reflect.DeepEqual(doc, again) {
		t.Fatalf("round trip changed the document:\n%+v\n%+v", doc, again)
	}
	var x, y any
	_ = json.Unmarshal([]byte(testDoc), &x)
	_ = json.Unmarshal(b, &y)
	if !reflect.DeepEqual(x, y) {
		t.Fatalf("marshal lost or changed members:\n%s", b)
	}
}

func FuzzDocumentUnmarshal(f *testing.F) {
	f.Add([]byte(testDoc))
	f.Add([]byte(`{"id":"did:ex:a","authentication":[null,1,{}],"controller":["a",2]}`))
	f.Add([]byte(`{"id":"did:ex:a","verificationMethod":[{"id":"#k","type":"JsonWebKey2020","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"AA"}}],"assertionMethod":["#k"]}`))
	f.Add([]byte(`{"id":"did:ex:a","verificationMethod":[{"id":"#k","type":"Ed25519VerificationKey2018","publicKeyBase58":"4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS"}],"authentication":["#k"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d did.Document
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		for _, p := range []did.Purpose{did.Authentication, did.AssertionMethod, did.KeyAgreement, did.CapabilityInvocation, did.CapabilityDelegation} {
			_, _ = d.Method(d.ID, p)
			for _, vm := range d.Methods(p) {
				_, _ = vm.PublicKey()
			}
		}
		for _, vm := range d.VerificationMethod {
			_, _ = vm.PublicKey()
			_, _ = d.Method(vm.ID, did.Authentication)
		}
		out, err := json.Marshal(&d)
		if err != nil {
			t.Fatalf("marshal of an unmarshalled document: %v", err)
		}
		var again did.Document
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-unmarshal: %v\n%s", err, out)
		}
	})
}
