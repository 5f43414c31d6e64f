// Package contracts owns Credentialflow's ERC-1056 registry contract: its
// Solidity source, the ABI and bytecode compiled from it with a pinned solc,
// and the Go bindings abigen (v2) generates from them. Nothing here talks to a
// chain; internal/ledger deploys and calls the contract through these bindings.
//
// Regenerate with `go generate ./internal/ledger/contracts` (needs node and
// network access to npm and the Go module proxy); building and testing need
// neither.
package contracts

//go:generate npm ci --silent --no-audit --no-fund
//go:generate node compile.js .
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --v2 --abi EthereumDIDRegistry.abi --bin EthereumDIDRegistry.bin --pkg contracts --type EthereumDIDRegistry --out registry.gen.go

// Generation parameters, shared with the regeneration test.
const (
	genType = "EthereumDIDRegistry"
	genPkg  = "contracts"
)
