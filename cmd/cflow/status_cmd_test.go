package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// TestOwnListForgottenOnPublish: the server's own verifier sees a
// revocation as soon as the issuer publishes the new list version, not
// when its cached copy (--status-ttl, an hour here) expires.
func TestOwnListForgottenOnPublish(t *testing.T) {
	iss, db, _ := issuertest.New(t)
	listVerifier := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})})
	sc := defaultStatusConfig()
	sc.TTL, sc.PublishInterval = time.Hour, time.Hour // only the explicit rounds below publish
	cfg := serverConfig{PublicURL: "https://issuer.example", Roles: []string{"issuer", "verifier"}, Status: sc}
	checker, rt, err := enableStatus(cfg, db, iss, listVerifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.stop)

	ctx := context.Background()
	p, err := iss.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "HR"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := iss.Issue(ctx, issuer.Request{Options: issuer.Options{Issuer: p.ID},
		Credential: map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.Parse(out.Credential.(string))
	if err != nil {
		t.Fatal(err)
	}
	cred, _, _, err := vcjose.DecodeCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := checker.CheckStatus(ctx, cred); err != nil {
		t.Fatalf("ok/before: %v", err)
	}
	if _, err := iss.SetStatus(ctx, out.Record.ID, issuer.StatusChange{Purpose: issuer.PurposeRevocation, Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := checker.CheckStatus(ctx, cred); err != nil {
		t.Fatalf("ok/revoked-not-yet-published: %v (the published list still says valid)", err)
	}
	if n, err := iss.PublishStatusLists(ctx); err != nil || n != 1 {
		t.Fatalf("publish = %d, %v", n, err)
	}
	if err := checker.CheckStatus(ctx, cred); vc.CodeOf(err) != vc.CodeRevoked {
		t.Fatalf("fail/revoked-after-publish: %v, want revoked at once", err)
	}
}

func TestAnchorTrust(t *testing.T) {
	const c, a = "0xabababababababababababababababababababab", "0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	own := statuscheck.AnchorTrust{Ref: statuscheck.AnchorRef{Chain: "eip155:1337", Contract: c, Account: a}}
	withOwn := &anchoring{chain: "eip155:1337", own: &own}
	for _, tc := range []struct {
		name  string
		flags []string
		anch  *anchoring
		want  []string
		fail  bool
	}{
		{name: "ok/own-only", anch: withOwn, want: []string{own.String()}},
		{name: "ok/none", anch: &anchoring{}, want: nil},
		{name: "ok/flag-and-own", flags: []string{"did:key:z6MkA=eip155:1337:" + a + ":" + c}, anch: withOwn,
			want: []string{"did:key:z6MkA=eip155:1337:" + a + ":" + c, own.String()}},
		{name: "ok/no-ledger-any-chain", flags: []string{" eip155:1:" + c + ":" + a}, anch: &anchoring{}, want: []string{"eip155:1:" + c + ":" + a}},
		{name: "fail/other-chain", flags: []string{"eip155:1:" + c + ":" + a}, anch: withOwn, fail: true},
		{name: "fail/malformed", flags: []string{"eip155:1337:" + c}, anch: withOwn, fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := defaultStatusConfig()
			sc.AnchorTrust = tc.flags
			got, err := anchorTrust(sc, tc.anch)
			if tc.fail {
				if ee, ok := err.(*exitError); !ok || ee.code != 2 {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, g := range got {
				s = append(s, g.String())
			}
			if strings.Join(s, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("trust %v, want %v", s, tc.want)
			}
		})
	}
}
