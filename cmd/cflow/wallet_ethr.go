package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// createWalletEthrDID is `cflow wallet did create --method ethr`: a local
// secp256k1 key and its did:ethr; no gas, no transaction.
func createWalletEthrDID(cmd *cobra.Command, open openFunc, network string) error {
	if cmd.Flags().Changed("key") {
		return usageErr("--key does not apply to --method ethr (its key is secp256k1)")
	}
	w, err := open(cmd)
	if err != nil {
		return err
	}
	defer w.Close()
	d, err := w.CreateEthrDID(network)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	fmt.Fprintln(cmd.OutOrStdout(), d)
	return nil
}
