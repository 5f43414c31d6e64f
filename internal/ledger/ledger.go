// Package ledger owns Credentialflow's connection to an Ethereum-compatible
// chain: the embedded dev chain that `cflow serve` runs by default
// (OpenEmbedded), a connection to any EVM JSON-RPC endpoint (Dial), the
// deployment of our ERC-1056 registry (sub-package contracts), and the
// Transactor that gets a transaction mined or says why not.
//
// It does not know DIDs: did/didethr builds documents from the registry's
// events and writes them through a Ledger.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// Sentinel errors callers branch on.
var (
	// ErrNoRegistry: the configured registry address holds no contract code.
	ErrNoRegistry = errors.New("ledger: no registry contract at address")
	// ErrReverted: the transaction was mined but failed (status 0).
	ErrReverted = errors.New("ledger: transaction reverted")
	// ErrNotMined: the transaction was not mined before the deadline, even
	// after re-sending it with higher fees. It stays in the journal and is
	// re-sent on the next start.
	ErrNotMined = errors.New("ledger: transaction not mined in time")
	// ErrReplaced: another transaction from the same account took the nonce
	// (someone else uses our key).
	ErrReplaced = errors.New("ledger: transaction replaced by a foreign one")
	// ErrReadOnly: the ledger was opened without a key that pays gas.
	ErrReadOnly = errors.New("ledger: no transaction key configured")
	// ErrKeyFile: the key file is missing, unreadable or too open.
	ErrKeyFile = errors.New("ledger: bad key file")
)

// Client is what Credentialflow needs from a chain connection. Both
// *ethclient.Client and ethclient/simulated's Client satisfy it.
type Client interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
	BlockNumber(ctx context.Context) (uint64, error)
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
	SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error)
}

// Ledger is an open chain with our registry on it. Embedded and remote
// chains give the same Ledger.
type Ledger struct {
	// Client reads the chain and sends raw transactions.
	Client Client
	// ChainID is read from the node at open time.
	ChainID *big.Int
	// Registry is the ERC-1056 registry's address.
	Registry common.Address
	// ABI packs calls and unpacks events of the registry.
	ABI *contracts.EthereumDIDRegistry
	// Tx sends transactions from the ledger's own account; nil when the
	// ledger was opened read-only.
	Tx *Transactor

	closers []func() error
}

// Close stops the transactor and releases the connection (and, for the
// embedded chain, stops the node and closes its database).
func (l *Ledger) Close() error {
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		errs = append(errs, l.closers[i]())
	}
	l.closers = nil
	return errors.Join(errs...)
}

// Send sends calldata (packed with l.ABI) to the registry from the ledger's
// account and waits until the transaction is mined (and, on the embedded
// chain, synced to disk).
func (l *Ledger) Send(ctx context.Context, data []byte) (*types.Receipt, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	to := l.Registry
	return l.Tx.Send(ctx, &to, data, 0)
}

// checkRegistry fails with ErrNoRegistry when addr holds no code.
func checkRegistry(ctx context.Context, c Client, addr common.Address) error {
	code, err := c.CodeAt(ctx, addr, nil)
	if err != nil {
		return fmt.Errorf("ledger: read code at %s: %w", addr, err)
	}
	if len(code) == 0 {
		return fmt.Errorf("%w %s (deploy it first or check --ledger-registry and the chain)", ErrNoRegistry, addr)
	}
	return nil
}

// DeployRegistry deploys our ERC-1056 registry from t's account and returns
// its address once the deployment is mined.
func DeployRegistry(ctx context.Context, t *Transactor) (common.Address, error) {
	bin := common.FromHex(contracts.EthereumDIDRegistryMetaData.Bin)
	rcpt, err := t.Send(ctx, nil, bin, deployGas)
	if err != nil {
		return common.Address{}, fmt.Errorf("ledger: deploy registry: %w", err)
	}
	return rcpt.ContractAddress, nil
}

// deployGas is a fixed limit: the registry's creation costs about 1.0M gas
// under Cancun rules; the margin covers forks that price code storage higher.
const deployGas = 3_000_000

func callMsg(to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{To: &to, Data: data}
}
