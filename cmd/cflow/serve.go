package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

func newServeCmd() *cobra.Command {
	cfg := serverConfig{}
	var logFormat string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the REST server (issuer, verifier, gateway, resolver)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if err := checkRoles(cfg.Roles); err != nil {
				return err
			}
			if cfg.PublicURL == "" {
				cfg.PublicURL = "http://" + cfg.Addr
			}
			cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
			cfg.Logger = newLogger(logFormat)
			return serve(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	f.StringVar(&cfg.DataDir, "data", "cflow-data", "data directory (store, master key)")
	f.StringVar(&cfg.PublicURL, "public-url", "", "public base URL used in every URL the server hands out (default http://<addr>)")
	f.StringSliceVar(&cfg.Roles, "roles", api.AllRoles, "roles to serve: issuer, verifier, gateway, resolver")
	f.StringArrayVar(&cfg.Upstreams, "upstream", nil, "reverse-proxy route /prefix/=http://host:port (repeatable); requests need a gateway access token")
	f.StringVar(&cfg.PolicyFile, "policy", "", "gateway policy file (YAML or JSON); default: trust this server's issuers")
	f.Int64Var(&cfg.MaxBody, "max-body", api.DefaultMaxBody, "request body limit in bytes")
	f.DurationVar(&cfg.Skew, "clock-skew", verifier.DefaultSkew, "clock skew allowed on validity bounds")
	f.DurationVar(&cfg.TokenTTL, "token-ttl", gateway.DefaultTokenTTL, "access token lifetime")
	f.DurationVar(&cfg.NonceTTL, "nonce-ttl", gateway.DefaultNonceTTL, "challenge nonce lifetime")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	addStatusFlags(f, &cfg.Status) // status_cmd.go
	addLedgerFlags(f, &cfg.Ledger) // ledger_cmd.go
	addGatewayFlags(f, &cfg.Gateway)
	addJSONLDFlags(f, &cfg.JSONLD) // jsonld_cmd.go
	return cmd
}

func checkRoles(roles []string) error {
	for _, r := range roles {
		if !hasRole(api.AllRoles, r) {
			return usageErr("--roles: unknown role %q (want %s)", r, strings.Join(api.AllRoles, ", "))
		}
	}
	return nil
}

func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func serve(parent context.Context, cfg serverConfig) error {
	a, err := openApp(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newHTTPServer(cfg.Addr, a.handler)
	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go a.gw.run(ctx, cfg.Logger) // SIGHUP reloads the policy, SIGUSR1 rotates the key
	cfg.Logger.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "roles", cfg.Roles, "data", cfg.DataDir)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cfg.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
