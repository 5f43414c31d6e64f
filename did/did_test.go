package did_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/did"
)

func TestParse(t *testing.T) {
	long := "did:ex:" + strings.Repeat("a", did.MaxLength)
	for _, tc := range []struct {
		name, in     string
		method, id   string
		wantErr      bool
		roundTripsTo string
	}{
		{name: "ok/example", in: "did:example:123456789abcdefghi", method: "example", id: "123456789abcdefghi"},
		{name: "ok/digits-in-method", in: "did:a1:x", method: "a1", id: "x"},
		{name: "ok/colon-segments", in: "did:ethr:0x5:0xb9c5714089478a327f09197987f16f9e5d936e8a", method: "ethr", id: "0x5:0xb9c5714089478a327f09197987f16f9e5d936e8a"},
		// §3.1: method-specific-id = *( *idchar ":" ) 1*idchar, so empty
		// inner and leading segments are allowed; only the last must not be.
		{name: "ok/empty-inner-segment", in: "did:ex:a::b", method: "ex", id: "a::b"},
		{name: "ok/leading-colon", in: "did:ex::b", method: "ex", id: ":b"},
		{name: "ok/pct-encoded", in: "did:web:example.com%3A8443", method: "web", id: "example.com%3A8443"},
		{name: "ok/pct-lowercase-hex", in: "did:ex:%3a", method: "ex", id: "%3a"},
		{name: "ok/idchars", in: "did:ex:A-Z.a_z-0", method: "ex", id: "A-Z.a_z-0"},
		{name: "ok/max-length", in: long[:did.MaxLength], method: "ex", id: long[7:did.MaxLength]},
		{name: "fail/empty", in: "", wantErr: true},
		{name: "fail/scheme-only", in: "did:", wantErr: true},
		{name: "fail/no-id", in: "did:ex", wantErr: true},
		{name: "fail/empty-id", in: "did:ex:", wantErr: true},
		{name: "fail/empty-method", in: "did::x", wantErr: true},
		{name: "fail/uppercase-method", in: "did:EX:x", wantErr: true},
		{name: "fail/mixed-case-method", in: "did:Example:x", wantErr: true},
		{name: "fail/hyphen-in-method", in: "did:ex-1:x", wantErr: true},
		{name: "fail/uppercase-scheme", in: "DID:ex:x", wantErr: true},
		{name: "fail/trailing-colon", in: "did:ex:a:", wantErr: true},
		{name: "fail/only-colon", in: "did:ex::", wantErr: true},
		{name: "fail/pct-short", in: "did:ex:a%4", wantErr: true},
		{name: "fail/pct-alone", in: "did:ex:a%", wantErr: true},
		{name: "fail/pct-not-hex", in: "did:ex:%zz", wantErr: true},
		{name: "fail/space", in: "did:ex:a b", wantErr: true},
		{name: "fail/path", in: "did:ex:a/b", wantErr: true},
		{name: "fail/query", in: "did:ex:a?b", wantErr: true},
		{name: "fail/fragment", in: "did:ex:a#b", wantErr: true},
		{name: "fail/non-ascii", in: "did:ex:é", wantErr: true},
		{name: "fail/nul", in: "did:ex:a\x00", wantErr: true},
		{name: "fail/over-long", in: long, wantErr: true},
		{name: "fail/no-scheme", in: "example:123", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := did.Parse(tc.in)
			if tc.wantErr {
				if !errors.Is(err, did.ErrInvalidDID) || d != (did.DID{}) {
					t.Fatalf("Parse(%q) = %+v, %v; want ErrInvalidDID", tc.in, d, err)
				}
				if did.ErrorCode(err) != "INVALID_DID" {
					t.Fatalf("ErrorCode = %s", did.ErrorCode(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if d.Method != tc.method || d.ID != tc.id {
				t.Fatalf("Parse(%q) = %+v, want method %q id %q", tc.in, d, tc.method, tc.id)
			}
			if d.String() != tc.in {
				t.Fatalf("String() = %q, want %q", d.String(), tc.in)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     did.URL
		str      string // String(); "" means the input
		wantErr  bool
	}{
		{name: "ok/bare", in: "did:ex:a", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}}},
		{name: "ok/fragment", in: "did:ex:a#key-1", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Fragment: "key-1"}},
		{name: "ok/multikey-fragment", in: "did:key:z6Mk#z6Mk", want: did.URL{DID: did.DID{Method: "key", ID: "z6Mk"}, Fragment: "z6Mk"}},
		{name: "ok/path", in: "did:ex:a/path/to", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Path: "/path/to"}},
		{name: "ok/root-path", in: "did:ex:a/", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Path: "/"}},
		{name: "ok/query", in: "did:ex:a?versionId=1", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Query: url.Values{"versionId": {"1"}}}},
		{
			name: "ok/all-parts", in: "did:ex:a:b/p/q?x=1&y=2&x=3#frag",
			want: did.URL{DID: did.DID{Method: "ex", ID: "a:b"}, Path: "/p/q", Query: url.Values{"x": {"1", "3"}, "y": {"2"}}, Fragment: "frag"},
			str:  "did:ex:a:b/p/q?x=1&x=3&y=2#frag", // Query.Encode sorts by key
		},
		{
			name: "ok/relative-ref", in: "did:ex:a?service=files&relativeRef=%2Fresume.pdf",
			want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Query: url.Values{"service": {"files"}, "relativeRef": {"/resume.pdf"}}},
			str:  "did:ex:a?relativeRef=%2Fresume.pdf&service=files",
		},
		// RFC 3986 §3.5: "?" and "/" belong to the fragment once "#" is seen.
		{name: "ok/fragment-with-query-chars", in: "did:ex:a#f?x/y", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Fragment: "f?x/y"}},
		{name: "ok/query-with-slash", in: "did:ex:a?x=/y", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Query: url.Values{"x": {"/y"}}}, str: "did:ex:a?x=%2Fy"},
		{name: "ok/empty-query", in: "did:ex:a?", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Query: url.Values{}}, str: "did:ex:a"},
		{name: "ok/pchar-sub-delims", in: "did:ex:a/!$&'()*+,;=:@~#a:@!", want: did.URL{DID: did.DID{Method: "ex", ID: "a"}, Path: "/!$&'()*+,;=:@~", Fragment: "a:@!"}},
		{name: "fail/empty-fragment", in: "did:ex:a#", wantErr: true},
		{name: "fail/second-hash", in: "did:ex:a#f#g", wantErr: true},
		{name: "fail/fragment-space", in: "did:ex:a#f g", wantErr: true},
		{name: "fail/fragment-bad-pct", in: "did:ex:a#%g0", wantErr: true},
		{name: "fail/path-space", in: "did:ex:a/p q", wantErr: true},
		{name: "fail/path-bad-pct", in: "did:ex:a/%4", wantErr: true},
		{name: "fail/path-backslash", in: "did:ex:a/p\\q", wantErr: true},
		{name: "fail/query-bad-pct", in: "did:ex:a?x=%zz", wantErr: true},
		{name: "fail/query-bracket", in: "did:ex:a?x=[1]", wantErr: true},
		{name: "fail/query-semicolon", in: "did:ex:a?x=1;y=2", wantErr: true}, // net/url refuses ";" as a separator
		{name: "fail/bad-did", in: "did:EX:a#f", wantErr: true},
		{name: "fail/trailing-colon-before-fragment", in: "did:ex:a:#f", wantErr: true},
		{name: "fail/no-did", in: "#f", wantErr: true},
		{name: "fail/over-long", in: "did:ex:a#" + strings.Repeat("f", did.MaxLength), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := did.ParseURL(tc.in)
			if tc.wantErr {
				if !errors.Is(err, did.ErrInvalidDID) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want ErrInvalidDID", tc.in, u, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("ParseURL(%q) = %#v, want %#v", tc.in, u, tc.want)
			}
			want := tc.str
			if want == "" {
				want = tc.in
			}
			if u.String() != want {
				t.Fatalf("String() = %q, want %q", u.String(), want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"did:example:123", "did:ex:a::b", "did:web:example.com%3A8443", "did:ex:a:", "did:EX:a", "did:ex:%4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := did.Parse(s)
		if err != nil {
			if !errors.Is(err, did.ErrInvalidDID) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidDID", s, err)
			}
			return
		}
		// What parses prints back exactly and parses to the same value.
		if d.String() != s {
			t.Fatalf("String() = %q, input %q", d.String(), s)
		}
		if again, err := did.Parse(d.String()); err != nil || again != d {
			t.Fatalf("re-parse %q = %+v, %v", s, again, err)
		}
	})
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"did:ex:a/p?x=1&y=2#f", "did:ex:a#f?x/y", "did:ex:a?", "did:ex:a#", "did:ex:a?x=%2F", "did:key:z6Mk#z6Mk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := did.ParseURL(s)
		if err != nil {
			if !errors.Is(err, did.ErrInvalidDID) {
				t.Fatalf("ParseURL(%q) error %v does not wrap ErrInvalidDID", s, err)
			}
			return
		}
		// String() may re-encode the query but must stay a DID URL that
		// parses to the same parts.
		again, err := did.ParseURL(u.String())
		if err != nil {
			t.Fatalf("ParseURL(%q).String() = %q does not parse: %v", s, u.String(), err)
		}
		if again.DID != u.DID || again.Path != u.Path || again.Fragment != u.Fragment || len(again.Query) != len(u.Query) {
			t.Fatalf("round trip of %q: %#v vs %#v", s, u, again)
		}
	})
}
