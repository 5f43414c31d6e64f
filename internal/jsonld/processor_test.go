package jsonld_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld"
)

const vectors = "../../test/vectors"

func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readText(t testing.TB, path string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestCanonicalizeRDFCVectors(t *testing.T) {
	p := jsonld.New(jsonld.WithExampleContexts())
	tests := []struct{ name, in, want string }{
		{"ok/eddsa-unsigned", "vc-di-eddsa/TestVectors/unsigned.json", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/canonDocDataInt.txt"},
		{"ok/eddsa-employ", "vc-di-eddsa/TestVectors/employmentAuth.json", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/employ/canonDocDataInt.txt"},
		{"ok/eddsa-proof-config", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/proofConfigDataInt.json", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/proofCanonDataInt.txt"},
		{"ok/ed25519signature2020-config", "vc-di-eddsa/TestVectors/Ed25519Signature2020/proofConfigEdSig.json", "vc-di-eddsa/TestVectors/Ed25519Signature2020/proofCanonEdSig.txt"},
		{"ok/ecdsa-employ", "vc-di-ecdsa/TestVectors/employmentAuth.json", "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/employ/canonDocECDSAP256.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // the second run uses the cached active context
				got, err := p.CanonicalizeRDFC(readJSON(t, tt.in))
				if err != nil {
					t.Fatal(err)
				}
				if want := readText(t, tt.want); got != want {
					t.Fatalf("run %d:\ngot:\n%s\nwant:\n%s", i, got, want)
				}
			}
		})
	}
}
