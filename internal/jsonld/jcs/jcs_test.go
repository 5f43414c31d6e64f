package jcs_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld/jcs"
)

// Number cases from RFC 8785 Appendix B.
func TestFormatNumber(t *testing.T) {
	tests := []struct {
		name string
		bits uint64
		want string
	}{
		{"ok/zero", 0x0000000000000000, "0"},
		{"ok/minus-zero", 0x8000000000000000, "0"},
		{"ok/min-pos", 0x0000000000000001, "5e-324"},
		{"ok/min-neg", 0x8000000000000001, "-5e-324"},
		{"ok/max", 0x7fefffffffffffff, "1.7976931348623157e+308"},
		{"ok/max-neg", 0xffefffffffffffff, "-1.7976931348623157e+308"},
		{"ok/max-safe", 0x4340000000000000, "9007199254740992"},
		{"ok/neg-max-safe", 0xc340000000000000, "-9007199254740992"},
		{"ok/1e21-boundary", 0x4430000000000000, "295147905179352830000"},
		{"ok/b1", 0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{"ok/b2", 0x44b52d02c7e14af6, "1e+23"},
		{"ok/b3", 0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{"ok/b4", 0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{"ok/b5", 0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{"ok/b6", 0x444b1ae4d6e2ef50, "1e+21"},
		{"ok/b7", 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{"ok/b8", 0x3eb0c6f7a0b5ed8d, "0.000001"},
		{"ok/b9", 0x41b3de4355555553, "333333333.3333332"},
		{"ok/b10", 0x41b3de4355555554, "333333333.33333325"},
		{"ok/b11", 0x41b3de4355555555, "333333333.3333333"},
		{"ok/b12", 0x41b3de4355555556, "333333333.3333334"},
		{"ok/b13", 0x41b3de4355555557, "333333333.33333343"},
		{"ok/b14", 0xbecbf647612f3696, "-0.0000033333333333333333"},
		{"ok/b15", 0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jcs.FormatNumber(math.Float64frombits(tt.bits))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %s want %s", got, tt.want)
			}
		})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := jcs.FormatNumber(f); !errors.Is(err, jcs.ErrInvalid) {
			t.Fatalf("fail/%v: got %v", f, err)
		}
	}
}

func TestTransform(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// RFC 8785 §3.2.2 example.
		{"ok/rfc-3.2.2", `{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		// RFC 8785 §3.2.3 sorting example.
		{"ok/rfc-3.2.3-sort", `{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"ok/nested-empty", `{"b":[],"a":{}}`, `{"a":{},"b":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jcs.Transform([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`{`, `{"a":1} x`, "\"\xff\"", `1e400`} {
		if _, err := jcs.Transform([]byte(bad)); !errors.Is(err, jcs.ErrInvalid) {
			t.Fatalf("fail/%q: got %v", bad, err)
		}
	}
}

// The eddsa-jcs-2022 vector's canonical document (vc-di-eddsa).
func TestTransformVector(t *testing.T) {
	in, err := os.ReadFile("../../../test/vectors/vc-di-eddsa/TestVectors/unsigned.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../../test/vectors/vc-di-eddsa/TestVectors/eddsa-jcs-2022/canonDocJCS.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := jcs.Transform(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func FuzzTransform(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"x",null,true],"b":{"c":-0}}`))
	f.Add([]byte(`[1e21, 1e-7, "\u0001"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := jcs.Transform(data)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %q", out)
		}
		again, err := jcs.Transform(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q (%v)", out, again, err)
		}
	})
}
