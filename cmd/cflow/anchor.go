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
// role is off) and the verifier reads the anchors lists name on this
// server's chain (anchors, nil when the ledger is off).
type anchoring struct {
	anchorer issuer.Anchorer
	anchors  statuscheck.Anchors
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
	out := &anchoring{anchors: ledgeranchors.New(ledgeranchors.Chain{ID: l.ChainID, Client: l.Client})}
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
	logger.Info("status anchor", "chain", ref.Chain, "contract", ref.Contract, "account", ref.Account)
	out.anchorer = la
	return out, nil
}
