package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// Policy is a compiled policy file: named trust lists and one or more
// policies, each for a token audience and (optionally) a set of routes.
// A Policy is immutable once built, so the gateway swaps whole policies
// (SetPolicy) and a request keeps the one it started with.
//
// The file (YAML, or JSON, which is read as YAML 1.2 flow syntax):
//
//	trustLists:
//	  hr: [did:key:z6Mk…]              # inline DIDs
//	  partners: {file: partners.txt}    # one DID per line, # comments; relative to the policy file
//	policies:
//	  - name: staff                     # names the rules in decisions
//	    audience: https://api.example   # token audience it governs; default: the gateway's public URL
//	    routes: [/api/]                 # path prefixes enforced with it (proxy, authorize, middleware)
//	    credentials:                    # every presented credential must be accepted by one rule
//	      - name: employee
//	        types: [EmployeeCredential] # all of these in credential.types
//	        issuers: [hr, self, did:key:z6Mk…]  # trust list names, "self" (this server's issuers) or DIDs
//	        required: true              # at least one credential must be accepted by this rule
//	        when: credential.credentialSubject.active == true   # CEL, bool
//	    allow: '"admin" in request.scopes ? credentials.size() > 1 : true'   # CEL, bool
//	    scopes:
//	      - scope: finance              # granted when `when` holds (CEL, bool; default true)
//	        when: credentials.exists(c, "employee" in c.rules && c.claims.department == "Finance")
//	      - expr: credentials.map(c, c.type)   # or every string of a CEL list
//	    claims:                         # token claim → CEL value
//	      name: credentials.filter(c, "employee" in c.rules)[0].claims.name
//	    access: '"finance" in token.scopes || request.method == "GET"'  # CEL, bool, at enforcement
//
// CEL variables (typed, so an unknown field is a compile error at load):
// credential (in credentials[].when) and credentials: {id, type, types,
// rules, issuer, subject, credentialSubject, claims, validFrom, validUntil,
// format}; holder (string); request: {audience, scopes, route, method};
// now (timestamp); token (in access only): {sub, scopes, aud, claims, jkt}.
//
// An issuer is trusted only for the types of the rules that trust it, so a
// credential's types and type are the ones the rules that accepted it
// vouch for (a rule without types vouches for all), and rules lists those
// rules' names; in a rule's when, they are that rule's alone. Guard claim
// reads with c.rules (or c.type) so a claim counts only from a credential
// accepted for that purpose.
type Policy struct {
	source   string
	policies []*compiledPolicy
}

// PolicyOptions are what a policy file may refer to besides itself.
type PolicyOptions struct {
	// Own reports whether an issuer DID belongs to this server; the
	// trust list name "self" stands for it. Nil: "self" is an error.
	Own func(issuer string) bool
}

// PolicyError is a policy that cannot be loaded: the file, the line and
// why. Load failures wrap ErrPolicyInvalid.
type PolicyError struct {
	File   string
	Line   int
	Field  string
	Reason string
}

// ErrPolicyInvalid is wrapped by every PolicyError.
var ErrPolicyInvalid = errors.New("policy invalid")

func (e *PolicyError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("gateway: policy %s: %s: %s", loc, e.Field, e.Reason)
	}
	return fmt.Sprintf("gateway: policy %s: %s", loc, e.Reason)
}

func (e *PolicyError) Unwrap() error { return ErrPolicyInvalid }

// SelfTrustList names this server's own issuers in an issuers list.
const SelfTrustList = "self"

// reserved token claims a policy may not set.
var reserved = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "cnf", "client_id"}

// MaxPolicyFile bounds a policy file (and each trust list file).
const MaxPolicyFile = 4 << 20

type policyFile struct {
	TrustLists map[string]trustListSpec `yaml:"trustLists"`
	Policies   []policySpec             `yaml:"policies"`
}

type policySpec struct {
	Name        string              `yaml:"name"`
	Audience    string              `yaml:"audience"`
	Routes      []string            `yaml:"routes"`
	Credentials []ruleSpec          `yaml:"credentials"`
	Allow       *exprSpec           `yaml:"allow"`
	Scopes      []scopeSpec         `yaml:"scopes"`
	Claims      map[string]exprSpec `yaml:"claims"`
	Access      *exprSpec           `yaml:"access"`
}

type ruleSpec struct {
	Name     string    `yaml:"name"`
	Types    []string  `yaml:"types"`
	Issuers  []string  `yaml:"issuers"`
	Required bool      `yaml:"required"`
	When     *exprSpec `yaml:"when"`
}

type scopeSpec struct {
	Scope string    `yaml:"scope"`
	When  *exprSpec `yaml:"when"`
	Expr  *exprSpec `yaml:"expr"`
}

// exprSpec is a CEL source with the position it had in the file.
type exprSpec struct {
	src       string
	line, col int
}

func (e *exprSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("line %d: a CEL expression must be a string", n.Line)
	}
	e.src, e.line, e.col = n.Value, n.Line, n.Column
	// A block scalar's text starts on the next line.
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		e.line++
	}
	return nil
}

type trustListSpec struct {
	dids []string
	file string
	line int
}

func (t *trustListSpec) UnmarshalYAML(n *yaml.Node) error {
	t.line = n.Line
	switch n.Kind {
	case yaml.SequenceNode:
		return n.Decode(&t.dids)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "file" {
				return fmt.Errorf("line %d: trust list: unknown field %q (want a list of DIDs or {file: path})", n.Content[i].Line, k)
			}
			t.file = n.Content[i+1].Value
		}
		if t.file == "" {
			return fmt.Errorf("line %d: trust list: file is empty", n.Line)
		}
		return nil
	}
	return fmt.Errorf("line %d: a trust list is a list of DIDs or {file: path}", n.Line)
}

// LoadPolicy reads, validates and compiles a YAML or JSON policy file.
func LoadPolicy(path string, o PolicyOptions) (*Policy, error) {
	raw, err := readLimited(path)
	if err != nil {
		return nil, &PolicyError{File: path, Reason: err.Error()}
	}
	return ParsePolicy(path, raw, o)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPolicyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPolicyFile {
		return nil, fmt.Errorf("larger than %d bytes", MaxPolicyFile)
	}
	return b, nil
}

// ParsePolicy compiles policy source; name is the file name used in errors
// and the base for relative trust list files.
func ParsePolicy(name string, raw []byte, o PolicyOptions) (*Policy, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(raw, &root)
	c := &compiler{file: name, root: &root, own: o.Own, lists: map[string]*trustList{}}
	return c.compile(&f)
}

// yamlError turns a yaml.v3 error ("yaml: line 3: …") into a PolicyError.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	if errors.Is(err, io.EOF) {
		msg = "the file is empty"
	}
	return &PolicyError{File: file, Line: line, Reason: msg}
}

type compiler struct {
	file  string
	root  *yaml.Node
	own   func(string) bool
	lists map[string]*trustList
	envs  *celEnvs
}

// trustList is a set of issuer DIDs, or this server's own issuers.
type trustList struct {
	dids map[string]bool
	own  func(string) bool
}

func (t *trustList) has(d string) bool {
	if t.own != nil {
		return t.own(d)
	}
	return t.dids[d]
}

// lineOf finds the line of a node by a path of map keys and list indexes.
func (c *compiler) lineOf(path ...any) int {
	n := c.root
	if n == nil || len(n.Content) == 0 {
		return 0
	}
	n = n.Content[0]
	line := n.Line
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
		}
	}
	return line
}

func (c *compiler) errAt(line int, field, format string, args ...any) error {
	return &PolicyError{File: c.file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func (c *compiler) compile(f *policyFile) (*Policy, error) {
	envs, err := sharedCELEnvs()
	if err != nil {
		return nil, fmt.Errorf("gateway: policy: %w", err)
	}
	c.envs = envs
	if c.own != nil {
		c.lists[SelfTrustList] = &trustList{own: c.own}
	}
	names := make([]string, 0, len(f.TrustLists))
	for n := range f.TrustLists {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		spec := f.TrustLists[n]
		field := "trustLists." + n
		if n == SelfTrustList || strings.HasPrefix(n, "did:") {
			return nil, c.errAt(spec.line, field, "%q is reserved", n)
		}
		tl := &trustList{dids: map[string]bool{}}
		dids := spec.dids
		if spec.file != "" {
			p := spec.file
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(c.file), p)
			}
			if dids, err = c.readTrustFile(p); err != nil {
				return nil, err
			}
		}
		for _, d := range dids {
			if !strings.HasPrefix(d, "did:") {
				return nil, c.errAt(spec.line, field, "%q is not a DID", d)
			}
			tl.dids[d] = true
		}
		c.lists[n] = tl
	}
	if len(f.Policies) == 0 {
		return nil, c.errAt(c.lineOf(), "policies", "no policy: nothing would be accepted")
	}
	p := &Policy{source: c.file}
	seenAud, seenName := map[string]bool{}, map[string]bool{}
	for i := range f.Policies {
		cp, err := c.compilePolicy(i, &f.Policies[i])
		if err != nil {
			return nil, err
		}
		if seenName[cp.name] {
			return nil, c.errAt(c.lineOf("policies", i, "name"), fmt.Sprintf("policies[%d].name", i), "%q is used twice", cp.name)
		}
		if seenAud[cp.audience] {
			return nil, c.errAt(c.lineOf("policies", i, "audience"), fmt.Sprintf("policies[%d].audience", i), "two policies for audience %q", cp.audience)
		}
		seenName[cp.name], seenAud[cp.audience] = true, true
		p.policies = append(p.policies, cp)
	}
	return p, nil
}

func (c *compiler) readTrustFile(path string) ([]string, error) {
	raw, err := readLimited(path)
	if err != nil {
		return nil, &PolicyError{File: path, Reason: err.Error()}
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "did:") || strings.ContainsAny(l, " \t") {
			return nil, &PolicyError{File: path, Line: n, Reason: fmt.Sprintf("%q is not a DID", l)}
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func (c *compiler) compilePolicy(i int, s *policySpec) (*compiledPolicy, error) {
	field := fmt.Sprintf("policies[%d]", i)
	at := func(path ...any) int { return c.lineOf(append([]any{"policies", i}, path...)...) }
	if s.Name == "" || strings.ContainsAny(s.Name, "/ ") {
		return nil, c.errAt(at("name"), field+".name", "a name without spaces or slashes is required")
	}
	cp := &compiledPolicy{name: s.Name, audience: strings.TrimSuffix(s.Audience, "/")}
	for j, r := range s.Routes {
		if !strings.HasPrefix(r, "/") {
			return nil, c.errAt(at("routes", j), fmt.Sprintf("%s.routes[%d]", field, j), "%q is not a path prefix", r)
		}
		cp.routes = append(cp.routes, r)
	}
	if len(s.Credentials) == 0 {
		return nil, c.errAt(at(), field+".credentials", "no credential rule: no presentation would be accepted")
	}
	for j := range s.Credentials {
		r := &s.Credentials[j]
		rf := fmt.Sprintf("%s.credentials[%d]", field, j)
		if r.Name == "" || strings.ContainsAny(r.Name, "/ ") {
			return nil, c.errAt(at("credentials", j), rf+".name", "a name without spaces or slashes is required")
		}
		if len(r.Issuers) == 0 {
			return nil, c.errAt(at("credentials", j), rf+".issuers", "no trusted issuer: name DIDs, trust lists or %q", SelfTrustList)
		}
		cr := &compiledRule{name: s.Name + "/credentials/" + r.Name, short: r.Name, types: r.Types, required: r.Required}
		for k, iss := range r.Issuers {
			if strings.HasPrefix(iss, "did:") {
				cr.dids = append(cr.dids, iss)
				continue
			}
			tl, ok := c.lists[iss]
			if !ok {
				return nil, c.errAt(at("credentials", j, "issuers", k), fmt.Sprintf("%s.issuers[%d]", rf, k), "%q is neither a DID nor a trust list", iss)
			}
			cr.lists = append(cr.lists, tl)
		}
		if r.When != nil {
			prg, err := c.program(c.envs.credential, r.When, rf+".when", cel.BoolType)
			if err != nil {
				return nil, err
			}
			cr.when = prg
		}
		cp.rules = append(cp.rules, cr)
	}
	var err error
	if s.Allow != nil {
		if cp.allow, err = c.program(c.envs.presentation, s.Allow, field+".allow", cel.BoolType); err != nil {
			return nil, err
		}
	}
	for j, sc := range s.Scopes {
		sf := fmt.Sprintf("%s.scopes[%d]", field, j)
		cs := compiledScope{rule: fmt.Sprintf("%s/scopes[%d]", s.Name, j), scope: sc.Scope}
		switch {
		case sc.Expr != nil && (sc.Scope != "" || sc.When != nil):
			return nil, c.errAt(at("scopes", j), sf, "expr stands alone; scope and when go together")
		case sc.Expr != nil:
			if cs.list, err = c.program(c.envs.presentation, sc.Expr, sf+".expr", cel.ListType(cel.StringType)); err != nil {
				return nil, err
			}
		case !validScopeToken(sc.Scope):
			return nil, c.errAt(at("scopes", j), sf+".scope", "%q is not a scope token (RFC 6749 §3.3)", sc.Scope)
		case sc.When != nil:
			if cs.when, err = c.program(c.envs.presentation, sc.When, sf+".when", cel.BoolType); err != nil {
				return nil, err
			}
		}
		cp.scopes = append(cp.scopes, cs)
	}
	claimNames := make([]string, 0, len(s.Claims))
	for n := range s.Claims {
		claimNames = append(claimNames, n)
	}
	slices.Sort(claimNames)
	for _, n := range claimNames {
		e := s.Claims[n]
		if slices.Contains(reserved, n) || n == "" {
			return nil, c.errAt(e.line, field+".claims."+n, "%q is a reserved token claim", n)
		}
		prg, err := c.program(c.envs.presentation, &e, field+".claims."+n, nil)
		if err != nil {
			return nil, err
		}
		cp.claims = append(cp.claims, compiledClaim{name: n, prg: prg})
	}
	if s.Access != nil {
		if cp.access, err = c.program(c.envs.access, s.Access, field+".access", cel.BoolType); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// program compiles and type-checks one expression; want nil means any type.
func (c *compiler) program(env *cel.Env, e *exprSpec, field string, want *cel.Type) (cel.Program, error) {
	ast, iss := env.Compile(e.src)
	if iss.Err() != nil {
		line, reason := e.line, iss.Err().Error()
		if errs := iss.Errors(); len(errs) > 0 {
			loc := errs[0].Location
			line += loc.Line() - 1
			reason = fmt.Sprintf("%s (column %d of the expression)", errs[0].Message, loc.Column()+1)
		}
		return nil, c.errAt(line, field, "%s", reason)
	}
	if want != nil && !ast.OutputType().IsAssignableType(want) {
		return nil, c.errAt(e.line, field, "evaluates to %s, want %s", ast.OutputType(), want)
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, c.errAt(e.line, field, "%v", err)
	}
	return prg, nil
}

// validScopeToken: RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// defaultPolicySource is the policy with no file: this server's issuers
// are trusted for every type (own-issuers names no types, so it vouches
// for all the types they issue, and c.types holds them all), each
// credential type becomes a scope of the same name, and the subjects'
// claims go into the token under credentials. With a file, c.types holds
// only the types the accepting rules vouch for.
const defaultPolicySource = `
policies:
  - name: default
    credentials:
      - name: own-issuers
        issuers: [self]
    scopes:
      - expr: credentials.map(c, c.types.filter(t, t != "VerifiableCredential")).flatten()
    claims:
      credentials: 'credentials.map(c, {"type": c.type, "issuer": c.issuer, "credentialSubject": c.claims})'
`

// DefaultPolicy trusts the issuers for which own returns true, maps every
// credential type to a scope of the same name and copies each credential's
// subject claims into the token under "credentials".
func DefaultPolicy(own func(issuer string) bool) *Policy {
	p, err := ParsePolicy("(default policy)", []byte(defaultPolicySource), PolicyOptions{Own: own})
	if err != nil {
		panic(err) // a constant that does not compile is a bug caught by every test
	}
	// Its expressions are fixed, so they run as Go (same results, checked
	// by TestBuiltinExpressionsAgree); the CEL programs stay compiled.
	cp := p.policies[0]
	cp.scopes[0].native = defaultScopes
	cp.claims[0].native = defaultClaims
	return p
}
