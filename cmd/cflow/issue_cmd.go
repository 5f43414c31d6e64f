package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

func newIssueCmd() *cobra.Command {
	var server, issuerRef, format string
	cmd := &cobra.Command{
		Use:   "issue FILE|-",
		Short: "Issue a credential through the REST API; prints the signed credential",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			raw, err := readInput(args[0])
			if err != nil {
				return err
			}
			var cred map[string]any
			if err := json.Unmarshal(raw, &cred); err != nil {
				return usageErr("%s: not a JSON credential: %v", args[0], err)
			}
			client, err := issuerHTTPClient(cmd)
			if err != nil {
				return err
			}
			out, err := issueOverHTTP(client, server, issuerRef, format, cred)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "http://127.0.0.1:8080", "Credentialflow server URL")
	cmd.Flags().StringVar(&issuerRef, "issuer", "", "issuer profile id or DID")
	cmd.Flags().StringVar(&format, "format", "jwt_vc_json", "jwt_vc_json or vc+jwt")
	cmd.PersistentFlags().String("admin-token-file", filepath.Join("cflow-data", adminTokenFile), "file holding the server's admin token (CFLOW_ADMIN_TOKEN overrides)")
	cmd.AddCommand(newStatusCmds()...) // status_cmd.go
	return cmd
}

// issuerHTTPClient is a client that sends the admin token the issuer's
// write endpoints require.
func issuerHTTPClient(cmd *cobra.Command) (*http.Client, error) {
	file, _ := cmd.Flags().GetString("admin-token-file")
	token, err := clientAdminToken(file)
	if err != nil {
		return nil, err
	}
	return adminClient(token), nil
}

// issueOverHTTP calls POST /v1/credentials/issue and returns the credential.
func issueOverHTTP(c *http.Client, server, issuerRef, format string, cred map[string]any) (string, error) {
	body, _ := json.Marshal(map[string]any{"credential": cred, "options": map[string]string{"issuer": issuerRef, "format": format}})
	var out struct {
		VerifiableCredential string `json:"verifiableCredential"`
	}
	if err := postJSON(c, trimURL(server)+"/v1/credentials/issue", body, http.StatusCreated, &out); err != nil {
		return "", err
	}
	return out.VerifiableCredential, nil
}

// postJSON posts body and decodes a want-status answer into out; anything
// else becomes an error carrying the problem's detail.
func postJSON(c *http.Client, url string, body []byte, want int, out any) error {
	ctx, cancel := contextWithTimeout(30 * time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	if resp.StatusCode != want {
		var p struct{ Code, Detail string }
		_ = json.Unmarshal(raw, &p)
		return fmt.Errorf("POST %s: %s: %s %s", url, resp.Status, p.Code, p.Detail)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	return nil
}
