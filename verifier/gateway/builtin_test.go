package gateway

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// agree evaluates the built-in policy twice, once with its Go expressions
// and once with the same source through CEL alone, and fails on any
// difference in the decision or the error.
func agree(t testing.TB, creds []*verifier.VerifiedCredential) {
	own := func(d string) bool { return d == hrDID }
	fast := DefaultPolicy(own)
	slow, err := ParsePolicy("(default policy)", []byte(defaultPolicySource), PolicyOptions{Own: own})
	if err != nil {
		t.Fatal(err)
	}
	if slow.policies[0].scopes[0].native != nil || fast.policies[0].scopes[0].native == nil {
		t.Fatal("the comparison does not compare Go with CEL")
	}
	in := Input{Holder: "did:key:holder", Credentials: creds}
	d1, err1 := fast.Evaluate(testIssuer, in)
	d2, err2 := slow.Evaluate(testIssuer, in)
	if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Fatalf("errors differ: Go %v, CEL %v", err1, err2)
	}
	if !reflect.DeepEqual(d1, d2) {
		a, _ := json.Marshal(d1)
		b, _ := json.Marshal(d2)
		t.Fatalf("decisions differ:\n  Go %s\n CEL %s", a, b)
	}
}

// TestBuiltinExpressionsAgree: the built-in policy's scopes and claims
// expressions run as Go; they must decide exactly as their CEL source.
func TestBuiltinExpressionsAgree(t *testing.T) {
	multi := cred("EmployeeCredential", hrDID, map[string]any{"n": json.Number("12.50")})
	multi.Types = []string{vc.TypeCredential, "EmployeeCredential", "ManagerCredential", "EmployeeCredential"}
	for _, c := range []struct {
		name  string
		creds []*verifier.VerifiedCredential
	}{
		{"ok/demo", []*verifier.VerifiedCredential{cred("EmployeeCredential", hrDID,
			map[string]any{"employee": map[string]any{"name": "Alex Example", "department": "Finance", "role": "Analyst"}})}},
		{"ok/json-kinds", []*verifier.VerifiedCredential{cred("EmployeeCredential", hrDID,
			map[string]any{"num": json.Number("3"), "f": 2.5, "b": true, "null": nil, "list": []any{"a", json.Number("1"), map[string]any{"x": false}}, "s": "<&>"})}},
		{"ok/two-credentials-repeated-types", []*verifier.VerifiedCredential{multi,
			cred("BadgeCredential", hrDID, nil)}},
		{"ok/no-subject", []*verifier.VerifiedCredential{{Credential: &vc.Credential{Types: []string{vc.TypeCredential, "X"}, Issuer: hrDID}}}},
		{"ok/only-base-type", []*verifier.VerifiedCredential{{Credential: &vc.Credential{Types: []string{vc.TypeCredential}, Issuer: hrDID,
			Subjects: []map[string]any{{"id": "did:key:holder", "a": "b"}}}}}},
		{"ok/unconvertible-claims", []*verifier.VerifiedCredential{cred("EmployeeCredential", hrDID, map[string]any{"ch": make(chan int)})}},
		{"fail/not-a-scope-token", []*verifier.VerifiedCredential{cred("Employee Credential", hrDID, nil)}},
		{"fail/untrusted", []*verifier.VerifiedCredential{cred("EmployeeCredential", "did:key:other", nil)}},
		{"fail/none", nil},
	} {
		t.Run(c.name, func(t *testing.T) { agree(t, c.creds) })
	}
}

func FuzzBuiltinExpressionsAgree(f *testing.F) {
	f.Add([]byte(`{"employee":{"name":"Alex","n":1.5e3,"l":[1,"a",null,true]}}`), "EmployeeCredential")
	f.Add([]byte(`{"id":"did:key:x","a":"\u00e9"}`), "A\"B")
	f.Fuzz(func(t *testing.T, subject []byte, typ string) {
		dec := json.NewDecoder(bytes.NewReader(subject))
		dec.UseNumber()
		var s map[string]any
		if dec.Decode(&s) != nil {
			return
		}
		agree(t, []*verifier.VerifiedCredential{cred(typ, hrDID, s)})
	})
}
