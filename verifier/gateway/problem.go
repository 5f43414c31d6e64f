package gateway

import (
	"encoding/json"
	"net/http"
)

// Problem types (RFC 9457 §3.1.1) the proxy answers with; they share the
// base of the API's list (api/problem.go), whose renderer the gateway
// cannot import.
const (
	problemBase       = "https://credentialflow.dev/problems/"
	ProblemBadRequest = problemBase + "bad-request"
	ProblemBadGateway = problemBase + "bad-gateway"
)

// Stable codes of the proxy's own refusals.
const (
	CodeInvalidPath = "invalid_path"    // a path with dot segments that leaves the route, a NUL or a backslash
	CodeUpstream    = "upstream_failed" // the upstream could not be reached or did not answer in time
)

type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code,omitempty"`
}

// writeProblem answers the proxy's own errors as RFC 9457 problem details,
// like every other non-OAuth error of the server.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, Instance: r.URL.Path, Code: code})
}
