package ledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func attrName(s string) [32]byte {
	var b [32]byte
	copy(b[:], s)
	return b
}

// setAttr writes one attribute of the ledger account's own identity.
func setAttr(ctx context.Context, l *Ledger, i int) (uint64, error) {
	me := l.Tx.From()
	data := l.ABI.PackSetAttribute(me, attrName("did/svc/Test"), []byte(fmt.Sprintf("https://example.com/%d", i)), big.NewInt(3600))
	rcpt, err := l.Send(ctx, data)
	if err != nil {
		return 0, err
	}
	return rcpt.BlockNumber.Uint64(), nil
}

func changedOf(t *testing.T, l *Ledger, id common.Address) uint64 {
	t.Helper()
	out, err := l.Client.CallContract(context.Background(), callMsg(l.Registry, l.ABI.PackChanged(id)), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.ABI.UnpackChanged(out)
	if err != nil {
		t.Fatal(err)
	}
	return n.Uint64()
}

func TestEmbeddedRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := l.Registry
	if l.ChainID.Uint64() != embeddedChain {
		t.Fatalf("chain id %d, want %d", l.ChainID, embeddedChain)
	}
	var last uint64
	for i := 0; i < 3; i++ {
		if last, err = setAttr(ctx, l, i); err != nil {
			t.Fatal(err)
		}
	}
	if got := changedOf(t, l, l.Tx.From()); got != last {
		t.Fatalf("changed = %d, want %d", got, last)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if l2.Registry != reg {
		t.Fatalf("registry moved from %s to %s", reg, l2.Registry)
	}
	if got := changedOf(t, l2, l2.Tx.From()); got != last {
		t.Fatalf("after restart changed = %d, want %d", got, last)
	}
	// The chain still produces blocks after a restart.
	n, err := setAttr(ctx, l2, 9)
	if err != nil {
		t.Fatal(err)
	}
	if n != last+1 {
		t.Fatalf("next block %d, want %d", n, last+1)
	}
}

const helperEnv = "CFLOW_LEDGER_KILL_HELPER"

// TestKillHelper is the child of TestEmbeddedKill9: it writes attributes and
// prints each confirmed one until it is killed.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestEmbeddedKill9")
	}
	l, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		n, err := setAttr(context.Background(), l, i)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Printf("CONFIRMED %d\n", n)
	}
}

// TestEmbeddedKill9 kills a process that is writing to the embedded chain
// and checks that every change it reported as confirmed is there after
// reopening, and that the chain still produces blocks.
func TestEmbeddedKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var confirmed uint64
		count := 0
		deadline := time.After(60 * time.Second)
		lines := make(chan string)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatal("helper exited early")
				}
				if strings.HasPrefix(line, "ERR") {
					t.Fatal(line)
				}
				if n, ok := strings.CutPrefix(line, "CONFIRMED "); ok {
					confirmed, _ = strconv.ParseUint(n, 10, 64)
					if count++; count == 40 {
						break read
					}
				}
			case <-deadline:
				t.Fatal("helper too slow")
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		for range lines {
		}
		_ = cmd.Wait()

		l, err := OpenEmbedded(dir, EmbeddedOptions{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		got := changedOf(t, l, l.Tx.From())
		if got < confirmed {
			l.Close()
			t.Fatalf("round %d: changed = %d after kill -9, but block %d was reported confirmed", round, got, confirmed)
		}
		if _, err := setAttr(context.Background(), l, 1000); err != nil {
			l.Close()
			t.Fatalf("round %d: chain stuck after kill -9: %v", round, err)
		}
		t.Logf("round %d: confirmed up to block %d, reopened at changed=%d", round, confirmed, got)
		l.Close()
	}
}

// TestJournalResend: a transaction journalled but never handed to the node
// (the process died between the two) is sent on the next start.
func TestJournalResend(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	me := l.Tx.From()
	nonce, err := l.Client.PendingNonceAt(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	to := l.Registry
	data := l.ABI.PackSetAttribute(me, attrName("did/svc/Journal"), []byte("x"), big.NewInt(60))
	tx, err := l.Tx.sign(ctx, nonce, &to, data, 500_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tx.j.sent(tx); err != nil {
		t.Fatal(err)
	}
	before := changedOf(t, l, me)
	l.Close()

	l, err = OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Tx.settle()
	rcpt, err := l.Client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatalf("journalled tx not mined after restart: %v", err)
	}
	if got := changedOf(t, l, me); got != rcpt.BlockNumber.Uint64() || got <= before {
		t.Fatalf("changed = %d, want %d", got, rcpt.BlockNumber)
	}
	if p := l.Tx.Pending(); len(p) != 0 {
		t.Fatalf("journal still has %d pending", len(p))
	}
}

func TestRevertedSend(t *testing.T) {
	l, err := OpenEmbedded(t.TempDir(), EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Writing to someone else's identity reverts with NotOwner; a fixed gas
	// limit skips estimation so the revert happens on chain.
	other := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	to := l.Registry
	_, err = l.Tx.Send(context.Background(), &to, l.ABI.PackSetAttribute(other, attrName("did/svc/X"), []byte("x"), big.NewInt(60)), 200_000)
	if !errors.Is(err, ErrReverted) {
		t.Fatalf("err = %v, want ErrReverted", err)
	}
	// Estimation catches it before sending.
	_, err = l.Tx.Send(context.Background(), &to, l.ABI.PackSetAttribute(other, attrName("did/svc/X"), []byte("x"), big.NewInt(60)), 0)
	if err == nil || errors.Is(err, ErrReverted) {
		t.Fatalf("err = %v, want an estimation error", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@rpc.example/v3/abc?key=k": "https://rpc.example/v3/abc",
		"ws://127.0.0.1:8546":                      "ws://127.0.0.1:8546",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkTxToReceipt: one registry write on the embedded chain, from
// signing to a receipt whose block is synced to disk.
func BenchmarkTxToReceipt(b *testing.B) {
	l, err := OpenEmbedded(b.TempDir(), EmbeddedOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := setAttr(ctx, l, i); err != nil {
			b.Fatal(err)
		}
	}
}
