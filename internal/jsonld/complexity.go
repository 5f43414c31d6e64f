package jsonld

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Limits on the RDF dataset handed to RDFC-1.0. RDF Dataset Canonicalization
// §4.4 (and "Security Considerations", "poison graphs") warns that the Hash
// N-Degree Quads algorithm (§4.8) tries every permutation of blank nodes it
// cannot tell apart, recursively, and that implementations should bound
// that work. json-gold takes no context and has no bound, so these limits
// are checked on the dataset before it runs. Each was chosen by
// measurement (see complexity_test.go and BenchmarkCanonicalizeLimits):
// the W3C test vectors and the VC Data Model suite inputs stay far below
// them.
const (
	// MaxEquivalentBlankNodes is the largest group of blank nodes that
	// share one first-degree hash (§4.6) — nodes that look identical from
	// their own quads, such as the items of a list of equal objects
	// without ids. The vectors have groups of at most 2; seven equal
	// children of two equal parents already cost json-gold over a second.
	MaxEquivalentBlankNodes = 6

	// MaxBlankNodes is the most blank nodes a dataset may have. The
	// vectors have at most 4; a presentation of several credentials stays
	// well under it.
	MaxBlankNodes = 512

	// MaxQuads is the most quads (RDF statements) a dataset may have.
	// json-gold's RDF conversion is quadratic in the values of one
	// property: 2048 values of one property take about 0.25 s, 8000 took
	// 3.4 s. The vectors have at most 27 quads.
	MaxQuads = 2048

	// MaxHashNDegreeWork bounds an upper estimate of the steps of Hash
	// N-Degree Quads (§4.8) for the blank nodes not identified by their
	// first-degree hash (see hashNDegreeWork). The estimate is loose: the
	// most expensive accepted shapes measured (equal pairs four levels
	// deep, estimate 518400) take a few milliseconds; the vectors' highest
	// estimate is 4.
	MaxHashNDegreeWork = 1 << 20
)

// checkComplexity refuses a dataset whose RDFC-1.0 canonicalization could
// cost more than the limits above allow. It reads ds and does not change it.
func checkComplexity(ds *ld.RDFDataset) error {
	mentions := map[string][]*ld.Quad{} // blank node -> quads naming it
	quads := 0
	for _, g := range ds.Graphs {
		quads += len(g)
		if quads > MaxQuads {
			return newError(CodeTooComplex, nil, "the document has more than %d RDF statements", MaxQuads)
		}
		for _, q := range g {
			// As in the Canonicalization Algorithm (§4.4.3 step 2), a quad
			// is listed once for every blank node position it holds.
			for _, n := range [...]ld.Node{q.Subject, q.Object, q.Graph} {
				if n != nil && ld.IsBlankNode(n) {
					id := n.GetValue()
					mentions[id] = append(mentions[id], q)
				}
			}
		}
	}
	if len(mentions) > MaxBlankNodes {
		return newError(CodeTooComplex, nil, "the document has %d blank nodes (objects without an id); at most %d are accepted", len(mentions), MaxBlankNodes)
	}

	// First-degree hash of every blank node (§4.6), and the nodes that share one.
	first := make(map[string][32]byte, len(mentions))
	groups := map[[32]byte][]string{}
	for id, qs := range mentions {
		h := firstDegreeKey(id, qs)
		first[id] = h
		groups[h] = append(groups[h], id)
	}
	shared := map[string]bool{} // blank nodes left for Hash N-Degree Quads (§4.4.3 step 5)
	for _, ids := range groups {
		if len(ids) > MaxEquivalentBlankNodes {
			return newError(CodeTooComplex, nil, "the document has %d blank nodes (objects without an id) that cannot be told apart; RDF canonicalization accepts at most %d — give them ids or distinct values", len(ids), MaxEquivalentBlankNodes)
		}
		if len(ids) > 1 {
			for _, id := range ids {
				shared[id] = true
			}
		}
	}
	if w := hashNDegreeWork(mentions, first, shared); w > MaxHashNDegreeWork {
		return newError(CodeTooComplex, nil, "the document's blank nodes (objects without an id) are too alike to canonicalize: estimated work %d exceeds %d", w, MaxHashNDegreeWork)
	}
	return nil
}

// firstDegreeKey identifies a blank node's first-degree hash class (§4.6):
// the sorted quads that name it, itself written _:a and every other blank
// node _:z. Two nodes get equal keys exactly when json-gold gives them equal
// hashes; the encoding is injective instead of N-Quads, which is all the
// comparison needs.
func firstDegreeKey(id string, qs []*ld.Quad) [32]byte {
	lines := make([]string, len(qs))
	for i, q := range qs {
		var b strings.Builder
		for _, n := range [...]ld.Node{q.Subject, q.Predicate, q.Object, q.Graph} {
			writeTerm(&b, n, id)
		}
		lines[i] = b.String()
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// writeTerm appends a self-delimiting encoding of n (quoted strings have no
// raw newline, so lines stay separable).
func writeTerm(b *strings.Builder, n ld.Node, self string) {
	switch {
	case n == nil:
		b.WriteString("-")
	case ld.IsBlankNode(n):
		if n.GetValue() == self {
			b.WriteString("a")
		} else {
			b.WriteString("z")
		}
	case ld.IsLiteral(n):
		b.WriteString("L")
		b.WriteString(strconv.Quote(n.GetValue()))
		switch l := n.(type) {
		case ld.Literal:
			b.WriteString(strconv.Quote(l.Datatype) + strconv.Quote(l.Language))
		case *ld.Literal:
			b.WriteString(strconv.Quote(l.Datatype) + strconv.Quote(l.Language))
		}
	default:
		b.WriteString("I")
		b.WriteString(strconv.Quote(n.GetValue()))
	}
}

// hashNDegreeWork is an upper estimate of the Hash N-Degree Quads calls
// (§4.8) RDFC-1.0 makes for the shared blank nodes. Those calls recurse only
// into shared nodes (every other node already has its canonical identifier,
// §4.4.3 step 5), so they stay inside one connected component C of shared
// nodes. A call on node z tries every permutation of each group of related
// nodes with one related hash (§4.7: position, predicate and first-degree
// hash, or an identifier that is unique anyway), and recursion into the
// nodes of one permutation covers disjoint parts of C. With π(z) the product
// of m! over z's groups of m ≥ 2 related shared nodes, one top-level call
// makes at most |C|·Πz∈C π(z) calls, and step 6 makes at most |C| top-level
// calls per component, so the estimate is Σ_C |C|²·Π π. It saturates just
// above MaxHashNDegreeWork.
func hashNDegreeWork(mentions map[string][]*ld.Quad, first map[string][32]byte, shared map[string]bool) uint64 {
	if len(shared) == 0 {
		return 0
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	perms := map[string]uint64{} // π(z)
	cost := map[string]uint64{}  // c(z): related hashes and path steps of one call
	for z := range shared {
		related := map[string]map[string]bool{} // related hash input -> nodes
		for _, q := range mentions[z] {
			for i, n := range [...]ld.Node{q.Subject, q.Object, q.Graph} {
				if n == nil || !ld.IsBlankNode(n) {
					continue
				}
				r := n.GetValue()
				if r == z || !shared[r] {
					continue
				}
				if a, b := find(z), find(r); a != b {
					parent[a] = b
				}
				f := first[r]
				key := "sog"[i:i+1] + string(f[:])
				if i < 2 {
					key += q.Predicate.GetValue()
				}
				if related[key] == nil {
					related[key] = map[string]bool{}
				}
				related[key][r] = true
			}
		}
		p, c := uint64(1), uint64(len(mentions[z]))
		for _, nodes := range related {
			f := uint64(1)
			for m := uint64(2); m <= uint64(len(nodes)); m++ {
				f = satMul(f, m)
			}
			p = satMul(p, f)
			c = satAdd(c, satMul(f, uint64(len(nodes))))
		}
		perms[z], cost[z] = p, c
	}
	size := map[string]uint64{}
	prod := map[string]uint64{}
	most := map[string]uint64{}
	for z := range shared {
		c := find(z)
		size[c]++
		if _, ok := prod[c]; !ok {
			prod[c] = 1
		}
		prod[c] = satMul(prod[c], perms[z])
		most[c] = max(most[c], cost[z])
	}
	var total uint64
	for c, n := range size {
		total = satAdd(total, satMul(satMul(satMul(n, n), prod[c]), most[c]))
	}
	return total
}

// saturation keeps the estimate from overflowing; anything above the limit
// is refused, so the exact value past it does not matter.
const saturation = MaxHashNDegreeWork + 1

func satMul(a, b uint64) uint64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a >= saturation || b >= saturation || a > saturation/b {
		return saturation
	}
	return min(a*b, saturation)
}

func satAdd(a, b uint64) uint64 { return min(a+b, saturation) }
