package ledger_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/internal/ledger/ledgertest"
)

func TestDialGeth(t *testing.T) {
	rpcURL, keyFile := ledgertest.StartGeth(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("fail/no-registry", func(t *testing.T) {
		_, err := ledger.Dial(ctx, rpcURL, common.HexToAddress("0x00000000000000000000000000000000000c0de0"), keyFile, ledger.DialOptions{})
		if !errors.Is(err, ledger.ErrNoRegistry) {
			t.Fatalf("err = %v, want ErrNoRegistry", err)
		}
	})
	t.Run("fail/bad-url", func(t *testing.T) {
		_, err := ledger.Dial(ctx, "http://user:secret@127.0.0.1:1/?apikey=secret", common.Address{}, "", ledger.DialOptions{})
		if err == nil {
			t.Fatal("dial of a closed port succeeded")
		}
		if s := err.Error(); contains(s, "secret") {
			t.Fatalf("error leaks credentials: %s", s)
		}
	})
	t.Run("ok/send", func(t *testing.T) {
		addr := ledgertest.Deploy(t, rpcURL, keyFile)
		l, err := ledger.Dial(ctx, rpcURL, addr, keyFile, ledger.DialOptions{StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l.ChainID.Uint64() != 1337 {
			t.Fatalf("chain id %s, want 1337 (geth --dev)", l.ChainID)
		}
		var name [32]byte
		copy(name[:], "did/svc/Test")
		for i := 0; i < 3; i++ {
			// Back-to-back writes to one identity: the case eth_estimateGas under-prices.
			rcpt, err := l.Send(ctx, l.ABI.PackSetAttribute(l.Tx.From(), name, []byte("https://example.com"), big.NewInt(60)))
			if err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
			if rcpt.Status != 1 {
				t.Fatalf("write %d failed", i)
			}
		}
		if p := l.Tx.Pending(); len(p) != 0 {
			t.Fatalf("%d transactions still pending in the journal", len(p))
		}
	})
	t.Run("fail/read-only", func(t *testing.T) {
		addr := ledgertest.Deploy(t, rpcURL, keyFile)
		l, err := ledger.Dial(ctx, rpcURL, addr, "", ledger.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if _, err := l.Send(ctx, nil); !errors.Is(err, ledger.ErrReadOnly) {
			t.Fatalf("err = %v, want ErrReadOnly", err)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
