package statuscheck_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/status"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// FuzzCheckStatusEntry feeds arbitrary credentialStatus entries: every
// outcome is nil or a status code; nothing is fetched but the one URL.
func FuzzCheckStatusEntry(f *testing.F) {
	f.Add(`{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"94567","statusListCredential":"https://example.com/s/3"}`)
	f.Add(`{"type":"StatusList2021Entry","statusPurpose":"suspension","statusListIndex":"0","statusListCredential":"https://example.com/s/3"}`)
	f.Add(`{"type":"BitstringStatusListEntry","statusPurpose":"message","statusSize":2,"statusListIndex":"1","statusListCredential":"http://x"}`)
	f.Add(`{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"-1","statusListCredential":"https://example.com/s/3"}`)
	c, err := statuscheck.New(statuscheck.Config{Verifier: trustJSON{}, Fetcher: statuscheck.FetcherFunc(func(context.Context, string) ([]byte, error) {
		return nil, errors.New("offline")
	})})
	if err != nil {
		f.Fatal(err)
	}
	codes := map[string]bool{vc.CodeStatusInvalid: true, vc.CodeStatusUnavailable: true}
	f.Fuzz(func(t *testing.T, s string) {
		var e map[string]any
		if json.Unmarshal([]byte(s), &e) != nil {
			return
		}
		if _, ok := e["type"].(string); !ok {
			return // vc.ParseCredential refuses it before status is checked
		}
		err := c.CheckStatus(context.Background(), &vc.Credential{Issuer: "did:example:1", Status: []map[string]any{e}})
		if err == nil || !codes[vc.CodeOf(err)] {
			t.Fatalf("entry %s: %v", s, err)
		}
	})
}

// FuzzAnchorProperty feeds arbitrary credentialSubject.anchor values to a
// required-mode checker: every outcome is nil (the anchor matched), or
// status_list_invalid / status_unanchored / status_list_unavailable;
// never a panic, never "not revoked" from a malformed anchor.
func FuzzAnchorProperty(f *testing.F) {
	f.Add(`{"chain":"eip155:1337","contract":"0xabababababababababababababababababababab","account":"0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"}`)
	f.Add(`{"chain":"eip155:99","contract":"0xabababababababababababababababababababab","account":"0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"}`)
	f.Add(`{"chain":"eip155:01","contract":"0xab","account":null}`)
	f.Add(`"eip155:1337"`)
	f.Add(`[]`)
	enc := encoded(f, status.MinEntries)
	const u = "https://example.com/s/1"
	f.Fuzz(func(t *testing.T, s string) {
		var anchor any
		if json.Unmarshal([]byte(s), &anchor) != nil {
			return
		}
		doc := map[string]any{
			"@context": []any{vc.ContextV2}, "id": u,
			"type": []any{"VerifiableCredential", "BitstringStatusListCredential"}, "issuer": "did:example:issuer",
			"credentialSubject": map[string]any{"id": u + "#list", "type": "BitstringStatusList",
				"statusPurpose": "revocation", "encodedList": enc, "anchor": anchor},
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return
		}
		a := anchors{u: {{Hash: sha256.Sum256(body), At: time.Now()}}}
		c, err := statuscheck.New(statuscheck.Config{Verifier: trustJSON{}, AnchorMode: statuscheck.AnchorRequired, Anchors: a,
			AnchorTrust: []statuscheck.AnchorTrust{{Ref: testRef}},
			Fetcher:     statuscheck.FetcherFunc(func(context.Context, string) ([]byte, error) { return body, nil })})
		if err != nil {
			t.Fatal(err)
		}
		err = c.CheckStatus(context.Background(), credential(t, "did:example:issuer", entry(u, "revocation", 1)))
		switch code := vc.CodeOf(err); code {
		case "", vc.CodeStatusInvalid, vc.CodeStatusUnanchored, vc.CodeStatusUnavailable:
		default:
			t.Fatalf("anchor %s: code %q (%v)", s, code, err)
		}
		if err == nil {
			m, _ := anchor.(map[string]any)
			c, _ := m["contract"].(string)
			a, _ := m["account"].(string)
			if m == nil || m["chain"] != testRef.Chain || !strings.EqualFold(c, testRef.Contract) || !strings.EqualFold(a, testRef.Account) {
				t.Fatalf("anchor %s accepted: only the trusted slot may be", s)
			}
		}
	})
}

// FuzzParseAnchorTrust: a --status-anchor-trust value either parses into
// a trust entry that prints back as itself, or fails; never a panic.
func FuzzParseAnchorTrust(f *testing.F) {
	f.Add("eip155:1337:0xabababababababababababababababababababab:0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd")
	f.Add("did:web:example.com:=eip155:1:0xabababababababababababababababababababab:0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd")
	f.Add("did:key:z6Mk=eip155:01:0xab:0xcd")
	f.Add("=eip155:1:0x:0x")
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := statuscheck.ParseAnchorTrust(s)
		if err != nil {
			return
		}
		if tr.String() != s {
			t.Fatalf("%q parsed as %+v, prints %q", s, tr, tr.String())
		}
		if _, err := statuscheck.New(statuscheck.Config{Verifier: trustJSON{}, AnchorTrust: []statuscheck.AnchorTrust{tr}}); err != nil {
			t.Fatalf("%q parsed but New refuses it: %v", s, err)
		}
	})
}
