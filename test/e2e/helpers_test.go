package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credentialflow/cflow/test/cflowtest"
)

// cli is the cflow binary TestMain builds.
var cli *cflowtest.CLI

func TestMain(m *testing.M) {
	os.Exit(cflowtest.Main(m, "cflow-e2e-", adminToken, &cli))
}

// adminToken is the admin token every server and CLI child here runs
// with (CFLOW_ADMIN_TOKEN); do sends it on the issuer's write endpoints.
const adminToken = "e2e-admin-token"

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
	r := cli.Run(t, env, stdin, args...)
	return result{stdout: r.Stdout, stderr: r.Stderr, code: r.Code}
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

var freeAddr = cflowtest.FreeAddr

// lockedBuffer collects a child's stderr while it runs.
type lockedBuffer = cflowtest.LockedBuffer

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
	cflowtest.WaitHealthy(t, url, s.done, s.stderr, 15*time.Second)
	return s
}

// launch starts the binary in the background; the test's cleanup stops it.
func launch(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	s := &server{stderr: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = cli.Command(env, args...)
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
	r := cli.Do(t, method, url, ctype, body, hdr...)
	return response{r.Status, r.Header, r.Body}
}

func get(t *testing.T, url string, hdr ...string) response {
	t.Helper()
	return do(t, http.MethodGet, url, "", nil, hdr...)
}

func postJSON(t *testing.T, url string, v any) response {
	t.Helper()
	r := cli.PostJSON(t, url, v)
	return response{r.Status, r.Header, r.Body}
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
