package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/verifier"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// serverConfig is everything `cflow serve` (and the demo) needs.
type serverConfig struct {
	Addr       string
	DataDir    string
	PublicURL  string
	Roles      []string
	Upstreams  []string // "prefix=url"
	PolicyFile string
	MaxBody    int64
	Skew       time.Duration
	TokenTTL   time.Duration
	NonceTTL   time.Duration
	Logger     *slog.Logger
	Status     statusConfig // status_cmd.go
	Ledger     ledgerConfig // ledger_cmd.go
	Gateway    gatewayConfig
	JSONLD     jsonldConfig // jsonld_cmd.go: operator contexts and JSON Schemas
}

// app is a wired server.
type app struct {
	db      *store.DB
	issuer  *issuer.Service
	gateway *gateway.Gateway
	handler http.Handler
	status  *statusRuntime // status_cmd.go
	ledger  *ledgerRuntime // ledger_cmd.go
	gw      *gatewayRuntime
	audit   *audit.Log   // every issuance, status change, verification, token decision
	metrics *api.Metrics // served at /metrics

	// adminToken guards the issuer's write endpoints (<data>/admin.token).
	adminToken string
}

func newResolver() did.Resolver {
	return did.NewCache(did.NewRegistry(remoteMethods(map[string]did.Resolver{ // resolver_http.go
		didkey.Method: didkey.Resolver{},
		didjwk.Method: didjwk.Resolver{},
	})), did.CacheOptions{})
}

func openApp(cfg serverConfig) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	master, err := kms.LoadMasterKey(cfg.DataDir, os.Getenv("CFLOW_MASTER_KEY"))
	if err != nil {
		return nil, err
	}
	db, err := store.Open(cfg.DataDir+"/store", store.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	keys, err := kms.New(db.Bucket("kms"), master)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &app{db: db, audit: audit.Open(db, nil), metrics: api.NewMetrics()}
	events := api.NewEvents(a.audit, a.metrics, cfg.Logger)
	fail := func(err error) (*app, error) { a.ledger.close(); a.audit.Close(); db.Close(); return nil, err }

	// The ledger (embedded, remote or off) and the resolver over it.
	if a.ledger, err = openLedgerRuntime(cfg); err != nil {
		return fail(err)
	}
	var resolver did.Resolver = a.ledger.resolver
	// One JSON-LD processor (embedded contexts plus the operator's pinned
	// ones, processed once) for issuing and verifying Data Integrity proofs.
	ldp, err := cfg.JSONLD.processor()
	if err != nil {
		return fail(err)
	}
	proofs := dataintegrity.New(ldp, nil)
	schemas, err := cfg.JSONLD.schemas() // one set for issuing and verifying
	if err != nil {
		return fail(err)
	}
	v := verifier.New(verifier.Config{Resolver: resolver, Skew: cfg.Skew, VerifyAtIssuanceTime: cfg.Ledger.AtIssuance,
		Proofs: verifier.NewDataIntegrityProofs(proofs, resolver), Schemas: schemas})
	a.issuer = issuer.New(db, keys, nil)
	a.issuer.UseProofEngine(proofs)
	a.issuer.UseSchemas(schemas)
	if err := a.ledger.enableIssuers(a.issuer, db, cfg.Logger); err != nil {
		return fail(err)
	}
	a.issuer.UseAuditor(events)
	// Status lists (status_cmd.go): v verifies the list credentials; the
	// verifier that replaces it also checks every credential's status.
	// Anchoring on the ledger (anchor.go): the issuer's anchors, the verifier's reader.
	anch, err := openAnchoring(cfg, a.ledger.l)
	if err != nil {
		return fail(err)
	}
	checker, rt, err := enableStatus(cfg, db, a.issuer, v, anch)
	if err != nil {
		return fail(err)
	}
	a.status = rt
	v = verifier.New(verifier.Config{Resolver: resolver, Skew: cfg.Skew, VerifyAtIssuanceTime: cfg.Ledger.AtIssuance,
		Proofs: verifier.NewDataIntegrityProofs(proofs, resolver), Schemas: schemas, Status: checker})

	var upstreams []api.Upstream
	for _, u := range cfg.Upstreams {
		prefix, target, ok := strings.Cut(u, "=")
		pu, err := url.Parse(target)
		if !ok || !strings.HasPrefix(prefix, "/") || err != nil || pu.Scheme == "" || pu.Host == "" {
			return fail(usageErr("--upstream %q: want /prefix/=http://host:port", u))
		}
		upstreams = append(upstreams, api.Upstream{Prefix: prefix, URL: pu})
	}
	if hasRole(cfg.Roles, api.RoleGateway) {
		gw, err := openGateway(cfg, db, keys, v, a.issuer.IsOwnIssuer) // gateway_cmd.go
		if err != nil {
			return fail(err)
		}
		a.gateway, a.gw = gw.gw, gw
		a.gateway.SetAudit(events.Token)
		// Decisions after the nonce: audit entry and nonce in one commit.
		a.gateway.SetAuditTx(events.TokenTx)
	}
	adminToken, err := serverAdminToken(cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	a.adminToken = adminToken
	a.handler = api.NewRouter(api.Config{
		Roles: cfg.Roles, Issuer: a.issuer, Verifier: v, Gateway: a.gateway, Resolver: resolver,
		Upstreams: upstreams, MaxBody: cfg.MaxBody, Logger: cfg.Logger, AdminToken: a.adminToken,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(); err != nil {
				return err
			}
			return a.ledger.ready(ctx)
		},
		Metrics: a.metrics, Events: events, IPLimiter: ipLimiter(cfg, a.gateway), // gateway_cmd.go
	})
	// Cache hit ratios for /metrics: the DID cache, and the status list
	// cache once it counts its hits.
	type counted interface{ Stats() (hits, misses uint64) }
	if c, ok := resolver.(counted); ok {
		_ = a.metrics.WatchCache("did", c.Stats)
	}
	if c, ok := checker.(counted); ok {
		_ = a.metrics.WatchCache("status", c.Stats)
	}
	return a, nil
}

func (a *app) Close() error { a.status.stop(); a.ledger.close(); a.audit.Close(); return a.db.Close() }

func hasRole(roles []string, r string) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// newHTTPServer applies the timeouts every listener gets.
func newHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: 5 * time.Second, // slowloris
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
