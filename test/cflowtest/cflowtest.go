// Package cflowtest is the harness the end-to-end and adversarial suites
// share to drive the real cflow binary: it builds ./cmd/cflow once per test
// process, runs children with an environment free of the developer's
// CFLOW_* settings, and speaks HTTP to a server, presenting the admin token
// on the issuer's write endpoints. It is for tests only.
package cflowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// CLI is a cflow binary built for this test process and the settings every
// child of it runs with.
type CLI struct {
	Bin        string // the built binary
	ConfigHome string // XDG_CONFIG_HOME of every child, away from the user's real one
	AdminToken string // CFLOW_ADMIN_TOKEN of every child; Do presents it
	Client     *http.Client
}

// Main is a TestMain body: it builds ./cmd/cflow from the module root
// (two levels up: go test runs in test/<suite>) into a temp dir named after
// prefix, stores the CLI in *cli, runs the tests and removes the dir. It
// returns the exit code for os.Exit.
func Main(m *testing.M, prefix, adminToken string, cli **CLI) int {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	c := &CLI{
		Bin:        filepath.Join(dir, "cflow"),
		ConfigHome: filepath.Join(dir, "config"),
		AdminToken: adminToken,
		Client:     &http.Client{Timeout: 60 * time.Second},
	}
	build := exec.Command("go", "build", "-o", c.Bin, "./cmd/cflow")
	build.Dir = filepath.Join("..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cflowtest: go build ./cmd/cflow:", err)
		return 1
	}
	*cli = c
	return m.Run()
}

// Env is the environment every child gets: ours without CFLOW_* and
// XDG_CONFIG_HOME (a developer's settings must not leak in), plus extra.
func (c *CLI) Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CFLOW_") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	// Servers in these suites are on loopback: fetching status lists from
	// them needs the private-address guard lifted.
	env = append(env, "XDG_CONFIG_HOME="+c.ConfigHome, "CFLOW_ADMIN_TOKEN="+c.AdminToken, "CFLOW_ALLOW_PRIVATE_FETCH=true")
	return append(env, extra...)
}

// Command is the binary with args and Env(env...), not started.
func (c *CLI) Command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.Bin, args...)
	cmd.Env = c.Env(env...)
	return cmd
}

// Result is a finished run of the binary.
type Result struct {
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
}

// Run runs the binary to completion (at most 60 s) with env added to the
// child's environment and stdin (may be nil).
func (c *CLI) Run(t testing.TB, env []string, stdin io.Reader, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = c.Env(env...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("cflow %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("cflow %v: timed out\n%s", args, r)
	}
	return r
}

// FreeAddr returns a loopback address nobody listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// LockedBuffer collects a child's output while it runs.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitHealthy polls url/healthz until it answers 200. It fails the test
// with log if exited is closed first (the server died) or within passes.
func WaitHealthy(t testing.TB, url string, exited <-chan struct{}, log fmt.Stringer, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	c := &http.Client{Timeout: time.Second}
	for {
		if resp, err := c.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("cflow serve exited before it was healthy:\n%s", log)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("cflow serve not healthy at %s within %s\n%s", url, within, log)
		}
	}
}

// IsAdminPath reports whether a POST to path needs the admin token.
func IsAdminPath(path string) bool {
	switch path {
	case "/v1/issuers", "/v1/credentials/issue", "/v1/credentials/status":
		return true
	}
	return strings.HasPrefix(path, "/v1/issuers/") && strings.HasSuffix(path, "/rotate")
}

// Response is an HTTP answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with headers hdr (name, value pairs, added in
// order) and reads the answer. A POST to an admin path carries the admin
// token unless hdr names its own Authorization.
func (c *CLI) Do(t testing.TB, method, url, ctype string, body []byte, hdr ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	if _, named := req.Header["Authorization"]; !named && method == http.MethodPost && IsAdminPath(req.URL.Path) {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return Response{resp.StatusCode, resp.Header, b}
}

// PostJSON posts v as JSON.
func (c *CLI) PostJSON(t testing.TB, url string, v any) Response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(t, http.MethodPost, url, "application/json", b)
}
