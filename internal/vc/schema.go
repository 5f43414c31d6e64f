package vc

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Codes this file and related.go add to the list in errors.go.
const (
	CodeSchemaInvalid    = "schema_invalid"            // the credential does not satisfy a JSON Schema held locally
	CodeSchemaNotChecked = "schema_not_checked"        // warning: a credentialSchema this service does not hold
	CodeRelatedResource  = "related_resource_mismatch" // content does not match a relatedResource digest
)

// TypeJSONSchema is the credentialSchema type of VC JSON Schema §3.1.
const TypeJSONSchema = "JsonSchema"

// MaxSchemaSize bounds one schema document an operator adds.
const MaxSchemaSize = 256 << 10

// Schemas validates credentials against JSON Schemas held locally (VC JSON
// Schema 1.0 §3.1, VCDM 2.0 §4.11). The operator adds schemas by id; nothing
// is ever fetched, so a credentialSchema that was not added cannot be
// checked: Validate reports it for a schema_not_checked warning instead of
// failing the credential (VCDM 2.0 §4.11 leaves schema processing to the
// verifier's judgement). Safe for concurrent use; a nil *Schemas holds none.
type Schemas struct {
	mu       sync.RWMutex
	compiled map[string]*jsonschema.Schema
}

// NewSchemas returns an empty set.
func NewSchemas() *Schemas { return &Schemas{compiled: map[string]*jsonschema.Schema{}} }

// errNoFetch refuses every $ref outside the schema being added.
type noFetch struct{}

func (noFetch) Load(url string) (any, error) {
	return nil, fmt.Errorf("vc: schema %s is not held locally and is never fetched", url)
}

// Add compiles schema (JSON) under id, the URL credentials name in
// credentialSchema.id. $refs may point only into the schema itself or to
// the JSON Schema metaschemas, which the library embeds.
func (s *Schemas) Add(id string, schema []byte) error {
	if len(schema) > MaxSchemaSize {
		return fmt.Errorf("vc: add schema %s: %d bytes exceeds %d", id, len(schema), MaxSchemaSize)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return fmt.Errorf("vc: add schema %s: %w", id, err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noFetch{})
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return fmt.Errorf("vc: add schema %s: %w", id, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		return fmt.Errorf("vc: add schema %s: %w", id, err)
	}
	s.mu.Lock()
	s.compiled[id] = sch
	s.mu.Unlock()
	return nil
}

// Validate checks the credential against every credentialSchema of type
// JsonSchema whose id was added (VC JSON Schema 1.0 §3.1: the schema
// applies to the whole credential). The document validated is the
// credential without its embedded proof, so issuance (before the proof
// exists) and verification judge the same data whatever the securing
// format. It returns the ids of entries it could not check — a JsonSchema
// not added, or another type such as JsonSchemaCredential — and a
// CodeSchemaInvalid error for the first schema the credential fails.
func (s *Schemas) Validate(c *Credential) (unchecked []string, err error) {
	entries, err := objects(c.Doc, "credentialSchema")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	for _, e := range entries {
		id, _ := e["id"].(string)
		var sch *jsonschema.Schema
		if e["type"] == TypeJSONSchema && s != nil {
			s.mu.RLock()
			sch = s.compiled[id]
			s.mu.RUnlock()
		}
		if sch == nil {
			unchecked = append(unchecked, id)
			continue
		}
		if doc == nil {
			doc = make(map[string]any, len(c.Doc))
			for k, v := range c.Doc {
				if k != "proof" {
					doc[k] = v
				}
			}
		}
		if err := sch.Validate(doc); err != nil {
			var ve *jsonschema.ValidationError
			msg := err.Error()
			if errors.As(err, &ve) {
				msg = fmt.Sprint(ve.BasicOutput().Errors)
			}
			return unchecked, &Error{Code: CodeSchemaInvalid, Message: fmt.Sprintf("the credential does not satisfy schema %s: %s", id, msg), Err: err}
		}
	}
	return unchecked, nil
}

// Has reports whether a schema was added under id.
func (s *Schemas) Has(id string) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.compiled[id] != nil
}
