package issuer

import (
	"fmt"

	"github.com/credentialflow/cflow/internal/vc"
)

// Warning is something the issuer noticed but did not refuse.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// UseSchemas sets the JSON Schemas credentials are validated against before
// they are signed (VCDM 2.0 §4.11, VC JSON Schema 1.0 §3.1). Share the
// verifier's set so both judge a credential alike. Schemas are never
// fetched: a credentialSchema that is not in the set is issued with a
// schema_not_checked warning.
func (s *Service) UseSchemas(sc *vc.Schemas) { s.schemas.Store(sc) }

// checkSchemas refuses a credential that fails a registered schema
// (schema_invalid, which the API answers 422) and warns about the others.
func (s *Service) checkSchemas(c *vc.Credential) ([]Warning, error) {
	if _, has := c.Doc["credentialSchema"]; !has {
		return nil, nil
	}
	unchecked, err := s.schemas.Load().Validate(c)
	if err != nil {
		return nil, err
	}
	var out []Warning
	for _, id := range unchecked {
		out = append(out, Warning{Code: vc.CodeSchemaNotChecked,
			Message: fmt.Sprintf("credential schema %s is not registered on this issuer (schemas are never fetched); the credential was not checked against it", id)})
	}
	return out, nil
}
