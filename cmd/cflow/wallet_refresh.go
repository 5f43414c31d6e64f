package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/wallet"
)

// refreshOrder is the order of the counts in refresh's summary.
var refreshOrder = []string{wallet.StatusValid, wallet.StatusRevoked, wallet.StatusSuspended,
	wallet.StatusExpired, wallet.StatusInvalid, wallet.StatusUnknown}

// newWalletRefreshCmd: exit 0 whatever the credentials' standing (it is a
// bookkeeping run, not a verification verdict); non-zero only when the
// wallet cannot be opened, read or written.
func newWalletRefreshCmd(open openFunc) *cobra.Command {
	var allowPrivate bool
	cmd := &cobra.Command{
		Use:   "refresh [--allow-private-fetch]",
		Short: "Re-check every stored credential, status lists included, and record its standing",
		Long: "Verify every stored credential again, fetching its status lists over HTTP(S), and\n" +
			"record per credential: valid, revoked, suspended, expired, invalid (with the\n" +
			"verifier's code) or unknown (the status list could not be read), with the time of\n" +
			"the check; `wallet list` shows it. One line per credential and a count go to stderr.\n" +
			"Exit 0 whatever the credentials' standing.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := newCLIVerifier(allowPrivate) // tools.go
			if err != nil {
				return err
			}
			w, err := open(cmd)
			if err != nil {
				return err
			}
			defer w.Close()
			res, err := w.Refresh(cmd.Context(), v)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if len(res) == 0 {
				fmt.Fprintln(stderr, "No credentials yet: cflow wallet receive FILE")
				return nil
			}
			count := map[string]int{}
			for _, r := range res {
				count[r.Status.Status]++
				st := r.Status
				line := fmt.Sprintf("%s  %s  %s", r.Entry.ID, strings.Join(shownTypes(r.Entry.Types), ","), st.Status)
				if st.Code != "" && st.Code != st.Status {
					line += " (" + st.Code + ")"
				}
				if st.Status != wallet.StatusValid && st.Message != "" {
					line += ": " + oneLineMsg(st.Message)
				}
				fmt.Fprintln(stderr, line)
			}
			var parts []string
			for _, s := range refreshOrder {
				if count[s] > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
				}
			}
			noun := "credentials"
			if len(res) == 1 {
				noun = "credential"
			}
			fmt.Fprintf(stderr, "Checked %d %s: %s.\n", len(res), noun, strings.Join(parts, ", "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowPrivate, "allow-private-fetch", false, "fetch status lists from loopback and private addresses too")
	return cmd
}

// shownStatus is the STATUS column of `wallet list`: the standing, with the
// verifier's code for an invalid credential.
func shownStatus(st wallet.CredentialStatus) string {
	if st.Status == wallet.StatusInvalid && st.Code != "" {
		return st.Status + " (" + st.Code + ")"
	}
	return st.Status
}

// statusRow is the standing as `wallet list --json` and `wallet show` print
// it beside the entry.
type statusRow struct {
	Status          string    `json:"status"`
	StatusCode      string    `json:"statusCode,omitempty"`
	StatusMessage   string    `json:"statusMessage,omitempty"`
	StatusCheckedAt time.Time `json:"statusCheckedAt,omitzero"`
}

func newStatusRow(st wallet.CredentialStatus) statusRow {
	return statusRow{Status: st.Status, StatusCode: st.Code, StatusMessage: st.Message, StatusCheckedAt: st.CheckedAt}
}

// oneLineMsg keeps a verifier message on one summary line.
func oneLineMsg(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
