package didethr

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/multikey"
)

// JSON-LD contexts of did:ethr documents (did:ethr spec, "JSON-LD Context
// Definition" and "Known Key Types").
const (
	ctxSecp256k1Recovery = "https://w3id.org/security/suites/secp256k1recovery-2020/v2"
	ctxSecurityV2        = "https://w3id.org/security/v2"
	ctxEd25519_2020      = "https://w3id.org/security/suites/ed25519-2020/v1"
	ctxX25519_2020       = "https://w3id.org/security/suites/x25519-2020/v1"
	ctxMultikey          = "https://w3id.org/security/multikey/v1"
)

var (
	ctxPublicKeyJwk = map[string]any{"publicKeyJwk": map[string]any{"@id": "https://w3id.org/security#publicKeyJwk", "@type": "@json"}}
	ctxPublicKeyHex = map[string]any{"publicKeyHex": "https://w3id.org/security#publicKeyHex"}
)

// attrPattern is the attribute naming rule: did/pub/<alg>/<purpose>/<enc>
// and did/svc/<type> (did:ethr spec, "Non-Ethereum Attributes"), matched as
// the reference resolver does.
var attrPattern = regexp.MustCompile(`^did/(pub|svc)/(\w+)(/(\w+))?(/(\w+))?$`)

// ordered is an insertion-ordered map, so entries keep the order of the
// events that created them (the reference resolver's object semantics:
// a deleted key re-added goes to the end).
type ordered[T any] struct {
	keys []string
	m    map[string]T
}

func (o *ordered[T]) set(k string, v T) {
	if o.m == nil {
		o.m = map[string]T{}
	}
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *ordered[T]) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

func (o *ordered[T]) values() []T {
	out := make([]T, 0, len(o.keys))
	for _, k := range o.keys {
		out = append(out, o.m[k])
	}
	return out
}

// resolve builds the resolution at the version v asks for.
func (r *Resolver) resolve(ctx context.Context, net *Network, docID string, id ID, v version) (*did.Resolution, error) {
	c := counting{Chain: net.Chain, n: &r.calls}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, unavailable("read head", net, err)
	}
	events, err := r.history(ctx, c, net, id.Address, head.Number)
	if err != nil {
		return nil, err
	}

	// The reference time for validTo, and which events count (did:ethr spec,
	// "versionId" and "versionTime" query string parameters).
	var now *big.Int
	included := func(e *event) bool { return true }
	switch {
	case v.block != nil:
		target := *v.block
		included = func(e *event) bool { return e.block <= target }
		if target <= head.Number.Uint64() {
			h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(target))
			if err != nil {
				return nil, unavailable(fmt.Sprintf("header %d", target), net, err)
			}
			now = new(big.Int).SetUint64(h.Time)
		} else {
			now = big.NewInt(r.now().Unix())
		}
	case v.at != nil:
		at := v.at.Unix()
		included = func(e *event) bool { return int64(e.time) <= at }
		now = big.NewInt(at)
	default:
		now = big.NewInt(r.now().Unix())
	}

	b := builder{did: docID, chainID: net.ChainID}
	owner := id.Address
	var meta did.DocumentMetadata
	deactivated := false
	for i := range events {
		e := &events[i]
		if !included(e) {
			if meta.NextVersionID == "" {
				meta.NextVersionID = strconv.FormatUint(e.block, 10)
				meta.NextUpdate = isoTime(e.time)
			}
			continue
		}
		meta.VersionID = strconv.FormatUint(e.block, 10)
		meta.Updated = isoTime(e.time)
		if e.kind == ownerChanged {
			owner = e.owner
			// Delete (Revoke): owner 0x0 deactivates, and nothing after it counts.
			if owner == (common.Address{}) {
				deactivated = true
				break
			}
			continue
		}
		b.apply(e, e.validTo != nil && e.validTo.Sign() > 0 && e.validTo.Cmp(now) >= 0)
	}
	if deactivated {
		meta.Deactivated = true
		// The next-version fields still say when the history went on (it
		// cannot with our registry; older ones allowed it).
		return &did.Resolution{
			Context: did.ContextResolution,
			Document: &did.Document{
				Context: []any{did.ContextDIDv1, ctxSecp256k1Recovery},
				ID:      docID,
			},
			DocumentMetadata:   meta,
			ResolutionMetadata: did.ResolutionMetadata{ContentType: "application/did+ld+json"},
		}, nil
	}
	doc, err := b.document(owner, id)
	if err != nil {
		return nil, err
	}
	return &did.Resolution{
		Context:            did.ContextResolution,
		Document:           doc,
		DocumentMetadata:   meta,
		ResolutionMetadata: did.ResolutionMetadata{ContentType: "application/did+ld+json"},
	}, nil
}

func isoTime(sec uint64) string {
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)
}

// builder accumulates verification methods, relationships and services from
// events, following the did:ethr spec's "id properties of entries": every
// delegate or did/pub event advances the delegate counter and every did/svc
// event the service counter, whether it adds, revokes or has expired, so ids
// stay stable across updates.
type builder struct {
	did     string
	chainID *big.Int

	delegates, services int
	pks                 ordered[did.VerificationMethod]
	auth, agree         ordered[string]
	svcs                ordered[did.Service]
	contexts            map[string]bool
}

func (b *builder) apply(e *event, valid bool) {
	var key string
	isPub, isSvc := false, false
	switch e.kind {
	case delegateChanged:
		key = "DIDDelegateChanged-" + e.dtype + "-" + e.delegate.Hex()
		isPub = true
	case attributeChanged:
		key = "DIDAttributeChanged-" + e.name + "-0x" + hex.EncodeToString(e.value)
		m := attrPattern.FindStringSubmatch(e.name)
		if m == nil {
			return // not a DID document attribute
		}
		isPub, isSvc = m[1] == "pub", m[1] == "svc"
	}
	if isPub {
		b.delegates++
	}
	if isSvc {
		b.services++
	}
	if !valid {
		b.pks.del(key)
		b.auth.del(key)
		b.agree.del(key)
		b.svcs.del(key)
		return
	}
	switch e.kind {
	case delegateChanged:
		vmID := fmt.Sprintf("%s#delegate-%d", b.did, b.delegates)
		switch e.dtype {
		case "sigAuth":
			b.auth.set(key, vmID)
			fallthrough
		case "veriKey":
			b.pks.set(key, did.VerificationMethod{
				ID: vmID, Type: did.TypeEcdsaSecp256k1Recovery2020, Controller: b.did,
				BlockchainAccountID: caip10(b.chainID, e.delegate),
			})
		}
	case attributeChanged:
		m := attrPattern.FindStringSubmatch(e.name)
		if isSvc {
			b.svcs.set(key, did.Service{
				ID:              fmt.Sprintf("%s#service-%d", b.did, b.services),
				Type:            m[2],
				ServiceEndpoint: endpoint(e.value),
			})
			return
		}
		vmID := fmt.Sprintf("%s#delegate-%d", b.did, b.delegates)
		b.pks.set(key, b.publicKey(vmID, m[2], m[6], e.value))
		switch m[4] {
		case "sigAuth":
			b.auth.set(key, vmID)
		case "enc":
			b.agree.set(key, vmID)
		}
	}
}

// publicKey maps a did/pub attribute to a verification method ("Known Key
// Types"): the canonical type and encoding for the algorithm; an unknown
// algorithm is kept verbatim with publicKeyHex, or the hinted encoding.
func (b *builder) publicKey(id, alg, enc string, value []byte) did.VerificationMethod {
	vm := did.VerificationMethod{ID: id, Controller: b.did}
	switch alg {
	case "Secp256k1":
		vm.Type = did.TypeEcdsaSecp256k1Verification
		if jwk, err := secp256k1JWK(value); err == nil {
			vm.PublicKeyJwk = jwk
			b.use("jwk")
			return vm
		}
		vm.PublicKeyHex = hex.EncodeToString(value)
		b.use("hex")
		return vm
	case "Ed25519":
		vm.Type = did.TypeEd25519VerificationKey2020
		vm.PublicKeyMultibase = multibaseWithCodec(0xed, value)
		b.use("ed25519")
		return vm
	case "X25519":
		vm.Type = did.TypeX25519KeyAgreementKey2020
		vm.PublicKeyMultibase = multibaseWithCodec(0xec, value)
		b.use("x25519")
		return vm
	case "Multikey":
		// The value already carries its multicodec prefix.
		vm.Type = did.TypeMultikey
		vm.PublicKeyMultibase = mb(value)
		b.use("multikey")
		return vm
	}
	vm.Type = alg
	switch enc {
	case "base58":
		vm.PublicKeyBase58 = mb(value)[1:]
	default:
		vm.PublicKeyHex = hex.EncodeToString(value)
		b.use("hex")
	}
	return vm
}

func (b *builder) use(ctxs ...string) {
	if b.contexts == nil {
		b.contexts = map[string]bool{}
	}
	for _, c := range ctxs {
		b.contexts[c] = true
	}
}

// document assembles the DID document for the final controller address.
func (b *builder) document(owner common.Address, id ID) (*did.Document, error) {
	ctrl := b.did + "#controller"
	doc := &did.Document{ID: b.did}
	doc.VerificationMethod = append(doc.VerificationMethod, did.VerificationMethod{
		ID: ctrl, Type: did.TypeEcdsaSecp256k1Recovery2020, Controller: b.did,
		BlockchainAccountID: caip10(b.chainID, owner),
	})
	refs := []did.Reference{{ID: ctrl}}
	// A public-key DID lists its key as #controllerKey while it still owns
	// the identity ("Relationship to ERC1056", "Controller changes").
	if id.PubKey != nil && owner == id.Address {
		jwk, err := secp256k1JWK(id.PubKey)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", did.ErrInvalidDID, err)
		}
		doc.VerificationMethod = append(doc.VerificationMethod, did.VerificationMethod{
			ID: b.did + "#controllerKey", Type: did.TypeEcdsaSecp256k1Verification, Controller: b.did, PublicKeyJwk: jwk,
		})
		refs = append(refs, did.Reference{ID: b.did + "#controllerKey"})
		b.use("jwk")
	}
	doc.VerificationMethod = append(doc.VerificationMethod, b.pks.values()...)
	doc.Authentication = append([]did.Reference(nil), refs...)
	for _, a := range b.auth.values() {
		doc.Authentication = append(doc.Authentication, did.Reference{ID: a})
	}
	agree := map[string]bool{}
	for _, a := range b.agree.values() {
		agree[a] = true
		doc.KeyAgreement = append(doc.KeyAgreement, did.Reference{ID: a})
	}
	doc.AssertionMethod = append([]did.Reference(nil), refs...)
	for _, pk := range b.pks.values() {
		if !agree[pk.ID] {
			doc.AssertionMethod = append(doc.AssertionMethod, did.Reference{ID: pk.ID})
		}
	}
	doc.Service = b.svcs.values()

	doc.Context = b.context()
	return doc, nil
}

// context lists the base contexts plus one per key representation in use,
// in a fixed order ("JSON-LD Context Definition", "Known Key Types").
func (b *builder) context() []any {
	ctx := []any{did.ContextDIDv1, ctxSecp256k1Recovery}
	if b.contexts["jwk"] || b.contexts["hex"] {
		ctx = append(ctx, ctxSecurityV2)
	}
	if b.contexts["jwk"] {
		ctx = append(ctx, ctxPublicKeyJwk)
	}
	if b.contexts["hex"] {
		ctx = append(ctx, ctxPublicKeyHex)
	}
	if b.contexts["ed25519"] {
		ctx = append(ctx, ctxEd25519_2020)
	}
	if b.contexts["x25519"] {
		ctx = append(ctx, ctxX25519_2020)
	}
	if b.contexts["multikey"] {
		ctx = append(ctx, ctxMultikey)
	}
	return ctx
}

// caip10 is a CAIP-10 account id: eip155:<chain id>:<EIP-55 address>.
func caip10(chainID *big.Int, a common.Address) string {
	return "eip155:" + chainID.String() + ":" + a.Hex()
}

// secp256k1JWK converts a compressed or uncompressed secp256k1 point to a
// public JWK (RFC 8812 §3.1).
func secp256k1JWK(point []byte) (json.RawMessage, error) {
	k, err := multikey.Secp256k1FromBytes(point)
	if err != nil {
		return nil, err
	}
	raw := crypto.FromECDSAPub(k) // 0x04 || X || Y
	return json.Marshal(struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}{"EC", "secp256k1", base64.RawURLEncoding.EncodeToString(raw[1:33]), base64.RawURLEncoding.EncodeToString(raw[33:])})
}

// multibaseWithCodec encodes a raw key behind its multicodec prefix as
// base58btc multibase; code < 0x100 is the unsigned varint [code|0x80, 0x01].
func multibaseWithCodec(code byte, key []byte) string {
	return mb(append([]byte{code, 0x01}, key...))
}

func mb(b []byte) string {
	s, _ := multibase.Encode(multibase.Base58BTC, b) // cannot fail for a known encoding
	return s
}

// endpoint decodes a did/svc value: JSON objects and arrays are embedded,
// anything else is the endpoint string.
func endpoint(v []byte) any {
	var j any
	if len(v) > 0 && (v[0] == '{' || v[0] == '[') && json.Unmarshal(v, &j) == nil {
		return j
	}
	return string(v)
}
