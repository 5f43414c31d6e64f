package api

import (
	"encoding/json"
	"net/http"

	"github.com/credentialflow/cflow/internal/problem"
)

// Problem type URIs (RFC 9457 §3.1.1), listed in one place.
const (
	typeBase              = problem.Base
	ProblemBadRequest     = typeBase + "bad-request"
	ProblemMalformedJSON  = typeBase + "malformed-json"
	ProblemDuplicateKey   = typeBase + "duplicate-json-member"
	ProblemTooLarge       = typeBase + "body-too-large"
	ProblemUnsupportedMT  = typeBase + "unsupported-media-type"
	ProblemNotFound       = typeBase + "not-found"
	ProblemMethod         = typeBase + "method-not-allowed"
	ProblemInvalidCred    = typeBase + "invalid-credential"
	ProblemVerification   = typeBase + "verification-failed"
	ProblemIssuerNotFound = typeBase + "issuer-not-found"
	ProblemInternal       = typeBase + "internal"
	ProblemUnauthorized   = typeBase + "unauthorized"
	ProblemRateLimited    = typeBase + "rate-limited"
	// DID Resolution errors use the DID Core vocabulary (DID Resolution §"Errors").
	ProblemInvalidDID         = "https://www.w3.org/ns/did#INVALID_DID"
	ProblemDIDNotFound        = "https://www.w3.org/ns/did#NOT_FOUND"
	ProblemMethodNotSupported = "https://www.w3.org/ns/did#METHOD_NOT_SUPPORTED"
)

// CodeRateLimited is the code of a 429 from the per-IP limit (ratelimit.go).
const CodeRateLimited = "rate_limited"

// Problem is an RFC 9457 problem details object with our code extension.
type Problem = problem.Details

// writeProblem is the API's way to answer an error.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, code, detail string) {
	problem.Write(w, status, problem.New(r, status, typ, code, detail))
}

// writeProblemBody answers with a problem that carries more members.
func writeProblemBody(w http.ResponseWriter, status int, body any) { problem.Write(w, status, body) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
