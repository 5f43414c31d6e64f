// Command cflow is Credentialflow's only binary: the REST server, the
// end-to-end demo, the holder wallet, and the issue/verify/resolve tools.
// This package parses configuration and wires the role packages together;
// it holds no domain logic.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exit codes: 1 = the operation failed (e.g. not verified), 2 = usage or unreadable input.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "cflow",
		Short:         "Credentialflow: issue, hold, present and verify W3C Verifiable Credentials",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "config file (YAML or JSON; keys are flag names) [CFLOW_CONFIG]")
	root.PersistentFlags().StringVar(&resolverURL, "resolver", "", "DID Resolution endpoint (a cflow server URL) for DIDs the CLI cannot resolve offline: did:ethr [CFLOW_RESOLVER]")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: 2, err: err} })
	root.AddCommand(newServeCmd(), newDemoCmd(), newDIDCmd(), newVerifyCmd(), newWalletCmd(), newIssueCmd(), newGatewayCmd())
	root.AddCommand(newAuditCmd(), newBenchCmd()) // audit_cmd.go, bench.go
	usageOnBadArgs(root)
	return root
}

// usageOnBadArgs makes a wrong number of arguments exit 2 like a bad flag;
// cobra has no error hook for its Args validators.
func usageOnBadArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &exitError{code: 2, err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageOnBadArgs(sub)
	}
}

func main() {
	err := newRootCmd().Execute()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "cflow: "+oneLine(err.Error()))
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
