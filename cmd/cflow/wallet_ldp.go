package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/wallet"
)

// presentLDP prints an ldp_vp as one line of JSON, ready to be a gateway's
// subject_token.
func presentLDP(cmd *cobra.Command, w *wallet.Wallet, challenge, domain string, creds []string, holder string) error {
	vp, err := w.PresentLDP(cmd.Context(), nil, challenge, domain, creds, holder)
	if err != nil {
		return err
	}
	b, err := json.Marshal(vp)
	if err != nil {
		return fmt.Errorf("encode presentation: %w", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(b))
	return nil
}
