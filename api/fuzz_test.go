package api_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// FuzzVerifyBody feeds arbitrary bodies to both verify endpoints: the
// answer is always a documented status, never a 500, and every refusal is
// problem+json.
func FuzzVerifyBody(f *testing.F) {
	for _, s := range []string{
		`{"verifiableCredential":"a.b.c"}`,
		`{"verifiableCredential":{"id":"data:application/vc+jwt,e30.e30.AA"}}`,
		`{"verifiablePresentation":{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiablePresentation"}}`,
		`{"verifiableCredential":"eyJhbGciOiJub25lIn0.e30."}`,
		`{"verifiableCredential":1,"verifiableCredential":2}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add(s)
	}
	e := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/credentials/verify", "/v1/presentations/verify"} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if !slices.Contains([]int{200, 400, 413, 422}, rec.Code) {
				t.Fatalf("%s: status %d for %q: %s", path, rec.Code, body, rec.Body)
			}
			if rec.Code != 200 && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %d without problem+json", path, rec.Code)
			}
		}
	})
}

// FuzzResolvePath feeds arbitrary identifiers to the DID resolution
// endpoint: only the DID Resolution statuses come back.
func FuzzResolvePath(f *testing.F) {
	for _, s := range []string{"did:key:zzz", "did:example:123", "did:jwk:e30", "did:key:z6Mk", "did:", "", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"} {
		f.Add(s)
	}
	e := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, id string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path, req.URL.RawPath = "/1.0/identifiers/"+id, ""
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if !slices.Contains([]int{200, 400, 404, 501}, rec.Code) {
			t.Fatalf("status %d for %q: %s", rec.Code, id, rec.Body)
		}
	})
}
