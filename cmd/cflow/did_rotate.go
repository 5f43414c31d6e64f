package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// newDIDRotateCmd is `cflow did rotate ISSUER`: POST /v1/issuers/{id}/rotate.
func newDIDRotateCmd() *cobra.Command {
	var server, keepUntil, keyType string
	var keepFor time.Duration
	cmd := &cobra.Command{
		Use:   "rotate ISSUER",
		Short: "Rotate the signing key of a did:ethr issuer profile (id or DID) on a running server",
		Long: "Publishes a new signing key on the ledger and makes it the profile's key. The old key\n" +
			"stays valid until --keep-old-until (or --keep-old-for from now); by default until the\n" +
			"latest expiry of the credentials it signed (one year from now if one never expires, now\n" +
			"if it signed none). Then the server revokes it on the ledger, and credentials it signed\n" +
			"fail with key_revoked (unless a verifier runs with --verify-at-issuance-time).\n" +
			"Prints the server's answer as JSON.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			req := map[string]any{}
			switch {
			case keepUntil != "" && keepFor != 0:
				return usageErr("--keep-old-until and --keep-old-for are exclusive")
			case keepUntil != "":
				t, err := time.Parse(time.RFC3339, keepUntil)
				if err != nil {
					return usageErr("--keep-old-until %q: want an RFC 3339 time (2030-01-02T15:04:05Z)", keepUntil)
				}
				req["keepOldUntil"] = t.UTC().Format(time.RFC3339)
			case keepFor != 0:
				req["keepOldUntil"] = time.Now().Add(keepFor).UTC().Format(time.RFC3339)
			}
			if keyType != "" {
				req["keyType"] = keyType
			}
			c, err := issuerHTTPClient(cmd)
			if err != nil {
				return err
			}
			body, _ := json.Marshal(req)
			var out map[string]any
			if err := postJSON(c, trimURL(server)+"/v1/issuers/"+url.PathEscape(args[0])+"/rotate", body, 200, &out); err != nil {
				return err
			}
			if p, ok := out["profile"].(map[string]any); ok {
				fmt.Fprintf(cmd.ErrOrStderr(), "New key %v; %v stays valid until %v.\n", p["verificationMethod"], out["previousVerificationMethod"], out["previousValidUntil"])
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "Credentialflow server URL")
	f.StringVar(&keepUntil, "keep-old-until", "", "when the old key is revoked (RFC 3339); a past time revokes it at once")
	f.DurationVar(&keepFor, "keep-old-for", 0, "keep the old key valid this long from now (0s is not \"now\": use --keep-old-until with a past time)")
	f.StringVar(&keyType, "key-type", "", "type of the new key: Ed25519 or P-256 (default: the profile's)")
	f.String("admin-token-file", filepath.Join("cflow-data", adminTokenFile), "file holding the server's admin token (CFLOW_ADMIN_TOKEN overrides)")
	return cmd
}
