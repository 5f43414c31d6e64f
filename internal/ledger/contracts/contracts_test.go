package contracts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/abigen"
)

// erc1056 is the copy of ../shared/vectors/did-ethr/erc1056-interface.json.
const erc1056 = "../../../test/vectors/did-ethr/erc1056-interface.json"

// TestSelectorsMatchERC1056 asserts that every standard function selector and
// event topic of ERC-1056 is in our ABI, so resolvers and wallets written for
// existing deployments read and write our registry.
func TestSelectorsMatchERC1056(t *testing.T) {
	raw, err := os.ReadFile(erc1056)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Events map[string]struct {
			Topic0 string `json:"topic0"`
		} `json:"events"`
		Functions map[string]struct {
			Selector string `json:"selector"`
		} `json:"functions"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	parsed, err := EthereumDIDRegistryMetaData.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	gotFn := map[string]abi.Method{}
	for _, m := range parsed.Methods {
		gotFn[m.Sig] = m
	}
	gotEv := map[string]abi.Event{}
	for _, e := range parsed.Events {
		gotEv[e.Sig] = e
	}
	if len(want.Functions) != 16 || len(want.Events) != 3 {
		t.Fatalf("vector lists %d functions and %d events, want 16 and 3", len(want.Functions), len(want.Events))
	}
	for sig, w := range want.Functions {
		m, ok := gotFn[sig]
		if !ok {
			t.Errorf("fail/function %s missing from ABI", sig)
			continue
		}
		if got := "0x" + bytesHex(m.ID); got != w.Selector {
			t.Errorf("fail/function %s: selector %s, want %s", sig, got, w.Selector)
		}
	}
	for sig, w := range want.Events {
		e, ok := gotEv[sig]
		if !ok {
			t.Errorf("fail/event %s missing from ABI", sig)
			continue
		}
		if got := e.ID.Hex(); got != w.Topic0 {
			t.Errorf("fail/event %s: topic %s, want %s", sig, got, w.Topic0)
		}
		if !e.Inputs[0].Indexed || e.Inputs[0].Name != "identity" {
			t.Errorf("fail/event %s: first input must be indexed identity", sig)
		}
		for _, in := range e.Inputs[1:] {
			if in.Indexed {
				t.Errorf("fail/event %s: only identity may be indexed, %s is", sig, in.Name)
			}
		}
	}
}

func bytesHex(b []byte) string {
	const hexdig = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(hexdig[c>>4])
		sb.WriteByte(hexdig[c&15])
	}
	return sb.String()
}

// TestGeneratedBindingsUpToDate regenerates each contract's bindings from
// the committed .abi and .bin with the same abigen code `go generate` runs,
// and diffs.
func TestGeneratedBindingsUpToDate(t *testing.T) {
	for typ, out := range generated {
		t.Run("ok/"+typ, func(t *testing.T) {
			abiJSON, err := os.ReadFile(typ + ".abi")
			if err != nil {
				t.Fatal(err)
			}
			bin, err := os.ReadFile(typ + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			code, err := abigen.BindV2([]string{typ}, []string{string(abiJSON)}, []string{string(bin)}, genPkg, map[string]string{}, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if code != string(committed) {
				t.Fatalf("%s differs from abigen --v2 output for the committed %s.abi/.bin: run go generate", out, typ)
			}
		})
	}
}

// TestGenerateDirectives keeps the go:generate lines and the table above in
// step: every contract the test regenerates is one go generate writes.
func TestGenerateDirectives(t *testing.T) {
	src, err := os.ReadFile("contracts.go")
	if err != nil {
		t.Fatal(err)
	}
	for typ, out := range generated {
		want := "--v2 --abi " + typ + ".abi --bin " + typ + ".bin --pkg " + genPkg + " --type " + typ + " --out " + out
		if !strings.Contains(string(src), want) {
			t.Errorf("fail/%s: contracts.go has no go:generate line with %q", typ, want)
		}
	}
}

// TestCompiledArtifactsUpToDate recompiles the contracts with the pinned
// solc into a temp dir and diffs every artifact. It needs node and the npm
// package installed (npm ci in this folder); without them it skips.
func TestCompiledArtifactsUpToDate(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipping: node not on PATH; the committed .abi/.bin cannot be recompiled here")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "solc", "package.json")); err != nil {
		t.Skip("skipping: npm solc not installed (run `npm ci` in internal/ledger/contracts to enable this check)")
	}
	dir := t.TempDir()
	cmd := exec.Command("node", "compile.js", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile: %v\n%s", err, out)
	}
	files := []string{"StatusAnchor.runtime.bin"}
	for typ := range generated {
		files = append(files, typ+".abi", typ+".bin")
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh solc compile: run go generate", f)
		}
	}
}

// TestStatusAnchorInterface pins the anchor contract's selectors and event
// topic: verifiers of other implementations call them by these ids.
func TestStatusAnchorInterface(t *testing.T) {
	parsed, err := StatusAnchorMetaData.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, sig string }{
		{"anchor", "anchor(bytes32[],bytes32[])"},
		{"latest", "latest(address,bytes32)"},
		{"changed", "changed(address,bytes32)"},
	} {
		m, ok := parsed.Methods[tc.name]
		if !ok || m.Sig != tc.sig {
			t.Errorf("fail/%s: method %q, want %s", tc.name, m.Sig, tc.sig)
		}
	}
	ev, ok := parsed.Events["Anchored"]
	if !ok || ev.Sig != "Anchored(address,bytes32,bytes32,uint64,uint64)" {
		t.Fatalf("fail/Anchored: event %q", ev.Sig)
	}
	if !ev.Inputs[0].Indexed || !ev.Inputs[1].Indexed || ev.Inputs[2].Indexed {
		t.Error("fail/Anchored: writer and key must be indexed, nothing else")
	}
	rt := StatusAnchorRuntime()
	if len(rt) < 100 || !strings.Contains(StatusAnchorMetaData.Bin, rt) {
		t.Error("fail/runtime: StatusAnchor.runtime.bin is not the tail of the creation code")
	}
}
