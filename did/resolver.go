package did

import (
	"context"
	"errors"
	"fmt"
)

// ContextResolution is the @context of a DID Resolution result.
const ContextResolution = "https://w3id.org/did-resolution/v1"

// Resolution is a DID Resolution result (DID Core §7.1).
type Resolution struct {
	Context            string             `json:"@context"`
	Document           *Document          `json:"didDocument"`
	DocumentMetadata   DocumentMetadata   `json:"didDocumentMetadata"`
	ResolutionMetadata ResolutionMetadata `json:"didResolutionMetadata"`
}

// DocumentMetadata is DID Core §7.1.3.
type DocumentMetadata struct {
	Created       string `json:"created,omitempty"`
	Updated       string `json:"updated,omitempty"`
	Deactivated   bool   `json:"deactivated,omitempty"`
	VersionID     string `json:"versionId,omitempty"`
	NextUpdate    string `json:"nextUpdate,omitempty"`
	NextVersionID string `json:"nextVersionId,omitempty"`
	// Stale is set when a cached document is served because the method's
	// registry could not be reached.
	Stale bool `json:"stale,omitempty"`
}

// ResolutionMetadata is DID Core §7.1.2.
type ResolutionMetadata struct {
	ContentType  string `json:"contentType,omitempty"`
	Error        string `json:"error,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	Retrieved    string `json:"retrieved,omitempty"`
}

// Resolver resolves a DID, or a DID URL whose query selects a version
// (versionId, versionTime), to its document.
type Resolver interface {
	Resolve(ctx context.Context, did string) (*Resolution, error)
}

// Registry dispatches resolution to the resolver of each DID method.
type Registry struct {
	methods map[string]Resolver
}

var _ Resolver = (*Registry)(nil)

// NewRegistry returns a resolver for the given methods (method name → resolver).
func NewRegistry(methods map[string]Resolver) *Registry {
	m := make(map[string]Resolver, len(methods))
	for k, v := range methods {
		m[k] = v
	}
	return &Registry{methods: m}
}

// Resolve parses the DID URL and hands it to its method's resolver.
func (r *Registry) Resolve(ctx context.Context, s string) (*Resolution, error) {
	u, err := ParseURL(s)
	if err != nil {
		return nil, err
	}
	if u.Path != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %s is a DID URL with a path or fragment, resolve its DID", ErrInvalidDID, clip(s))
	}
	m, ok := r.methods[u.Method]
	if !ok {
		return nil, fmt.Errorf("%w: did:%s", ErrMethodNotSupported, u.Method)
	}
	return m.Resolve(ctx, s)
}

// Methods lists the method names the registry knows.
func (r *Registry) Methods() []string {
	out := make([]string, 0, len(r.methods))
	for k := range r.methods {
		out = append(out, k)
	}
	return out
}

// ErrorCode maps an error to the DID Resolution error name (DID Core §7.1.2,
// DID Resolution §"Errors"); the empty string means it is not a resolution error.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidDID):
		return "INVALID_DID"
	case errors.Is(err, ErrNotFound):
		return "NOT_FOUND"
	case errors.Is(err, ErrMethodNotSupported):
		return "METHOD_NOT_SUPPORTED"
	case errors.Is(err, ErrDeactivated):
		return "DEACTIVATED"
	}
	return "INTERNAL_ERROR"
}

// ResolveMethod resolves a DID, then returns the method named by vmID, checked
// against purpose. vmID may be a DID URL with fragment or a bare DID.
func ResolveMethod(ctx context.Context, r Resolver, vmID string, purpose Purpose) (*VerificationMethod, *Resolution, error) {
	u, err := ParseURL(vmID)
	if err != nil {
		return nil, nil, err
	}
	if u.Path != "" {
		// A key is named by DID and fragment; a path would be dropped here
		// and the bare DID's key used in its place.
		return nil, nil, fmt.Errorf("%w: %s has a path; a verification method is DID#fragment", ErrMethodNotAuthorized, clip(vmID))
	}
	base := u.DID.String()
	if len(u.Query) > 0 {
		base += "?" + u.Query.Encode()
	}
	res, err := r.Resolve(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	if res.DocumentMetadata.Deactivated {
		return nil, res, fmt.Errorf("%w: %s", ErrDeactivated, u.DID)
	}
	if res.Document == nil {
		return nil, res, fmt.Errorf("%w: %s resolved to no document", ErrNotFound, u.DID)
	}
	// DID Core §7.1.2: the id of the resolved document MUST match the DID
	// that was resolved; a method that answers with another DID's document
	// must not get to choose the key.
	if res.Document.ID != u.DID.String() {
		return nil, res, fmt.Errorf("%w: resolving %s returned the document of %s", ErrNotFound, u.DID, clip(res.Document.ID))
	}
	id := u.DID.String()
	if u.Fragment != "" {
		id += "#" + u.Fragment
	}
	vm, err := res.Document.Method(id, purpose)
	if err != nil {
		return nil, res, err
	}
	return vm, res, nil
}
