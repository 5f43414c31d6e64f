package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/store"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check and read the audit log (every issuance, status change, verification and token decision)",
	}
	var dataDir string
	cmd.PersistentFlags().StringVar(&dataDir, "data", "cflow-data", "data directory of the server [CFLOW_DATA]")

	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; exit 1 naming the first broken entry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openAuditStore(cmd, dataDir)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := audit.Verify(db)
			var be *audit.BrokenError
			switch {
			case errors.As(err, &be):
				fmt.Fprintf(cmd.OutOrStdout(), "broken: entry %d: %s\n", be.Seq, be.Reason)
				return &exitError{code: 1, err: fmt.Errorf("audit log broken at entry %d: %s", be.Seq, be.Reason)}
			case err != nil:
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d entries, head %s\n", rep.Entries, rep.Head)
			return nil
		},
	}

	var n int
	var asJSON bool
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Show the most recent audit events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return usageErr("-n must not be negative")
			}
			db, err := openAuditStore(cmd, dataDir)
			if err != nil {
				return err
			}
			defer db.Close()
			entries, err := audit.Tail(db, n)
			if perr := printEntries(cmd.OutOrStdout(), entries, asJSON); perr != nil {
				return perr
			}
			if err != nil {
				var be *audit.BrokenError
				if errors.As(err, &be) {
					return &exitError{code: 1, err: fmt.Errorf("audit log broken at entry %d: %s", be.Seq, be.Reason)}
				}
				return err
			}
			return nil
		},
	}
	tail.Flags().IntVarP(&n, "lines", "n", 20, "how many of the latest events")
	tail.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.AddCommand(verify, tail)
	return cmd
}

// openAuditStore opens the store of dataDir (CFLOW_DATA when --data is not
// given) without creating one: a mistyped path must not look like an empty,
// intact log.
func openAuditStore(cmd *cobra.Command, dataDir string) (*store.DB, error) {
	if f := cmd.Flags().Lookup("data"); f != nil && !f.Changed {
		if v, ok := os.LookupEnv("CFLOW_DATA"); ok {
			dataDir = v
		}
	}
	dir := filepath.Join(dataDir, "store")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		return nil, usageErr("no store in %s (is --data the server's data directory?)", dataDir)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("%w (a running cflow serve holds the store; stop it first)", err)}
	}
	return db, nil
}

func printEntries(w io.Writer, entries []audit.Entry, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tTYPE\tDECISION\tWHY\tHOLDER\tCREDENTIALS")
	for _, e := range entries {
		why := e.Code
		if e.Rule != "" {
			why = strings.TrimPrefix(why+" rule="+e.Rule, " ")
		}
		if e.Status != "" {
			why = strings.TrimPrefix(why+" status="+e.Status, " ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format(time.RFC3339), e.Type, e.Decision,
			dash(why), dash(e.Holder), dash(strings.Join(e.CredentialTypes, ",")))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
