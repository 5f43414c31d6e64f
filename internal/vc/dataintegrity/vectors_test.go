package dataintegrity

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld"
)

func newEngine() *Engine { return New(jsonld.New(jsonld.WithExampleContexts()), nil) }

// TestStepVectors reproduces every intermediate of the published vectors:
// canonical document and proof configuration, their hashes, the combined
// hash, and for Ed25519 the signature itself (deterministic); the ECDSA
// signatures are randomized, so the published ones are verified instead.
func TestStepVectors(t *testing.T) {
	const ed, ec = "vc-di-eddsa/TestVectors/", "vc-di-ecdsa/TestVectors/"
	tests := []struct {
		name, dir, suffix, unsigned, keys string
		legacy                            bool
	}{
		{"ok/eddsa-rdfc-2022", ed + "eddsa-rdfc-2022/", "DataInt", ed + "unsigned.json", ed + "keyPair.json", false},
		{"ok/eddsa-rdfc-2022-employ", ed + "eddsa-rdfc-2022/employ/", "DataInt", ed + "employmentAuth.json", ed + "keyPair.json", false},
		{"ok/eddsa-jcs-2022", ed + "eddsa-jcs-2022/", "JCS", ed + "unsigned.json", ed + "keyPair.json", false},
		{"ok/ed25519signature2020", ed + "Ed25519Signature2020/", "EdSig", ed + "unsigned.json", ed + "keyPair.json", true},
		{"ok/ecdsa-rdfc-2019-p256", ec + "ecdsa-rdfc-2019-p256/", "ECDSAP256", ec + "unsigned.json", ec + "p256KeyPair.json", false},
		{"ok/ecdsa-rdfc-2019-p256-employ", ec + "ecdsa-rdfc-2019-p256/employ/", "ECDSAP256", ec + "employmentAuth.json", ec + "p256KeyPair.json", false},
		{"ok/ecdsa-jcs-2019-p256", ec + "ecdsa-jcs-2019-p256/", "JCSECDSAP256", ec + "unsigned.json", ec + "p256KeyPair.json", false},
		{"ok/ecdsa-jcs-2019-p384", ec + "ecdsa-jcs-2019-p384/", "JCSECDSAP384", ec + "unsigned.json", ec + "p384KeyPair.json", false},
	}
	e := newEngine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp := loadKeyPair(t, tt.keys, "")
			cfg := readJSON(t, tt.dir+"proofConfig"+tt.suffix+".json")
			var s suite
			if tt.legacy {
				s = legacySuites[cfg["type"].(string)]
			} else {
				s = dataIntegritySuites[cfg["cryptosuite"].(string)]
			}
			h, ok := hashFor(s, kp.pub)
			if !ok {
				t.Fatal("key does not fit suite")
			}
			unsigned := readJSON(t, tt.unsigned)
			if tt.legacy { // the legacy vector's document adds the suite context
				unsigned["@context"] = cfg["@context"]
			}
			canonDoc, err := e.canonicalize(s, unsigned)
			if err != nil {
				t.Fatal(err)
			}
			if want := readText(t, tt.dir+"canonDoc"+tt.suffix+".txt"); strings.TrimSpace(string(canonDoc)) != want {
				t.Fatalf("canonical document:\n%s\nwant:\n%s", canonDoc, want)
			}
			docHash, err := e.hashDocument(s, h, unsigned)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(docHash), readText(t, tt.dir+"docHash"+tt.suffix+".txt"); got != want {
				t.Fatalf("doc hash %s want %s", got, want)
			}
			canonCfg, err := e.canonicalize(s, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := readText(t, tt.dir+"proofCanon"+tt.suffix+".txt"); strings.TrimSpace(string(canonCfg)) != want {
				t.Fatalf("canonical proof config:\n%s\nwant:\n%s", canonCfg, want)
			}
			cfgHash, err := e.hashDocument(s, h, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(cfgHash), readText(t, tt.dir+"proofHash"+tt.suffix+".txt"); got != want {
				t.Fatalf("proof hash %s want %s", got, want)
			}
			combined := append(cfgHash, docHash...)
			if got, want := hex.EncodeToString(combined), readText(t, tt.dir+"combinedHash"+tt.suffix+".txt"); got != want {
				t.Fatalf("combined hash %s want %s", got, want)
			}
			sigHex := readText(t, tt.dir+"sigHex"+tt.suffix+".txt")
			if s.key == keyEd25519 {
				sig, err := signHashData(kp.priv, h, combined)
				if err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(sig); got != sigHex {
					t.Fatalf("signature %s want %s", got, sigHex)
				}
			}
			sig, err := decodeProofValue(readText(t, tt.dir+"sigBTC58"+tt.suffix+".txt"))
			if err != nil || hex.EncodeToString(sig) != sigHex {
				t.Fatalf("sigBTC58 does not decode to sigHex: %v", err)
			}
			if !verifyHashData(kp.pub, h, combined, sig) {
				t.Fatal("published signature does not verify")
			}
			signed := readJSON(t, tt.dir+"signed"+tt.suffix+".json")
			res, err := e.Verify(context.Background(), signed, newLocalKeys(kp), Expect{})
			if err != nil || !res.Verified() {
				t.Fatalf("verify signed vector: %v", err)
			}
		})
	}
}

// TestSignReproducesVectors signs the unsigned vectors with the vector keys
// and options and expects the published secured documents byte for byte
// (Ed25519 only: ECDSA signatures are randomized).
func TestSignReproducesVectors(t *testing.T) {
	const ed = "vc-di-eddsa/TestVectors/"
	const psc = ed + "proof-set-chain/"
	e := newEngine()
	tests := []struct {
		name, in, keys, member, cfg, want string
	}{
		{"ok/eddsa-rdfc-2022", ed + "unsigned.json", ed + "keyPair.json", "", ed + "eddsa-rdfc-2022/proofConfigDataInt.json", ed + "eddsa-rdfc-2022/signedDataInt.json"},
		{"ok/eddsa-rdfc-2022-employ", ed + "employmentAuth.json", ed + "keyPair.json", "", ed + "eddsa-rdfc-2022/employ/proofConfigDataInt.json", ed + "eddsa-rdfc-2022/employ/signedDataInt.json"},
		{"ok/eddsa-jcs-2022", ed + "unsigned.json", ed + "keyPair.json", "", ed + "eddsa-jcs-2022/proofConfigJCS.json", ed + "eddsa-jcs-2022/signedJCS.json"},
		{"ok/proof-set-1", psc + "unsigned.json", psc + "multiKeyPairs.json", "keyPair1", psc + "proofSetConfig1.json", psc + "signedProofSet1.json"},
		{"ok/proof-set-2", psc + "signedProofSet1.json", psc + "multiKeyPairs.json", "keyPair2", psc + "proofSetConfig2.json", psc + "signedProofSet2.json"},
		{"ok/proof-chain-1", psc + "signedProofSet2.json", psc + "multiKeyPairs.json", "keyPair3", psc + "proofChainConfig1.json", psc + "signedProofChain1.json"},
		{"ok/proof-chain-2", psc + "signedProofChain1.json", psc + "multiKeyPairs.json", "keyPair4", psc + "proofChainConfig2.json", psc + "signedProofChain2.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp := loadKeyPair(t, tt.keys, tt.member)
			cfg := readJSON(t, tt.cfg)
			opts := Options{
				Cryptosuite:        str(cfg["cryptosuite"]),
				VerificationMethod: str(cfg["verificationMethod"]),
				Purpose:            str(cfg["proofPurpose"]),
				Created:            str(cfg["created"]),
				ID:                 str(cfg["id"]),
				PreviousProof:      strs(cfg["previousProof"]),
			}
			got, err := e.Sign(context.Background(), readJSON(t, tt.in), kp.priv, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := readJSON(t, tt.want)
			if !equalJSON(got, want) {
				t.Fatalf("signed document differs:\n got %v\nwant %v", got["proof"], want["proof"])
			}
			res, err := e.Verify(context.Background(), got, newLocalKeys(append(loadAll(t, tt.keys), kp)...), Expect{})
			if err != nil || !res.Verified() {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func loadAll(t *testing.T, path string) []keyPair {
	if !strings.HasSuffix(path, "multiKeyPairs.json") {
		return nil
	}
	var out []keyPair
	for _, m := range []string{"keyPair1", "keyPair2", "keyPair3", "keyPair4"} {
		out = append(out, loadKeyPair(t, path, m))
	}
	return out
}
