package adversarial

import (
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestReview2ReloadUnderLoad hammers forward-auth with a valid token while
// the policy file is rewritten (same meaning, other text) and SIGHUP'd
// many times: no request may fail or see another answer.
func TestReview2ReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(review2Policy), 0o600); err != nil {
		t.Fatal(err)
	}
	s, issuerID, _ := setup(t, "--policy", pol, "--rate-ip", "0", "--rate-holder", "0")
	h := newHolder(t)
	cred := issue(t, s, issuerID, h.DID, "jwt_vc_json")
	nonce, aud := challenge(t, s)
	r := exchange(t, s, h.sign(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": h.Kid}, h.vpClaims(nonce, aud, cred)))
	if r.status != 200 {
		t.Fatalf("exchange: %s", r)
	}
	tok := r.obj(t)["access_token"].(string)
	var bad atomic.Int64
	var first atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", s.URL+"/v1/gateway/authorize", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("X-Original-URI", "/api/x")
				req.Header.Set("X-Original-Method", "GET")
				resp, err := c.Do(req)
				if err != nil {
					bad.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
					first.CompareAndSwap(nil, resp.Status)
				}
			}
		}()
	}
	for i := 0; i < 60; i++ {
		// a rewrite that is not atomic (truncate, then write), as editors do
		text := review2Policy
		if i%2 == 1 {
			text += "\n# reload " + time.Now().String() + "\n"
		}
		_ = os.WriteFile(pol, []byte(text), 0o600)
		_ = s.cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(25 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d requests failed during reloads, first: %v\n%s", n, first.Load(), s.log)
	}
}
