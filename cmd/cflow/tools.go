package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/jsonx"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// MaxInput bounds a file or stdin read by the CLI.
const maxInput = 4 << 20

func readInput(arg string) ([]byte, error) {
	var r io.Reader
	if arg == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(arg)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, usageErr("read %s: %v", arg, err)
	}
	if len(b) > maxInput {
		return nil, usageErr("%s is over %d bytes", arg, maxInput)
	}
	return b, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newDIDCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "did", Short: "DID tools"}
	cmd.AddCommand(newDIDRotateCmd()) // did_rotate.go
	cmd.AddCommand(&cobra.Command{
		Use:   "resolve DID",
		Short: "Resolve a DID and print the W3C DID Resolution result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := newResolver().Resolve(cmd.Context(), args[0])
			if err != nil {
				code := did.ErrorCode(err)
				_ = printJSON(cmd.OutOrStdout(), map[string]any{
					"@context": did.ContextResolution, "didDocument": nil, "didDocumentMetadata": map[string]any{},
					"didResolutionMetadata": did.ResolutionMetadata{Error: code, ErrorMessage: err.Error()},
				})
				if errors.Is(err, did.ErrInvalidDID) {
					return &exitError{code: 2, err: err}
				}
				return err
			}
			return printJSON(cmd.OutOrStdout(), res)
		},
	})
	return cmd
}

// newVerifyCmd: exit 0 verified, 1 not verified, 2 unreadable input or usage error.
func newVerifyCmd() *cobra.Command {
	var challenge, domain string
	var allowPrivate bool
	cmd := &cobra.Command{
		Use:   "verify FILE|-",
		Short: "Verify a credential or presentation (JWT or JSON) and print the result as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			raw, err := readInput(args[0])
			if err != nil {
				return err
			}
			if err := jsonx.CheckStrict(bytes.TrimSpace(raw)); errors.Is(err, jsonx.ErrDuplicateKey) {
				// Readable, but two parsers could read different documents
				// from it: refused like any verification failure (exit 1).
				res := &verifier.Result{Checks: []string{}, Warnings: []verifier.Problem{},
					Errors: []verifier.Problem{{Code: vc.CodeDuplicateKey, Message: err.Error()}}}
				if err := printJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
				return &exitError{code: 1, err: fmt.Errorf("not verified: %s: %v", vc.CodeDuplicateKey, err)}
			}
			input, isVP, err := detect(raw)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if !isVP && (challenge != "" || domain != "") {
				// A bare credential proves nothing about who presents it; a
				// script that asked for a challenge must not get exit 0 for one.
				return usageErr("--challenge and --domain check presentations; %s holds a credential", args[0])
			}
			v, err := newCLIVerifier(allowPrivate)
			if err != nil {
				return err
			}
			var res *verifier.Result
			if isVP {
				res = v.VerifyPresentation(cmd.Context(), input, verifier.Options{Challenge: challenge, Domain: domain})
			} else {
				res = v.VerifyCredential(cmd.Context(), input)
			}
			if err := printJSON(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if !res.Verified {
				return &exitError{code: 1, err: fmt.Errorf("not verified: %s: %s", res.Errors[0].Code, res.Errors[0].Message)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&challenge, "challenge", "", "expected presentation challenge (nonce)")
	cmd.Flags().StringVar(&domain, "domain", "", "expected presentation domain (aud)")
	cmd.Flags().BoolVar(&allowPrivate, "allow-private-fetch", false, "fetch status lists from loopback and private addresses too")
	return cmd
}

// detect tells a credential from a presentation: a JWT with a vp claim or a
// VerifiablePresentation type is a presentation. VC-API bodies
// ({"verifiableCredential": …}) are unwrapped.
func detect(raw []byte) (any, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, errors.New("empty input")
	}
	if raw[0] != '{' && raw[0] != '"' {
		tok, err := vcjose.Parse(string(raw))
		if err != nil {
			// A well-formed JWS the envelope rules refuse (alg "none", a
			// duplicate member) is readable input that does not verify: exit 1
			// with the verifier's code, not 2.
			if claims, ok := jwsClaimsInsecure(string(raw)); ok {
				_, hasVP := claims["vp"]
				return string(raw), hasVP || hasType(claims, "VerifiablePresentation"), nil
			}
			return nil, false, fmt.Errorf("input is neither JSON nor a compact JWS: %w", err)
		}
		_, hasVP := tok.Claims["vp"]
		return string(raw), hasVP || hasType(tok.Claims, "VerifiablePresentation"), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false, fmt.Errorf("input is not JSON: %w", err)
	}
	switch t := v.(type) {
	case string:
		return detect([]byte(t))
	case map[string]any:
		if inner, ok := t["verifiableCredential"]; ok && t["type"] == nil {
			b, _ := json.Marshal(inner)
			return detect(b)
		}
		if inner, ok := t["verifiablePresentation"]; ok && t["type"] == nil {
			b, _ := json.Marshal(inner)
			return detect(b)
		}
		return t, hasType(t, "VerifiablePresentation"), nil
	}
	return nil, false, errors.New("input must be a JWT, a JSON string holding one, or a JSON object")
}

// jwsClaimsInsecure decodes the payload of something shaped like a compact
// JWS (three unpadded base64url segments, JSON header and payload) without
// checking anything else; it only tells a credential from a presentation.
func jwsClaimsInsecure(s string) (map[string]any, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var hdr, claims map[string]any
	for i, v := range []*map[string]any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil || *v == nil {
			return nil, false
		}
	}
	return claims, true
}

func hasType(m map[string]any, t string) bool {
	switch v := m["type"].(type) {
	case string:
		return v == t
	case []any:
		for _, e := range v {
			if e == t {
				return true
			}
		}
	}
	return false
}

// newCLIVerifier is the verifier of `cflow verify` and `cflow wallet
// refresh`: offline DID resolution, JWT and Data Integrity proofs, JSON-LD
// contexts only from the binary, and credential status fetched over
// HTTP(S) — from loopback and private addresses only when allowPrivate
// (--allow-private-fetch, CFLOW_ALLOW_PRIVATE_FETCH). Ledger anchors are
// not consulted here: the CLI has no chain.
func newCLIVerifier(allowPrivate bool) (*verifier.Verifier, error) {
	cfg := offlineVerifierConfig()
	// Status list credentials are verified like any credential, minus their
	// own status check.
	checker, err := statuscheck.New(statuscheck.Config{Verifier: verifier.New(cfg), AllowPrivate: allowPrivate, AnchorMode: statuscheck.AnchorOff})
	if err != nil {
		return nil, fmt.Errorf("status checker: %w", err)
	}
	cfg.Status = checker
	return verifier.New(cfg), nil
}

// newOfflineVerifier checks everything but status, which needs the network:
// the wallet verifies what it receives with it and reports status as not
// checked; `cflow wallet refresh` checks status later.
func newOfflineVerifier() *verifier.Verifier { return verifier.New(offlineVerifierConfig()) }

func offlineVerifierConfig() verifier.Config {
	r := newResolver()
	return verifier.Config{Resolver: r, Proofs: verifier.NewDataIntegrityProofs(dataintegrity.New(jsonld.New(), nil), r)}
}

func trimURL(s string) string { return strings.TrimSuffix(s, "/") }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
