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
	CodeSchemaInvalid     = "credential_schema_invalid"     // the credential does not satisfy its JSON Schema
	CodeSchemaUnavailable = "credential_schema_unavailable" // a JsonSchema the verifier does not hold locally
	CodeRelatedResource   = "related_resource_mismatch"     // content does not match a relatedResource digest
)

// TypeJSONSchema is the credentialSchema type of VC JSON Schema §3.1.
const TypeJSONSchema = "JsonSchema"

// MaxSchemaSize bounds one schema document an operator adds.
const MaxSchemaSize = 256 << 10

// Schemas validates credentials against JSON Schemas held locally (VC JSON
// Schema 1.0 §3.1, VCDM 2.0 §4.11). Schemas are added by id; nothing is ever
// fetched, so a credential naming a JsonSchema that was not added is
// refused with CodeSchemaUnavailable. Safe for concurrent use.
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

// Validate checks the credential document against every credentialSchema
// of type JsonSchema (VC JSON Schema §3.1: the schema applies to the whole
// credential). Entries of other types are left to their own processors.
func (s *Schemas) Validate(c *Credential) error {
	entries, err := objects(c.Doc, "credentialSchema")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e["type"] != TypeJSONSchema {
			continue
		}
		id, _ := e["id"].(string)
		s.mu.RLock()
		sch := s.compiled[id]
		s.mu.RUnlock()
		if sch == nil {
			return Errorf(CodeSchemaUnavailable, "credential schema %s is not held by this service (schemas are never fetched)", id)
		}
		if err := sch.Validate(c.Doc); err != nil {
			var ve *jsonschema.ValidationError
			msg := err.Error()
			if errors.As(err, &ve) {
				msg = fmt.Sprint(ve.BasicOutput().Errors)
			}
			return &Error{Code: CodeSchemaInvalid, Message: fmt.Sprintf("the credential does not satisfy schema %s: %s", id, msg), Err: err}
		}
	}
	return nil
}
