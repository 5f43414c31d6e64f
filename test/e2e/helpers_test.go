package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin is the cflow binary TestMain builds.
var bin string

// configHome keeps every child away from the user's real config dir.
var configHome string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cflow-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "cflow")
	configHome = filepath.Join(dir, "config")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cflow")
	build.Dir = filepath.Join("..", "..") // go test runs in the package dir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build ./cmd/cflow:", err)
		return 1
	}
	return m.Run()
}

// adminToken is the admin token every server and CLI child here runs
// with (CFLOW_ADMIN_TOKEN); do sends it on the issuer's write endpoints.
const adminToken = "e2e-admin-token"

// isAdminPath reports whether a POST to path needs the admin token.
func isAdminPath(path string) bool {
	switch path {
	case "/v1/issuers", "/v1/credentials/issue", "/v1/credentials/status":
		return true
	}
	return strings.HasPrefix(path, "/v1/issuers/") && strings.HasSuffix(path, "/rotate")
}

// childEnv is the environment every child gets: ours without CFLOW_*
// (a developer's settings must not leak in), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CFLOW_") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	// Servers here are on loopback: fetching status lists from them needs
	// the private-address guard lifted (issue 4: "the tests set it").
	env = append(env, "XDG_CONFIG_HOME="+configHome, "CFLOW_ADMIN_TOKEN="+adminToken, "CFLOW_ALLOW_PRIVATE_FETCH=true")
	return append(env, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// cflow runs the binary to completion with env added to the child's
// environment and stdin (may be nil).
func cflow(t *testing.T, env []string, stdin io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv(env...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("cflow %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("cflow %v: timed out\n%s", args, r)
	}
	return r
}

// mustCflow runs the binary and fails the test unless it exits 0.
func mustCflow(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := cflow(t, env, nil, args...)
	if r.code != 0 {
		t.Fatalf("cflow %v:\n%s", args, r)
	}
	return r
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer collects a child's stderr while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running `cflow serve`.
type server struct {
	URL    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	err    error // valid after done is closed
}

// startServer runs `cflow serve args...` and waits until url answers
// /healthz; it stops the server when the test ends.
func startServer(t *testing.T, url string, env []string, args ...string) *server {
	t.Helper()
	s := launch(t, env, append([]string{"serve"}, args...)...)
	s.URL = url
	deadline := time.Now().Add(15 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("cflow serve exited before it was healthy: %v\n%s", s.err, s.stderr)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("cflow serve not healthy at %s within 15 s\n%s", url, s.stderr)
		}
	}
}

// launch starts the binary in the background; the test's cleanup stops it.
func launch(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	s := &server{stderr: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = childEnv(env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		if _, err := s.stop(10 * time.Second); err != nil {
			t.Errorf("stop: %v\n%s", err, s.stderr)
		}
	})
	return s
}

// stop sends SIGTERM and waits up to d; it kills the process after that.
// It returns the exit code (0 if already stopped cleanly).
func (s *server) stop(d time.Duration) (int, error) {
	select {
	case <-s.done:
		return exitCode(s.err), nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return exitCode(s.err), nil
	case <-time.After(d):
		_ = s.cmd.Process.Kill()
		<-s.done
		return -1, fmt.Errorf("pid %d did not exit within %s of SIGTERM", s.cmd.Process.Pid, d)
	}
}

// wait waits for the process to exit on its own.
func (s *server) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
		return exitCode(s.err)
	case <-time.After(d):
		t.Fatalf("cflow %v still running after %s\n%s", s.cmd.Args[1:], d, s.stderr)
		return -1
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// response is an HTTP answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func do(t *testing.T, method, url, ctype string, body []byte, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method == http.MethodPost && isAdminPath(req.URL.Path) {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func get(t *testing.T, url string, hdr ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, "", nil, hdr...)
}

func postJSON(t *testing.T, url string, v any) response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, http.MethodPost, url, "application/json", b)
}

// createIssuer makes an issuer profile and returns its id and DID.
func createIssuer(t *testing.T, base, name string) (id, did string) {
	t.Helper()
	r := postJSON(t, base+"/v1/issuers", map[string]any{"name": name})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/issuers: %s", r)
	}
	m := r.json(t)
	id, _ = m["id"].(string)
	did, _ = m["did"].(string)
	if id == "" || !strings.HasPrefix(did, "did:key:z6Mk") {
		t.Fatalf("POST /v1/issuers: id %q did %q", id, did)
	}
	return id, did
}

// jwtClaims decodes a compact JWS payload without checking anything.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS (%d segments): %q", len(parts), tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}

// oneLine returns s without its final newline and fails unless that is
// exactly one non-empty line.
func oneLine(t *testing.T, what, s string) string {
	t.Helper()
	v, ok := strings.CutSuffix(s, "\n")
	if !ok || v == "" || strings.Contains(v, "\n") {
		t.Fatalf("%s: want exactly one line, got %q", what, s)
	}
	return v
}

// treeHash is a digest of every file's path, mode and content under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%v\x00", rel, info.Mode())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%d\x00", len(b))
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
