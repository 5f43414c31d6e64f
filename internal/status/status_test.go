package status_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/multiformats/go-multibase"

	"github.com/credentialflow/cflow/internal/status"
)

const vectorDir = "../../test/vectors/bitstring-status-list"

// specEncodedList is the only encodedList published in the Bitstring Status
// List spec (examples "Example BitstringStatusListCredential" and "A Status
// List Verifiable Credential"); it is read from the vector file in
// TestSpecExamples and repeated here for the table tests.
const specEncodedList = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

// legacyEncodedList is the encodedList of the StatusList2021Credential example
// in the W3C CCG "Status List 2021" report (w3c-ccg/vc-status-list-2021,
// §"StatusList2021Credential"): the same GZIP stream, base64url without a
// multibase prefix.
const legacyEncodedList = "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

type specExample struct {
	Title     string `json:"title"`
	ValidJSON bool   `json:"valid_json"`
	Text      string `json:"text"`
}

func loadSpecExamples(t *testing.T) []specExample {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, "spec-examples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Examples []specExample `json:"examples"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Examples) != 7 {
		t.Fatalf("spec-examples.json: %d examples, want 7", len(file.Examples))
	}
	return file.Examples
}

// TestSpecExamples decodes every encodedList of the spec's examples and
// parses every statusListIndex, including those of examples that are not
// valid JSON (they contain "..." or // comments).
func TestSpecExamples(t *testing.T) {
	examples := loadSpecExamples(t)

	var decoded int
	for _, ex := range examples {
		if !ex.ValidJSON {
			continue
		}
		var vc struct {
			CredentialSubject struct {
				Type          string `json:"type"`
				StatusPurpose string `json:"statusPurpose"`
				EncodedList   string `json:"encodedList"`
			} `json:"credentialSubject"`
		}
		if err := json.Unmarshal([]byte(ex.Text), &vc); err != nil {
			t.Fatalf("%s: %v", ex.Title, err)
		}
		if vc.CredentialSubject.EncodedList == "" {
			continue
		}
		decoded++
		t.Run("ok/"+ex.Title, func(t *testing.T) {
			if vc.CredentialSubject.EncodedList != specEncodedList {
				t.Fatalf("vector changed: %q", vc.CredentialSubject.EncodedList)
			}
			l, err := status.Decode(vc.CredentialSubject.EncodedList)
			if err != nil {
				t.Fatal(err)
			}
			if l.Len() != status.MinEntries {
				t.Fatalf("Len() = %d, want %d", l.Len(), status.MinEntries)
			}
			if !bytes.Equal(l.Bytes(), make([]byte, status.MinEntries/8)) {
				t.Fatal("spec list has set bits, want none")
			}
			// The credentials in the other examples point at this list
			// (status/3) with index 94567: not revoked.
			if v, err := l.Get(94567); err != nil || v {
				t.Fatalf("Get(94567) = %v, %v; want false, nil", v, err)
			}
		})
	}
	if decoded != 2 {
		t.Fatalf("decoded %d spec encodedLists, want 2", decoded)
	}

	re := regexp.MustCompile(`"statusListIndex":\s*"([^"]*)"`)
	got := map[int]int{}
	for _, ex := range examples {
		for _, m := range re.FindAllStringSubmatch(ex.Text, -1) {
			i, err := status.ParseIndex(m[1])
			if err != nil {
				t.Fatalf("%s: ParseIndex(%q): %v", ex.Title, m[1], err)
			}
			got[i]++
		}
	}
	want := map[int]int{94567: 4, 23452: 1, 492847: 1, 12345: 2}
	if len(got) != len(want) {
		t.Fatalf("statusListIndex values = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("statusListIndex values = %v, want %v", got, want)
		}
	}
}

func TestLegacySpecExample(t *testing.T) {
	l, err := status.DecodeLegacy(legacyEncodedList)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != status.MinEntries || !bytes.Equal(l.Bytes(), make([]byte, status.MinEntries/8)) {
		t.Fatalf("legacy example: Len() = %d, want %d entries all 0", l.Len(), status.MinEntries)
	}
	// The two forms are not interchangeable: 'u' is a base64url digit, so
	// the prefix must be exactly where the form says.
	if _, err := status.Decode(legacyEncodedList); !errors.Is(err, status.ErrInvalidEncoding) {
		t.Fatalf("Decode(legacy) error = %v, want ErrInvalidEncoding", err)
	}
	if _, err := status.DecodeLegacy(specEncodedList); !errors.Is(err, status.ErrInvalidEncoding) {
		t.Fatalf("DecodeLegacy(multibase) error = %v, want ErrInvalidEncoding", err)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries int
		wantLen int
		wantErr error
	}{
		{"ok/minimum", status.MinEntries, status.MinEntries, nil},
		{"ok/rounded-up-to-a-byte", status.MinEntries + 1, status.MinEntries + 8, nil},
		{"ok/maximum", status.MaxEntries, status.MaxEntries, nil},
		{"fail/one-below-minimum", status.MinEntries - 1, 0, status.ErrTooShort},
		{"fail/zero", 0, 0, status.ErrTooShort},
		{"fail/negative", -1, 0, status.ErrTooShort},
		{"fail/above-maximum", status.MaxEntries + 1, 0, status.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := status.New(tc.entries)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("New(%d) error = %v, want %v", tc.entries, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if l.Len() != tc.wantLen {
				t.Fatalf("Len() = %d, want %d", l.Len(), tc.wantLen)
			}
		})
	}
}

// TestBitOrder pins §"Bitstring Expansion Algorithm": index 0 is the left-most
// (most significant) bit of the first byte.
func TestBitOrder(t *testing.T) {
	last := status.MinEntries - 1
	for _, tc := range []struct {
		name    string
		indexes []int
		want    map[int]byte // byte offset -> value; every other byte is 0
	}{
		{"ok/index-0", []int{0}, map[int]byte{0: 0x80}},
		{"ok/index-7", []int{7}, map[int]byte{0: 0x01}},
		{"ok/index-8", []int{8}, map[int]byte{1: 0x80}},
		{"ok/last-index", []int{last}, map[int]byte{last / 8: 0x01}},
		{"ok/0-7-8-last", []int{0, 7, 8, last}, map[int]byte{0: 0x81, 1: 0x80, last / 8: 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := status.New(status.MinEntries)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range tc.indexes {
				if err := l.Set(i, true); err != nil {
					t.Fatal(err)
				}
			}
			checkBytes(t, l.Bytes(), tc.want)
			checkSet(t, l, tc.indexes)

			enc, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			// Check the wire form independently of Decode.
			checkBytes(t, gunzipManually(t, enc, true), tc.want)
			back, err := status.Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			checkBytes(t, back.Bytes(), tc.want)
			checkSet(t, back, tc.indexes)

			legacy, err := l.EncodeLegacy()
			if err != nil {
				t.Fatal(err)
			}
			if legacy != enc[1:] {
				t.Fatalf("EncodeLegacy() = %q, want Encode() without its prefix %q", legacy, enc[1:])
			}
			checkBytes(t, gunzipManually(t, legacy, false), tc.want)
			back, err = status.DecodeLegacy(legacy)
			if err != nil {
				t.Fatal(err)
			}
			checkSet(t, back, tc.indexes)
		})
	}
}

func checkBytes(t *testing.T, got []byte, want map[int]byte) {
	t.Helper()
	if len(got) != status.MinEntries/8 {
		t.Fatalf("len = %d, want %d", len(got), status.MinEntries/8)
	}
	for i, b := range got {
		if b != want[i] {
			t.Fatalf("byte %d = %#02x, want %#02x", i, b, want[i])
		}
	}
}

func checkSet(t *testing.T, l *status.List, set []int) {
	t.Helper()
	isSet := map[int]bool{}
	for _, i := range set {
		isSet[i] = true
	}
	for i := 0; i < l.Len(); i++ {
		v, err := l.Get(i)
		if err != nil {
			t.Fatal(err)
		}
		if v != isSet[i] {
			t.Fatalf("Get(%d) = %v, want %v", i, v, isSet[i])
		}
	}
}

// gunzipManually undoes Encode with the standard library only, checking the
// multibase prefix and the absence of padding on the way.
func gunzipManually(t *testing.T, enc string, prefixed bool) []byte {
	t.Helper()
	if prefixed {
		if !strings.HasPrefix(enc, "u") {
			t.Fatalf("encodedList %q lacks the multibase prefix 'u'", enc)
		}
		enc = enc[1:]
	}
	if strings.ContainsAny(enc, "=+/") {
		t.Fatalf("encodedList %q is not unpadded base64url", enc)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 10 || raw[0] != 0x1f || raw[1] != 0x8b || raw[2] != 8 {
		t.Fatalf("not a GZIP/deflate stream: % x", raw[:min(len(raw), 10)])
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSetClears(t *testing.T) {
	l, err := status.New(status.MinEntries)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 9} {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set(1, false); err != nil {
		t.Fatal(err)
	}
	if err := l.Set(2, false); err != nil { // clearing a clear bit is a no-op
		t.Fatal(err)
	}
	checkBytes(t, l.Bytes(), map[int]byte{0: 0x80, 1: 0x40})
}

func TestIndexOutOfRange(t *testing.T) {
	l, err := status.New(status.MinEntries + 1) // rounded to MinEntries+8
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		i    int
	}{
		{"fail/negative", -1},
		{"fail/min-int", math.MinInt},
		{"fail/len", status.MinEntries + 8},
		{"fail/len-plus-one", status.MinEntries + 9},
		{"fail/max-int", math.MaxInt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Get(tc.i); !errors.Is(err, status.ErrIndexOutOfRange) {
				t.Fatalf("Get(%d) error = %v, want ErrIndexOutOfRange", tc.i, err)
			}
			if err := l.Set(tc.i, true); !errors.Is(err, status.ErrIndexOutOfRange) {
				t.Fatalf("Set(%d) error = %v, want ErrIndexOutOfRange", tc.i, err)
			}
		})
	}
	t.Run("ok/last-of-rounded-list", func(t *testing.T) {
		if err := l.Set(status.MinEntries+7, true); err != nil {
			t.Fatal(err)
		}
		if v, err := l.Get(status.MinEntries + 7); err != nil || !v {
			t.Fatalf("Get = %v, %v; want true, nil", v, err)
		}
	})
}

func TestFromBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		wantErr error
	}{
		{"ok/minimum", status.MinEntries / 8, nil},
		{"fail/one-byte-short", status.MinEntries/8 - 1, status.ErrTooShort},
		{"fail/empty", 0, status.ErrTooShort},
		{"fail/one-byte-too-many", status.MaxEntries/8 + 1, status.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := make([]byte, tc.n)
			l, err := status.FromBytes(in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("FromBytes error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			in[0] = 0xff // FromBytes copies
			if v, _ := l.Get(0); v {
				t.Fatal("FromBytes aliases its argument")
			}
		})
	}
}

// gz returns the GZIP of n zero bytes.
func gz(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func u(b []byte) string { return "u" + base64.RawURLEncoding.EncodeToString(b) }

func mb(t *testing.T, base multibase.Encoding, b []byte) string {
	t.Helper()
	s, err := multibase.Encode(base, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is the GZIP of 64 MiB of zeros (8 times MaxEntries): about 64 KB.
func gzipBomb(t *testing.T) []byte {
	bombOnce.Do(func() { bomb = gz(t, 8*status.MaxEntries/8) })
	return bomb
}

func TestDecode(t *testing.T) {
	minimal := gz(t, status.MinEntries/8)
	specGzip, err := base64.RawURLEncoding.DecodeString(specEncodedList[1:])
	if err != nil {
		t.Fatal(err)
	}
	// minimal's length is not a multiple of 3, so its padded forms do end in
	// '=' and its last unpadded character carries spare bits.
	//
	// A payload whose last base64url character carries spare bits (4 bits when
	// len%3 == 1, 2 bits when len%3 == 2); setting one makes a second,
	// non-canonical spelling of the same bytes.
	nonCanonical := u(minimal)
	if len(minimal)%3 == 0 {
		t.Fatalf("test setup: need a length not divisible by 3, got %d", len(minimal))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	lastDigit := strings.IndexByte(alphabet, nonCanonical[len(nonCanonical)-1])
	nonCanonical = nonCanonical[:len(nonCanonical)-1] + string(alphabet[lastDigit|1])
	if nonCanonical == u(minimal) {
		t.Fatal("test setup: spare bit already set")
	}

	if !strings.Contains(base64.RawStdEncoding.EncodeToString(specGzip), "+") {
		t.Fatal("test setup: standard-alphabet case has no '+'")
	}

	corrupt := func(b []byte, off int) []byte {
		c := bytes.Clone(b)
		c[len(c)+off] ^= 0xff
		return c
	}

	for _, tc := range []struct {
		name    string
		dec     status.Decoder
		in      string
		wantLen int
		wantErr error
	}{
		{"ok/spec-example", status.Decoder{}, specEncodedList, status.MinEntries, nil},
		{"ok/minimal", status.Decoder{}, u(minimal), status.MinEntries, nil},
		{"ok/two-gzip-members", status.Decoder{}, u(append(gz(t, 8192), gz(t, 8192)...)), status.MinEntries, nil},
		{"ok/at-custom-cap", status.Decoder{MaxEntries: status.MinEntries}, u(minimal), status.MinEntries, nil},
		{"ok/legacy", status.Decoder{Legacy: true}, legacyEncodedList, status.MinEntries, nil},

		// Multibase and base64url.
		{"fail/empty", status.Decoder{}, "", 0, status.ErrInvalidEncoding},
		{"fail/prefix-only", status.Decoder{}, "u", 0, status.ErrInvalidEncoding},
		{"fail/no-prefix", status.Decoder{}, legacyEncodedList, 0, status.ErrInvalidEncoding},
		{"fail/base58btc-z", status.Decoder{}, mb(t, multibase.Base58BTC, specGzip), 0, status.ErrInvalidEncoding},
		{"fail/base64url-padded-U", status.Decoder{}, mb(t, multibase.Base64urlPad, minimal), 0, status.ErrInvalidEncoding},
		{"fail/base64-m", status.Decoder{}, mb(t, multibase.Base64, specGzip), 0, status.ErrInvalidEncoding},
		{"fail/base64-padded-M", status.Decoder{}, mb(t, multibase.Base64pad, minimal), 0, status.ErrInvalidEncoding},
		{"fail/padded-after-u", status.Decoder{}, "u" + base64.URLEncoding.EncodeToString(minimal), 0, status.ErrInvalidEncoding},
		{"fail/standard-alphabet-after-u", status.Decoder{}, "u" + base64.RawStdEncoding.EncodeToString(specGzip), 0, status.ErrInvalidEncoding},
		{"fail/non-canonical-trailing-bits", status.Decoder{}, nonCanonical, 0, status.ErrInvalidEncoding},
		{"fail/line-break", status.Decoder{}, specEncodedList[:20] + "\n" + specEncodedList[20:], 0, status.ErrInvalidEncoding},
		{"fail/carriage-return", status.Decoder{}, specEncodedList + "\r", 0, status.ErrInvalidEncoding},
		{"fail/space", status.Decoder{}, specEncodedList + " ", 0, status.ErrInvalidEncoding},

		// GZIP.
		{"fail/not-gzip-raw-bitstring", status.Decoder{}, u(make([]byte, status.MinEntries/8)), 0, status.ErrInvalidEncoding},
		{"fail/not-gzip-zlib", status.Decoder{}, u(zlibZeros(t, status.MinEntries/8)), 0, status.ErrInvalidEncoding},
		{"fail/truncated-header", status.Decoder{}, u(minimal[:5]), 0, status.ErrInvalidEncoding},
		{"fail/truncated-deflate", status.Decoder{}, u(minimal[:len(minimal)/2]), 0, status.ErrInvalidEncoding},
		{"fail/truncated-trailer", status.Decoder{}, u(minimal[:len(minimal)-4]), 0, status.ErrInvalidEncoding},
		{"fail/wrong-crc32", status.Decoder{}, u(corrupt(minimal, -8)), 0, status.ErrInvalidEncoding},
		{"fail/wrong-isize", status.Decoder{}, u(corrupt(minimal, -1)), 0, status.ErrInvalidEncoding},
		{"fail/trailing-garbage", status.Decoder{}, u(append(bytes.Clone(minimal), "junk"...)), 0, status.ErrInvalidEncoding},
		{"fail/trailing-zeros", status.Decoder{}, u(append(bytes.Clone(minimal), 0, 0, 0, 0)), 0, status.ErrInvalidEncoding},

		// Size.
		{"fail/16KB-minus-one-byte", status.Decoder{}, u(gz(t, status.MinEntries/8-1)), 0, status.ErrTooShort},
		{"fail/empty-bitstring", status.Decoder{}, u(gz(t, 0)), 0, status.ErrTooShort},
		{"fail/one-byte-over-custom-cap", status.Decoder{MaxEntries: status.MinEntries}, u(gz(t, status.MinEntries/8+1)), 0, status.ErrTooLarge},
		{"fail/gzip-bomb", status.Decoder{}, u(gzipBomb(t)), 0, status.ErrTooLarge},
		{"fail/legacy-gzip-bomb", status.Decoder{Legacy: true}, u(gzipBomb(t))[1:], 0, status.ErrTooLarge},
		{"fail/encoded-longer-than-cap-allows", status.Decoder{MaxEntries: status.MinEntries}, "u" + strings.Repeat("A", 64<<10), 0, status.ErrTooLarge},

		// Legacy form.
		{"fail/legacy-with-prefix", status.Decoder{Legacy: true}, specEncodedList, 0, status.ErrInvalidEncoding},
		{"fail/legacy-padded", status.Decoder{Legacy: true}, base64.URLEncoding.EncodeToString(minimal), 0, status.ErrInvalidEncoding},
		{"fail/legacy-standard-alphabet", status.Decoder{Legacy: true}, base64.RawStdEncoding.EncodeToString(specGzip), 0, status.ErrInvalidEncoding},
		{"fail/legacy-16KB-minus-one-byte", status.Decoder{Legacy: true}, u(gz(t, status.MinEntries/8-1))[1:], 0, status.ErrTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tc.dec.Decode(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if l != nil {
					t.Fatal("non-nil list with an error")
				}
				if !strings.HasPrefix(err.Error(), "status: decode encodedList: ") {
					t.Fatalf("error %q lacks the package and operation", err)
				}
				return
			}
			if l.Len() != tc.wantLen {
				t.Fatalf("Len() = %d, want %d", l.Len(), tc.wantLen)
			}
		})
	}
}

func zlibZeros(t *testing.T, n int) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeMaximum decodes a list of exactly MaxEntries, with its last bit
// set, under the default cap.
func TestDecodeMaximum(t *testing.T) {
	l, err := status.New(status.MaxEntries)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(status.MaxEntries-1, true); err != nil {
		t.Fatal(err)
	}
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := status.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != status.MaxEntries {
		t.Fatalf("Len() = %d, want %d", back.Len(), status.MaxEntries)
	}
	if v, err := back.Get(status.MaxEntries - 1); err != nil || !v {
		t.Fatalf("Get(last) = %v, %v; want true, nil", v, err)
	}
}

// TestGzipBombIsCheap checks that a bomb is refused without decompressing it
// all: the allocation stays near the cap, not the 64 MiB it expands to.
func TestGzipBombIsCheap(t *testing.T) {
	in := u(gzipBomb(t))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := status.Decode(in)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, status.ErrTooLarge) {
		t.Fatalf("Decode(bomb) error = %v, want ErrTooLarge", err)
	}
	// The cap is MaxEntries/8 bytes; doubling growth may reserve up to that
	// again. A decoder that read the whole bomb would allocate 64 MiB.
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(3*status.MaxEntries/8); got > limit {
		t.Fatalf("Decode(bomb) allocated %d bytes, want under %d", got, limit)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	l, err := status.New(status.MinEntries)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := l.Encode()
	b, _ := l.Encode()
	if a != b {
		t.Fatalf("Encode() not deterministic: %q != %q", a, b)
	}
}

// TestConcurrent exercises the pooled GZIP readers and writers from several
// goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := status.New(status.MinEntries)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 20 {
				idx := g*1000 + i
				_ = l.Set(idx, true)
				enc, err := l.Encode()
				if err != nil {
					t.Error(err)
					return
				}
				back, err := status.Decode(enc)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(back.Bytes(), l.Bytes()) {
					t.Error("round trip changed the bitstring")
					return
				}
			}
		}()
	}
	wg.Wait()
}
