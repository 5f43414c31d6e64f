package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/wallet"
)

// passphraseEnv names the variable scripts put the wallet passphrase in;
// there is deliberately no flag (it would show in process listings).
// newPassphraseEnv is the new one for `wallet passphrase`.
const (
	passphraseEnv    = "CFLOW_WALLET_PASSPHRASE"
	newPassphraseEnv = "CFLOW_WALLET_NEW_PASSPHRASE"
)

func defaultWalletDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "cflow", "wallet")
	}
	return ""
}

func newWalletCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "wallet",
		Short: "Holder wallet: DIDs, credentials, presentations, gateway tokens",
		Long: "The holder wallet keeps DIDs, keys and credentials in a directory, encrypted at rest\n" +
			"under a passphrase (Argon2id). The passphrase comes from " + passphraseEnv + "\n" +
			"or, on a terminal, a prompt. Commands that produce a value (did create, present,\n" +
			"token) print only that value on stdout.",
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if dir == "" {
				return usageErr("no wallet directory: set --wallet or CFLOW_WALLET")
			}
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&dir, "wallet", defaultWalletDir(), "wallet directory [CFLOW_WALLET]")

	open := func(cmd *cobra.Command) (*wallet.Wallet, error) {
		pw, err := readPassphrase(cmd.ErrOrStderr(), false)
		if err != nil {
			return nil, err
		}
		defer clear(pw)
		return wallet.Open(dir, pw)
	}
	cmd.AddCommand(
		newWalletInitCmd(&dir),
		newWalletPassphraseCmd(&dir),
		newWalletDIDCmd(open),
		newWalletReceiveCmd(open),
		newWalletListCmd(open),
		newWalletShowCmd(open),
		newWalletDeleteCmd(open),
		newWalletPresentCmd(open),
		newWalletTokenCmd(open),
		newWalletRefreshCmd(open), // wallet_refresh.go
	)
	return cmd
}

type openFunc func(*cobra.Command) (*wallet.Wallet, error)

func newWalletInitCmd(dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create an encrypted wallet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassphrase(cmd.ErrOrStderr(), true)
			if err != nil {
				return err
			}
			defer clear(pw)
			w, err := wallet.Init(*dir, pw)
			if err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Created an encrypted wallet in %s.\nNext: cflow wallet did create\n", *dir)
			return nil
		},
	}
}

func newWalletPassphraseCmd(dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "passphrase",
		Short: "Change the wallet passphrase (and raise the key-derivation cost to the current default)",
		Long: "Change the wallet passphrase. The current one comes from " + passphraseEnv + ",\n" +
			"the new one from " + newPassphraseEnv + "; on a terminal both are prompted for.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			old, err := promptOrEnv(cmd.ErrOrStderr(), passphraseEnv, "Current passphrase: ", false)
			if err != nil {
				return err
			}
			defer clear(old)
			w, err := wallet.Open(*dir, old)
			if err != nil {
				return err
			}
			defer w.Close()
			next, err := promptOrEnv(cmd.ErrOrStderr(), newPassphraseEnv, "New passphrase: ", true)
			if err != nil {
				return err
			}
			defer clear(next)
			if err := w.ChangePassphrase(old, next); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Changed the wallet passphrase.")
			return nil
		},
	}
}

func newWalletDIDCmd(open openFunc) *cobra.Command {
	cmd := &cobra.Command{Use: "did", Short: "The holder's DIDs"}
	var key, method, network string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a key and its DID; prints the DID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if method == "ethr" {
				return createWalletEthrDID(cmd, open, network) // wallet_ethr.go
			}
			var kt kms.KeyType
			switch strings.ToLower(key) {
			case "ed25519":
				kt = kms.Ed25519
			case "p256", "p-256":
				kt = kms.P256
			default:
				return usageErr("--key %q: want ed25519 or p256", key)
			}
			if method != "key" && method != "jwk" {
				return usageErr("--method %q: want key, jwk or ethr", method)
			}
			w, err := open(cmd)
			if err != nil {
				return err
			}
			defer w.Close()
			d, err := w.CreateDID(kt, method)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), d)
			return nil
		},
	}
	create.Flags().StringVar(&key, "key", "ed25519", "key type: ed25519 or p256")
	create.Flags().StringVar(&method, "method", "key", "DID method: key, jwk or ethr (a secp256k1 key; nothing is written to the ledger)")
	create.Flags().StringVar(&network, "network", wallet.DefaultEthrNetwork, "did:ethr chain: chain id as 0x-hex (default: the embedded dev chain) or mainnet")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the wallet's DIDs",
		Args:  cobra.NoArgs,
		RunE: withWallet(open, func(cmd *cobra.Command, w *wallet.Wallet, _ []string) error {
			dids, err := w.DIDs()
			if err != nil {
				return err
			}
			if len(dids) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No DIDs yet: cflow wallet did create")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tCREATED\tDID")
			for _, d := range dids {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", d.KeyType, d.CreatedAt.Local().Format(time.DateTime), d.DID)
			}
			return tw.Flush()
		}),
	}
	cmd.AddCommand(create, list)
	return cmd
}

func newWalletReceiveCmd(open openFunc) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "receive FILE|-",
		Short: "Verify a credential and store it; prints its wallet id",
		Long: "Verify a credential (a JWT, a JSON string holding one, or the issue API's\n" +
			"{\"verifiableCredential\": ...} answer) and store it encrypted. A credential about\n" +
			"none of the wallet's DIDs is refused unless --force.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw []byte
			var err error
			if args[0] != "-" { // a missing file should not cost a key derivation
				if raw, err = readInput(args[0]); err != nil {
					return err
				}
			}
			w, err := open(cmd)
			if err != nil {
				return err
			}
			defer w.Close()
			if args[0] == "-" {
				if raw, err = readInput("-"); err != nil {
					return err
				}
			}
			v := newOfflineVerifier()
			e, err := w.Receive(cmd.Context(), raw, v, force)
			switch {
			case errors.Is(err, wallet.ErrInput), errors.Is(err, wallet.ErrUnsupported):
				return &exitError{code: 2, err: err}
			case errors.Is(err, wallet.ErrNotMine):
				return fmt.Errorf("%w (use --force to keep it anyway)", err)
			case err != nil:
				return err
			}
			for _, p := range e.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", p.Code, p.Message)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Stored %s from %s as %s.\n", strings.Join(shownTypes(e.Types), ", "), e.Issuer, e.ID)
			fmt.Fprintln(cmd.OutOrStdout(), e.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "store a credential about someone else")
	return cmd
}

func newWalletListCmd(open openFunc) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored credentials",
		Args:  cobra.NoArgs,
		RunE: withWallet(open, func(cmd *cobra.Command, w *wallet.Wallet, _ []string) error {
			entries, err := w.List()
			if err != nil {
				return err
			}
			now := time.Now()
			statuses := make([]wallet.CredentialStatus, len(entries))
			for i, e := range entries {
				if statuses[i], err = w.Status(e, now); err != nil {
					return err
				}
			}
			if asJSON {
				type row struct {
					wallet.Entry
					statusRow        // wallet_refresh.go
					Raw       string `json:"raw,omitempty"`
				}
				rows := make([]row, len(entries))
				for i, e := range entries {
					rows[i] = row{Entry: e, statusRow: newStatusRow(statuses[i])}
				}
				return printJSON(cmd.OutOrStdout(), rows)
			}
			if len(entries) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No credentials yet: cflow wallet receive FILE")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPES\tISSUER\tSTATUS")
			for i, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, strings.Join(shownTypes(e.Types), ","), abbrev(e.Issuer, 40), shownStatus(statuses[i]))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func newWalletShowCmd(open openFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a stored credential (id or a unique prefix of one)",
		Args:  cobra.ExactArgs(1),
		RunE: withWallet(open, func(cmd *cobra.Command, w *wallet.Wallet, args []string) error {
			e, err := w.Get(args[0])
			if err != nil {
				return err
			}
			st, err := w.Status(e, time.Now())
			if err != nil {
				return err
			}
			out := struct {
				wallet.Entry
				statusRow                 // wallet_refresh.go
				Credential map[string]any `json:"credential,omitempty"`
				Raw        string         `json:"raw"` // shadows Entry.Raw to print it last
			}{Entry: e, statusRow: newStatusRow(st), Raw: e.Raw}
			// Decoded for display only; it was verified when received.
			if e.Format == wallet.FormatLDPVC {
				if doc, err := e.Credential(); err == nil {
					out.Credential = doc.(map[string]any)
				}
			} else if t, err := vcjose.Parse(e.Raw); err == nil {
				if c, _, _, err := vcjose.DecodeCredential(t); err == nil {
					out.Credential = c.Doc
				}
			}
			return printJSON(cmd.OutOrStdout(), out)
		}),
	}
}

func newWalletDeleteCmd(open openFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a stored credential",
		Args:  cobra.ExactArgs(1),
		RunE: withWallet(open, func(cmd *cobra.Command, w *wallet.Wallet, args []string) error {
			e, err := w.Get(args[0])
			if err != nil {
				return err
			}
			if err := w.Delete(e.ID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Deleted %s (%s).\n", e.ID, strings.Join(shownTypes(e.Types), ", "))
			return nil
		}),
	}
}

func newWalletPresentCmd(open openFunc) *cobra.Command {
	var challenge, audience, holder, format string
	var creds []string
	cmd := &cobra.Command{
		Use:   "present --challenge N --audience A [--credential ID]... [--format ldp_vp]",
		Short: "Sign a presentation (jwt_vp_json or ldp_vp) bound to a challenge; prints it",
		Long: "Sign a presentation of the named credentials (default: every credential about the\n" +
			"holder) with the holder DID's key, bound to the verifier's challenge (nonce) and\n" +
			"audience, valid for 5 minutes. jwt_vp_json (default) prints the JWT; ldp_vp prints\n" +
			"one line of JSON with a Data Integrity proof (challenge, domain = the audience).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if challenge == "" || audience == "" {
				return usageErr("present needs --challenge and --audience")
			}
			if format != wallet.FormatJWTVP && format != wallet.FormatLDPVP {
				return usageErr("--format %q: want %s or %s", format, wallet.FormatJWTVP, wallet.FormatLDPVP)
			}
			w, err := open(cmd)
			if err != nil {
				return err
			}
			defer w.Close()
			if format == wallet.FormatLDPVP {
				return presentLDP(cmd, w, challenge, audience, creds, holder) // wallet_ldp.go
			}
			vp, err := w.Present(cmd.Context(), challenge, audience, creds, holder)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), vp)
			return nil
		},
	}
	cmd.Flags().StringVar(&challenge, "challenge", "", "the verifier's challenge (becomes the nonce claim)")
	cmd.Flags().StringVar(&audience, "audience", "", "the verifier's audience/domain (becomes the aud claim)")
	cmd.Flags().StringSliceVar(&creds, "credential", nil, "credential id to present (repeatable; default: all about the holder)")
	cmd.Flags().StringVar(&holder, "holder", "", "the DID that presents (default: the one the credentials are about)")
	cmd.Flags().StringVar(&format, "format", wallet.FormatJWTVP, "jwt_vp_json or ldp_vp")
	return cmd
}

func newWalletTokenCmd(open openFunc) *cobra.Command {
	var gatewayURL, format string
	var creds []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "token --gateway URL [--credential ID]...",
		Short: "Exchange a presentation for a gateway access token; prints the token",
		Long: "Ask the gateway for a challenge, present the credentials bound to it, and exchange\n" +
			"the presentation for an access token (RFC 8693). Prints only the access token.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gatewayURL == "" {
				return usageErr("token needs --gateway URL")
			}
			w, err := open(cmd)
			if err != nil {
				return err
			}
			defer w.Close()
			var tr wallet.TokenResponse
			switch format {
			case wallet.FormatJWTVP:
				tr, err = w.Token(cmd.Context(), gatewayURL, creds, &http.Client{Timeout: timeout})
			case wallet.FormatLDPVP:
				tr, err = w.TokenLDP(cmd.Context(), nil, gatewayURL, creds, &http.Client{Timeout: timeout})
			default:
				return usageErr("--format %q: want %s or %s", format, wallet.FormatJWTVP, wallet.FormatLDPVP)
			}
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("Got a %s token, valid for %d s", tr.TokenType, tr.ExpiresIn)
			if tr.Scope != "" {
				msg += ", scope " + tr.Scope
			}
			fmt.Fprintln(cmd.ErrOrStderr(), msg+".")
			fmt.Fprintln(cmd.OutOrStdout(), tr.AccessToken)
			return nil
		},
	}
	cmd.Flags().StringVar(&gatewayURL, "gateway", "http://127.0.0.1:8080", "gateway base URL")
	cmd.Flags().StringSliceVar(&creds, "credential", nil, "credential id to present (repeatable; default: all about the holder)")
	cmd.Flags().DurationVar(&timeout, "timeout", wallet.DefaultHTTPTimeout, "timeout for the whole exchange")
	cmd.Flags().StringVar(&format, "format", wallet.FormatJWTVP, "presentation sent: jwt_vp_json or ldp_vp")
	return cmd
}

// readPassphrase takes the passphrase from the environment or, on a
// terminal, from a prompt on stderr (asked twice when confirm is set).
func readPassphrase(stderr io.Writer, confirm bool) ([]byte, error) {
	return promptOrEnv(stderr, passphraseEnv, "Wallet passphrase: ", confirm)
}

func promptOrEnv(stderr io.Writer, env, prompt string, confirm bool) ([]byte, error) {
	if v, ok := os.LookupEnv(env); ok {
		if v == "" {
			return nil, usageErr("%s is set but empty", env)
		}
		return []byte(v), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, usageErr("no passphrase: set %s or run on a terminal", env)
	}
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(stderr, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return p, nil
	}
	p, err := ask(prompt)
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, usageErr("empty passphrase")
	}
	if confirm {
		again, err := ask("Repeat passphrase: ")
		if err != nil {
			return nil, err
		}
		same := bytes.Equal(p, again)
		clear(again)
		if !same {
			clear(p)
			return nil, usageErr("the passphrases differ")
		}
	}
	return p, nil
}

// shownTypes drops the base type every credential has, unless it is alone.
func shownTypes(types []string) []string {
	var out []string
	for _, t := range types {
		if t != "VerifiableCredential" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return types
	}
	return out
}

// abbrev shortens a long DID in the middle so the table stays readable.
func abbrev(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := n/2 + 4
	return s[:head] + "…" + s[len(s)-(n-head-1):]
}

// withWallet opens the wallet for a command's run and closes it after.
func withWallet(open openFunc, run func(cmd *cobra.Command, w *wallet.Wallet, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		w, err := open(cmd)
		if err != nil {
			return err
		}
		defer w.Close()
		return run(cmd, w, args)
	}
}
