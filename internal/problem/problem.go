// Package problem renders RFC 9457 problem details, the one error format of
// every HTTP answer that is not an OAuth token-endpoint error. The api
// package lists the problem types; the gateway, which api depends on, adds
// the few its proxy answers with. Both write through here.
package problem

import (
	"encoding/json"
	"net/http"
)

// Base prefixes every problem type URI we define (RFC 9457 §3.1.1).
const Base = "https://credentialflow.dev/problems/"

// Details is a problem details object with our stable code extension.
type Details struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is the stable machine-readable code (e.g. signature_invalid).
	Code string `json:"code,omitempty"`
}

// New builds the details of a problem answering r.
func New(r *http.Request, status int, typ, code, detail string) Details {
	return Details{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, Instance: r.URL.Path, Code: code}
}

// Write answers with body (Details, or a type embedding it) as
// application/problem+json; errors are never cached.
func Write(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
