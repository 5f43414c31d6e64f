package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the server's Prometheus surface, on its own registry (no
// global state): HTTP requests per chi route pattern, verification
// outcomes per error code, tokens issued, audit events, cache hit ratios
// and ledger calls, plus the Go runtime and process collectors.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	verifications *prometheus.CounterVec
	tokens        prometheus.Counter
	events        *prometheus.CounterVec
	auditFailures prometheus.Counter
	// LedgerCalls counts calls to the ledger by operation (e.g. "anchor",
	// "resolve") and outcome ("ok" or "error"); the ledger wiring
	// increments it through LedgerCall.
	LedgerCalls *prometheus.CounterVec
}

// Metric label values.
const (
	// OutcomeOK is the code label of a verification or call that held.
	OutcomeOK = "ok"
	// routeUnmatched labels requests no route matched, so arbitrary paths
	// cannot grow the label set.
	routeUnmatched = "unmatched"
)

// NewMetrics registers every collector on a fresh registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cflow_http_requests_total", Help: "HTTP requests by chi route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cflow_http_request_duration_seconds", Help: "HTTP request latency by chi route pattern and method.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cflow_verifications_total", Help: `Verification outcomes by kind (credential, presentation, token_exchange) and code ("ok" or the stable error code).`,
		}, []string{"kind", "code"}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cflow_tokens_issued_total", Help: "Access tokens minted by the gateway.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cflow_audit_events_total", Help: "Audit events recorded, by type and decision.",
		}, []string{"type", "decision"}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cflow_audit_failures_total", Help: "Audit events that could not be written.",
		}),
		LedgerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cflow_ledger_calls_total", Help: `Ledger calls by operation and outcome ("ok" or "error").`,
		}, []string{"op", "outcome"}),
	}
	reg.MustRegister(m.requests, m.latency, m.verifications, m.tokens, m.events, m.auditFailures, m.LedgerCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// LedgerCall counts one ledger call. Safe on a nil *Metrics.
func (m *Metrics) LedgerCall(op string, err error) {
	if m == nil {
		return
	}
	outcome := OutcomeOK
	if err != nil {
		outcome = "error"
	}
	m.LedgerCalls.WithLabelValues(op, outcome).Inc()
}

// WatchCache exports a cache's hit and miss counters and its hit ratio
// under cache=name; stats is read at scrape time (e.g. (*did.Cache).Stats).
func (m *Metrics) WatchCache(name string, stats func() (hits, misses uint64)) error {
	labels := prometheus.Labels{"cache": name}
	hits := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cflow_cache_hits_total", Help: "Cache hits.", ConstLabels: labels,
	}, func() float64 { h, _ := stats(); return float64(h) })
	misses := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cflow_cache_misses_total", Help: "Cache misses.", ConstLabels: labels,
	}, func() float64 { _, mi := stats(); return float64(mi) })
	ratio := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cflow_cache_hit_ratio", Help: "Cache hits ÷ lookups since start (0 before the first lookup).", ConstLabels: labels,
	}, func() float64 {
		h, mi := stats()
		if h+mi == 0 {
			return 0
		}
		return float64(h) / float64(h+mi)
	})
	for _, c := range []prometheus.Collector{hits, misses, ratio} {
		if err := m.Registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// verification counts one verification outcome; code "" is OutcomeOK.
func (m *Metrics) verification(kind, code string) {
	if m == nil {
		return
	}
	if code == "" {
		code = OutcomeOK
	}
	m.verifications.WithLabelValues(kind, code).Inc()
}

// instrument counts and times every request under its chi route pattern
// (read after routing, so /v1/issuers/{id} is one series, not one per id).
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww, ok := w.(middleware.WrapResponseWriter)
		if !ok {
			ww = middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		}
		next.ServeHTTP(ww, r)
		route := routeUnmatched
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = p
			}
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		default:
			method = "other" // a client picks the method; keep the label set bounded
		}
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}
