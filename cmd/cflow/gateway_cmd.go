package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// gatewayConfig is the gateway part of serverConfig (flags below).
type gatewayConfig struct {
	KeyRotation    time.Duration
	RateIP         float64 // requests/s per client IP; 0 = off
	RateHolder     float64 // exchanges/s per holder DID; 0 = off
	MaxCredentials int
	Timeout        time.Duration
	ForwardAuth    string // nginx, traefik or envoy: the proxy in front of /v1/gateway/authorize
}

func defaultGatewayConfig() gatewayConfig {
	d := gateway.DefaultRateLimits
	return gatewayConfig{KeyRotation: gateway.DefaultKeyRotation, RateIP: float64(d.PerIP), RateHolder: float64(d.PerHolder),
		MaxCredentials: gateway.DefaultMaxCredentials, Timeout: gateway.DefaultTimeout, ForwardAuth: string(gateway.DefaultForwardAuthMode)}
}

func addGatewayFlags(f *pflag.FlagSet, c *gatewayConfig) {
	d := defaultGatewayConfig()
	f.DurationVar(&c.KeyRotation, "key-rotation", d.KeyRotation, "replace the gateway signing key this often (0: never; SIGUSR1 rotates now)")
	f.Float64Var(&c.RateIP, "rate-ip", d.RateIP, "challenge, token, introspection, forward-auth and verify requests per second per client IP (0: no limit)")
	f.Float64Var(&c.RateHolder, "rate-holder", d.RateHolder, "token exchanges per second per holder DID (0: no limit)")
	f.IntVar(&c.MaxCredentials, "max-credentials", d.MaxCredentials, "credentials per presentation at the token endpoint (at most 32)")
	f.DurationVar(&c.Timeout, "gateway-timeout", d.Timeout, "time limit of one token exchange or authorization")
	f.StringVar(&c.ForwardAuth, "forward-auth-mode", d.ForwardAuth,
		"the proxy in front of /v1/gateway/authorize, which decides the only headers the original request is read from: nginx (X-Original-Method/-URI), traefik (X-Forwarded-Method/-Uri/-Host/-Proto) or envoy (path after /v1/gateway/authorize/, request method)")
}

// gatewayRuntime is what serve keeps running for the gateway: policy
// reload on SIGHUP, key rotation on schedule and on SIGUSR1.
type gatewayRuntime struct {
	gw         *gateway.Gateway
	keys       *gateway.KMSKeys
	policyFile string
	own        func(string) bool
	rotation   time.Duration
}

func limitOf(perSec float64) rate.Limit {
	if perSec <= 0 {
		return rate.Inf
	}
	return rate.Limit(perSec)
}

// burstOf is the burst that goes with a rate: two seconds' worth.
func burstOf(perSec float64) int { return max(1, int(2*perSec)) }

// ipLimiter is the per-IP limit of the verify endpoints: the gateway's own
// when the gateway role runs, so one address has one --rate-ip budget
// across challenge, token, introspection, forward auth and verification;
// else a limiter at the same rate.
func ipLimiter(cfg serverConfig, gw *gateway.Gateway) *gateway.IPLimiter {
	if gw != nil {
		return gw.IPLimiter()
	}
	gc := cfg.Gateway
	if gc == (gatewayConfig{}) {
		gc = defaultGatewayConfig()
	}
	return gateway.NewIPLimiter(limitOf(gc.RateIP), burstOf(gc.RateIP))
}

// openGateway wires the gateway role.
func openGateway(cfg serverConfig, db *store.DB, keys *kms.Manager, v *verifier.Verifier, own func(string) bool) (*gatewayRuntime, error) {
	gc := cfg.Gateway
	if gc == (gatewayConfig{}) {
		gc = defaultGatewayConfig()
	}
	mode := gateway.DefaultForwardAuthMode
	if gc.ForwardAuth != "" {
		m, err := gateway.ParseForwardAuthMode(gc.ForwardAuth)
		if err != nil {
			return nil, usageErr("--forward-auth-mode: %v", err)
		}
		mode = m
	}
	ttl := cfg.TokenTTL
	if ttl == 0 {
		ttl = gateway.DefaultTokenTTL
	}
	every := gc.KeyRotation
	if every <= 0 {
		every = -1
	}
	gwKeys, err := gateway.NewKMSKeys(db, keys, gateway.KeyOptions{RotateEvery: every, Retain: ttl + gateway.AcceptableSkew})
	if err != nil {
		return nil, err
	}
	pol := gateway.DefaultPolicy(own)
	if cfg.PolicyFile != "" {
		if pol, err = gateway.LoadPolicy(cfg.PolicyFile, gateway.PolicyOptions{Own: own}); err != nil {
			return nil, err
		}
	}
	gw := gateway.New(gateway.Config{Issuer: cfg.PublicURL, Verifier: v, Nonces: gateway.NewBadgerNonces(db),
		Keys: gwKeys, Policy: pol, TokenTTL: cfg.TokenTTL, NonceTTL: cfg.NonceTTL, JTIs: gateway.NewBadgerJTIs(db),
		Limits: gateway.RateLimits{PerIP: limitOf(gc.RateIP), IPBurst: burstOf(gc.RateIP),
			PerHolder: limitOf(gc.RateHolder), HolderBurst: burstOf(gc.RateHolder)},
		MaxCredentials: gc.MaxCredentials, Timeout: gc.Timeout, ForwardAuth: mode})
	return &gatewayRuntime{gw: gw, keys: gwKeys, policyFile: cfg.PolicyFile, own: own, rotation: gc.KeyRotation}, nil
}

// run reloads the policy on SIGHUP (a bad file keeps the old policy and is
// logged), rotates the key on SIGUSR1 and on schedule, until ctx ends.
func (r *gatewayRuntime) run(ctx context.Context, log *slog.Logger) {
	if r == nil {
		return
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sig)
	tick := time.Minute
	if r.rotation > 0 && r.rotation/10 < tick {
		tick = max(r.rotation/10, time.Second)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	rotateIfDue := func() {
		if did, err := r.keys.RotateIfDue(); err != nil {
			log.Error("gateway key rotation failed", "err", err)
		} else if did {
			log.Info("gateway signing key rotated", "reason", "schedule")
		}
	}
	rotateIfDue()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rotateIfDue()
		case s := <-sig:
			switch s {
			case syscall.SIGHUP:
				r.reload(log)
			case syscall.SIGUSR1:
				if err := r.keys.Rotate(); err != nil {
					log.Error("gateway key rotation failed", "err", err)
				} else {
					log.Info("gateway signing key rotated", "reason", "SIGUSR1")
				}
			}
		}
	}
}

func (r *gatewayRuntime) reload(log *slog.Logger) {
	if r.policyFile == "" {
		log.Info("SIGHUP: no --policy file; the default policy stays")
		return
	}
	p, err := gateway.LoadPolicy(r.policyFile, gateway.PolicyOptions{Own: r.own})
	if err != nil {
		log.Error("SIGHUP: policy not reloaded; the previous one stays", "err", err)
		return
	}
	r.gw.SetPolicy(p)
	log.Info("SIGHUP: policy reloaded", "file", r.policyFile)
}

func newGatewayCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gateway", Short: "Gateway administration: signing keys, policy files"}
	var dataDir string
	rotate := &cobra.Command{
		Use:   "rotate-key",
		Short: "Make a new gateway signing key current (the server must be stopped; a running one rotates on SIGUSR1)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			master, err := kms.LoadMasterKey(dataDir, os.Getenv("CFLOW_MASTER_KEY"))
			if err != nil {
				return err
			}
			db, err := store.Open(dataDir+"/store", store.Options{})
			if err != nil {
				return fmt.Errorf("%w (is `cflow serve` running on this data dir? send it SIGUSR1 instead)", err)
			}
			defer db.Close()
			keys, err := kms.New(db.Bucket("kms"), master)
			if err != nil {
				return err
			}
			k, err := gateway.NewKMSKeys(db, keys, gateway.KeyOptions{RotateEvery: -1})
			if err != nil {
				return err
			}
			if err := k.Rotate(); err != nil {
				return err
			}
			_, pub, _ := k.SigningKey()
			fmt.Fprintln(cmd.OutOrStdout(), pub.KeyID())
			fmt.Fprintln(cmd.ErrOrStderr(), "new signing key is current; the previous one stays in the JWKS until its tokens have expired")
			return nil
		},
	}
	rotate.Flags().StringVar(&dataDir, "data", "cflow-data", "data directory of the server")
	check := &cobra.Command{
		Use:   "check-policy FILE",
		Short: "Validate a gateway policy file (exit 0 valid, 1 invalid with file:line: reason)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := gateway.LoadPolicy(args[0], gateway.PolicyOptions{Own: func(string) bool { return false }})
			if err != nil {
				var pe *gateway.PolicyError
				if errors.As(err, &pe) {
					return &exitError{code: 1, err: err}
				}
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
	cmd.AddCommand(rotate, check)
	return cmd
}
