package ledger

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/credentialflow/cflow/internal/ledger/contracts"
)

// DialOptions tune Dial.
type DialOptions struct {
	// StateDir holds the transaction journal (txjournal.jsonl). Empty keeps
	// the journal in memory: pending transactions are not re-sent after a
	// restart.
	StateDir string
	// Transactor tunes the transactor (JournalPath comes from StateDir).
	Transactor TransactorOptions
}

// Dial connects to any EVM chain over JSON-RPC (http://, https://, ws://,
// wss://). The chain id is read from the node. registry must hold contract
// code, else Dial fails with ErrNoRegistry. keyFile is the hex secp256k1 key
// of the account that pays gas (mode 0600); empty opens the ledger
// read-only (resolution only).
func Dial(ctx context.Context, rpcURL string, registry common.Address, keyFile string, o DialOptions) (*Ledger, error) {
	var key *ecdsa.PrivateKey
	if keyFile != "" {
		k, err := LoadKey(keyFile)
		if err != nil {
			return nil, err
		}
		key = k
	}
	return dialKey(ctx, rpcURL, registry, key, o)
}

func dialKey(ctx context.Context, rpcURL string, registry common.Address, key *ecdsa.PrivateKey, o DialOptions) (*Ledger, error) {
	c, err := ethclient.DialContext(ctx, rpcURL)
	if err != nil {
		return nil, fmt.Errorf("ledger: dial %s: %w", redact(rpcURL), scrub(err, rpcURL))
	}
	l := &Ledger{Client: c, Registry: registry, ABI: contracts.NewEthereumDIDRegistry()}
	l.closers = append(l.closers, func() error { c.Close(); return nil })
	if l.ChainID, err = c.ChainID(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("ledger: chain id from %s: %w", redact(rpcURL), scrub(err, rpcURL))
	}
	if err := checkRegistry(ctx, c, registry); err != nil {
		l.Close()
		return nil, err
	}
	if key != nil {
		topts := o.Transactor
		if o.StateDir != "" {
			topts.JournalPath = filepath.Join(o.StateDir, journalFile)
		}
		if l.Tx, err = NewTransactor(ctx, c, key, topts); err != nil {
			l.Close()
			return nil, err
		}
		l.closers = append(l.closers, l.Tx.Close)
	}
	return l, nil
}

// redact drops the userinfo and query of an RPC URL, where providers put
// API keys, before it goes into an error message.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable RPC URL>"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// scrubbed keeps an error for errors.Is/As but prints it without the
// credentials of the RPC URL, which the HTTP client quotes in its errors.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

func scrub(err error, raw string) error {
	msg := err.Error()
	u, perr := url.Parse(raw)
	if perr != nil {
		return &scrubbed{msg: strings.ReplaceAll(msg, raw, "<RPC URL>"), err: err}
	}
	if u.RawQuery != "" {
		msg = strings.ReplaceAll(msg, "?"+u.RawQuery, "")
	}
	if u.User != nil {
		msg = strings.ReplaceAll(msg, u.User.String()+"@", "")
		if p, ok := u.User.Password(); ok {
			msg = strings.ReplaceAll(msg, p, "***")
		}
	}
	return &scrubbed{msg: msg, err: err}
}
