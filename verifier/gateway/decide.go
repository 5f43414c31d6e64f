package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

// celCostLimit bounds one expression's evaluation (CEL cost units), so a
// policy cannot make a request arbitrarily expensive.
const celCostLimit = 1_000_000

// celCredential is a verified credential as CEL sees it. A credential's
// types are what its issuer says, and an issuer is trusted only for the
// types of the rules that trust it: types holds only the types vouched for
// by the rules that accepted the credential (all of its types when one of
// those rules names none), and rules names those rules. So an issuer
// trusted for LibraryCard cannot make a credential count as an
// AdminCredential by listing that type too.
type celCredential struct {
	ID                string           `cel:"id"`
	Type              string           `cel:"type"`  // the first of types that is not VerifiableCredential
	Types             []string         `cel:"types"` // the vouched-for types (see above)
	Rules             []string         `cel:"rules"` // the names of the rules that accepted it (as in credentials[].name)
	Issuer            string           `cel:"issuer"`
	Subject           string           `cel:"subject"` // credentialSubject.id
	CredentialSubject *structpb.Struct `cel:"credentialSubject"`
	Claims            *structpb.Struct `cel:"claims"` // credentialSubject without id
	ValidFrom         time.Time        `cel:"validFrom"`
	ValidUntil        time.Time        `cel:"validUntil"`
	Format            string           `cel:"format"`
}

// Request is what a client asked for, as policies see it.
type Request struct {
	Audience string   `cel:"audience"` // the token audience (exchange) or the policy's (enforcement)
	Scopes   []string `cel:"scopes"`   // requested scopes (exchange)
	Route    string   `cel:"route"`    // the request path (enforcement)
	Method   string   `cel:"method"`   // the request method (enforcement)
}

// celToken is a validated access token as the access expression sees it.
type celToken struct {
	Sub    string           `cel:"sub"`
	Scopes []string         `cel:"scopes"`
	Aud    []string         `cel:"aud"`
	Claims *structpb.Struct `cel:"claims"`
	JKT    string           `cel:"jkt"` // cnf.jkt of a DPoP-bound token, else ""
}

type celEnvs struct{ credential, presentation, access *cel.Env }

// sharedCELEnvs builds the environments once; a cel.Env is immutable and
// safe for concurrent use.
var sharedCELEnvs = sync.OnceValues(newCELEnvs)

func newCELEnvs() (*celEnvs, error) {
	base := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeOf(celCredential{}), reflect.TypeOf(Request{}), reflect.TypeOf(celToken{}), ext.ParseStructTags(true)),
		ext.Strings(), ext.Lists(), ext.Sets(), ext.TwoVarComprehensions(), cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true), cel.DefaultUTCTimeZone(true),
		cel.Variable("request", cel.ObjectType("gateway.Request")),
		cel.Variable("now", cel.TimestampType),
	}
	cred := cel.ObjectType("gateway.celCredential")
	mk := func(extra ...cel.EnvOption) (*cel.Env, error) {
		return cel.NewEnv(append(slices.Clone(base), extra...)...)
	}
	var e celEnvs
	var err error
	if e.credential, err = mk(cel.Variable("credential", cred), cel.Variable("holder", cel.StringType)); err != nil {
		return nil, err
	}
	if e.presentation, err = mk(cel.Variable("credentials", cel.ListType(cred)), cel.Variable("holder", cel.StringType)); err != nil {
		return nil, err
	}
	if e.access, err = mk(cel.Variable("token", cel.ObjectType("gateway.celToken"))); err != nil {
		return nil, err
	}
	return &e, nil
}

type compiledPolicy struct {
	name     string
	audience string // "" = the gateway's own URL
	routes   []string
	rules    []*compiledRule
	allow    cel.Program
	scopes   []compiledScope
	claims   []compiledClaim
	access   cel.Program
}

type compiledRule struct {
	name     string // policy/credentials/<short>, in decisions
	short    string // the name in the file, as CEL sees it in credential.rules
	types    []string
	dids     []string
	lists    []*trustList
	required bool
	when     cel.Program
}

type compiledScope struct {
	rule  string
	scope string
	when  cel.Program
	list  cel.Program
	// native, when set, is list written in Go for a built-in expression:
	// it returns what list would (TestBuiltinExpressionsAgree), without
	// the interpreter. list is still compiled and type-checked.
	native func([]celCredential) []string
}

type compiledClaim struct {
	name   string
	prg    cel.Program
	native func([]celCredential) any // like compiledScope.native
}

// Decision is the outcome of applying a policy: what the token carries and
// which rule allowed or refused the presentation, credential by credential.
type Decision struct {
	Policy      string
	Scopes      []string
	Claims      map[string]any
	Rule        string // the rule that refused, or the rules that accepted (comma-separated)
	Credentials []CredentialDecision
}

// CredentialDecision is the verdict on one presented credential.
type CredentialDecision struct {
	Index   int
	ID      string
	Type    string // the primary type the credential declares
	Issuer  string
	Allowed bool
	Rule    string   // the first rule that accepted it, or the one that refused it
	Rules   []string `json:",omitempty"` // every rule that accepted it
	Types   []string `json:",omitempty"` // the types those rules vouch for (what policies see)
	Reason  string   `json:",omitempty"`
}

// Input is what a policy decides on.
type Input struct {
	Holder      string
	Credentials []*verifier.VerifiedCredential
	Request     Request
	Now         time.Time
}

// ErrNoPolicy: no policy governs the requested audience or route.
var ErrNoPolicy = errors.New("no policy governs this audience or route")

// forAudience picks the policy for a token audience; self is the gateway's URL.
func (p *Policy) forAudience(aud, self string) *compiledPolicy {
	for _, cp := range p.policies {
		if cp.audienceOr(self) == aud {
			return cp
		}
	}
	return nil
}

func (cp *compiledPolicy) audienceOr(self string) string {
	if cp.audience == "" {
		return self
	}
	return cp.audience
}

// forRoute picks the policy with the longest route prefix of path, else
// the policy for the gateway's own audience.
func (p *Policy) forRoute(path, self string) *compiledPolicy {
	var best *compiledPolicy
	bestLen := -1
	for _, cp := range p.policies {
		for _, r := range cp.routes {
			if routeMatch(r, path) && len(r) > bestLen {
				best, bestLen = cp, len(r)
			}
		}
	}
	if best != nil {
		return best
	}
	return p.forAudience(self, self)
}

// routeMatch: "/api/" matches /api/ and below; "/api" matches /api and /api/….
func routeMatch(prefix, path string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix) || path == strings.TrimSuffix(prefix, "/")
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// Evaluate applies the policy for in.Request.Audience ("" = self) to
// verified credentials. Every credential is evaluated and must be accepted
// by a rule; one refused credential refuses the presentation. Errors are
// *vc.Error (issuer_untrusted, policy_denied) or wrap ErrNoPolicy.
func (p *Policy) Evaluate(self string, in Input) (*Decision, error) {
	if in.Request.Audience == "" {
		in.Request.Audience = self
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	cp := p.forAudience(in.Request.Audience, self)
	if cp == nil {
		return &Decision{Rule: "audience"}, fmt.Errorf("gateway: audience %q: %w", in.Request.Audience, ErrNoPolicy)
	}
	return cp.decide(in)
}

func (cp *compiledPolicy) decide(in Input) (*Decision, error) {
	d := &Decision{Policy: cp.name, Claims: map[string]any{}}
	creds := make([]celCredential, len(in.Credentials))
	accepted := map[*compiledRule]bool{}
	var refusal error
	for i, vcred := range in.Credentials {
		c := toCEL(vcred) // types as declared; narrowed below to what the accepting rules vouch for
		cd := CredentialDecision{Index: i, ID: c.ID, Type: c.Type, Issuer: c.Issuer}
		code, rule, why := vc.CodePolicyDenied, cp.name+"/credentials", fmt.Sprintf("no rule accepts a %s", c.Type)
		var by []*compiledRule
		for _, r := range cp.rules {
			if !r.typesMatch(c.Types) {
				continue
			}
			if !r.trusts(c.Issuer) {
				if code != vc.CodeUntrustedIssuer || rule == cp.name+"/credentials" {
					code, rule, why = vc.CodeUntrustedIssuer, r.name, fmt.Sprintf("issuer %s is not trusted by %s", c.Issuer, r.name)
				}
				continue
			}
			if r.when != nil {
				// The condition sees the credential as this rule vouches for it.
				ok, err := evalBool(r.when, map[string]any{"credential": c.vouchedBy(r), "holder": in.Holder, "request": in.Request, "now": in.Now})
				if !ok {
					if len(by) == 0 {
						code, rule, why = vc.CodePolicyDenied, r.name, fmt.Sprintf("%s: its condition does not hold%s", r.name, errSuffix(err))
					}
					continue
				}
			}
			by = append(by, r)
		}
		if len(by) == 0 {
			cd.Rule, cd.Reason = rule, why
			if refusal == nil {
				d.Rule = rule
				refusal = vc.Errorf(code, "credential %d (%s from %s): %s", i, c.Type, c.Issuer, why)
			}
			d.Credentials = append(d.Credentials, cd)
			continue
		}
		c = c.vouchedBy(by...)
		creds[i] = c
		cd.Allowed, cd.Rule, cd.Types = true, by[0].name, c.Types
		for _, r := range by {
			accepted[r] = true
			cd.Rules = append(cd.Rules, r.name)
		}
		d.Credentials = append(d.Credentials, cd)
	}
	if refusal != nil {
		return d, refusal
	}
	if len(creds) == 0 {
		d.Rule = cp.name + "/credentials"
		return d, vc.Errorf(vc.CodePolicyDenied, "the presentation carries no credential")
	}
	var names []string
	for _, r := range cp.rules {
		if r.required && !accepted[r] {
			d.Rule = r.name
			return d, vc.Errorf(vc.CodePolicyDenied, "%s requires a credential of type %v and none was accepted", r.name, r.types)
		}
		if accepted[r] {
			names = append(names, r.name)
		}
	}
	vars := map[string]any{"credentials": creds, "holder": in.Holder, "request": in.Request, "now": in.Now}
	if cp.allow != nil {
		if ok, err := evalBool(cp.allow, vars); !ok {
			d.Rule = cp.name + "/allow"
			return d, vc.Errorf(vc.CodePolicyDenied, "%s does not hold%s", d.Rule, errSuffix(err))
		}
	}
	set := map[string]bool{}
	for _, s := range cp.scopes {
		switch {
		case s.list != nil:
			var list []string
			if s.native != nil {
				list = s.native(creds)
			} else {
				out, _, err := s.list.Eval(vars)
				if err != nil {
					d.Rule = s.rule
					return d, vc.Errorf(vc.CodePolicyDenied, "%s: %v", s.rule, err)
				}
				native, err := out.ConvertToNative(reflect.TypeOf([]string{}))
				if err != nil {
					d.Rule = s.rule
					return d, vc.Errorf(vc.CodePolicyDenied, "%s: %v", s.rule, err)
				}
				list = native.([]string)
			}
			for _, v := range list {
				if !validScopeToken(v) {
					d.Rule = s.rule
					return d, vc.Errorf(vc.CodePolicyDenied, "%s yields %q, which is not a scope token", s.rule, v)
				}
				set[v] = true
			}
		case s.when == nil:
			set[s.scope] = true
		default:
			if ok, _ := evalBool(s.when, vars); ok {
				set[s.scope] = true
			}
		}
	}
	for s := range set {
		d.Scopes = append(d.Scopes, s)
	}
	slices.Sort(d.Scopes)
	for _, c := range cp.claims {
		if c.native != nil {
			d.Claims[c.name] = c.native(creds)
			continue
		}
		out, _, err := c.prg.Eval(vars)
		if err != nil {
			d.Rule = cp.name + "/claims/" + c.name
			return d, vc.Errorf(vc.CodePolicyDenied, "%s: %v", d.Rule, err)
		}
		v, err := out.ConvertToNative(reflect.TypeOf(&structpb.Value{}))
		if err != nil {
			d.Rule = cp.name + "/claims/" + c.name
			return d, vc.Errorf(vc.CodePolicyDenied, "%s: not a JSON value: %v", d.Rule, err)
		}
		d.Claims[c.name] = v.(*structpb.Value).AsInterface()
	}
	d.Rule = strings.Join(names, ",")
	return d, nil
}

// checkAccess applies the policy's access expression at enforcement.
// The token view is built only when there is an expression to see it.
func (cp *compiledPolicy) checkAccess(tok func() celToken, req Request, now time.Time) error {
	if cp.access == nil {
		return nil
	}
	ok, err := evalBool(cp.access, map[string]any{"token": tok(), "request": req, "now": now})
	if !ok {
		return vc.Errorf(vc.CodePolicyDenied, "%s/access does not hold%s", cp.name, errSuffix(err))
	}
	return nil
}

// vouchedBy narrows a credential to what the rules that accept it vouch
// for: the types they name (all of them if one names none, as it trusts
// the issuer for any type) and their names.
func (c celCredential) vouchedBy(rules ...*compiledRule) celCredential {
	all := false
	c.Rules = make([]string, 0, len(rules))
	for _, r := range rules {
		all = all || len(r.types) == 0
		c.Rules = append(c.Rules, r.short)
	}
	if !all {
		types := make([]string, 0, len(c.Types))
		for _, t := range c.Types {
			if t == vc.TypeCredential || slices.ContainsFunc(rules, func(r *compiledRule) bool { return slices.Contains(r.types, t) }) {
				types = append(types, t)
			}
		}
		c.Types = types
	}
	c.Type = primaryType(c.Types)
	return c
}

func (r *compiledRule) typesMatch(have []string) bool {
	for _, t := range r.types {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func (r *compiledRule) trusts(issuer string) bool {
	if slices.Contains(r.dids, issuer) {
		return true
	}
	for _, l := range r.lists {
		if l.has(issuer) {
			return true
		}
	}
	return false
}

// evalBool: an evaluation error (a missing claim, say) is false, with the reason.
func evalBool(prg cel.Program, vars map[string]any) (bool, error) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		return false, err
	}
	return out == types.True, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

func toCEL(c *verifier.VerifiedCredential) celCredential {
	out := celCredential{ID: c.ID, Types: c.Types, Issuer: c.Issuer, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, Format: c.Format,
		Type: primaryType(c.Types)}
	subj := map[string]any{}
	if len(c.Subjects) > 0 {
		subj = c.Subjects[0]
	}
	out.Subject, _ = subj["id"].(string)
	// One conversion: claims is the subject's fields but id, sharing the
	// converted values (structpb values are not modified once built).
	out.CredentialSubject = toStruct(subj)
	claims := make(map[string]*structpb.Value, len(out.CredentialSubject.Fields))
	for k, v := range out.CredentialSubject.Fields {
		if k != "id" {
			claims[k] = v
		}
	}
	out.Claims = &structpb.Struct{Fields: claims}
	return out
}

// The built-in policy's two expressions in Go (see defaultPolicySource);
// TestBuiltinExpressionsAgree checks them against the CEL programs.

// defaultScopes is
// credentials.map(c, c.types.filter(t, t != "VerifiableCredential")).flatten().
func defaultScopes(creds []celCredential) []string {
	var out []string
	for _, c := range creds {
		for _, t := range c.Types {
			if t != vc.TypeCredential {
				out = append(out, t)
			}
		}
	}
	return out
}

// defaultClaims is
// credentials.map(c, {"type": c.type, "issuer": c.issuer, "credentialSubject": c.claims}).
func defaultClaims(creds []celCredential) any {
	out := make([]any, len(creds))
	for i, c := range creds {
		out[i] = map[string]any{"type": c.Type, "issuer": c.Issuer, "credentialSubject": c.Claims.AsMap()}
	}
	return out
}

// toStruct converts decoded JSON (numbers may be json.Number) for CEL.
func toStruct(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(normalizeJSON(m).(map[string]any))
	if err != nil {
		return &structpb.Struct{}
	}
	return s
}

func normalizeJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = normalizeJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalizeJSON(x)
		}
		return out
	case json.Number:
		f, _ := t.Float64()
		return f
	}
	return v
}

func primaryType(ts []string) string {
	for _, t := range ts {
		if t != vc.TypeCredential {
			return t
		}
	}
	return vc.TypeCredential
}
