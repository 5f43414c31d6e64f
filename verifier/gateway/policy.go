package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// Policy says which presented credentials are acceptable and what the access
// token carries. Load one with LoadPolicy; DefaultPolicy trusts this
// server's own issuers.
type Policy struct {
	// Trust lists trusted issuer DIDs per credential type; "*" applies to every type.
	Trust map[string][]string `json:"trust" yaml:"trust"`
	// Scopes grant a scope for a credential type, optionally only when a
	// claim (dot path under credentialSubject) equals a value.
	Scopes []ScopeRule `json:"scopes" yaml:"scopes"`
	// Claims copy credentialSubject values into the token.
	Claims []ClaimRule `json:"claims" yaml:"claims"`

	trusted func(issuer string) bool // default policy only
}

// ScopeRule maps a credential type (and optionally a claim value) to a scope.
type ScopeRule struct {
	CredentialType string `json:"credentialType" yaml:"credentialType"`
	Claim          string `json:"claim,omitempty" yaml:"claim,omitempty"`
	Equals         string `json:"equals,omitempty" yaml:"equals,omitempty"`
	Scope          string `json:"scope" yaml:"scope"`
}

// ClaimRule copies one credentialSubject value into a token claim.
type ClaimRule struct {
	CredentialType string `json:"credentialType" yaml:"credentialType"`
	Claim          string `json:"claim" yaml:"claim"`
	As             string `json:"as" yaml:"as"`
}

// reserved token claims a policy may not overwrite.
var reserved = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "cnf"}

// LoadPolicy reads a YAML or JSON policy file and validates it.
func LoadPolicy(path string) (*Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway: policy: %w", err)
	}
	p := &Policy{}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err = dec.Decode(p)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		err = dec.Decode(p)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: policy %s: %w", path, err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("gateway: policy %s: %w", path, err)
	}
	return p, nil
}

func (p *Policy) validate() error {
	if len(p.Trust) == 0 {
		return fmt.Errorf("trust is empty: no credential would be accepted")
	}
	for t, dids := range p.Trust {
		for _, d := range dids {
			if !strings.HasPrefix(d, "did:") {
				return fmt.Errorf("trust.%s: %q is not a DID", t, d)
			}
		}
	}
	for i, s := range p.Scopes {
		if s.CredentialType == "" || s.Scope == "" || strings.ContainsAny(s.Scope, " \"\\") {
			return fmt.Errorf("scopes[%d]: credentialType and a scope without spaces are required", i)
		}
		if (s.Claim == "") != (s.Equals == "") {
			return fmt.Errorf("scopes[%d]: claim and equals go together", i)
		}
	}
	for i, c := range p.Claims {
		if c.CredentialType == "" || c.Claim == "" || c.As == "" {
			return fmt.Errorf("claims[%d]: credentialType, claim and as are required", i)
		}
		if slices.Contains(reserved, c.As) {
			return fmt.Errorf("claims[%d]: %q is a reserved token claim", i, c.As)
		}
	}
	return nil
}

// DefaultPolicy trusts the issuers for which own returns true, maps every
// credential type to a scope of the same name and copies each credential's
// subject claims into the token under "credentials".
func DefaultPolicy(own func(issuer string) bool) *Policy { return &Policy{trusted: own} }

// Decision is the outcome of applying a policy to verified credentials.
type Decision struct {
	Scopes []string
	Claims map[string]any
	Rule   string // which rule allowed or refused
}

// Evaluate checks every credential against the trust list and derives the
// token's scopes and claims. Every credential is evaluated; one untrusted
// credential refuses the whole presentation.
func (p *Policy) Evaluate(creds []*verifier.VerifiedCredential) (*Decision, error) {
	d := &Decision{Claims: map[string]any{}}
	scopes := map[string]bool{}
	var summaries []any
	for i, c := range creds {
		if !p.isTrusted(c) {
			return &Decision{Rule: "trust"}, vc.Errorf(vc.CodeUntrustedIssuer, "credential %d (%s) is issued by %s, which the policy does not trust for that type", i, primaryType(c), c.Issuer)
		}
		if p.trusted != nil {
			for _, t := range c.Types {
				if t != vc.TypeCredential {
					scopes[t] = true
				}
			}
			summaries = append(summaries, map[string]any{"type": primaryType(c), "issuer": c.Issuer, "credentialSubject": withoutID(c.Subjects[0])})
			continue
		}
		for _, s := range p.Scopes {
			if c.HasType(s.CredentialType) && (s.Claim == "" || fmt.Sprint(lookup(c.Subjects[0], s.Claim)) == s.Equals) {
				scopes[s.Scope] = true
			}
		}
		for _, cl := range p.Claims {
			if v := lookup(c.Subjects[0], cl.Claim); c.HasType(cl.CredentialType) && v != nil {
				d.Claims[cl.As] = v
			}
		}
	}
	if summaries != nil {
		d.Claims["credentials"] = summaries
	}
	for s := range scopes {
		d.Scopes = append(d.Scopes, s)
	}
	sort.Strings(d.Scopes)
	d.Rule = "trust+scopes"
	if p.trusted != nil {
		d.Rule = "default: own issuers"
	}
	return d, nil
}

func (p *Policy) isTrusted(c *verifier.VerifiedCredential) bool {
	if p.trusted != nil {
		return p.trusted(c.Issuer)
	}
	if slices.Contains(p.Trust["*"], c.Issuer) {
		return true
	}
	for _, t := range c.Types {
		if t != vc.TypeCredential && slices.Contains(p.Trust[t], c.Issuer) {
			return true
		}
	}
	return false
}

func primaryType(c *verifier.VerifiedCredential) string {
	for _, t := range c.Types {
		if t != vc.TypeCredential {
			return t
		}
	}
	return vc.TypeCredential
}

func withoutID(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "id" {
			out[k] = v
		}
	}
	return out
}

// lookup follows a dot path through nested objects.
func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}
