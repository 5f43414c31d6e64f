package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/credentialflow/cflow/issuer"
)

// rotateIssuer serves POST /v1/issuers/{id}/rotate: a did:ethr profile gets
// a new signing key on the ledger; the old one stays valid until
// keepOldUntil, then is revoked (issuer.Service.RotateKey). The body may be
// empty.
func (s *server) rotateIssuer(w http.ResponseWriter, r *http.Request) {
	var req issuer.RotateRequest
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	out, err := s.cfg.Issuer.RotateKey(r.Context(), chi.URLParam(r, "id"), req)
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
