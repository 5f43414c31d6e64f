package statuscheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

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
