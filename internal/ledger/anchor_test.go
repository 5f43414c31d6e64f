package ledger

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func openAnchor(t testing.TB, dir string) (*Ledger, *StatusAnchor) {
	t.Helper()
	l, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := OpenStatusAnchor(context.Background(), l, dir)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	return l, a
}

func h(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func TestOpenStatusAnchor(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, a := openAnchor(t, dir)
	addr := a.Address()
	if err := a.CheckCode(ctx); err != nil {
		t.Fatalf("ok/check-code: %v", err)
	}
	if err := NewStatusAnchor(l.Client, l.Registry, nil).CheckCode(ctx); !errors.Is(err, ErrNotStatusAnchor) {
		t.Fatalf("fail/registry-is-not-an-anchor: %v", err)
	}
	if err := NewStatusAnchor(l.Client, common.HexToAddress("0x1234"), nil).CheckCode(ctx); !errors.Is(err, ErrNotStatusAnchor) {
		t.Fatalf("fail/no-code: %v", err)
	}
	if a.Writer() != l.Tx.From() {
		t.Fatalf("writer %s, want the ledger account %s", a.Writer(), l.Tx.From())
	}
	l.Close()
	l2, a2 := openAnchor(t, dir)
	defer l2.Close()
	if a2.Address() != addr {
		t.Fatalf("ok/remembered: reopened at %s, deployed at %s", a2.Address(), addr)
	}
	// A remembered address on another chain is refused.
	if err := os.WriteFile(dir+"/"+StatusAnchorFile, []byte(`{"address":"`+addr.Hex()+`","chainId":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStatusAnchor(ctx, l2, dir); err == nil || !strings.Contains(err.Error(), "chain 1") {
		t.Fatalf("fail/other-chain: %v", err)
	}
}

// TestAnchorBatchOneTransaction: every entry of a batch is in one
// transaction, one block, one event each.
func TestAnchorBatchOneTransaction(t *testing.T) {
	l, a := openAnchor(t, t.TempDir())
	defer l.Close()
	ctx := context.Background()
	before, err := l.Client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"https://a.example/v1/status/1", "https://a.example/v1/status/2", "https://a.example/v1/status/3"}
	var entries []AnchorEntry
	for _, k := range keys {
		entries = append(entries, AnchorEntry{Key: AnchorKey(k), Hash: h(k)})
	}
	rcpt, err := a.Anchor(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := l.Client.BlockNumber(ctx)
	if after != before+1 || rcpt.BlockNumber.Uint64() != after {
		t.Fatalf("blocks %d → %d (receipt in %d), want exactly one new block", before, after, rcpt.BlockNumber)
	}
	n, err := l.Client.(interface {
		TransactionCount(context.Context, common.Hash) (uint, error)
	}).TransactionCount(ctx, rcpt.BlockHash)
	if err != nil || n != 1 {
		t.Fatalf("%d transactions in the block (%v), want 1", n, err)
	}
	if n := len(rcpt.Logs); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	for _, k := range keys {
		rec, ok, err := a.Latest(ctx, a.Writer(), AnchorKey(k), nil)
		if err != nil || !ok || rec.Hash != h(k) || rec.Block != after {
			t.Fatalf("latest of %s: %+v %v %v", k, rec, ok, err)
		}
	}
	// Another writer's slots are its own: nothing anchored there.
	if _, ok, err := a.Latest(ctx, common.HexToAddress("0xbeef"), AnchorKey(keys[0]), nil); ok || err != nil {
		t.Fatalf("fail/other-writer: ok=%v err=%v", ok, err)
	}
	if _, err := a.Anchor(ctx, nil); err == nil {
		t.Fatal("fail/empty-batch accepted")
	}
	if _, err := NewStatusAnchor(l.Client, a.Address(), nil).Anchor(ctx, entries); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("fail/read-only: %v", err)
	}
	// keys and hashes of different lengths revert.
	to := a.Address()
	bad := a.abi.PackAnchor([][32]byte{{1}, {2}}, [][32]byte{{1}})
	if _, err := l.Tx.Send(ctx, &to, bad, 200_000); !errors.Is(err, ErrReverted) {
		t.Fatalf("fail/length-mismatch: %v", err)
	}
}

func TestAnchorHistory(t *testing.T) {
	l, a := openAnchor(t, t.TempDir())
	defer l.Close()
	ctx := context.Background()
	key := AnchorKey("https://a.example/v1/status/h")
	if recs, err := a.History(ctx, a.Writer(), key, time.Time{}); err != nil || recs != nil {
		t.Fatalf("ok/never-anchored: %v %v", recs, err)
	}
	var want [][32]byte
	for i := 0; i < 4; i++ {
		v := h(fmt.Sprint("v", i))
		if _, err := a.Anchor(ctx, []AnchorEntry{{Key: key, Hash: v}}); err != nil {
			t.Fatal(err)
		}
		want = append([][32]byte{v}, want...)
	}
	// Two versions of the same key in one batch: the later one wins, both
	// stay in the history.
	v5, v6 := h("v5"), h("v6")
	if _, err := a.Anchor(ctx, []AnchorEntry{{Key: key, Hash: v5}, {Key: key, Hash: v6}}); err != nil {
		t.Fatal(err)
	}
	want = append([][32]byte{v6, v5}, want...)
	all, err := a.History(ctx, a.Writer(), key, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Fatalf("ok/all: %d records, want %d", len(all), len(want))
	}
	for i := range want {
		if all[i].Hash != want[i] {
			t.Fatalf("ok/all: record %d is %x, want %x", i, all[i].Hash[:4], want[i][:4])
		}
	}
	// since after the latest: only the latest.
	only, err := a.History(ctx, a.Writer(), key, time.Now().Add(time.Hour))
	if err != nil || len(only) != 1 || only[0].Hash != v6 {
		t.Fatalf("ok/latest-only: %v %v", only, err)
	}
}

// BenchmarkAnchorBatch measures one anchor transaction of n lists (new
// keys, then the same keys again) on the embedded chain: gas and time from
// send to a receipt on disk.
func BenchmarkAnchorBatch(b *testing.B) {
	l, a := openAnchor(b, b.TempDir())
	defer l.Close()
	ctx := context.Background()
	for _, n := range []int{1, 10} {
		for _, phase := range []string{"new", "update"} {
			b.Run(fmt.Sprintf("lists=%d/%s", n, phase), func(b *testing.B) {
				var gas uint64
				for i := 0; i < b.N; i++ {
					entries := make([]AnchorEntry, n)
					for j := range entries {
						k := fmt.Sprintf("https://a.example/v1/status/%d/%d", n, j)
						if phase == "new" {
							k += fmt.Sprint("/", i)
						}
						entries[j] = AnchorEntry{Key: AnchorKey(k), Hash: h(fmt.Sprint(k, i))}
					}
					rcpt, err := a.Anchor(ctx, entries)
					if err != nil {
						b.Fatal(err)
					}
					gas += rcpt.GasUsed
				}
				b.ReportMetric(float64(gas)/float64(b.N), "gas/batch")
			})
		}
	}
}

const anchorHelperEnv = "CFLOW_LEDGER_ANCHOR_KILL_HELPER"

// TestAnchorKillHelper is the child of TestAnchorKill9: it anchors a new
// hash of one key per transaction and prints each confirmed one.
func TestAnchorKillHelper(t *testing.T) {
	dir := os.Getenv(anchorHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestAnchorKill9")
	}
	l, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	a, err := OpenStatusAnchor(context.Background(), l, dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		v := h(fmt.Sprint("version ", i))
		if _, err := a.Anchor(context.Background(), []AnchorEntry{{Key: AnchorKey("k"), Hash: v}}); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Printf("CONFIRMED %d %s\n", i, hex.EncodeToString(v[:]))
	}
}

// TestAnchorKill9: an anchor reported confirmed is still the latest (or
// superseded by a later one the child sent) after kill -9 and a restart.
func TestAnchorKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAnchorKillHelper$", "-test.v")
	cmd.Env = append(os.Environ(), anchorHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	confirmed := -1
	deadline := time.After(60 * time.Second)
	for confirmed < 25 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("helper exited early")
			}
			if strings.HasPrefix(line, "ERR") {
				t.Fatal(line)
			}
			var i int
			var hx string
			if _, err := fmt.Sscanf(line, "CONFIRMED %d %s", &i, &hx); err == nil {
				confirmed = i
			}
		case <-deadline:
			t.Fatal("helper too slow")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	for range lines {
	}
	_ = cmd.Wait()

	l, a := openAnchor(t, dir)
	defer l.Close()
	rec, ok, err := a.Latest(context.Background(), l.Tx.From(), AnchorKey("k"), nil)
	if err != nil || !ok {
		t.Fatalf("after kill -9: %v %v", ok, err)
	}
	found := -1
	for i := confirmed; i < confirmed+3; i++ {
		if rec.Hash == h(fmt.Sprint("version ", i)) {
			found = i
		}
	}
	if found < 0 {
		t.Fatalf("after kill -9 the latest anchor is none of versions %d..%d: confirmed anchors were lost", confirmed, confirmed+2)
	}
	// Still writable, and the history chain is intact.
	if _, err := a.Anchor(context.Background(), []AnchorEntry{{Key: AnchorKey("k"), Hash: h("after")}}); err != nil {
		t.Fatal(err)
	}
	hist, err := a.History(context.Background(), l.Tx.From(), AnchorKey("k"), time.Time{})
	if err != nil || len(hist) < confirmed+2 {
		t.Fatalf("history after kill -9: %d records, %v", len(hist), err)
	}
	t.Logf("confirmed version %d, reopened at version %d", confirmed, found)
}
