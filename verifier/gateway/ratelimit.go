package gateway

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits bound how often one client may ask for challenges and tokens.
// A zero rate takes the default; rate.Inf turns a limit off.
type RateLimits struct {
	PerIP       rate.Limit // challenge, token, introspection, forward-auth requests per second per client IP (Gateway.IPLimiter)
	IPBurst     int
	PerHolder   rate.Limit // token exchanges per second per holder DID (counted once its signature verified and its nonce was consumed)
	HolderBurst int
}

// Default rate limits.
var DefaultRateLimits = RateLimits{PerIP: 20, IPBurst: 40, PerHolder: 5, HolderBurst: 10}

// maxLimiterKeys bounds the memory the limiters use; past it, idle entries
// are dropped (and if none are idle, the table starts over).
const maxLimiterKeys = 100_000

type keyedLimiter struct {
	r     rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*limEntry
}

type limEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newKeyedLimiter(r rate.Limit, burst int) *keyedLimiter {
	if burst <= 0 {
		burst = int(math.Max(1, float64(r)))
	}
	return &keyedLimiter{r: r, burst: burst, m: map[string]*limEntry{}}
}

// allow takes one token for key; when none is left it answers how long to wait.
func (l *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.r == rate.Inf {
		return true, 0
	}
	l.mu.Lock()
	e, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxLimiterKeys {
			for k, x := range l.m {
				if now.Sub(x.last) > time.Minute {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxLimiterKeys {
				l.m = map[string]*limEntry{}
			}
		}
		e = &limEntry{lim: rate.NewLimiter(l.r, l.burst)}
		l.m[key] = e
	}
	e.last = now
	l.mu.Unlock()
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// IPLimiter bounds requests per client IP, the peer address (forwarded
// headers are not believed, see clientIP). It lets other endpoints share
// the budget the gateway's own endpoints count against (Gateway.IPLimiter),
// or have one at the same rate (NewIPLimiter). A nil *IPLimiter allows
// everything.
type IPLimiter struct {
	l   *keyedLimiter
	now func() time.Time
}

// NewIPLimiter allows perSec requests a second per client IP, in bursts of
// up to burst; perSec rate.Inf turns the limit off.
func NewIPLimiter(perSec rate.Limit, burst int) *IPLimiter {
	return &IPLimiter{l: newKeyedLimiter(perSec, burst), now: time.Now}
}

// IPLimiter returns the per-client-IP limiter of the gateway's challenge,
// token, introspection and forward-auth endpoints (RateLimits.PerIP).
func (g *Gateway) IPLimiter() *IPLimiter { return &IPLimiter{l: g.byIP, now: g.cfg.Now} }

// Allow takes one request from r's client IP; when none is left it
// answers how long to wait.
func (l *IPLimiter) Allow(r *http.Request) (ok bool, wait time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.l.allow(clientIP(r), l.now())
}

// RetryAfter renders a wait as a Retry-After value: whole seconds, at
// least 1 (RFC 9110 §10.2.3).
func RetryAfter(d time.Duration) string { return retryAfter(d) }

// clientIP is the peer address. Forwarded headers are not believed: behind a
// proxy every client shares the proxy's limit unless the proxy limits too.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryAfter renders a wait as whole seconds, at least 1 (RFC 9110 §10.2.3).
func retryAfter(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
