package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/audit"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/verifier"
)

func (s *server) createIssuer(w http.ResponseWriter, r *http.Request) {
	var req issuer.CreateProfileRequest
	if !decodeKnown(w, r, &req) {
		return
	}
	p, err := s.cfg.Issuer.CreateProfile(r.Context(), req)
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/issuers/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
}

func (s *server) listIssuers(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Issuer.Profiles()
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	if ps == nil {
		ps = []*issuer.Profile{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"issuers": ps})
}

func (s *server) getIssuer(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Issuer.Profile(chi.URLParam(r, "id"))
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// issue serves the VC-API "Issue Credential" endpoint.
func (s *server) issue(w http.ResponseWriter, r *http.Request) {
	var req issuer.Request
	if !decode(w, r, &req) {
		return
	}
	out, err := s.cfg.Issuer.Issue(r.Context(), req)
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	body := map[string]any{"verifiableCredential": out.Credential}
	if len(out.Warnings) > 0 { // e.g. schema_not_checked
		body["warnings"] = out.Warnings
	}
	writeJSON(w, http.StatusCreated, body)
}

func (s *server) issuerError(w http.ResponseWriter, r *http.Request, err error) {
	var vErr *vc.Error
	switch {
	case errors.Is(err, issuer.ErrProfileNotFound):
		writeProblem(w, r, http.StatusNotFound, ProblemIssuerNotFound, "issuer_not_found", err.Error())
	case errors.Is(err, issuer.ErrInvalidRequest):
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "invalid_request", err.Error())
	case errors.As(err, &vErr):
		writeProblem(w, r, http.StatusBadRequest, ProblemInvalidCred, vErr.Code, vErr.Message)
	default:
		s.cfg.Logger.Error("issuer", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "", "internal error")
	}
}

// verifyRequest is the VC-API verify body: a credential or presentation
// (a JWT string or an object) and options.
type verifyRequest struct {
	VerifiableCredential   json.RawMessage `json:"verifiableCredential"`
	VerifiablePresentation json.RawMessage `json:"verifiablePresentation"`
	Options                struct {
		Challenge string `json:"challenge"`
		Domain    string `json:"domain"`
	} `json:"options"`
}

func (s *server) verifyCredential(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if !decode(w, r, &req) {
		return
	}
	in, ok := securedInput(w, r, req.VerifiableCredential, "verifiableCredential")
	if !ok {
		return
	}
	res := s.cfg.Verifier.VerifyCredential(r.Context(), in)
	s.cfg.Events.Verified(r.Context(), audit.TypeVerifyCred, res)
	s.writeResult(w, res)
}

func (s *server) verifyPresentation(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if !decode(w, r, &req) {
		return
	}
	in, ok := securedInput(w, r, req.VerifiablePresentation, "verifiablePresentation")
	if !ok {
		return
	}
	res := s.cfg.Verifier.VerifyPresentation(r.Context(), in, verifier.Options{Challenge: req.Options.Challenge, Domain: req.Options.Domain})
	s.cfg.Events.Verified(r.Context(), audit.TypeVerifyPres, res)
	s.writeResult(w, res)
}

// securedInput accepts a JWT string, an object with an embedded proof, or
// a VCDM 2.0 EnvelopedVerifiableCredential/Presentation whose id is a
// data: URL carrying the JWT (VC-JOSE-COSE §3.3).
func securedInput(w http.ResponseWriter, r *http.Request, raw json.RawMessage, name string) (any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "invalid_request", name+" is required")
		return nil, false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		writeProblem(w, r, http.StatusBadRequest, ProblemMalformedJSON, "malformed", err.Error())
		return nil, false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case map[string]any:
		if id, _ := t["id"].(string); strings.HasPrefix(id, "data:application/vc+jwt,") || strings.HasPrefix(id, "data:application/vp+jwt,") {
			_, jwt, _ := strings.Cut(id, ",")
			return jwt, true
		}
		return t, true
	}
	writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "invalid_request", name+" must be a JWT string or an object")
	return nil, false
}

// writeResult answers 200 with the result, or 422 problem+json carrying the
// same members when verification failed (W3C suites count only a 4xx as a
// rejection).
func (s *server) writeResult(w http.ResponseWriter, res *verifier.Result) {
	if res.Verified {
		writeJSON(w, http.StatusOK, res)
		return
	}
	writeProblemBody(w, http.StatusUnprocessableEntity, struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
		*verifier.Result
	}{ProblemVerification, "Verification failed", http.StatusUnprocessableEntity, res.Errors[0].Message, res.Errors[0].Code, res})
}

// resolve serves GET /1.0/identifiers/{did} (DID Resolution HTTP binding).
func (s *server) resolve(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "*")
	if r.URL.RawQuery != "" {
		raw += "?" + r.URL.RawQuery
	}
	res, err := s.cfg.Resolver.Resolve(r.Context(), raw)
	if err != nil {
		status, typ := http.StatusInternalServerError, ProblemInternal
		switch {
		case errors.Is(err, did.ErrInvalidDID):
			status, typ = http.StatusBadRequest, ProblemInvalidDID
		case errors.Is(err, did.ErrNotFound):
			status, typ = http.StatusNotFound, ProblemDIDNotFound
		case errors.Is(err, did.ErrMethodNotSupported):
			status, typ = http.StatusNotImplemented, ProblemMethodNotSupported
		case errors.Is(err, did.ErrUnavailable):
			status = http.StatusServiceUnavailable
		}
		code := did.ErrorCode(err)
		writeProblemBody(w, status, struct {
			Problem
			Context            string                 `json:"@context"`
			Document           *did.Document          `json:"didDocument"`
			DocumentMetadata   map[string]any         `json:"didDocumentMetadata"`
			ResolutionMetadata did.ResolutionMetadata `json:"didResolutionMetadata"`
		}{
			Problem:            Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: err.Error(), Code: code},
			Context:            did.ContextResolution,
			DocumentMetadata:   map[string]any{},
			ResolutionMetadata: did.ResolutionMetadata{Error: code, ErrorMessage: err.Error()},
		})
		return
	}
	w.Header().Set("Content-Type", `application/ld+json;profile="https://w3id.org/did-resolution"`)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(res)
}
