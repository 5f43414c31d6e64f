package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWalletRefusals: each refusal exits non-zero with one clear line on
// stderr and leaves the wallet as it was.
func TestWalletRefusals(t *testing.T) {
	t.Parallel()
	cases := loadVectors(t)
	dir := t.TempDir()
	wdir := filepath.Join(dir, "wallet")
	env := []string{"CFLOW_WALLET_PASSPHRASE=pass one"}
	w := func(args ...string) []string { return append([]string{"wallet", "--wallet", wdir}, args...) }
	mustCflow(t, env, w("init")...)
	holder := oneLine(t, "did create", mustCflow(t, env, w("did", "create")...).stdout)

	t.Run("fail/init-twice", func(t *testing.T) {
		before := treeHash(t, wdir)
		r := cflow(t, env, nil, w("init")...)
		if r.code != 1 || !strings.Contains(oneLine(t, "stderr", r.stderr), "already exists") || r.stdout != "" {
			t.Errorf("second init: %s\nwant exit 1, one stderr line saying the wallet already exists", r)
		}
		if treeHash(t, wdir) != before {
			t.Errorf("second init changed the wallet directory")
		}
	})

	t.Run("fail/wrong-passphrase", func(t *testing.T) {
		before := treeHash(t, wdir)
		for _, args := range [][]string{w("list"), w("did", "create"), w("receive", writeFile(t, dir, "c.jwt", cases["ed25519-valid"].JWT))} {
			r := cflow(t, []string{"CFLOW_WALLET_PASSPHRASE=pass two"}, nil, args...)
			if r.code == 0 || r.stdout != "" || oneLine(t, "stderr", r.stderr) != "cflow: wallet: wrong passphrase" {
				t.Errorf("%v with a wrong passphrase: %s\nwant non-zero and the one line %q", args[3:], r, "cflow: wallet: wrong passphrase")
			}
		}
		if treeHash(t, wdir) != before {
			t.Errorf("a wrong passphrase changed the wallet directory")
		}
	})

	t.Run("fail/no-passphrase", func(t *testing.T) {
		r := cflow(t, nil, strings.NewReader(""), w("list")...)
		if r.code != 2 || !strings.Contains(oneLine(t, "stderr", r.stderr), "CFLOW_WALLET_PASSPHRASE") {
			t.Errorf("list without a passphrase: %s\nwant exit 2 naming CFLOW_WALLET_PASSPHRASE", r)
		}
	})

	t.Run("fail/tampered-credential", func(t *testing.T) {
		file := writeFile(t, dir, "tampered.jwt", cases["ed25519-tampered-payload"].JWT)
		for _, args := range [][]string{w("receive", file), w("receive", "--force", file)} {
			r := cflow(t, env, nil, args...)
			if r.code != 1 || r.stdout != "" || !strings.Contains(oneLine(t, "stderr", r.stderr), "signature_invalid") {
				t.Errorf("%v: %s\nwant exit 1, one stderr line with signature_invalid", args[3:], r)
			}
		}
		if ids := listIDs(t, env, wdir); len(ids) != 0 {
			t.Errorf("a tampered credential was stored: %v", ids)
		}
	})

	t.Run("fail/someone-elses-credential", func(t *testing.T) {
		c := cases["ed25519-valid"]
		if c.Issuer == "" || jwtClaims(t, c.JWT)["sub"] == holder {
			t.Fatal("vector unsuitable")
		}
		file := writeFile(t, dir, "other.jwt", c.JWT)
		r := cflow(t, env, nil, w("receive", file)...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(oneLine(t, "stderr", r.stderr), "--force") {
			t.Errorf("receive: %s\nwant exit 1, one stderr line pointing at --force", r)
		}
		if ids := listIDs(t, env, wdir); len(ids) != 0 {
			t.Fatalf("refused credential was stored: %v", ids)
		}
		id := oneLine(t, "receive --force", mustCflow(t, env, w("receive", "--force", file)...).stdout)
		if ids := listIDs(t, env, wdir); len(ids) != 1 || ids[0] != id {
			t.Errorf("after --force, ids = %v, want [%s]", ids, id)
		}
	})

	t.Run("fail/missing-file", func(t *testing.T) {
		r := cflow(t, env, nil, w("receive", filepath.Join(dir, "nope.jwt"))...)
		if r.code != 2 {
			t.Errorf("receive of a missing file: %s\nwant exit 2", r)
		}
	})
}
