package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func fromIP(method, target, ip string) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = ip + ":1234"
	return req
}

func TestIPLimiter(t *testing.T) {
	t.Run("ok/burst-then-refuse-then-refill", func(t *testing.T) {
		l := NewIPLimiter(1, 2)
		now := time.Now()
		l.now = func() time.Time { return now }
		for i := 0; i < 2; i++ {
			if ok, _ := l.Allow(fromIP("GET", "/", "192.0.2.1")); !ok {
				t.Fatalf("request %d refused within the burst", i+1)
			}
		}
		ok, wait := l.Allow(fromIP("GET", "/", "192.0.2.1"))
		if ok || wait <= 0 || wait > time.Second || RetryAfter(wait) != "1" {
			t.Fatalf("over the burst: ok %v wait %v", ok, wait)
		}
		if ok, _ := l.Allow(fromIP("GET", "/", "192.0.2.2")); !ok {
			t.Fatal("another IP was refused")
		}
		now = now.Add(time.Second)
		if ok, _ := l.Allow(fromIP("GET", "/", "192.0.2.1")); !ok {
			t.Fatal("refused after a second's refill")
		}
	})
	t.Run("ok/forwarded-headers-not-believed", func(t *testing.T) {
		l := NewIPLimiter(1, 1)
		req := fromIP("GET", "/", "192.0.2.3")
		l.Allow(req)
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		req.Header.Set("X-Real-IP", "198.51.100.2")
		if ok, _ := l.Allow(req); ok {
			t.Fatal("X-Forwarded-For / X-Real-IP bought a fresh budget")
		}
	})
	t.Run("ok/off", func(t *testing.T) {
		var nilL *IPLimiter
		inf := NewIPLimiter(rate.Inf, 0)
		for i := 0; i < 100; i++ {
			if ok, _ := nilL.Allow(fromIP("GET", "/", "192.0.2.4")); !ok {
				t.Fatal("nil limiter refused")
			}
			if ok, _ := inf.Allow(fromIP("GET", "/", "192.0.2.4")); !ok {
				t.Fatal("rate.Inf refused")
			}
		}
	})
	t.Run("ok/shares-the-gateway-budget", func(t *testing.T) {
		r := newRig(t, rigOptions{limits: RateLimits{PerIP: 1, IPBurst: 2, PerHolder: 1, HolderBurst: 1}})
		l := r.gw.IPLimiter()
		l.Allow(fromIP("POST", "/v1/credentials/verify", "192.0.2.5"))
		l.Allow(fromIP("POST", "/v1/credentials/verify", "192.0.2.5"))
		if w := serveReq(http.HandlerFunc(r.gw.HandleChallenge), fromIP("POST", "/v1/gateway/challenge", "192.0.2.5")); w.Code != 429 {
			t.Fatalf("challenge after the shared budget was spent: %d", w.Code)
		}
	})
}

// TestAuthorizeRateLimit: forward auth counts against the per-IP limit
// like the other gateway endpoints, before anything is read; a client over
// it gets 429 slow_down with Retry-After, and never identity headers.
func TestAuthorizeRateLimit(t *testing.T) {
	r := newRig(t, rigOptions{limits: RateLimits{PerIP: 1, IPBurst: 2, PerHolder: 1e6, HolderBurst: 1e6}})
	holder := newParty(t)
	tok := r.token(t, holder, "", r.iss.issue(t, holder.did, []string{"EmployeeCredential"}, nil))
	h := http.HandlerFunc(r.gw.HandleAuthorize)
	send := func(ip string, bearer bool) *httptest.ResponseRecorder {
		req := fromIP("GET", AuthorizePath, ip)
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URI", "/api/x")
		if bearer {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		return serveReq(h, req)
	}
	for _, c := range []struct {
		name   string
		ip     string
		bearer bool
		status int
	}{
		{"ok/first", "192.0.2.9", true, 200},
		{"fail/anonymous-counts-too", "192.0.2.9", false, 401},
		{"fail/over-the-limit", "192.0.2.9", true, 429},
		{"fail/over-the-limit-anonymous", "192.0.2.9", false, 429},
		{"ok/another-ip", "192.0.2.10", true, 200},
	} {
		w := send(c.ip, c.bearer)
		if w.Code != c.status {
			t.Fatalf("%s: %d %s", c.name, w.Code, w.Body)
		}
		if c.status != 429 {
			continue
		}
		var e OAuthError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != "slow_down" ||
			w.Header().Get("Retry-After") != "1" || w.Header().Get(HeaderSubject) != "" {
			t.Errorf("%s: %v %s %v", c.name, err, w.Body, w.Header())
		}
	}
	r.clock.Add(time.Second)
	if w := send("192.0.2.9", true); w.Code != 200 {
		t.Fatalf("after a second: %d %s", w.Code, w.Body)
	}
}
