package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/credentialflow/cflow/internal/ledger"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/verifier/statuscheck"
	"github.com/credentialflow/cflow/verifier/statuscheck/ledgeranchors"
)

// anchoring is the status-list anchoring of a running server: the issuer
// anchors every publish round in the StatusAnchor contract from the ledger
// account (anchorer, nil when the ledger is off or read-only or the issuer
// role is off) and the verifier reads anchors on this server's chain
// (anchors, nil when the ledger is off) in the slots it trusts: own (the
// slot the anchorer writes, which this server's verifier always trusts)
// and --status-anchor-trust.
type anchoring struct {
	anchorer issuer.Anchorer
	anchors  statuscheck.Anchors
	chain    string                   // "eip155:<id>" of the ledger; "" when off
	own      *statuscheck.AnchorTrust // nil unless anchorer is set
}

// anchorStateDir is where the StatusAnchor address is remembered: beside
// registry.json for the embedded chain, in the RPC state dir otherwise.
func anchorStateDir(cfg serverConfig) (string, error) {
	mode, err := cfg.Ledger.mode()
	if err != nil {
		return "", err
	}
	if mode == ledgerRPC {
		return filepath.Join(cfg.DataDir, "ledger-rpc"), nil
	}
	return filepath.Join(cfg.DataDir, "ledger"), nil
}

// openAnchoring wires anchoring on l (nil: the ledger is off). On the first
// start with a ledger that can send transactions, it deploys StatusAnchor
// and remembers its address (the embedded chain at once; a remote chain
// the same way, once, paid by --ledger-key).
func openAnchoring(cfg serverConfig, l *ledger.Ledger) (*anchoring, error) {
	if l == nil {
		return &anchoring{}, nil
	}
	out := &anchoring{anchors: ledgeranchors.New(ledgeranchors.Chain{ID: l.ChainID, Client: l.Client}), chain: ledgeranchors.CAIP2(l.ChainID)}
	if l.Tx == nil || !hasRole(cfg.Roles, "issuer") {
		return out, nil
	}
	dir, err := anchorStateDir(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := ledger.OpenStatusAnchor(ctx, l, dir)
	if err != nil {
		return nil, fmt.Errorf("status anchor: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	la := issuer.NewLedgerAnchorer(a, l.ChainID, logger)
	ref := la.Ref()
	own := statuscheck.AnchorTrust{Ref: statuscheck.AnchorRef{Chain: ref.Chain, Contract: ref.Contract, Account: ref.Account}}
	// The trust entry other verifiers need (--status-anchor-trust).
	logger.Info("status anchor", "chain", ref.Chain, "contract", ref.Contract, "account", ref.Account, "trust", own.String())
	out.anchorer, out.own = la, &own
	return out, nil
}
