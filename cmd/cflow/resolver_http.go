package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
)

// resolverURL is the root --resolver flag: a DID Resolution endpoint (a
// cflow server's /1.0/identifiers) the CLI asks for DIDs it cannot resolve
// offline. did:ethr needs the ledger, which the server holds.
var resolverURL string

const resolverEnv = "CFLOW_RESOLVER"

// remoteMethods adds did:ethr through the --resolver endpoint, when there
// is one, to the offline methods.
func remoteMethods(m map[string]did.Resolver) map[string]did.Resolver {
	u := resolverURL
	if u == "" {
		u = os.Getenv(resolverEnv)
	}
	if u != "" {
		m[didethr.Method] = httpResolver{base: trimURL(u), client: &http.Client{Timeout: 15 * time.Second}}
	}
	return m
}

// httpResolver resolves through DID Resolution's HTTP(S) binding
// (W3C DID Resolution §"DID Resolution HTTP(S) Binding"):
// GET <base>/1.0/identifiers/<did>.
type httpResolver struct {
	base   string
	client *http.Client
}

var _ did.Resolver = httpResolver{}

// maxResolution bounds a resolution result read from the network.
const maxResolution = 1 << 20

func (h httpResolver) Resolve(ctx context.Context, d string) (*did.Resolution, error) {
	if len(d) > did.MaxLength || strings.ContainsAny(d, " #\r\n") {
		return nil, fmt.Errorf("%w: %.64q", did.ErrInvalidDID, d)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/1.0/identifiers/"+d, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", did.ErrInvalidDID, err)
	}
	req.Header.Set("Accept", `application/ld+json;profile="https://w3id.org/did-resolution"`)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: resolver %s: %v", did.ErrUnavailable, h.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResolution+1))
	if err != nil || len(raw) > maxResolution {
		return nil, fmt.Errorf("%w: resolver %s: unreadable answer", did.ErrUnavailable, h.base)
	}
	var res did.Resolution
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("%w: resolver %s: %v", did.ErrUnavailable, h.base, err)
	}
	if resp.StatusCode == http.StatusOK && res.Document != nil {
		return &res, nil
	}
	// DID Resolution §"Errors": the metadata's error names the sentinel.
	msg := fmt.Sprintf("resolver %s: %s %s", h.base, resp.Status, res.ResolutionMetadata.ErrorMessage)
	switch res.ResolutionMetadata.Error {
	case "INVALID_DID", "invalidDid":
		return nil, fmt.Errorf("%w: %s", did.ErrInvalidDID, msg)
	case "NOT_FOUND", "notFound":
		return nil, fmt.Errorf("%w: %s", did.ErrNotFound, msg)
	case "METHOD_NOT_SUPPORTED", "methodNotSupported":
		return nil, fmt.Errorf("%w: %s", did.ErrMethodNotSupported, msg)
	case "DEACTIVATED", "deactivated":
		return nil, fmt.Errorf("%w: %s", did.ErrDeactivated, msg)
	}
	return nil, fmt.Errorf("%w: %s", did.ErrUnavailable, msg)
}
