package jsonld

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

//go:embed contexts/*.jsonld
var embedded embed.FS

// standardContexts are the normative W3C contexts a VC verifier must treat as
// already retrieved (VCDM 2.0 §4.3 "Contexts"; VC Data Integrity §2.1).
// File provenance and digests: contexts/SOURCES.md.
var standardContexts = map[string]string{
	"https://www.w3.org/ns/credentials/v2":             "credentials-v2.jsonld",
	"https://www.w3.org/2018/credentials/v1":           "credentials-v1.jsonld",
	"https://w3id.org/security/data-integrity/v2":      "data-integrity-v2.jsonld",
	"https://w3id.org/security/data-integrity/v1":      "data-integrity-v1.jsonld",
	"https://w3id.org/security/multikey/v1":            "multikey-v1.jsonld",
	"https://w3id.org/security/jwk/v1":                 "jwk-v1.jsonld",
	"https://www.w3.org/ns/cid/v1":                     "cid-v1.jsonld",
	"https://www.w3.org/ns/credentials/status/v1":      "vc-bitstring-status-list-v1.jsonld",
	"https://www.w3.org/ns/did/v1":                     "did-v1.jsonld",
	"https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-2020-v1.jsonld",
	// Legacy Linked Data proof suites (Ed25519Signature2018,
	// JsonWebSignature2020): published W3C CCG documents, verification only.
	"https://w3id.org/security/v1":                     "security-v1.jsonld",
	"https://w3id.org/security/v2":                     "security-v2.jsonld",
	"https://w3id.org/security/suites/ed25519-2018/v1": "ed25519-2018-v1.jsonld",
	"https://w3id.org/security/suites/jws-2020/v1":     "jws-2020-v1.jsonld",
}

// exampleContexts are the contexts the W3C specifications and test vectors
// use for examples. The examples contexts declare a catch-all @vocab, which
// defines every term, so they are off unless WithExampleContexts is given.
var exampleContexts = map[string]string{
	"https://www.w3.org/ns/credentials/examples/v2":   "credentials-examples-v2.jsonld",
	"https://www.w3.org/2018/credentials/examples/v1": "credentials-examples-v1.jsonld",
	"https://w3id.org/citizenship/v4rc1":              "citizenship-v4rc1.jsonld",
}

// MaxContextSize bounds a context an operator adds; the largest embedded one
// (credentials v1) is under 10 KiB.
const MaxContextSize = 1 << 20

// contextStore holds every allowed context, each parsed once.
type contextStore struct {
	mu   sync.RWMutex
	docs map[string]*ld.RemoteDocument
}

func (s *contextStore) addEmbedded(set map[string]string) {
	for url, file := range set {
		raw, err := embedded.ReadFile("contexts/" + file)
		if err != nil {
			panic(fmt.Sprintf("jsonld: embedded context %s missing: %v", file, err))
		}
		rd, err := parseContext(url, raw)
		if err != nil {
			panic(fmt.Sprintf("jsonld: embedded context %s: %v", file, err))
		}
		s.docs[url] = rd
	}
}

func parseContext(url string, raw []byte) (*ld.RemoteDocument, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, ok := doc["@context"]; !ok {
		return nil, fmt.Errorf("no top-level @context member")
	}
	return &ld.RemoteDocument{DocumentURL: url, Document: doc}, nil
}

// AddContext lets the operator allow one more context URL. doc must hash to
// sha256hex (lower- or upper-case hex of its SHA-256), so configuration pins
// the exact bytes. A URL that is already served cannot be replaced.
func (p *Processor) AddContext(url string, doc []byte, sha256hex string) error {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return fmt.Errorf("jsonld: add context %s: URL must be http(s)", url)
	}
	if len(doc) > MaxContextSize {
		return fmt.Errorf("jsonld: add context %s: %d bytes exceeds %d", url, len(doc), MaxContextSize)
	}
	want, err := hex.DecodeString(sha256hex)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("jsonld: add context %s: digest must be 64 hex characters", url)
	}
	got := sha256.Sum256(doc)
	if !bytes.Equal(got[:], want) {
		return fmt.Errorf("jsonld: add context %s: sha256 is %x, config pins %s", url, got, strings.ToLower(sha256hex))
	}
	rd, err := parseContext(url, doc)
	if err != nil {
		return fmt.Errorf("jsonld: add context %s: %w", url, err)
	}
	p.contexts.mu.Lock()
	defer p.contexts.mu.Unlock()
	if _, dup := p.contexts.docs[url]; dup {
		return fmt.Errorf("jsonld: add context %s: already served", url)
	}
	p.contexts.docs[url] = rd
	return nil
}

// LoadDocument implements ld.DocumentLoader. It serves only allowed contexts
// and never touches the network; anything else wraps ErrContextNotAllowed.
// The returned document is shared and must not be modified.
func (p *Processor) LoadDocument(url string) (*ld.RemoteDocument, error) {
	p.contexts.mu.RLock()
	rd, ok := p.contexts.docs[url]
	p.contexts.mu.RUnlock()
	if !ok {
		return nil, newError(CodeContextNotAllowed, nil, "context %q is not in the allow-list", url)
	}
	return rd, nil
}

// Contexts lists the URLs served, in no particular order.
func (p *Processor) Contexts() []string {
	p.contexts.mu.RLock()
	defer p.contexts.mu.RUnlock()
	out := make([]string, 0, len(p.contexts.docs))
	for u := range p.contexts.docs {
		out = append(out, u)
	}
	return out
}

var _ ld.DocumentLoader = (*Processor)(nil)
