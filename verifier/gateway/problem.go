package gateway

import (
	"net/http"

	"github.com/credentialflow/cflow/internal/problem"
)

// Problem types (RFC 9457 §3.1.1) the proxy answers with, beside the
// API's list (api/problem.go); both render through internal/problem.
const (
	problemBase       = problem.Base
	ProblemBadRequest = problemBase + "bad-request"
	ProblemBadGateway = problemBase + "bad-gateway"
)

// Stable codes of the proxy's own refusals.
const (
	CodeInvalidPath = "invalid_path"    // a path with dot segments that leaves the route, a NUL or a backslash
	CodeUpstream    = "upstream_failed" // the upstream could not be reached or did not answer in time
)

// writeProblem answers the proxy's own errors as RFC 9457 problem details,
// like every other non-OAuth error of the server.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, code, detail string) {
	problem.Write(w, status, problem.New(r, status, typ, code, detail))
}
