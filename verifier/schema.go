package verifier

import (
	"fmt"

	"github.com/credentialflow/cflow/internal/vc"
)

// CheckSchema is the credentialSchema check (VCDM 2.0 §4.11, VC JSON
// Schema 1.0 §3.1).
const CheckSchema = "credential_schema"

// schema validates c against the JSON Schemas the operator registered
// (Config.Schemas). A credentialSchema this verifier does not hold is never
// fetched: it is reported as a schema_not_checked warning, not a failure,
// so a relying party that depends on the schema must register it.
func (v *Verifier) schema(r *Result, c *vc.Credential) error {
	if _, has := c.Doc["credentialSchema"]; !has {
		return nil
	}
	unchecked, err := v.cfg.Schemas.Validate(c)
	if err != nil {
		return err
	}
	for _, id := range unchecked {
		r.warn(vc.CodeSchemaNotChecked, fmt.Sprintf("credential schema %s is not registered here (schemas are never fetched); the credential was not checked against it", id))
	}
	if len(unchecked) == 0 {
		r.pass(CheckSchema)
	}
	return nil
}
