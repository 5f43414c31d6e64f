package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// issued is what a client received: the credential id and its status entry.
type issued struct {
	id, list string
	index    int
}

// issueLoop issues credentials from workers goroutines until stop closes
// or the server goes away, and returns every credential fully received.
func issueLoop(t *testing.T, base, issuerID string, workers int, stop <-chan struct{}) []issued {
	t.Helper()
	var mu sync.Mutex
	var out []issued
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]any{
		"credential": map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}},
		"options":    map[string]any{"issuer": issuerID},
	})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, base+"/v1/credentials/issue", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+adminToken)
				resp, err := c.Do(req)
				if err != nil {
					return // killed
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusCreated {
					return
				}
				var r struct{ VerifiableCredential string }
				if json.Unmarshal(raw, &r) != nil {
					return
				}
				vcDoc, _ := jwtClaimsNoT(r.VerifiableCredential)["vc"].(map[string]any)
				st, _ := vcDoc["credentialStatus"].(map[string]any)
				idx, err := strconv.Atoi(fmt.Sprint(st["statusListIndex"]))
				if err != nil || vcDoc["id"] == nil {
					t.Errorf("credential without a status entry: %v", vcDoc)
					return
				}
				mu.Lock()
				out = append(out, issued{id: vcDoc["id"].(string), list: st["statusListCredential"].(string), index: idx})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func jwtClaimsNoT(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// listBits fetches a status list credential and decodes its bitstring
// (multibase 'u' + base64url of GZIP; Bitstring Status List §3.3).
func listBits(t *testing.T, url string) []byte {
	t.Helper()
	r := get(t, url)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %s", url, r)
	}
	subj, _ := jwtClaims(t, string(r.body))["credentialSubject"].(map[string]any)
	enc, _ := subj["encodedList"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(enc, "u"))
	if err != nil || !strings.HasPrefix(enc, "u") {
		t.Fatalf("encodedList %q: %v", enc, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return bits
}

func bitSet(bits []byte, i int) bool { return bits[i/8]&(0x80>>(i%8)) != 0 }

// TestStatusIndexesSurviveKill issues concurrently against the real binary,
// SIGKILLs it mid-load several times, restarts it on the same data, and
// checks that no index was handed out twice and that every credential a
// client received has its index recorded: revoking each one sets exactly
// its bit in the published list.
func TestStatusIndexesSurviveKill(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	data := t.TempDir()
	args := []string{"--addr", addr, "--data", data, "--allow-private-fetch", "--status-publish-interval", "100ms"}
	s := startServer(t, base, nil, args...)
	issuerID, _ := createIssuer(t, base, "Kill Corp")

	var all []issued
	for round := range 3 {
		stop := make(chan struct{})
		done := make(chan []issued)
		go func() { done <- issueLoop(t, base, issuerID, 6, stop) }()
		time.Sleep(time.Duration(700+300*round) * time.Millisecond)
		if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.done
		got := <-done
		close(stop)
		if len(got) == 0 {
			t.Fatalf("round %d: no credential issued before the kill\n%s", round, s.stderr)
		}
		all = append(all, got...)
		s = startServer(t, base, nil, args...)
	}
	stop := make(chan struct{})
	time.AfterFunc(300*time.Millisecond, func() { close(stop) })
	all = append(all, issueLoop(t, base, issuerID, 2, stop)...)

	byList := map[string]map[int]string{}
	for _, c := range all {
		if byList[c.list] == nil {
			byList[c.list] = map[int]string{}
		}
		if prev, dup := byList[c.list][c.index]; dup {
			t.Fatalf("index %d of %s handed out to %s and %s", c.index, c.list, prev, c.id)
		}
		byList[c.list][c.index] = c.id
	}
	t.Logf("%d credentials received over 3 kills, %d list(s)", len(all), len(byList))

	// Revoke every received credential: each must be known (recorded).
	var wg sync.WaitGroup
	work := make(chan issued)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				r := postJSON(t, base+"/v1/credentials/status", map[string]any{"credentialId": c.id,
					"credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "value": true}}})
				if r.status != http.StatusOK {
					t.Errorf("revoke %s (received before a kill): %s", c.id, r)
				}
			}
		}()
	}
	for _, c := range all {
		work <- c
	}
	close(work)
	wg.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for list, idx := range byList {
		for {
			bits := listBits(t, list)
			n, missing := 0, 0
			for i := range len(bits) * 8 {
				if bitSet(bits, i) {
					n++
				}
			}
			for i := range idx {
				if !bitSet(bits, i) {
					missing++
				}
			}
			if missing == 0 && n == len(idx) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d bits set, %d of %d revoked indexes missing", list, n, missing, len(idx))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestRevokeThroughCLI: cflow issue revoke makes the gateway's verifier
// refuse the credential with revoked; reinstating a revoked one is a 409.
func TestRevokeThroughCLI(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--allow-private-fetch", "--status-publish-interval", "100ms", "--status-ttl", "1s")
	r := postJSON(t, base+"/v1/issuers", map[string]any{"name": "HR", "suspension": true})
	if r.status != http.StatusCreated {
		t.Fatal(r)
	}
	issuerID := r.json(t)["id"].(string)
	r = postJSON(t, base+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"credentialSubject": map[string]any{"id": "did:example:holder"}},
		"options":    map[string]any{"issuer": issuerID}})
	if r.status != http.StatusCreated {
		t.Fatal(r)
	}
	jwt := r.json(t)["verifiableCredential"].(string)
	id := jwtClaims(t, jwt)["jti"].(string)
	verify := func() string {
		r := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": jwt})
		if r.status == http.StatusOK {
			return ""
		}
		errs, _ := r.json(t)["errors"].([]any)
		if len(errs) == 0 {
			t.Fatalf("verify: %s", r)
		}
		return errs[0].(map[string]any)["code"].(string)
	}
	waitCode := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := verify()
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("verify code %q, want %q", got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitCode("")
	mustCflow(t, nil, "issue", "suspend", "--server", base, id)
	waitCode("suspended")
	mustCflow(t, nil, "issue", "reinstate", "--server", base, id)
	waitCode("")
	out := mustCflow(t, nil, "issue", "revoke", "--server", base, id)
	if !strings.Contains(out.stdout, `"revoked":true`) {
		t.Errorf("revoke printed %q", out.stdout)
	}
	waitCode("revoked")
	if res := cflow(t, nil, nil, "issue", "reinstate", "--server", base, id); res.code == 0 || !strings.Contains(res.stderr, "409") {
		t.Errorf("reinstate revoked: %s", res)
	}
	if res := cflow(t, nil, nil, "issue", "revoke", "--server", base, "urn:uuid:unknown"); res.code == 0 || !strings.Contains(res.stderr, "404") {
		t.Errorf("revoke unknown: %s", res)
	}
}
