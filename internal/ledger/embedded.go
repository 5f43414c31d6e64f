package ledger

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// EmbeddedOptions tune OpenEmbedded; zero values mean the documented defaults.
type EmbeddedOptions struct {
	// GasLimit of each block. Default 30,000,000.
	GasLimit uint64
	// Logger receives go-ethereum's logs. go-ethereum's logger is
	// process-global, so setting this affects every node in the process.
	// Nil leaves it as it is.
	Logger *slog.Logger
	// Transactor tunes the ledger account's transactor (JournalPath is
	// always <dataDir>/txjournal.jsonl).
	Transactor TransactorOptions
}

// Files in the embedded chain's data dir.
const (
	devKeyFile    = "dev.key"         // the dev account: funded in genesis, pays gas, 0600
	registryFile  = "registry.json"   // where we deployed the registry
	journalFile   = "txjournal.jsonl" // transactions sent, not yet seen mined
	chainDir      = "chain"           // go-ethereum's node data dir
	embeddedChain = 1337              // geth --dev's chain id
)

type registryRecord struct {
	Address common.Address `json:"address"`
	ChainID uint64         `json:"chainId"`
}

// OpenEmbedded starts an in-process Ethereum dev chain in dataDir (like
// `geth --dev`, without P2P, IPC or HTTP), deploys the registry on first
// start, and returns it as a Ledger.
//
// Durability: the chain runs with the hash state scheme in archive mode (no
// pruning: every block's state is written to the database when the block
// is), small caches, and a database sync after every block. Send returns
// only after the block holding the transaction was synced, so a confirmed
// change survives kill -9. With go-ethereum's defaults a kill -9 rewinds the
// head to genesis and the node stops producing blocks.
func OpenEmbedded(dataDir string, o EmbeddedOptions) (*Ledger, error) {
	if o.GasLimit == 0 {
		o.GasLimit = 30_000_000
	}
	if o.Logger != nil {
		log.SetDefault(log.NewLogger(o.Logger.Handler()))
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: data dir %s: %w", dataDir, err)
	}
	key, err := loadOrCreateKey(filepath.Join(dataDir, devKeyFile))
	if err != nil {
		return nil, err
	}
	dev := crypto.PubkeyToAddress(key.PublicKey)

	stack, err := node.New(&node.Config{
		Name:    "cflow-ledger",
		DataDir: filepath.Join(dataDir, chainDir),
		P2P: p2p.Config{
			NoDiscovery: true, NoDial: true, MaxPeers: 0, ListenAddr: "",
		},
		// IPCPath, HTTPHost and WSHost empty: no endpoint leaves the process.
		DBEngine: "pebble",
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: new node: %w", err)
	}
	cfg := ethconfig.Defaults
	// The same genesis on every start: the dev account comes from the data dir.
	cfg.Genesis = core.DeveloperGenesisBlock(o.GasLimit, &dev)
	cfg.NetworkId = embeddedChain
	cfg.SyncMode = ethconfig.FullSync
	cfg.StateScheme = rawdb.HashScheme
	cfg.NoPruning = true
	cfg.DatabaseCache, cfg.TrieCleanCache, cfg.TrieDirtyCache, cfg.SnapshotCache = 64, 32, 32, 16
	cfg.LogNoHistory = true // our log queries name one block; no index to build
	cfg.TxPool.NoLocals = true
	cfg.TxPool.Journal = "" // our own journal re-sends what matters
	cfg.Miner.PendingFeeRecipient = dev

	backend, err := eth.New(stack, &cfg)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("ledger: start chain: %w", err)
	}
	// eth_getLogs through the in-process client needs the filter API.
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}})
	// Period 0: a block is sealed as soon as a transaction arrives.
	beacon, err := catalyst.NewSimulatedBeacon(0, dev, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("ledger: simulated beacon: %w", err)
	}
	catalyst.RegisterSimulatedBeaconAPIs(stack, beacon)
	stack.RegisterLifecycle(beacon)
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("ledger: start node: %w", err)
	}

	db := backend.ChainDb()
	syncer := &blockSyncer{sync: db.SyncKeyValue}
	stopSync := syncer.follow(backend)

	client := ethclient.NewClient(stack.Attach())
	topts := o.Transactor
	topts.JournalPath = filepath.Join(dataDir, journalFile)
	if topts.PollInterval == 0 {
		topts.PollInterval = 2 * time.Millisecond
	}
	if topts.ResendAfter == 0 {
		topts.ResendAfter = 5 * time.Second
	}
	topts.afterMined = syncer.upTo

	l := &Ledger{Client: client, ABI: contracts.NewEthereumDIDRegistry()}
	l.closers = append(l.closers, func() error {
		stopSync()
		client.Close()
		return stack.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := l.finishEmbedded(ctx, dataDir, key, topts); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Ledger) finishEmbedded(ctx context.Context, dataDir string, key *ecdsa.PrivateKey, topts TransactorOptions) error {
	id, err := l.Client.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("ledger: chain id: %w", err)
	}
	l.ChainID = id
	tx, err := NewTransactor(ctx, l.Client, key, topts)
	if err != nil {
		return err
	}
	l.Tx = tx
	l.closers = append(l.closers, tx.Close)
	tx.settle() // a deployment left pending by a crash is mined first

	path := filepath.Join(dataDir, registryFile)
	rec, ok, err := loadRegistry(path)
	if err != nil {
		return err
	}
	if ok {
		l.Registry = rec.Address
		return checkRegistry(ctx, l.Client, rec.Address)
	}
	// The registry is the dev account's first transaction, so its address is
	// known in advance: a crash between deploying and recording it is healed
	// here instead of deploying twice.
	addr := crypto.CreateAddress(tx.From(), 0)
	code, err := l.Client.CodeAt(ctx, addr, nil)
	if err != nil {
		return fmt.Errorf("ledger: read code at %s: %w", addr, err)
	}
	if len(code) == 0 {
		if addr, err = DeployRegistry(ctx, tx); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(registryRecord{Address: addr, ChainID: id.Uint64()})
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := writeFileSync(path, append(raw, '\n'), 0o600); err != nil {
		return err
	}
	l.Registry = addr
	return nil
}

// blockSyncer syncs the chain database to disk after every new head and
// tells waiters which block is safely on disk.
type blockSyncer struct {
	sync func() error

	mu     sync.Mutex
	synced uint64
}

// follow syncs after every chain head event until the returned stop is called.
func (s *blockSyncer) follow(backend *eth.Ethereum) (stop func()) {
	ch := make(chan core.ChainHeadEvent, 64)
	sub := backend.BlockChain().SubscribeChainHeadEvent(ch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev := <-ch:
				_ = s.upTo(context.Background(), ev.Header.Number.Uint64())
			case <-sub.Err():
				return
			}
		}
	}()
	return func() { sub.Unsubscribe(); <-done }
}

// upTo makes sure everything written up to block n is on disk.
func (s *blockSyncer) upTo(_ context.Context, n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= s.synced && n != 0 {
		return nil
	}
	if err := s.sync(); err != nil {
		return err
	}
	s.synced = max(s.synced, n)
	return nil
}

// loadRegistry reads registry.json; ok is false when it does not exist.
func loadRegistry(path string) (rec registryRecord, ok bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("ledger: read %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, false, fmt.Errorf("ledger: parse %s: %w", path, err)
	}
	return rec, true, nil
}
