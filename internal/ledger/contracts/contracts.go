// Package contracts owns Credentialflow's contracts: the ERC-1056 registry
// (EthereumDIDRegistry) and the status list anchor (StatusAnchor). For each:
// its Solidity source, the ABI and bytecode compiled from it with a pinned
// solc, and the Go bindings abigen (v2) generates from them; StatusAnchor's
// deployed code too (StatusAnchorRuntime), which verifiers compare with the
// code at the address a status list names. Nothing here talks to a chain;
// internal/ledger deploys and calls the contracts through these bindings.
//
// Regenerate with `go generate ./internal/ledger/contracts` (needs node and
// network access to npm and the Go module proxy); building and testing need
// neither.
package contracts

//go:generate npm ci --silent --no-audit --no-fund
//go:generate node compile.js .
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --v2 --abi EthereumDIDRegistry.abi --bin EthereumDIDRegistry.bin --pkg contracts --type EthereumDIDRegistry --out registry.gen.go
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --v2 --abi StatusAnchor.abi --bin StatusAnchor.bin --pkg contracts --type StatusAnchor --out statusanchor.gen.go

import (
	_ "embed"
	"strings"
)

// Generation parameters, shared with the regeneration test.
const genPkg = "contracts"

// generated maps each contract to the bindings file go generate writes.
var generated = map[string]string{
	"EthereumDIDRegistry": "registry.gen.go",
	"StatusAnchor":        "statusanchor.gen.go",
}

//go:embed StatusAnchor.runtime.bin
var statusAnchorRuntime string

// StatusAnchorRuntime is the hex of StatusAnchor's deployed code: what
// eth_getCode returns at an address where StatusAnchor.bin was deployed.
func StatusAnchorRuntime() string { return strings.TrimSpace(statusAnchorRuntime) }
