package adversarial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentIssuersAndIssuance creates issuers and issues from them
// concurrently; every answer is 201, ids are unique, every credential verifies.
func TestConcurrentIssuersAndIssuance(t *testing.T) {
	s := start(t, "", "--rate-ip", "0") // it verifies 48 credentials at once from one address
	h := newHolder(t)
	const n = 12
	var wg sync.WaitGroup
	ids := make([]string, n)
	creds := make([]string, n*4)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := postJSON(t, s.URL+"/v1/issuers", map[string]any{"name": fmt.Sprintf("i%d", i), "keyType": []string{"Ed25519", "P-256"}[i%2], "method": []string{"key", "jwk"}[i%3%2]})
			if r.status != 201 {
				t.Errorf("create: %s", r)
				return
			}
			ids[i] = r.obj(t)["id"].(string)
			var iw sync.WaitGroup
			for j := range 4 {
				iw.Add(1)
				go func() {
					defer iw.Done()
					r := postJSON(t, s.URL+"/v1/credentials/issue", map[string]any{
						"credential": map[string]any{"type": []any{"VerifiableCredential", "EmployeeCredential"}, "credentialSubject": map[string]any{"id": h.DID}},
						"options":    map[string]any{"issuer": ids[i], "format": []string{"jwt_vc_json", "vc+jwt"}[j%2]},
					})
					if r.status != 201 {
						t.Errorf("issue: %s", r)
						return
					}
					creds[i*4+j], _ = r.obj(t)["verifiableCredential"].(string)
				}()
			}
			iw.Wait()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate issuer id %q", id)
		}
		seen[id] = true
	}
	list := do(t, "GET", s.URL+"/v1/issuers", "", nil).obj(t)["issuers"].([]any)
	if len(list) != n {
		t.Errorf("%d issuers listed, want %d", len(list), n)
	}
	for i, c := range creds {
		if c == "" {
			continue
		}
		if r := postJSON(t, s.URL+"/v1/credentials/verify", map[string]any{"verifiableCredential": c}); r.status != 200 {
			t.Errorf("credential %d: %s", i, r)
		}
	}
}

// TestKill9DuringIssuance kills the server while it issues and checks the
// store reopens with every acknowledged issuer and the same gateway key.
func TestKill9DuringIssuance(t *testing.T) {
	data := t.TempDir()
	s := start(t, data)
	r := postJSON(t, s.URL+"/v1/issuers", map[string]any{"name": "before"})
	if r.status != 201 {
		t.Fatal(r)
	}
	iss := r.obj(t)["id"].(string)
	jwks := do(t, "GET", s.URL+"/.well-known/jwks.json", "", nil).body
	h := newHolder(t)
	var acked atomic.Int64
	var ackedIssuers sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 5 * time.Second}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var body []byte
				u := s.URL + "/v1/credentials/issue"
				if w%2 == 0 {
					u = s.URL + "/v1/issuers"
					body, _ = json.Marshal(map[string]any{"name": fmt.Sprintf("w%d-%d", w, i)})
				} else {
					body, _ = json.Marshal(map[string]any{"credential": map[string]any{"type": []any{"VerifiableCredential", "X"}, "credentialSubject": map[string]any{"id": h.DID}}, "options": map[string]any{"issuer": iss}})
				}
				resp, err := c.Post(u, "application/json", bytes.NewReader(body))
				if err != nil {
					return
				}
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode == 201 {
					acked.Add(1)
					if id, ok := m["did"].(string); ok {
						ackedIssuers.Store(m["id"].(string), id)
					}
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	s.kill()
	close(stop)
	wg.Wait()
	t.Logf("%d requests acknowledged before kill -9", acked.Load())
	files, _ := os.ReadDir(filepath.Join(data, "store"))
	t.Logf("store files: %d", len(files))

	s2 := start(t, data)
	list := do(t, "GET", s2.URL+"/v1/issuers", "", nil)
	if list.status != 200 {
		t.Fatalf("after restart: %s", list)
	}
	have := map[string]string{}
	for _, p := range list.obj(t)["issuers"].([]any) {
		m := p.(map[string]any)
		have[m["id"].(string)] = m["did"].(string)
	}
	ackedIssuers.Range(func(k, v any) bool {
		if have[k.(string)] != v.(string) {
			t.Errorf("acknowledged issuer %s (%s) lost after kill -9", k, v)
		}
		return true
	})
	if got := do(t, "GET", s2.URL+"/.well-known/jwks.json", "", nil).body; !bytes.Equal(got, jwks) {
		t.Errorf("gateway key changed across kill -9:\n%s\n%s", jwks, got)
	}
	// the issuer still signs
	issue(t, s2, iss, h.DID, "jwt_vc_json")
}
