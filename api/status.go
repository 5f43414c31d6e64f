package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/credentialflow/cflow/issuer"
)

// Problem types of the status endpoints. TODO(lead): move into the list in
// problem.go (kept here only because problem.go is outside this change).
const (
	ProblemCredentialNotFound = typeBase + "credential-not-found"
	ProblemStatusConflict     = typeBase + "status-conflict"
	ProblemStatusListNotFound = typeBase + "status-list-not-found"
)

// getStatusList serves the latest signed version of a status list
// (Bitstring Status List §2.2) as application/vc+jwt, with a strong ETag
// and max-age from the configured TTL; If-None-Match answers 304.
func (s *server) getStatusList(w http.ResponseWriter, r *http.Request) {
	pub, err := s.cfg.Issuer.StatusList(chi.URLParam(r, "listId"))
	if err != nil {
		if errors.Is(err, issuer.ErrStatusListNotFound) {
			writeProblem(w, r, http.StatusNotFound, ProblemStatusListNotFound, "status_list_not_found", "no such status list")
			return
		}
		s.cfg.Logger.Error("status list", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "", "internal error")
		return
	}
	etag := pub.ETag()
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.Issuer.StatusTTL().Seconds())))
	h.Set("Last-Modified", pub.PublishedAt.UTC().Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/vc+jwt")
	h.Set("Content-Length", strconv.Itoa(len(pub.Credential)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(pub.Credential))
}

// etagMatches implements the weak comparison of If-None-Match (RFC 9110
// §13.1.2).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// statusUpdate is the body of POST /v1/credentials/status: the VC-API
// "update status" shape, the credential id and the entries to set. A
// single object is accepted in place of the array.
type statusUpdate struct {
	CredentialID     string          `json:"credentialId"`
	CredentialStatus json.RawMessage `json:"credentialStatus"`
}

type statusUpdateEntry struct {
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	Value         *bool  `json:"value"`
}

func (s *server) updateStatus(w http.ResponseWriter, r *http.Request) {
	var req statusUpdate
	if !decode(w, r, &req) {
		return
	}
	changes, err := parseStatusUpdate(req)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "invalid_request", err.Error())
		return
	}
	out, err := s.cfg.Issuer.SetStatus(r.Context(), req.CredentialID, changes...)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, out)
	case errors.Is(err, issuer.ErrCredentialNotFound):
		writeProblem(w, r, http.StatusNotFound, ProblemCredentialNotFound, "credential_not_found", err.Error())
	case errors.Is(err, issuer.ErrRevocationPermanent):
		writeProblem(w, r, http.StatusConflict, ProblemStatusConflict, "revocation_permanent", err.Error())
	case errors.Is(err, issuer.ErrNoStatusPurpose):
		writeProblem(w, r, http.StatusConflict, ProblemStatusConflict, "status_purpose_absent", err.Error())
	default:
		s.cfg.Logger.Error("status update", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "", "internal error")
	}
}

func parseStatusUpdate(req statusUpdate) ([]issuer.StatusChange, error) {
	if req.CredentialID == "" {
		return nil, errors.New("credentialId is required")
	}
	raw := []byte(strings.TrimSpace(string(req.CredentialStatus)))
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("credentialStatus is required")
	}
	var entries []statusUpdateEntry
	if raw[0] == '{' {
		var e statusUpdateEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("credentialStatus: %w", err)
		}
		entries = []statusUpdateEntry{e}
	} else if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("credentialStatus: want an object or an array of objects: %w", err)
	}
	if len(entries) == 0 || len(entries) > 2 {
		return nil, errors.New("credentialStatus: one or two entries")
	}
	var out []issuer.StatusChange
	for i, e := range entries {
		switch e.Type {
		case "", issuer.TypeStatusEntry, issuer.TypeStatusListCredential:
		default:
			return nil, fmt.Errorf("credentialStatus[%d].type %q (want %s)", i, e.Type, issuer.TypeStatusEntry)
		}
		if e.StatusPurpose != issuer.PurposeRevocation && e.StatusPurpose != issuer.PurposeSuspension {
			return nil, fmt.Errorf("credentialStatus[%d].statusPurpose %q (want revocation or suspension)", i, e.StatusPurpose)
		}
		if e.Value == nil {
			return nil, fmt.Errorf("credentialStatus[%d].value (true or false) is required", i)
		}
		out = append(out, issuer.StatusChange{Purpose: e.StatusPurpose, Value: *e.Value})
	}
	return out, nil
}
