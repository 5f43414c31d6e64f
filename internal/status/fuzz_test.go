package status_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/credentialflow/cflow/internal/status"
)

// FuzzDecode checks that Decode and DecodeLegacy never panic, fail only with
// the package's sentinels, and that whatever they accept is a list of an
// allowed size that survives Encode and Decode unchanged.
func FuzzDecode(f *testing.F) {
	f.Add(specEncodedList)
	f.Add(legacyEncodedList)
	f.Add("u")
	f.Add("")
	f.Add("zH4sIAAAAAAAAA")
	f.Add(u(gz(f, status.MinEntries/8-1)))
	f.Add(u(gz(f, status.MinEntries/8+3)))
	f.Add(u(append(gz(f, 8192), gz(f, 8192)...)))
	f.Fuzz(func(t *testing.T, s string) {
		for _, dec := range []status.Decoder{{}, {Legacy: true}} {
			l, err := dec.Decode(s)
			if err != nil {
				if !errors.Is(err, status.ErrInvalidEncoding) && !errors.Is(err, status.ErrTooShort) && !errors.Is(err, status.ErrTooLarge) {
					t.Fatalf("Decode(%q) error %v is not a sentinel", s, err)
				}
				continue
			}
			if n := l.Len(); n < status.MinEntries || n > status.MaxEntries || n%8 != 0 {
				t.Fatalf("Decode(%q) gave Len() = %d", s, n)
			}
			enc, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := status.Decode(enc)
			if err != nil {
				t.Fatalf("Decode(Encode()) = %v", err)
			}
			if !bytes.Equal(back.Bytes(), l.Bytes()) {
				t.Fatal("Encode/Decode round trip changed the bitstring")
			}
		}
	})
}
