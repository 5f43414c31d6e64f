package didethr_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// simChain is a simulated backend with the registry deployed; writes are
// mined by Commit, so the test decides what each block holds.
type simChain struct {
	sim   *simulated.Backend
	key   *ecdsa.PrivateKey
	me    common.Address
	reg   common.Address
	abi   *contracts.EthereumDIDRegistry
	nonce uint64
	tip   int64
}

func newSim(t *testing.T) *simChain {
	k, _ := crypto.GenerateKey()
	me := crypto.PubkeyToAddress(k.PublicKey)
	sim := simulated.NewBackend(types.GenesisAlloc{me: {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}})
	t.Cleanup(func() { sim.Close() })
	s := &simChain{sim: sim, key: k, me: me, abi: contracts.NewEthereumDIDRegistry(), tip: 1e9}
	s.send(t, nil, common.FromHex(contracts.EthereumDIDRegistryMetaData.Bin))
	s.sim.Commit()
	s.reg = crypto.CreateAddress(me, 0)
	return s
}

func (s *simChain) send(t *testing.T, to *common.Address, data []byte) {
	t.Helper()
	ctx := context.Background()
	head, err := s.sim.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := types.MustSignNewTx(s.key, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: s.nonce, GasTipCap: big.NewInt(s.tip),
		GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(4)), big.NewInt(s.tip)),
		Gas:       3_000_000, To: to, Data: data,
	})
	if err := s.sim.Client().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	s.nonce++
}

func (s *simChain) setService(t *testing.T, endpoint string) {
	var name [32]byte
	copy(name[:], "did/svc/Hub")
	s.send(t, &s.reg, s.abi.PackSetAttribute(s.me, name, []byte(endpoint), big.NewInt(3600)))
}

// TestReorg: a change that a reorg drops disappears from the document, and
// the change on the new canonical chain appears.
func TestReorg(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	r, err := didethr.New(didethr.Options{}, didethr.Network{ChainID: big.NewInt(1337), Registry: s.reg, Chain: s.sim.Client()})
	if err != nil {
		t.Fatal(err)
	}
	id := didethr.DIDForAddress(big.NewInt(1337), s.me)
	endpoints := func() string {
		res, err := r.Resolve(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range res.Document.Service {
			out = append(out, s.ServiceEndpoint.(string))
		}
		return strings.Join(out, " ")
	}

	s.setService(t, "https://a.example")
	s.sim.Commit()
	head, _ := s.sim.Client().HeaderByNumber(ctx, nil)
	parent := head.Hash()
	s.setService(t, "https://b.example")
	s.sim.Commit()
	if got := endpoints(); got != "https://a.example https://b.example" {
		t.Fatalf("before reorg: %s", got)
	}

	// Fork from the block that held the first change, dropping the second;
	// the side chain holds another change and becomes longer, hence canonical.
	if err := s.sim.Fork(parent); err != nil {
		t.Fatal(err)
	}
	// The dropped block's transaction went back to the pool: replace it.
	s.nonce--
	s.tip *= 2
	s.setService(t, "https://c.example")
	s.sim.Commit()
	s.sim.Commit()
	s.sim.Commit()
	if got := endpoints(); got != "https://a.example https://c.example" {
		t.Fatalf("after reorg: endpoints %s, want a and c", got)
	}
	res, _ := r.Resolve(ctx, id)
	if !strings.HasSuffix(res.Document.Service[1].ID, "#service-2") || res.DocumentMetadata.VersionID == "" {
		t.Fatalf("service id %s, want #service-2 (the dropped change is not counted)", res.Document.Service[1].ID)
	}
}

// TestUnavailable: an unreachable node is did.ErrUnavailable
// (ledger_unavailable), never a wrong document.
func TestUnavailable(t *testing.T) {
	c, err := ethclient.Dial("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := didethr.New(didethr.Options{}, didethr.Network{ChainID: big.NewInt(1), Registry: common.Address{1}, Chain: c})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = r.Resolve(ctx, "did:ethr:0xf932e07b8ef841828e219d4f40eead9fad115b6e")
	if !errors.Is(err, did.ErrUnavailable) {
		t.Fatalf("err = %v, want did.ErrUnavailable", err)
	}
	// A cache configured to serve stale documents marks them as such.
	calls := 0
	flaky := resolverFunc(func(ctx context.Context, s string) (*did.Resolution, error) {
		calls++
		if calls == 1 {
			return &did.Resolution{Document: &did.Document{ID: s}}, nil
		}
		return r.Resolve(ctx, s)
	})
	now := time.Now()
	cache := did.NewCache(flaky, did.CacheOptions{TTL: time.Minute, ServeStale: true, Now: func() time.Time { return now }})
	if _, err := cache.Resolve(ctx, "did:ethr:0xf932e07b8ef841828e219d4f40eead9fad115b6e"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	res, err := cache.Resolve(ctx, "did:ethr:0xf932e07b8ef841828e219d4f40eead9fad115b6e")
	if err != nil || !res.DocumentMetadata.Stale {
		t.Fatalf("stale = %v, err = %v", res != nil && res.DocumentMetadata.Stale, err)
	}
}

type resolverFunc func(ctx context.Context, s string) (*did.Resolution, error)

func (f resolverFunc) Resolve(ctx context.Context, s string) (*did.Resolution, error) {
	return f(ctx, s)
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"0xf932e07b8ef841828e219d4f40eead9fad115b6e",
		"0x89:0x2c1eeefcf840fef9ed2a8582bade785cd9202781",
		"gno:0xf36cad0fb057f01f852557317bb8aa05f8c2df4d",
		"0x037f598b37e51adc9ec8295860f0beaab4d739f65826a1ed0bb524702503b032bd",
		"0xF932e07B8ef841828E219D4F40eead9FAD115b6e", // wrong EIP-55 checksum
		"0x:0x", "a:b:c", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := didethr.ParseID(s)
		if err != nil {
			if !errors.Is(err, did.ErrInvalidDID) {
				t.Fatalf("error %v does not wrap ErrInvalidDID", err)
			}
			return
		}
		if id.PubKey != nil && crypto.PubkeyToAddress(*mustDecompress(t, id.PubKey)) != id.Address {
			t.Fatalf("address does not match key")
		}
	})
}

func mustDecompress(t *testing.T, b []byte) *ecdsa.PublicKey {
	k, err := crypto.DecompressPubkey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
