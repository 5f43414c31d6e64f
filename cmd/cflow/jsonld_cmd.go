package main

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
)

// jsonldConfig is what the operator adds to the JSON-LD processor: contexts
// beyond the embedded set, each pinned by its SHA-256 (issue 5: "unless the
// operator adds it by config (file + expected digest)"). Nothing is fetched.
type jsonldConfig struct {
	Contexts []string // URL=FILE#sha256hex
	Schemas  []string // ID=FILE: JSON Schemas for credentialSchema
}

func addJSONLDFlags(f *pflag.FlagSet, c *jsonldConfig) {
	f.StringArrayVar(&c.Contexts, "jsonld-context", nil,
		"allow one more JSON-LD context: URL=FILE#sha256hex (repeatable); the file's SHA-256 must match")
	f.StringArrayVar(&c.Schemas, "credential-schema", nil,
		"register a JSON Schema for credentialSchema: ID=FILE (repeatable); schemas are never fetched")
}

// schemas compiles the registered JSON Schemas. A credential naming one is
// validated against it at issuance and verification; one naming another
// schema only gets a schema_not_checked warning.
func (c jsonldConfig) schemas() (*vc.Schemas, error) {
	s := vc.NewSchemas()
	for _, spec := range c.Schemas {
		i := strings.LastIndexByte(spec, '=')
		if i <= 0 || i == len(spec)-1 {
			return nil, usageErr("--credential-schema %q: want ID=FILE", spec)
		}
		id, file := spec[:i], spec[i+1:]
		doc, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErr("--credential-schema %s: %v", id, err)
		}
		if err := s.Add(id, doc); err != nil {
			return nil, usageErr("--credential-schema: %v", err)
		}
	}
	return s, nil
}

// processor returns a JSON-LD processor over the embedded contexts plus the
// configured ones. A missing file, a wrong digest or a URL already served
// is a start-up error.
func (c jsonldConfig) processor() (*jsonld.Processor, error) {
	p := jsonld.New()
	for _, spec := range c.Contexts {
		url, file, digest, err := parseContextSpec(spec)
		if err != nil {
			return nil, err
		}
		doc, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErr("--jsonld-context %s: %v", url, err)
		}
		if err := p.AddContext(url, doc, digest); err != nil {
			return nil, usageErr("--jsonld-context: %v", err)
		}
	}
	return p, nil
}

// parseContextSpec splits URL=FILE#sha256hex. The digest follows the last
// '#', the file the last '=' before it (a context URL may carry a query).
func parseContextSpec(spec string) (url, file, digest string, err error) {
	i := strings.LastIndexByte(spec, '#')
	if i < 0 {
		return "", "", "", usageErr("--jsonld-context %q: want URL=FILE#sha256hex", spec)
	}
	head, digest := spec[:i], spec[i+1:]
	j := strings.LastIndexByte(head, '=')
	if j <= 0 || j == len(head)-1 || len(digest) != 64 {
		return "", "", "", usageErr("--jsonld-context %q: want URL=FILE#sha256hex (64 hex characters)", spec)
	}
	return head[:j], head[j+1:], digest, nil
}
