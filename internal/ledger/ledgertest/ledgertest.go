// Package ledgertest opens the two ledgers the did:ethr suites run
// against: the embedded chain in a temp dir, and a real `geth --dev` on
// loopback (skipped, with a message, when no geth binary is found).
package ledgertest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/credentialflow/cflow/internal/ledger"
)

// Opener opens a fresh ledger with a deployed registry and a funded
// transactor; it registers its own cleanup.
type Opener func(t testing.TB) *ledger.Ledger

// Embedded opens the embedded chain in a temp dir.
func Embedded(t testing.TB) *ledger.Ledger {
	t.Helper()
	l, err := ledger.OpenEmbedded(t.TempDir(), ledger.EmbeddedOptions{})
	if err != nil {
		t.Fatalf("open embedded chain: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// gethDevKey is the key `geth --dev` funds in genesis when its keystore is
// empty (cmd/utils.DeveloperKey); it is public and only used on loopback.
const gethDevKey = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"

// GethBinary finds geth at $GETH, on PATH or in $(go env GOPATH)/bin.
func GethBinary() string {
	if p := os.Getenv("GETH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("geth"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "geth")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// StartGeth runs `geth --dev` with HTTP on a free loopback port and returns
// its URL and a key file for the funded dev account. It skips the test when
// geth is missing.
func StartGeth(t testing.TB) (rpcURL, keyFile string) {
	t.Helper()
	bin := GethBinary()
	if bin == "" {
		t.Skip("skipping: no geth binary ($GETH, PATH, GOPATH/bin); .ci/install-geth.sh installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "geth.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--dev", "--datadir", filepath.Join(dir, "data"),
		"--http", "--http.addr", "127.0.0.1", "--http.port", fmt.Sprint(port),
		"--http.api", "eth,net,web3",
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.port", "0",
		"--ipcdisable", "--cache", "64")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start geth: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	rpcURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := ethclient.Dial(rpcURL)
		if err == nil {
			_, err = c.ChainID(context.Background())
			c.Close()
			if err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("geth did not answer on %s: %v\n%s", rpcURL, err, tail(log))
		}
		time.Sleep(100 * time.Millisecond)
	}
	keyFile = filepath.Join(dir, "dev.key")
	k, _ := crypto.HexToECDSA(gethDevKey)
	if err := ledger.WriteKey(keyFile, k); err != nil {
		t.Fatal(err)
	}
	return rpcURL, keyFile
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Geth starts geth --dev, deploys the registry with its dev account and
// dials it as a Ledger.
func Geth(t testing.TB) *ledger.Ledger {
	t.Helper()
	rpcURL, keyFile := StartGeth(t)
	addr := Deploy(t, rpcURL, keyFile)
	l, err := ledger.Dial(context.Background(), rpcURL, addr, keyFile, ledger.DialOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("dial geth: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Deploy deploys the registry through rpcURL and returns its address.
func Deploy(t testing.TB, rpcURL, keyFile string) common.Address {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := ethclient.Dial(rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k, err := ledger.LoadKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ledger.NewTransactor(ctx, c, k, ledger.TransactorOptions{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	addr, err := ledger.DeployRegistry(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
