package gateway

import (
	"context"
	"testing"

	"github.com/credentialflow/cflow/verifier"
)

// BenchmarkPolicyEvaluate: the staff policy (2 rules, allow, 3 scope
// entries, 2 claims) over one credential.
func BenchmarkPolicyEvaluate(b *testing.B) {
	p, err := ParsePolicy("staff.yaml", []byte(staffPolicy), PolicyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Holder: "did:key:holder", Credentials: []*verifier.VerifiedCredential{
		cred("EmployeeCredential", hrDID, map[string]any{"active": true, "department": "Finance", "name": "Alex"})}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Evaluate(testIssuer, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchange: challenge + presentation verify (2 Ed25519 verifies) +
// nonce consume in badger + default policy + token signature.
func BenchmarkExchange(b *testing.B) {
	r := newRig(b, rigOptions{})
	holder := newParty(b)
	c := r.iss.issue(b, holder.did, []string{"EmployeeCredential"}, nil)
	vps := make([]string, 0, 4096)
	nonces := make([]string, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(vps) == 0 {
			for range 256 {
				ch, _ := r.gw.NewChallenge(context.Background())
				nonces = append(nonces, ch.Nonce)
				vps = append(vps, holder.present(b, ch.Nonce, testIssuer, c))
			}
		}
		vp := vps[len(vps)-1]
		vps = vps[:len(vps)-1]
		b.StartTimer()
		if _, _, oerr := r.gw.Exchange(context.Background(), ExchangeRequest{GrantType: GrantTypeTokenExchange, SubjectToken: vp, SubjectTokenType: TokenTypeJWT}); oerr != nil {
			b.Fatal(oerr)
		}
	}
}

// BenchmarkAuthorize: the enforcement decision (token signature, claims,
// route policy) that the proxy, forward auth and middleware share.
func BenchmarkAuthorize(b *testing.B) {
	r := newRig(b, rigOptions{})
	holder := newParty(b)
	tok := r.token(b, holder, "", r.iss.issue(b, holder.did, []string{"EmployeeCredential"}, nil))
	req := AccessRequest{Method: "GET", Path: "/api/x", URL: testIssuer + "/api/x", Authorization: "Bearer " + tok.AccessToken}
	b.ReportAllocs()
	for b.Loop() {
		if _, aerr := r.gw.Authorize(context.Background(), req); aerr != nil {
			b.Fatal(aerr)
		}
	}
}

// BenchmarkMint: one access token (claims, header, Ed25519 signature).
func BenchmarkMint(b *testing.B) {
	r := newRig(b, rigOptions{})
	claims := map[string]any{"name": "Alex", "department": "Finance"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.gw.mint("did:key:z6MkholderAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", testIssuer, []string{"finance", "staff"}, claims, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPolicyDefault: the built-in policy over the demo credential
// (what cflow bench gateway exchanges).
func BenchmarkPolicyDefault(b *testing.B) {
	p := DefaultPolicy(func(d string) bool { return d == hrDID })
	in := Input{Holder: "did:key:holder", Credentials: []*verifier.VerifiedCredential{
		cred("EmployeeCredential", hrDID, map[string]any{"id": "did:key:holder", "employee": map[string]any{"name": "Alex Example", "department": "Finance", "role": "Analyst"}})}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Evaluate(testIssuer, in); err != nil {
			b.Fatal(err)
		}
	}
}
