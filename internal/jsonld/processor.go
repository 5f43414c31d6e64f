package jsonld

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/piprate/json-gold/ld"
)

// Processor expands, checks and canonicalizes JSON-LD documents using only
// allowed contexts. It is safe for concurrent use; make one and share it.
type Processor struct {
	contexts contextStore
	opts     *ld.JsonLdOptions

	// active holds active contexts already processed from a document's
	// @context value (a URL or a list of URLs), keyed by that value's JSON.
	// Context processing dominates expansion of a small credential, and
	// json-gold does not cache it itself.
	activeMu sync.RWMutex
	active   map[string]*ld.Context
}

// maxActiveContexts bounds the active-context cache. Keys are lists of
// allowed URLs only, so the bound is reached only by an unusual mix.
const maxActiveContexts = 256

// Option configures a Processor.
type Option func(*Processor)

// WithExampleContexts also serves the W3C examples contexts
// (credentials/examples v1 and v2) and the citizenship v4rc1 context used by
// the W3C test vectors. Not for production: the examples contexts map every
// term through @vocab, so no term is ever undefined.
func WithExampleContexts() Option {
	return func(p *Processor) { p.contexts.addEmbedded(exampleContexts) }
}

// New returns a Processor serving the embedded standard contexts.
func New(opts ...Option) *Processor {
	p := &Processor{
		contexts: contextStore{docs: map[string]*ld.RemoteDocument{}},
		active:   map[string]*ld.Context{},
	}
	p.contexts.addEmbedded(standardContexts)
	for _, o := range opts {
		o(p)
	}
	o := ld.NewJsonLdOptions("")
	o.ProcessingMode = ld.JsonLd_1_1
	o.DocumentLoader = p
	// json-gold's SafeMode rejects a property that does not expand to an
	// absolute IRI or keyword (JSON-LD 1.1 API §4.3.2 step 13.3 drops it).
	o.SafeMode = true
	o.Algorithm = ld.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	p.opts = o
	return p
}

// Expanded is a document in JSON-LD expanded form that passed CheckSafe.
type Expanded struct {
	nodes  []any
	values int // scalar values, one RDF statement each at least
}

// Nodes returns the expanded form; callers must not modify it.
func (e *Expanded) Nodes() []any { return e.nodes }

// CheckSafe rejects a document whose meaning JSON-LD expansion would change
// silently: a term no context defines, a type that maps to no IRI, a
// relative IRI, or any value expansion drops. Run it before canonicalizing,
// at issuance and at verification (VC Data Integrity §4.2 and "Safe Mode").
func (p *Processor) CheckSafe(doc map[string]any) error {
	_, err := p.Expand(doc)
	return err
}

// Expand runs the checks of CheckSafe and returns the expanded form, which
// CanonicalizeExpanded accepts without expanding again.
func (p *Processor) Expand(doc map[string]any) (*Expanded, error) {
	if doc == nil {
		return nil, newError(CodeInvalid, nil, "document is empty")
	}
	input, err := p.withActiveContext(doc)
	if err != nil {
		return nil, err
	}
	activeCtx := ld.NewContext(nil, p.opts)
	out, err := ld.NewJsonLdApi().Expand(activeCtx, "", input, p.opts, false, nil)
	if err != nil {
		return nil, mapLdError(err)
	}
	nodes := normalizeExpanded(out)

	// Every value the input holds must still be there (JSON-LD 1.1 API
	// §4.3.2 drops nulls, free-floating values and @id-only top nodes).
	in, kept := countInput(doc), countExpanded(nodes)
	if kept < in {
		return nil, newError(CodeDroppedValue, nil, "JSON-LD expansion dropped %d of %d values (null value, value at top level, or node with nothing but an id)", in-kept, in)
	}
	if err := checkExpanded(nodes); err != nil {
		return nil, err
	}
	return &Expanded{nodes: nodes, values: kept}, nil
}

// normalizeExpanded applies the last step of the expansion algorithm
// (JSON-LD 1.1 API §5.1.2 step 8): unwrap a lone @graph, always an array.
func normalizeExpanded(out any) []any {
	switch v := out.(type) {
	case nil:
		return []any{}
	case []any:
		return v
	case map[string]any:
		if len(v) == 0 {
			return []any{}
		}
		if g, ok := v["@graph"]; ok && len(v) == 1 {
			if arr, ok := g.([]any); ok {
				return arr
			}
			return []any{g}
		}
		return []any{v}
	default:
		return []any{v}
	}
}

// withActiveContext returns doc with its @context replaced by the cached
// processed context when the @context is a URL or a list of URLs. The
// caller's map is not modified.
func (p *Processor) withActiveContext(doc map[string]any) (map[string]any, error) {
	raw, ok := doc["@context"]
	if !ok || !urlsOnly(raw) {
		return doc, nil
	}
	keyb, err := json.Marshal(raw)
	if err != nil {
		return nil, newError(CodeInvalid, err, "@context is not JSON")
	}
	key := string(keyb)
	p.activeMu.RLock()
	ctx, hit := p.active[key]
	p.activeMu.RUnlock()
	if !hit {
		ctx, err = ld.NewContext(nil, p.opts).Parse(raw)
		if err != nil {
			return nil, mapLdError(err)
		}
		p.activeMu.Lock()
		if len(p.active) < maxActiveContexts {
			p.active[key] = ctx
		}
		p.activeMu.Unlock()
	}
	shallow := make(map[string]any, len(doc))
	for k, v := range doc {
		shallow[k] = v
	}
	// json-gold's context processing takes an already processed *Context
	// as is; nothing in expansion mutates it.
	shallow["@context"] = ctx
	return shallow, nil
}

func urlsOnly(v any) bool {
	switch c := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range c {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return len(c) > 0
	}
	return false
}

// mapLdError turns a json-gold error into an *Error with a stable code.
func mapLdError(err error) error {
	var ours *Error
	if errors.As(err, &ours) {
		return ours
	}
	var le *ld.JsonLdError
	if errors.As(err, &le) {
		switch le.Code {
		case ld.InvalidProperty:
			return newError(CodeUndefinedTerm, err, "a property is not defined by the document's contexts")
		case ld.InvalidTypeValue, ld.InvalidTypedValue:
			return newError(CodeUndefinedType, err, "a type value is not valid")
		}
	}
	return newError(CodeInvalid, err, "JSON-LD processing failed")
}

// isAbsoluteIRI reports whether s starts with an RFC 3987 scheme and a colon.
func isAbsoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// checkExpanded walks the expanded form: every node identifier must be an
// absolute IRI or a blank node, every type and datatype an absolute IRI,
// every property an absolute IRI.
func checkExpanded(v any) error {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := checkExpanded(e); err != nil {
				return err
			}
		}
	case map[string]any:
		if val, isValue := t["@value"]; isValue {
			_ = val // a JSON literal's content is data, not JSON-LD
			if dt, ok := t["@type"].(string); ok && dt != "@json" && (!isAbsoluteIRI(dt) || !rdfValidIRI(dt)) {
				return newError(CodeUndefinedType, nil, "datatype %q is not mapped to a valid absolute IRI", dt)
			}
			return nil
		}
		for k, e := range t {
			switch k {
			case "@id":
				id, _ := e.(string)
				if !isAbsoluteIRI(id) {
					return newError(CodeRelativeIRI, nil, "identifier %q is not an absolute IRI", id)
				}
				if !rdfValidIRI(id) {
					return newError(CodeInvalidIRI, nil, "identifier %q is not a valid IRI", id)
				}
			case "@type":
				types, _ := e.([]any)
				for _, ty := range types {
					s, _ := ty.(string)
					if !isAbsoluteIRI(s) || strings.HasPrefix(s, "_:") {
						return newError(CodeUndefinedType, nil, "type %q is not defined by the document's contexts", s)
					}
					if !rdfValidIRI(s) {
						return newError(CodeInvalidIRI, nil, "type IRI %q is not a valid IRI", s)
					}
				}
			default:
				if !strings.HasPrefix(k, "@") && (!isAbsoluteIRI(k) || strings.HasPrefix(k, "_:")) {
					return newError(CodeUndefinedTerm, nil, "property %q is not defined by the document's contexts", k)
				}
				if !rdfValidIRI(k) {
					return newError(CodeInvalidIRI, nil, "property IRI %q is not a valid IRI", k)
				}
				if err := checkExpanded(e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// countInput counts the scalar values (null included) of a compacted input
// outside @context. Only the @value of an explicit value object counts.
func countInput(v any) int {
	switch t := v.(type) {
	case []any:
		n := 0
		for _, e := range t {
			n += countInput(e)
		}
		return n
	case map[string]any:
		if val, ok := t["@value"]; ok {
			return countInput(val)
		}
		n := 0
		for k, e := range t {
			if k == "@context" {
				continue
			}
			n += countInput(e)
		}
		return n
	case *ld.Context:
		return 0
	default:
		return 1
	}
}

// countExpanded counts scalar values of the expanded form the same way;
// datatype, language and direction of value objects are added by contexts
// and do not count.
func countExpanded(v any) int {
	switch t := v.(type) {
	case []any:
		n := 0
		for _, e := range t {
			n += countExpanded(e)
		}
		return n
	case map[string]any:
		if val, ok := t["@value"]; ok {
			return countInput(val)
		}
		n := 0
		for _, e := range t {
			n += countExpanded(e)
		}
		return n
	default:
		return 1
	}
}

// CanonicalizeRDFC returns the RDFC-1.0 canonical N-Quads of doc after
// CheckSafe (RDF Dataset Canonicalization §4; VC Data Integrity §4.2).
func (p *Processor) CanonicalizeRDFC(doc map[string]any) (string, error) {
	exp, err := p.Expand(doc)
	if err != nil {
		return "", err
	}
	return p.CanonicalizeExpanded(exp)
}

// CanonicalizeExpanded returns the RDFC-1.0 canonical N-Quads of an already
// checked expanded document. A dataset over the canonicalization limits
// (MaxEquivalentBlankNodes and the others) is refused with CodeTooComplex.
func (p *Processor) CanonicalizeExpanded(exp *Expanded) (string, error) {
	// json-gold's RDF conversion compares every value of a property with
	// every other one, so the statement count is bounded before it runs.
	if exp.values > MaxQuads {
		return "", fmt.Errorf("jsonld: canonicalize: %w", newError(CodeTooComplex, nil, "the document has more than %d RDF statements", MaxQuads))
	}
	api := ld.NewJsonLdApi()
	ds, err := api.ToRDF(exp.nodes, p.opts)
	if err != nil {
		return "", fmt.Errorf("jsonld: to rdf: %w", mapLdError(err))
	}
	// json-gold cannot be interrupted, so its worst case is refused up
	// front (RDFC-1.0 §4.4, poison graphs).
	if err := checkComplexity(ds); err != nil {
		return "", fmt.Errorf("jsonld: canonicalize: %w", err)
	}
	// JsonLdApi.Normalize joins the sorted N-Quads with string += (quadratic:
	// 8000 statements took 6 s), so the canonical quads are serialized here,
	// one by one, in the algorithm's sorted order (RDFC-1.0 §4.4.3 step 7).
	na := ld.NewNormalisationAlgorithm(p.opts.Algorithm)
	na.Normalize(ds)
	var b strings.Builder
	var ser ld.NQuadRDFSerializer
	one := &ld.RDFDataset{Graphs: map[string][]*ld.Quad{}}
	for _, q := range na.Quads() {
		name := "@default"
		if q.Graph != nil {
			name = q.Graph.GetValue()
		}
		clear(one.Graphs)
		one.Graphs[name] = []*ld.Quad{q}
		if err := ser.SerializeTo(&b, one); err != nil {
			return "", fmt.Errorf("jsonld: canonicalize: %w", mapLdError(err))
		}
	}
	return b.String(), nil
}

// iriCache remembers rdfValidIRI answers process-wide: a verifier sees the
// same context IRIs over and over, and the check runs a large regexp.
var (
	iriCache     sync.Map // string -> bool
	iriCacheSize atomic.Int64
)

const maxIRICache = 1 << 14

// rdfValidIRI reports whether json-gold's RDF conversion keeps the IRI: it
// silently drops every statement with an http(s) IRI its URL check refuses
// (e.g. one containing a space), which would leave the value out of the
// signed canonical form.
func rdfValidIRI(s string) bool {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return true
	}
	if v, ok := iriCache.Load(s); ok {
		return v.(bool)
	}
	ok := ld.IsURL(s)
	if iriCacheSize.Load() < maxIRICache {
		if _, loaded := iriCache.LoadOrStore(s, ok); !loaded {
			iriCacheSize.Add(1)
		}
	}
	return ok
}
