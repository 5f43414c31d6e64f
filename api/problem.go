package api

import (
	"encoding/json"
	"net/http"
)

// Problem type URIs (RFC 9457 §3.1.1), listed in one place.
const (
	typeBase              = "https://credentialflow.dev/problems/"
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
	// DID Resolution errors use the DID Core vocabulary (DID Resolution §"Errors").
	ProblemInvalidDID         = "https://www.w3.org/ns/did#INVALID_DID"
	ProblemDIDNotFound        = "https://www.w3.org/ns/did#NOT_FOUND"
	ProblemMethodNotSupported = "https://www.w3.org/ns/did#METHOD_NOT_SUPPORTED"
)

// Problem is an RFC 9457 problem details object with our extensions.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is the stable machine-readable code (e.g. signature_invalid).
	Code string `json:"code,omitempty"`
}

// writeProblem is the one renderer for API errors.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, typ, code, detail string) {
	writeProblemBody(w, status, Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, Code: code, Instance: r.URL.Path})
}

func writeProblemBody(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
