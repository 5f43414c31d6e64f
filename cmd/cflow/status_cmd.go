package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/statuscheck"
)

// statusConfig is the status-list part of serverConfig.
type statusConfig struct {
	ListSize        int
	PublishInterval time.Duration
	TTL             time.Duration
	AllowPrivate    bool
	Anchor          string // required | optional | off
	AnchorLag       time.Duration
	// AnchorTrust: --status-anchor-trust, the anchoring slots this
	// verifier reads ([did…=]eip155:<chainId>:<contract>:<account>); this
	// server's own slot is trusted without it.
	AnchorTrust []string
}

// isZero: no status configuration was given (a serverConfig built in code).
func (c statusConfig) isZero() bool {
	return c.ListSize == 0 && c.PublishInterval == 0 && c.TTL == 0 && !c.AllowPrivate &&
		c.Anchor == "" && c.AnchorLag == 0 && len(c.AnchorTrust) == 0
}

func defaultStatusConfig() statusConfig {
	return statusConfig{
		ListSize: issuer.DefaultStatusListSize, PublishInterval: issuer.DefaultStatusPublishPeriod,
		TTL: issuer.DefaultStatusTTL, Anchor: string(statuscheck.AnchorOptional), AnchorLag: statuscheck.DefaultAnchorLag,
	}
}

// addStatusFlags registers the status-list flags of `cflow serve`.
func addStatusFlags(f *pflag.FlagSet, c *statusConfig) {
	d := defaultStatusConfig()
	f.IntVar(&c.ListSize, "status-list-size", d.ListSize, "entries per status list (at least 131072, a multiple of 8); a new list opens when one fills")
	f.DurationVar(&c.PublishInterval, "status-publish-interval", d.PublishInterval, "a changed status list is re-signed and published at most this often")
	f.DurationVar(&c.TTL, "status-ttl", d.TTL, "status list cache lifetime (ttl and Cache-Control max-age; the verifier's cache bound)")
	f.BoolVar(&c.AllowPrivate, "allow-private-fetch", false, "let the verifier fetch status lists from loopback and private addresses")
	f.StringVar(&c.Anchor, "status-anchor", d.Anchor, "ledger anchors of status lists: required, optional or off")
	f.DurationVar(&c.AnchorLag, "status-anchor-lag", d.AnchorLag, "how long a status list version stays accepted after a newer one was anchored")
	f.StringArrayVar(&c.AnchorTrust, "status-anchor-trust", nil,
		"anchoring slot whose status list anchors count, [did:…=]eip155:<chainId>:<contract>:<account> (repeatable; this server's own slot is always trusted)")
}

// anchorTrust is the verifier's trusted anchoring slots: the configured
// ones, plus this server's own slot when it anchors. Entries must name the
// chain this server reads (the only one it can read).
func anchorTrust(sc statusConfig, anch *anchoring) ([]statuscheck.AnchorTrust, error) {
	var out []statuscheck.AnchorTrust
	for _, s := range sc.AnchorTrust {
		t, err := statuscheck.ParseAnchorTrust(strings.TrimSpace(s))
		if err != nil {
			return nil, usageErr("--status-anchor-trust: %v", err)
		}
		if anch.chain != "" && t.Ref.Chain != anch.chain {
			return nil, usageErr("--status-anchor-trust %s: chain %s is not this server's ledger (%s)", s, t.Ref.Chain, anch.chain)
		}
		out = append(out, t)
	}
	if anch.own != nil {
		out = append(out, *anch.own)
	}
	return out, nil
}

// statusRuntime is the running status-list machinery of an app.
type statusRuntime struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (r *statusRuntime) stop() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait() // the publisher's final round writes to the store
}

// enableStatus turns on status lists in the issuer (when it serves) and
// returns the status checker for the verifier. listVerifier verifies the
// status list credentials themselves (same resolver, no status check);
// anch anchors published lists and reads anchors (anchor.go).
func enableStatus(cfg serverConfig, db *store.DB, iss *issuer.Service, listVerifier *verifier.Verifier, anch *anchoring) (verifier.StatusChecker, *statusRuntime, error) {
	if anch == nil {
		anch = &anchoring{}
	}
	sc := cfg.Status
	if sc.isZero() {
		sc = defaultStatusConfig()
	}
	mode, err := statuscheck.ParseAnchorMode(sc.Anchor)
	if err != nil {
		return nil, nil, usageErr("--status-anchor: %v", err)
	}
	trust, err := anchorTrust(sc, anch)
	if err != nil {
		return nil, nil, err
	}
	httpFetch := statuscheck.NewHTTPFetcher(statuscheck.HTTPOptions{AllowPrivate: sc.AllowPrivate})
	ownPrefix := cfg.PublicURL + issuer.StatusPath
	// Lists this server publishes are read in-process: the same bytes the
	// HTTP endpoint serves, without a request to ourselves (which the
	// private-address guard would refuse on a loopback address).
	fetch := statuscheck.FetcherFunc(func(ctx context.Context, u string) ([]byte, error) {
		if id, ok := strings.CutPrefix(u, ownPrefix); ok && iss.StatusEnabled() && !strings.ContainsAny(id, "/?#") {
			pub, err := iss.StatusList(id)
			if err != nil {
				return nil, err
			}
			return []byte(pub.Credential), nil
		}
		return httpFetch.Fetch(ctx, u)
	})
	checker, err := statuscheck.New(statuscheck.Config{
		Verifier: listVerifier, Fetcher: fetch, TTL: sc.TTL, AnchorMode: mode, AnchorLag: sc.AnchorLag,
		Anchors: anch.anchors, AnchorTrust: trust,
	})
	if err != nil {
		return nil, nil, usageErr("status: %v", err)
	}
	var rt *statusRuntime
	if hasRole(cfg.Roles, "issuer") {
		err := iss.EnableStatus(db, issuer.StatusConfig{
			BaseURL: cfg.PublicURL, ListSize: sc.ListSize, PublishInterval: sc.PublishInterval, TTL: sc.TTL, Logger: cfg.Logger,
			Anchorer: anch.anchorer,
			// The verifier drops its copy of a list of ours as soon as a
			// new version is served, not when --status-ttl runs out.
			OnPublish: checker.Forget,
		})
		if err != nil {
			return nil, nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		rt = &statusRuntime{cancel: cancel}
		rt.wg.Add(1)
		go func() { defer rt.wg.Done(); iss.RunStatusPublisher(ctx) }()
	}
	return checker, rt, nil
}

// newStatusCmds are `cflow issue revoke|suspend|reinstate ID`.
func newStatusCmds() []*cobra.Command {
	mk := func(use, short, purpose string, value bool) *cobra.Command {
		var server string
		cmd := &cobra.Command{
			Use:   use + " CREDENTIAL-ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := applyConfig(cmd); err != nil {
					return err
				}
				client, err := issuerHTTPClient(cmd)
				if err != nil {
					return err
				}
				out, err := setStatusOverHTTP(client, server, args[0], purpose, value)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), out)
				return nil
			},
		}
		cmd.Flags().StringVar(&server, "server", "http://127.0.0.1:8080", "Credentialflow server URL")
		return cmd
	}
	return []*cobra.Command{
		mk("revoke", "Revoke an issued credential (permanent)", issuer.PurposeRevocation, true),
		mk("suspend", "Suspend an issued credential", issuer.PurposeSuspension, true),
		mk("reinstate", "Lift the suspension of an issued credential", issuer.PurposeSuspension, false),
	}
}

// setStatusOverHTTP calls POST /v1/credentials/status and returns the
// answer as one line of JSON.
func setStatusOverHTTP(c *http.Client, server, credentialID, purpose string, value bool) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"credentialId":     credentialID,
		"credentialStatus": []any{map[string]any{"type": issuer.TypeStatusEntry, "statusPurpose": purpose, "value": value}},
	})
	var out map[string]any
	if err := postJSON(c, trimURL(server)+"/v1/credentials/status", body, http.StatusOK, &out); err != nil {
		return "", err
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// demoStatusConfig publishes and expires lists quickly so the demo's
// revocation shows within about a second.
func demoStatusConfig() statusConfig {
	c := defaultStatusConfig()
	c.PublishInterval, c.TTL, c.AllowPrivate = 200*time.Millisecond, time.Second, true
	return c
}

// revokeStep is the demo's last step: the issuer revokes the credential,
// and once the list is republished (and the verifier's cached copy has
// expired) the gateway refuses it with revoked.
func (d *demo) revokeStep(ctx context.Context, present func(nonce, audience string) (string, error), jwt string) error {
	var claims struct {
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal([]byte(jwtClaims(jwt)), &claims); err != nil || claims.JTI == "" {
		return fmt.Errorf("the credential has no jti: %v", err)
	}
	if _, err := setStatusOverHTTP(d.client, d.base, claims.JTI, issuer.PurposeRevocation, true); err != nil {
		return err
	}
	start := time.Now()
	for {
		var ch struct{ Nonce, Audience string }
		if err := d.post("/v1/gateway/challenge", `{}`, http.StatusOK, &ch); err != nil {
			return err
		}
		vp, err := present(ch.Nonce, ch.Audience)
		if err != nil {
			return err
		}
		_, oerr, err := d.exchange(vp)
		if err != nil {
			return err
		}
		if oerr != nil && strings.HasPrefix(oerr.Description, "revoked") {
			d.say("The issuer revoked the credential (POST /v1/credentials/status); the gateway now refuses it.")
			d.detail("%s: %s", oerr.Code, oerr.Description)
			d.detail("(the status list was republished and seen by the verifier after %s)", time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if time.Since(start) > 10*time.Second || ctx.Err() != nil {
			return fmt.Errorf("the gateway still accepts a revoked credential after %s: %+v", time.Since(start).Round(time.Second), oerr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
