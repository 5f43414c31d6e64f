package jsonx

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestCheckStrict(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"ok/object", `{"a":1,"b":[true,false,null,"x\"y"],"c":{"a":-1.5e+3}}`, nil},
		{"ok/same name at different levels", `{"a":{"a":1},"b":{"a":2}}`, nil},
		{"ok/many members", `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1}`, nil},
		{"fail/duplicate", `{"a":1,"a":2}`, ErrDuplicateKey},
		{"fail/duplicate nested", `{"x":{"iss":"a","iss":"b"}}`, ErrDuplicateKey},
		{"fail/duplicate via escape", `{"alg":"EdDSA","\u0061lg":"none"}`, ErrDuplicateKey},
		{"fail/duplicate after 16 members", `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"a":1}`, ErrDuplicateKey},
		{"fail/trailing", `{"a":1} {}`, ErrSyntax},
		{"fail/unterminated", `{"a":1`, ErrSyntax},
		{"fail/leading zero", `{"a":01}`, ErrSyntax},
		{"fail/bare word", `{"a":nope}`, ErrSyntax},
		{"fail/empty", ``, ErrSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckStrict([]byte(tc.in))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("CheckStrict(%s) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	deep := ""
	for i := 0; i <= MaxDepth+1; i++ {
		deep += "["
	}
	if err := CheckStrict([]byte(deep)); !errors.Is(err, ErrSyntax) {
		t.Fatalf("deep nesting: got %v", err)
	}
}

func FuzzCheckStrict(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2,{"b":"c"}]`, `{"a":1,"a":2}`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckStrict(data)
		// Whatever we accept, encoding/json must accept too.
		if err == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
	})
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"b":[true,false,null,"x\"y\u00e9"],"c":{"d":-1.5e+3,"e":[]},"f":{},"g":0.1}`,
		`{"vc":{"@context":["https://www.w3.org/2018/credentials/v1"],"credentialSubject":{"id":"did:key:z6Mk"}},"nbf":1796292000,"iss":"did:key:z6Mk"}`,
		"{\"bad utf8\":\"\xff\"}",
	} {
		got, err := DecodeObject([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("DecodeObject(%s) = %s, encoding/json gives %s", in, g, w)
		}
	}
	for _, tc := range []struct {
		in   string
		want error
	}{
		{`{"a":1,"a":2}`, ErrDuplicateKey},
		{`{"alg":"x","\u0061lg":"none"}`, ErrDuplicateKey},
		{`[1]`, ErrSyntax},
		{`{"a":1} x`, ErrSyntax},
		{`{"a":01}`, ErrSyntax},
	} {
		if _, err := DecodeObject([]byte(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("DecodeObject(%s) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1,{"b":"c"}]}`, `{"a":1,"a":2}`, `{"\u00e9":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeObject(data)
		if err != nil {
			return
		}
		var want map[string]any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %q: %v", data, err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%q: got %s, want %s", data, g, w)
		}
	})
}

func TestUnmarshalKnown(t *testing.T) {
	var v struct {
		Name    string `json:"name"`
		KeyType string `json:"keyType"`
	}
	if err := UnmarshalKnown([]byte(`{"name":"HR","keyType":"P-256"}`), &v); err != nil || v.KeyType != "P-256" {
		t.Fatalf("ok: %v %+v", err, v)
	}
	for _, in := range []string{`{"name":"HR","keyTyp":"P-256"}`, `{"name":"HR","name":"x"}`} {
		if err := UnmarshalKnown([]byte(in), &v); err == nil {
			t.Errorf("UnmarshalKnown(%s) accepted", in)
		}
	}
}
