package statuscheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Fetcher gets the bytes of a status list credential.
type Fetcher interface {
	Fetch(ctx context.Context, listURL string) ([]byte, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, listURL string) ([]byte, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, listURL string) ([]byte, error) {
	return f(ctx, listURL)
}

// Fetch errors.
var (
	ErrTooLarge       = errors.New("statuscheck: response over the size limit")
	ErrPrivateAddress = errors.New("statuscheck: private or loopback address refused")
	ErrRedirect       = errors.New("statuscheck: redirect to another host refused")
)

// HTTPOptions configure an HTTPFetcher.
type HTTPOptions struct {
	Timeout      time.Duration // whole request, default DefaultTimeout
	MaxBytes     int64         // body limit, default DefaultMaxBytes
	AllowPrivate bool          // allow loopback, private, link-local addresses
	// Transport is for tests that serve over a custom listener; the
	// address guard is applied by the dialer, so a Transport given here
	// must bring its own.
	Transport http.RoundTripper
}

// HTTPFetcher fetches over HTTP(S). Redirects are followed only to the
// same scheme and host (at most 3), and, unless AllowPrivate, every
// connection is refused whose resolved address is loopback, private
// (RFC 1918, RFC 4193), link-local, CGNAT, unspecified or multicast —
// checked at connect time, after DNS, so rebinding a name does not help.
type HTTPFetcher struct {
	client   *http.Client
	maxBytes int64
}

// NewHTTPFetcher returns an HTTPFetcher.
func NewHTTPFetcher(o HTTPOptions) *HTTPFetcher {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	rt := o.Transport
	if rt == nil {
		d := &net.Dialer{Timeout: o.Timeout}
		if !o.AllowPrivate {
			d.Control = refusePrivate
		}
		rt = &http.Transport{
			Proxy:                 nil, // a proxy would hide the address we check
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   o.Timeout,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	c := &http.Client{
		Transport: rt,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return fmt.Errorf("%w: more than 3 redirects", ErrRedirect)
			}
			first := via[0].URL
			if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
				return fmt.Errorf("%w: %s → %s", ErrRedirect, first.Host, req.URL.Redacted())
			}
			return nil
		},
	}
	return &HTTPFetcher{client: c, maxBytes: o.MaxBytes}
}

// Fetch GETs listURL and returns the body of a 200 answer.
func (f *HTTPFetcher) Fetch(ctx context.Context, listURL string) ([]byte, error) {
	u, err := url.Parse(listURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("statuscheck: fetch %q: not an http(s) URL without credentials", listURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, listURL, nil)
	if err != nil {
		return nil, fmt.Errorf("statuscheck: fetch %s: %w", listURL, err)
	}
	req.Header.Set("Accept", "application/vc+jwt, application/vc-ld+jwt;q=0.9, application/jwt;q=0.8, application/vc+ld+json;q=0.7, application/vc;q=0.7, application/json;q=0.5")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("statuscheck: fetch %s: %w", listURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("statuscheck: fetch %s: %s", listURL, resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("%w: %s announces %d bytes (limit %d)", ErrTooLarge, listURL, resp.ContentLength, f.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("statuscheck: fetch %s: %w", listURL, err)
	}
	if int64(len(body)) > f.maxBytes {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, listURL, f.maxBytes)
	}
	return body, nil
}

// cgnat is RFC 6598 shared address space; not covered by netip.IsPrivate.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// refusePrivate is a net.Dialer Control hook: it sees the resolved
// address of every connection attempt.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if IsPrivate(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// IsPrivate reports whether a is an address a status fetch must not reach
// by default.
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || cgnat.Contains(a) ||
		(a.Is4() && a.As4()[0] == 0) // 0.0.0.0/8 "this network"
}
