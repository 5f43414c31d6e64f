package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/credentialflow/cflow/api"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier/gateway"
)

// benchOptions are the flags of `cflow bench gateway`.
type benchOptions struct {
	Duration    time.Duration
	Concurrency int
	Mode        string // exchange | flow
	Output      string // text | json
	CPUProfile  string
	MemProfile  string
	NoAudit     bool // diagnosis: the cost of auditing every token decision
}

// benchReport is what `cflow bench gateway` measured. RSS comes from
// /proc/self/status of this one process, which holds the server, the load
// generator and the pre-built presentations (those live in an anonymous
// mapping outside the Go heap, counted in PrebuiltMB).
type benchReport struct {
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	WindowS     float64 `json:"window_s"`
	Completed   int     `json:"completed"`
	Errors      int     `json:"errors"`

	ExchangesPerSec float64 `json:"exchanges_per_sec"`
	FlowsPerMin     float64 `json:"flows_per_min,omitempty"`
	P50Ms           float64 `json:"p50_ms"`
	P99Ms           float64 `json:"p99_ms"`

	RateAt80      float64 `json:"rate_at_80pct_per_sec"` // achieved in the paced phase
	P50MsAt80     float64 `json:"p50_ms_at_80pct"`
	P99MsAt80     float64 `json:"p99_ms_at_80pct"`
	CompletedAt80 int     `json:"completed_at_80pct"`
	ErrorsAt80    int     `json:"errors_at_80pct"`
	FloorPerSec   float64 `json:"floor_per_sec"`
	FloorOps      string  `json:"floor_ops"`
	Ratio         float64 `json:"ratio"`
	RSSMB         float64 `json:"rss_mb"`      // VmHWM: peak resident set during the measured phases
	RSSNowMB      float64 `json:"rss_now_mb"`  // VmRSS at the end
	PrebuiltMB    float64 `json:"prebuilt_mb"` // pre-built request bodies held by the load generator
	ServerRSSMB   float64 `json:"server_rss_mb"`
	RSSAnonMB     float64 `json:"rss_anon_mb"` // RssAnon at the end: heap, stacks, anonymous maps
	RSSFileMB     float64 `json:"rss_file_mb"` // RssFile at the end: mapped store files (page cache)
	RSSSource     string  `json:"rss_source"`
	HeapInuseMB   float64 `json:"heap_inuse_mb"`
	AuditEntries  int     `json:"audit_entries"`
	// CPU time (user+sys of the whole process) per exchange in the peak
	// phase and per floor iteration: a ratio that other load on the
	// machine does not skew the way wall-clock rates are skewed.
	CPUUsPerExchange float64 `json:"cpu_us_per_exchange"`
	FloorCPUUs       float64 `json:"floor_cpu_us"`
	CPURatio         float64 `json:"cpu_ratio"`
	FirstErrorText   string  `json:"first_error,omitempty"`
}

func newBenchCmd() *cobra.Command {
	bench := &cobra.Command{Use: "bench", Short: "Load benchmarks against an in-process server on loopback"}
	o := benchOptions{}
	gw := &cobra.Command{
		Use:   "gateway",
		Short: "Drive POST /v1/gateway/token with pre-built presentations and compare with the Ed25519 floor",
		Long: `Starts the server in-process on a random loopback port with a temporary data
dir (sync writes, audit log on, rate limits off), creates an issuer, a holder and
a credential, then:

  exchange mode: pre-builds one presentation per exchange (fresh challenge each,
  signed ahead of time), drives the token endpoint closed-loop with --concurrency
  clients for --duration (the peak), then again paced at 0.8 x peak;
  flow mode: every iteration issues over REST, gets a challenge, signs a
  presentation and exchanges it.

The crypto floor is measured in the same run with the same parallelism:
2 Ed25519 verifies + 1 sign per exchange (3 signs + 2 verifies per flow).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Mode != "exchange" && o.Mode != "flow" {
				return usageErr("--mode: want exchange or flow")
			}
			if o.Output != "text" && o.Output != "json" {
				return usageErr("--output: want text or json")
			}
			if o.Duration <= 0 || o.Concurrency <= 0 {
				return usageErr("--duration and --concurrency must be positive")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			rep, err := runBenchGateway(ctx, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return printBench(cmd.OutOrStdout(), rep, o.Output)
		},
	}
	f := gw.Flags()
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each measured phase (peak, then 80% of peak)")
	f.IntVar(&o.Concurrency, "concurrency", 4*runtime.GOMAXPROCS(0), "concurrent clients")
	f.StringVar(&o.Mode, "mode", "exchange", "exchange (token endpoint only) or flow (issue + present + exchange)")
	f.StringVar(&o.Output, "output", "text", "text or json (one object)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the peak phase to this file")
	f.BoolVar(&o.NoAudit, "no-audit", false, "do not audit token decisions (to measure what the audit log costs)")
	_ = f.MarkHidden("no-audit")
	f.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile (allocations since start) after the peak phase to this file")
	bench.AddCommand(gw)
	return bench
}

func printBench(w io.Writer, r *benchReport, format string) error {
	if format == "json" {
		return json.NewEncoder(w).Encode(r)
	}
	unit := "exchanges"
	if r.Mode == "flow" {
		unit = "flows"
	}
	fmt.Fprintf(w, "mode %s, %d clients, GOMAXPROCS %d\n", r.Mode, r.Concurrency, r.GOMAXPROCS)
	fmt.Fprintf(w, "peak:      %.0f %s/s over %.1f s (%d done, %d errors), p50 %.2f ms, p99 %.2f ms\n",
		r.ExchangesPerSec, unit, r.WindowS, r.Completed, r.Errors, r.P50Ms, r.P99Ms)
	if r.Mode == "flow" {
		fmt.Fprintf(w, "           %.0f flows/min\n", r.FlowsPerMin)
	}
	fmt.Fprintf(w, "80%% paced: %.0f %s/s (%d done, %d errors), p50 %.2f ms, p99 %.2f ms\n",
		r.RateAt80, unit, r.CompletedAt80, r.ErrorsAt80, r.P50MsAt80, r.P99MsAt80)
	fmt.Fprintf(w, "floor:     %.0f/s (%s), ratio %.2f\n", r.FloorPerSec, r.FloorOps, r.Ratio)
	fmt.Fprintf(w, "cpu:       %.0f µs per exchange, %.0f µs per floor iteration, cpu ratio %.2f\n", r.CPUUsPerExchange, r.FloorCPUUs, r.CPURatio)
	fmt.Fprintf(w, "memory:    rss %.1f MB peak (VmHWM), %.1f MB now (VmRSS); pre-built bodies %.1f MB; server ≈ %.1f MB; Go heap in use %.1f MB\n",
		r.RSSMB, r.RSSNowMB, r.PrebuiltMB, r.ServerRSSMB, r.HeapInuseMB)
	fmt.Fprintf(w, "           at the end: %.1f MB anonymous, %.1f MB file-backed (store mappings)\n", r.RSSAnonMB, r.RSSFileMB)
	fmt.Fprintf(w, "audit:     %d entries written\n", r.AuditEntries)
	if r.FirstErrorText != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstErrorText)
	}
	return nil
}

// benchEnv is the running server and the parties of the benchmark.
type benchEnv struct {
	app      *app
	srv      *http.Server
	base     string
	client   *http.Client
	issuerID string
	holder   string
	kid      string
	priv     ed25519.PrivateKey
	cred     string // a credential issued to the holder
}

func startBenchEnv(ctx context.Context, o benchOptions, tmp string) (*benchEnv, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	gc := defaultGatewayConfig()
	// One client address and one holder: the abuse limits would measure
	// themselves, not the exchange.
	gc.RateIP, gc.RateHolder = 0, 0
	a, err := openApp(serverConfig{DataDir: tmp, PublicURL: base, Roles: api.AllRoles, MaxBody: api.DefaultMaxBody,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Gateway: gc})
	if err != nil {
		ln.Close()
		return nil, err
	}
	if o.NoAudit {
		a.gateway.SetAudit(nil)
		a.gateway.SetAuditTx(nil)
	}
	e := &benchEnv{app: a, base: base, srv: newHTTPServer(ln.Addr().String(), a.handler)}
	go func() { _ = e.srv.Serve(ln) }()
	var rt http.RoundTripper = &http.Transport{
		MaxIdleConns: o.Concurrency * 2, MaxIdleConnsPerHost: o.Concurrency * 2, DisableCompression: true,
		IdleConnTimeout: time.Minute,
	}
	// The bench plays the issuer's staff too: issuer endpoints get the
	// server's admin token when it has one (CFLOW_ADMIN_TOKEN or the file
	// in its data dir).
	token := strings.TrimSpace(os.Getenv("CFLOW_ADMIN_TOKEN"))
	if raw, err := os.ReadFile(filepath.Join(tmp, "admin.token")); err == nil && token == "" {
		token = strings.TrimSpace(string(raw))
	}
	if token != "" {
		rt = adminOnIssuer{rt, "Bearer " + token}
	}
	e.client = &http.Client{Timeout: 30 * time.Second, Transport: rt}

	var prof struct{ ID string }
	if err := postJSON(e.client, base+"/v1/issuers", []byte(`{"name":"Bench Corp HR"}`), http.StatusCreated, &prof); err != nil {
		e.Close()
		return nil, err
	}
	e.issuerID = prof.ID
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		e.Close()
		return nil, err
	}
	if e.holder, err = didkey.New(pub); err != nil {
		e.Close()
		return nil, err
	}
	e.kid, e.priv = e.holder+"#"+strings.TrimPrefix(e.holder, "did:key:"), priv
	if e.cred, err = e.issue(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// adminOnIssuer adds the admin token to issuer requests only.
type adminOnIssuer struct {
	next  http.RoundTripper
	value string
}

func (a adminOnIssuer) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/v1/issuers") || strings.HasPrefix(r.URL.Path, "/v1/credentials/issue") {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", a.value)
	}
	return a.next.RoundTrip(r)
}

func (e *benchEnv) Close() {
	_ = e.srv.Close()
	_ = e.app.Close()
}

func (e *benchEnv) issue() (string, error) {
	var cred map[string]any
	if err := json.Unmarshal(demoCredential, &cred); err != nil {
		return "", err
	}
	cred["credentialSubject"].(map[string]any)["id"] = e.holder
	return issueOverHTTP(e.client, e.base, e.issuerID, "jwt_vc_json", cred)
}

func (e *benchEnv) challenge() (string, error) {
	var ch gateway.Challenge
	if err := postJSON(e.client, e.base+"/v1/gateway/challenge", []byte(`{}`), http.StatusOK, &ch); err != nil {
		return "", err
	}
	return ch.Nonce, nil
}

// tokenBody is the form body of one exchange: a presentation of cred bound
// to nonce, signed by the holder.
func (e *benchEnv) tokenBody(cred, nonce string) ([]byte, error) {
	vp := map[string]any{"@context": []any{vc.ContextV1}, "type": []any{vc.TypePresentation}, "verifiableCredential": []any{cred}}
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	tok, err := vcjose.SignPresentation(vp, vcjose.JWTVPJSON, e.priv, e.kid, e.holder, nonce, e.base,
		"urn:uuid:"+hex.EncodeToString(jti[:]), time.Now(), 10*time.Minute)
	if err != nil {
		return nil, err
	}
	return []byte(url.Values{"grant_type": {gateway.GrantTypeTokenExchange}, "subject_token": {tok},
		"subject_token_type": {gateway.TokenTypeJWT}}.Encode()), nil
}

// exchange posts one token request and checks it was granted.
func (e *benchEnv) exchange(body []byte) error {
	req, err := http.NewRequest(http.MethodPost, e.base+"/v1/gateway/token", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token: %s: %.200s", resp.Status, raw)
	}
	return nil
}

// flow is one full issue → challenge → present → exchange.
func (e *benchEnv) flow() error {
	cred, err := e.issue()
	if err != nil {
		return err
	}
	nonce, err := e.challenge()
	if err != nil {
		return err
	}
	body, err := e.tokenBody(cred, nonce)
	if err != nil {
		return err
	}
	return e.exchange(body)
}

// arena holds pre-built request bodies in an anonymous mapping, outside
// the Go heap: they count in RSS (reported apart) but do not raise the
// garbage collector's heap goal, so the server runs as it would alone.
type arena struct {
	buf    []byte
	off    []int
	mapped bool
}

func newArena(n, each int) *arena {
	size := n * each
	if size == 0 {
		size = 1
	}
	if b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE); err == nil {
		return &arena{buf: b[:0], mapped: true}
	}
	return &arena{buf: make([]byte, 0, size)}
}

// add appends b; false when it does not fit.
func (a *arena) add(b []byte) bool {
	if len(a.buf)+len(b) > cap(a.buf) {
		return false
	}
	a.off = append(a.off, len(a.buf))
	a.buf = append(a.buf, b...)
	return true
}

func (a *arena) len() int { return len(a.off) }

func (a *arena) at(i int) []byte {
	end := len(a.buf)
	if i+1 < len(a.off) {
		end = a.off[i+1]
	}
	return a.buf[a.off[i]:end]
}

func (a *arena) free() {
	if a.mapped {
		_ = syscall.Munmap(a.buf[:cap(a.buf)])
	}
	a.buf, a.off = nil, nil
}

// prebuild fetches n challenges and signs one presentation per challenge,
// with c clients; the result is ready before any timed window starts.
func (e *benchEnv) prebuild(n, c int) (*arena, error) {
	sample, err := e.tokenBody(e.cred, strings.Repeat("n", 43))
	if err != nil {
		return nil, err
	}
	bodies := make([][]byte, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				nonce, err := e.challenge()
				if err == nil {
					bodies[i], err = e.tokenBody(e.cred, nonce)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("bench: prebuild: %w", err)
	}
	a := newArena(n, len(sample)+64)
	for _, b := range bodies {
		if !a.add(b) {
			a.free()
			return nil, errors.New("bench: prebuild: arena too small")
		}
	}
	return a, nil
}

// phase is the outcome of one measured window.
type phase struct {
	window    time.Duration
	latencies []time.Duration
	errors    int
	firstErr  error
}

func (p *phase) rate() float64 {
	if p.window <= 0 {
		return 0
	}
	return float64(len(p.latencies)) / p.window.Seconds()
}

func (p *phase) pct(q float64) float64 {
	if len(p.latencies) == 0 {
		return 0
	}
	s := slices.Clone(p.latencies)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return float64(s[max(i, 0)]) / float64(time.Millisecond)
}

// runPhase runs job with c workers for d. With rate 0 it is closed-loop
// (each worker starts its next job when the last ends) and stops early
// when limit jobs were taken; with rate > 0 jobs are released on a fixed
// schedule and each latency counts from its scheduled start, so queueing
// behind a slow server is measured, not hidden.
func runPhase(c int, d time.Duration, rate float64, limit int, job func(i int) error) *phase {
	var (
		mu   sync.Mutex
		out  = &phase{}
		wg   sync.WaitGroup
		next atomic.Int64
	)
	start := time.Now()
	deadline := start.Add(d)
	var sched chan int
	if rate > 0 {
		sched = make(chan int, limit+1)
		go func() {
			defer close(sched)
			interval := time.Duration(float64(time.Second) / rate)
			for i := 0; i < limit; i++ {
				at := start.Add(time.Duration(i) * interval)
				if at.After(deadline) {
					return
				}
				if wait := time.Until(at); wait > 0 {
					time.Sleep(wait)
				}
				sched <- i
			}
		}()
	}
	interval := time.Duration(0)
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	var last atomic.Int64 // when the last job finished, ns since start
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			errs := 0
			var ferr error
			for {
				var i int
				var t0 time.Time
				if sched != nil {
					var ok bool
					if i, ok = <-sched; !ok {
						break
					}
					t0 = start.Add(time.Duration(i) * interval)
				} else {
					if time.Now().After(deadline) {
						break
					}
					if i = int(next.Add(1)) - 1; i >= limit {
						break
					}
					t0 = time.Now()
				}
				err := job(i)
				done := time.Now()
				if n := int64(done.Sub(start)); n > last.Load() {
					last.Store(n) // racy max; good enough for the window end
				}
				if err != nil {
					if errs++; ferr == nil {
						ferr = err
					}
					continue
				}
				lat = append(lat, done.Sub(t0))
			}
			mu.Lock()
			out.latencies = append(out.latencies, lat...)
			out.errors += errs
			if out.firstErr == nil {
				out.firstErr = ferr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.window = time.Duration(last.Load())
	return out
}

// floor measures the crypto floor with c goroutines for d: per iteration,
// verifies verifies and signs signs of Ed25519 over inputs the size of the
// real ones (the credential's and the presentation's signing inputs, a
// token payload).
func cryptoFloor(c int, d time.Duration, cred, vp string, verifies, signs int) (float64, int64, error) {
	type msg struct {
		pub ed25519.PublicKey
		in  []byte
		sig []byte
	}
	var msgs []msg
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return 0, 0, err
	}
	for _, tok := range []string{cred, vp} {
		i := strings.LastIndexByte(tok, '.')
		if i < 0 {
			return 0, 0, errors.New("bench: floor: not a compact JWS")
		}
		in := []byte(tok[:i])
		msgs = append(msgs, msg{pub, in, ed25519.Sign(priv, in)})
	}
	token := []byte(base64.RawURLEncoding.EncodeToString(make([]byte, 60)) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 420)))
	var total atomic.Int64
	var wg sync.WaitGroup
	var bad atomic.Bool
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for time.Since(start) < d {
				for v := range verifies {
					m := msgs[v%len(msgs)]
					if !ed25519.Verify(m.pub, m.in, m.sig) {
						bad.Store(true)
					}
				}
				for range signs {
					_ = ed25519.Sign(priv, token)
				}
				n++
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	if bad.Load() {
		return 0, 0, errors.New("bench: floor: a signature did not verify")
	}
	return float64(total.Load()) / time.Since(start).Seconds(), total.Load(), nil
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads kB fields of /proc/self/status (Linux).
func procStatus(fields ...string) map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !slices.Contains(fields, k) {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err == nil {
			out[k] = n / 1024
		}
	}
	return out
}

// resetPeakRSS makes VmHWM start over (Linux ≥ 4.0: "5" to clear_refs),
// so it reports the peak of the measured phases, not of the set-up.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

func runBenchGateway(ctx context.Context, o benchOptions, log io.Writer) (*benchReport, error) {
	tmp, err := os.MkdirTemp("", "cflow-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e, err := startBenchEnv(ctx, o, tmp)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	c := o.Concurrency
	rep := &benchReport{Mode: o.Mode, Concurrency: c, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	say := func(format string, args ...any) { fmt.Fprintf(log, "bench: "+format+"\n", args...) }

	var job func(i int) error
	var bodies *arena
	prepare := func(n int) error { // exchange mode: n fresh presentations
		if bodies != nil {
			bodies.free()
		}
		say("pre-building %d presentations (a challenge and a signature each)", n)
		var err error
		bodies, err = e.prebuild(n, c)
		return err
	}
	defer func() {
		if bodies != nil {
			bodies.free()
		}
	}()
	if o.Mode == "exchange" {
		job = func(i int) error { return e.exchange(bodies.at(i)) }
	} else {
		job = func(int) error { return e.flow() }
	}

	// Warm-up (connections, caches, the first status list) and a first
	// estimate of the rate, to size the pre-built set.
	warm := 50 * c
	if o.Mode == "exchange" {
		if err := prepare(warm); err != nil {
			return nil, err
		}
	}
	w := runPhase(c, 2*time.Second, 0, warm, job)
	if w.firstErr != nil && len(w.latencies) == 0 {
		return nil, fmt.Errorf("bench: warm-up: %w", w.firstErr)
	}
	est := max(w.rate(), 100)

	// Peak: closed loop for the duration.
	limit := math.MaxInt
	if o.Mode == "exchange" {
		limit = int(est*1.5*o.Duration.Seconds()) + c
		if err := prepare(limit); err != nil {
			return nil, err
		}
	}
	if bodies != nil {
		rep.PrebuiltMB = float64(cap(bodies.buf)) / (1 << 20)
	}
	runtime.GC()
	resetPeakRSS()
	var stopProfile func()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	say("peak phase: %d clients for %s", c, o.Duration)
	cpu0 := cpuTime()
	peak := runPhase(c, o.Duration, 0, limit, job)
	peakCPU := cpuTime() - cpu0
	if stopProfile != nil {
		stopProfile()
	}
	if o.MemProfile != "" {
		if f, err := os.Create(o.MemProfile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	if len(peak.latencies) == 0 {
		return nil, fmt.Errorf("bench: no exchange succeeded: %v", peak.firstErr)
	}
	rep.WindowS, rep.Completed, rep.Errors = peak.window.Seconds(), len(peak.latencies), peak.errors
	rep.ExchangesPerSec, rep.P50Ms, rep.P99Ms = peak.rate(), peak.pct(0.50), peak.pct(0.99)
	rep.CPUUsPerExchange = float64(peakCPU.Microseconds()) / float64(len(peak.latencies)+peak.errors)
	if o.Mode == "flow" {
		rep.FlowsPerMin = rep.ExchangesPerSec * 60
	}
	if peak.firstErr != nil {
		rep.FirstErrorText = peak.firstErr.Error()
	}

	// 80 % of the peak, paced.
	target := 0.8 * rep.ExchangesPerSec
	limit80 := int(target*o.Duration.Seconds()) + 1
	if o.Mode == "exchange" {
		if err := prepare(limit80); err != nil {
			return nil, err
		}
	}
	say("paced phase: %.0f/s for %s", target, o.Duration)
	p80 := runPhase(c, o.Duration, target, limit80, job)
	rep.RateAt80, rep.CompletedAt80, rep.ErrorsAt80 = p80.rate(), len(p80.latencies), p80.errors
	rep.P50MsAt80, rep.P99MsAt80 = p80.pct(0.50), p80.pct(0.99)
	if p80.firstErr != nil && rep.FirstErrorText == "" {
		rep.FirstErrorText = p80.firstErr.Error()
	}

	mem := procStatus("VmHWM", "VmRSS", "RssAnon", "RssFile")
	rep.RSSMB, rep.RSSNowMB = mem["VmHWM"], mem["VmRSS"]
	rep.RSSAnonMB, rep.RSSFileMB = mem["RssAnon"], mem["RssFile"]
	rep.ServerRSSMB = rep.RSSMB - rep.PrebuiltMB
	rep.RSSSource = "VmHWM of /proc/self/status (peak resident set of this process, reset before the peak phase: server + load generator + pre-built bodies); server_rss_mb = rss_mb - prebuilt_mb"
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapInuseMB = float64(ms.HeapInuse) / (1 << 20)

	// The floor, on the same cores with the same parallelism.
	verifies, signs := 2, 1
	rep.FloorOps = "2 Ed25519 verify + 1 Ed25519 sign per exchange"
	if o.Mode == "flow" {
		signs = 3
		rep.FloorOps = "2 Ed25519 verify + 3 Ed25519 sign per flow (credential, presentation, token)"
	}
	sampleVP, err := e.tokenBody(e.cred, "floor")
	if err != nil {
		return nil, err
	}
	form, _ := url.ParseQuery(string(sampleVP))
	fd := min(o.Duration, 3*time.Second)
	say("crypto floor: %d goroutines for %s", c, fd)
	cpu0 = cpuTime()
	floor, iters, err := cryptoFloor(c, fd, e.cred, form.Get("subject_token"), verifies, signs)
	if err != nil {
		return nil, err
	}
	rep.FloorPerSec = floor
	rep.FloorCPUUs = float64((cpuTime() - cpu0).Microseconds()) / float64(iters)
	rep.Ratio = rep.ExchangesPerSec / rep.FloorPerSec
	rep.CPURatio = rep.FloorCPUUs / rep.CPUUsPerExchange

	// Every exchange left an audit entry, and the chain holds.
	e.srv.Close()
	e.app.audit.Close()
	chain, err := audit.Verify(e.app.db)
	if err != nil {
		return nil, fmt.Errorf("bench: audit chain after the run: %w", err)
	}
	rep.AuditEntries = int(chain.Entries)
	return rep, nil
}
