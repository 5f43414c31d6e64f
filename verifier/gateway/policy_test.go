package gateway

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

const hrDID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
const otherDID = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"

const staffPolicy = `# staff policy
trustLists:
  hr: [` + hrDID + `]
policies:
  - name: staff
    routes: [/api/]
    credentials:
      - name: employee
        types: [EmployeeCredential]
        issuers: [hr]
        required: true
        when: credential.credentialSubject.active == true
      - name: badge
        types: [BadgeCredential]
        issuers: [hr]
    allow: '!("admin" in request.scopes)'
    scopes:
      - scope: finance
        when: credentials.exists(c, c.type == "EmployeeCredential" && c.credentialSubject.department == "Finance")
      - scope: staff
      - expr: credentials.map(c, c.type.lowerAscii())
    claims:
      name: credentials.filter(c, c.type == "EmployeeCredential")[0].credentialSubject.name
      holder_did: holder
    access: '"finance" in token.scopes || request.method == "GET"'
  - name: partners
    audience: https://partner.example
    credentials:
      - name: any
        issuers: [` + otherDID + `]
`

func writePolicy(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPolicyErrors(t *testing.T) {
	cases := []struct {
		name, file, src string
		line            int
		field, reason   string
	}{
		{"fail/unknown-cel-field", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n        when: credential.isuer == \"x\"\n",
			6, "policies[0].credentials[0].when", "undefined field 'isuer'"},
		{"fail/unknown-cel-field-multiline", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n    allow: |\n      credentials.size() > 0 &&\n        credentials[0].subjct == holder\n",
			8, "policies[0].allow", "undefined field 'subjct'"},
		{"fail/unknown-variable", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n    allow: token.sub == holder\n",
			6, "policies[0].allow", "undeclared reference to 'token'"},
		{"fail/syntax", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n        when: credential.issuer ==\n",
			6, "policies[0].credentials[0].when", "Syntax error"},
		{"fail/not-bool", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n        when: credential.issuer\n",
			6, "policies[0].credentials[0].when", "evaluates to string, want bool"},
		{"fail/unknown-yaml-key", "p.yaml", "policies:\n  - name: a\n    credentails: []\n",
			3, "", "field credentails not found"},
		{"fail/unknown-trust-list", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [hr]\n",
			5, "policies[0].credentials[0].issuers[0]", `"hr" is neither a DID nor a trust list`},
		{"fail/self-without-server", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [self]\n",
			5, "policies[0].credentials[0].issuers[0]", `"self" is neither a DID nor a trust list`},
		{"fail/reserved-claim", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n    claims:\n      sub: holder\n",
			7, "policies[0].claims.sub", "reserved token claim"},
		{"fail/no-rules", "p.yaml", "policies:\n  - name: a\n",
			2, "policies[0].credentials", "no credential rule"},
		{"fail/no-policies", "p.yaml", "trustLists: {}\n", 1, "policies", "no policy"},
		{"fail/empty", "p.yaml", "", 0, "", "the file is empty"},
		{"fail/bad-scope", "p.yaml", "policies:\n  - name: a\n    credentials:\n      - name: r\n        issuers: [did:key:z1]\n    scopes:\n      - scope: \"a b\"\n",
			7, "policies[0].scopes[0].scope", "not a scope token"},
		{"fail/json-unknown-cel-field", "p.json", "{\n\t\"policies\": [{\n\t\t\"name\": \"a\",\n\t\t\"credentials\": [{\"name\": \"r\", \"issuers\": [\"did:key:z1\"],\n\t\t\t\"when\": \"credential.credentialSubject.x == 1 && credential.tpyes.size() > 0\"}]\n\t}]\n}\n",
			5, "policies[0].credentials[0].when", "undefined field 'tpyes'"},
		{"fail/duplicate-audience", "p.yaml", "policies:\n  - name: a\n    credentials: [{name: r, issuers: [did:key:z1]}]\n  - name: b\n    credentials: [{name: r, issuers: [did:key:z1]}]\n",
			4, "policies[1].audience", "two policies for audience"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writePolicy(t, c.file, c.src)
			_, err := LoadPolicy(path, PolicyOptions{})
			var pe *PolicyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPolicyInvalid) {
				t.Fatalf("err = %v, want a PolicyError", err)
			}
			if pe.File != path || pe.Line != c.line || pe.Field != c.field || !strings.Contains(pe.Reason, c.reason) {
				t.Fatalf("got file %s line %d field %q reason %q\nwant line %d field %q reason containing %q", pe.File, pe.Line, pe.Field, pe.Reason, c.line, c.field, c.reason)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

func TestTrustListFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "partners.txt"), []byte("# partners\n"+hrDID+"  # HR\n\n"+otherDID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := "trustLists:\n  partners: {file: partners.txt}\npolicies:\n  - name: a\n    credentials: [{name: r, issuers: [partners]}]\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(filepath.Join(dir, "p.yaml"), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{hrDID, otherDID} {
		if _, err := p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{cred("X", d, nil)}}); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	t.Run("fail/not-a-did", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "partners.txt"), []byte(hrDID+"\nnot-a-did\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPolicy(filepath.Join(dir, "p.yaml"), PolicyOptions{})
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.File != filepath.Join(dir, "partners.txt") || pe.Line != 2 {
			t.Fatalf("err = %v", err)
		}
	})
}

func cred(typ, issuer string, subject map[string]any) *verifier.VerifiedCredential {
	s := map[string]any{"id": "did:key:holder"}
	for k, v := range subject {
		s[k] = v
	}
	return &verifier.VerifiedCredential{Credential: &vc.Credential{Types: []string{vc.TypeCredential, typ}, Issuer: issuer,
		Subjects: []map[string]any{s}, ValidFrom: time.Unix(1700000000, 0)}, Format: "jwt_vc_json"}
}

func TestPolicyEvaluate(t *testing.T) {
	p, err := ParsePolicy("staff.yaml", []byte(staffPolicy), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	emp := func(active bool, dept string) *verifier.VerifiedCredential {
		return cred("EmployeeCredential", hrDID, map[string]any{"active": active, "department": dept, "name": "Alex"})
	}
	badge := cred("BadgeCredential", hrDID, nil)
	cases := []struct {
		name   string
		in     Input
		code   string
		rule   string
		scopes []string
		claims map[string]any
	}{
		{name: "ok/employee", in: Input{Holder: "did:key:holder", Credentials: []*verifier.VerifiedCredential{emp(true, "Finance")}},
			rule: "staff/credentials/employee", scopes: []string{"employeecredential", "finance", "staff"},
			claims: map[string]any{"name": "Alex", "holder_did": "did:key:holder"}},
		{name: "ok/employee-and-badge", in: Input{Credentials: []*verifier.VerifiedCredential{emp(true, "Sales"), badge}},
			rule: "staff/credentials/employee,staff/credentials/badge", scopes: []string{"badgecredential", "employeecredential", "staff"},
			claims: map[string]any{"name": "Alex", "holder_did": ""}},
		{name: "fail/untrusted-issuer", in: Input{Credentials: []*verifier.VerifiedCredential{cred("EmployeeCredential", otherDID, map[string]any{"active": true})}},
			code: vc.CodeUntrustedIssuer, rule: "staff/credentials/employee"},
		{name: "fail/condition", in: Input{Credentials: []*verifier.VerifiedCredential{emp(false, "Finance")}},
			code: vc.CodePolicyDenied, rule: "staff/credentials/employee"},
		{name: "fail/missing-claim-is-false", in: Input{Credentials: []*verifier.VerifiedCredential{cred("EmployeeCredential", hrDID, nil)}},
			code: vc.CodePolicyDenied, rule: "staff/credentials/employee"},
		// Every credential is evaluated: an extra one no rule accepts refuses the lot.
		{name: "fail/extra-credential-no-rule", in: Input{Credentials: []*verifier.VerifiedCredential{emp(true, "Finance"), cred("LibraryCard", hrDID, nil)}},
			code: vc.CodePolicyDenied, rule: "staff/credentials"},
		{name: "fail/required-missing", in: Input{Credentials: []*verifier.VerifiedCredential{badge}},
			code: vc.CodePolicyDenied, rule: "staff/credentials/employee"},
		{name: "fail/allow", in: Input{Credentials: []*verifier.VerifiedCredential{emp(true, "Finance")}, Request: Request{Scopes: []string{"admin"}}},
			code: vc.CodePolicyDenied, rule: "staff/allow"},
		{name: "fail/no-credentials", in: Input{}, code: vc.CodePolicyDenied, rule: "staff/credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := p.Evaluate(testIssuer, c.in)
			if got := vc.CodeOf(err); got != c.code {
				t.Fatalf("code = %q (%v), want %q", got, err, c.code)
			}
			if d.Rule != c.rule {
				t.Errorf("rule = %q, want %q", d.Rule, c.rule)
			}
			if len(d.Credentials) != len(c.in.Credentials) {
				t.Errorf("%d credential decisions for %d credentials", len(d.Credentials), len(c.in.Credentials))
			}
			if c.code != "" {
				return
			}
			if !reflect.DeepEqual(d.Scopes, c.scopes) || !reflect.DeepEqual(d.Claims, c.claims) || d.Policy != "staff" {
				t.Errorf("scopes %v claims %v policy %s", d.Scopes, d.Claims, d.Policy)
			}
		})
	}
	t.Run("ok/audience-picks-policy", func(t *testing.T) {
		d, err := p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{cred("Anything", otherDID, nil)}, Request: Request{Audience: "https://partner.example"}})
		if err != nil || d.Policy != "partners" || d.Rule != "partners/credentials/any" {
			t.Fatalf("%v %+v", err, d)
		}
	})
	t.Run("fail/unknown-audience", func(t *testing.T) {
		_, err := p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{badge}, Request: Request{Audience: "https://nobody.example"}})
		if !errors.Is(err, ErrNoPolicy) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ok/routes", func(t *testing.T) {
		for path, want := range map[string]string{"/api/x": "staff", "/api": "staff", "/other": "staff", "/apix": "staff"} {
			if cp := p.forRoute(path, testIssuer); cp == nil || cp.name != want {
				t.Errorf("%s → %v", path, cp)
			}
		}
	})
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy(func(d string) bool { return d == hrDID })
	d, err := p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{cred("EmployeeCredential", hrDID, map[string]any{"role": "engineer", "n": 3})}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"type": "EmployeeCredential", "issuer": hrDID, "credentialSubject": map[string]any{"role": "engineer", "n": float64(3)}}}
	if !reflect.DeepEqual(d.Scopes, []string{"EmployeeCredential"}) || !reflect.DeepEqual(d.Claims["credentials"], want) || d.Rule != "default/credentials/own-issuers" {
		t.Errorf("%+v", d)
	}
	_, err = p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{cred("EmployeeCredential", otherDID, nil)}})
	if vc.CodeOf(err) != vc.CodeUntrustedIssuer {
		t.Errorf("foreign issuer: %v", err)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(staffPolicy))
	f.Add([]byte(defaultPolicySource))
	f.Add([]byte(`{"policies":[{"name":"a","credentials":[{"name":"r","issuers":["did:x:1"],"when":"true"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy("fuzz.yaml", b, PolicyOptions{Own: func(string) bool { return true }})
		if err == nil && p == nil {
			t.Fatal("nil policy without error")
		}
		if err != nil && !errors.Is(err, ErrPolicyInvalid) {
			t.Fatalf("error is not a PolicyError: %v", err)
		}
	})
}

const libDID = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"

// typeConfusionPolicy trusts libDID for LibraryCard only and hrDID for
// AdminCredential and EmployeeCredential.
const typeConfusionPolicy = `trustLists:
  lib: [` + libDID + `]
  hr: [` + hrDID + `]
policies:
  - name: p
    credentials:
      - name: library
        types: [LibraryCard]
        issuers: [lib]
        when: credential.type == "LibraryCard" && credential.rules == ["library"]
      - name: admin
        types: [AdminCredential]
        issuers: [hr]
      - name: employee
        types: [EmployeeCredential]
        issuers: [hr]
    scopes:
      - scope: library
        when: credentials.exists(c, "LibraryCard" in c.types)
      - scope: admin
        when: credentials.exists(c, "AdminCredential" in c.types)
      - scope: admin-by-type
        when: credentials.exists(c, c.type == "AdminCredential")
      - scope: admin-by-rule
        when: credentials.exists(c, "admin" in c.rules)
      - expr: credentials.map(c, c.types.filter(t, t != "VerifiableCredential")).flatten()
    claims:
      seen: 'credentials.map(c, {"type": c.type, "types": c.types, "rules": c.rules})'
`

func multi(issuer string, types ...string) *verifier.VerifiedCredential {
	c := cred(types[0], issuer, nil)
	c.Types = append([]string{vc.TypeCredential}, types...)
	return c
}

// TestPolicyTypeConfusion is the breaker's reproducer (test/adversarial
// TestPolicyTypeConfusion): a credential counts only as the types the
// rules that accepted it vouch for, whatever else its issuer lists.
func TestPolicyTypeConfusion(t *testing.T) {
	p, err := ParsePolicy("p.yaml", []byte(typeConfusionPolicy), PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	view := func(typ string, types, rules []string) map[string]any {
		ts, rs := []any{}, []any{}
		for _, x := range types {
			ts = append(ts, x)
		}
		for _, x := range rules {
			rs = append(rs, x)
		}
		return map[string]any{"type": typ, "types": ts, "rules": rs}
	}
	for _, c := range []struct {
		name   string
		creds  []*verifier.VerifiedCredential
		scopes []string
		seen   []any
		rules  [][]string
	}{
		{"ok/library-issuer-claims-admin-too", []*verifier.VerifiedCredential{multi(libDID, "LibraryCard", "AdminCredential")},
			[]string{"LibraryCard", "library"},
			[]any{view("LibraryCard", []string{vc.TypeCredential, "LibraryCard"}, []string{"library"})},
			[][]string{{"p/credentials/library"}}},
		{"ok/admin-type-listed-first", []*verifier.VerifiedCredential{multi(libDID, "AdminCredential", "LibraryCard")},
			[]string{"LibraryCard", "library"},
			[]any{view("LibraryCard", []string{vc.TypeCredential, "LibraryCard"}, []string{"library"})},
			[][]string{{"p/credentials/library"}}},
		{"ok/trusted-admin", []*verifier.VerifiedCredential{multi(hrDID, "AdminCredential")},
			[]string{"AdminCredential", "admin", "admin-by-rule", "admin-by-type"},
			[]any{view("AdminCredential", []string{vc.TypeCredential, "AdminCredential"}, []string{"admin"})},
			[][]string{{"p/credentials/admin"}}},
		{"ok/two-rules-vouch", []*verifier.VerifiedCredential{multi(hrDID, "EmployeeCredential", "AdminCredential", "LibraryCard")},
			[]string{"AdminCredential", "EmployeeCredential", "admin", "admin-by-rule"},
			[]any{view("EmployeeCredential", []string{vc.TypeCredential, "EmployeeCredential", "AdminCredential"}, []string{"admin", "employee"})},
			[][]string{{"p/credentials/admin", "p/credentials/employee"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := p.Evaluate(testIssuer, Input{Credentials: c.creds})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Scopes, c.scopes) {
				t.Errorf("scopes %v, want %v", d.Scopes, c.scopes)
			}
			if !reflect.DeepEqual(d.Claims["seen"], c.seen) {
				t.Errorf("policy saw %v, want %v", d.Claims["seen"], c.seen)
			}
			for i, cd := range d.Credentials {
				if !reflect.DeepEqual(cd.Rules, c.rules[i]) || cd.Rule != c.rules[i][0] {
					t.Errorf("credential %d: rule %q rules %v, want %v", i, cd.Rule, cd.Rules, c.rules[i])
				}
			}
		})
	}
	t.Run("fail/library-issuer-admin-only", func(t *testing.T) {
		_, err := p.Evaluate(testIssuer, Input{Credentials: []*verifier.VerifiedCredential{multi(libDID, "AdminCredential")}})
		if vc.CodeOf(err) != vc.CodeUntrustedIssuer {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ok/default-policy-trusts-own-issuers-for-every-type", func(t *testing.T) {
		d, err := DefaultPolicy(func(d string) bool { return d == libDID }).Evaluate(testIssuer,
			Input{Credentials: []*verifier.VerifiedCredential{multi(libDID, "LibraryCard", "AdminCredential")}})
		if err != nil || !reflect.DeepEqual(d.Scopes, []string{"AdminCredential", "LibraryCard"}) {
			t.Fatalf("%v %+v", err, d)
		}
	})
}
