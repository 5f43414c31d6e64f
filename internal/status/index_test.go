package status_test

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/credentialflow/cflow/internal/status"
)

func TestParseIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int
	}{
		{"ok/zero", "0", 0},
		{"ok/one", "1", 1},
		{"ok/spec-example", "94567", 94567},
		{"ok/last-of-minimal-list", "131071", status.MinEntries - 1},
		{"ok/max-int", strconv.Itoa(math.MaxInt), math.MaxInt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := status.ParseIndex(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseIndex(%q) = %d, %v; want %d, nil", tc.in, got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, in string }{
		{"fail/empty", ""},
		{"fail/minus", "-1"},
		{"fail/minus-zero", "-0"},
		{"fail/plus", "+1"},
		{"fail/leading-zero", "01"},
		{"fail/double-zero", "00"},
		{"fail/leading-space", " 1"},
		{"fail/trailing-space", "1 "},
		{"fail/trailing-newline", "1\n"},
		{"fail/underscore", "1_000"},
		{"fail/decimal-point", "1.0"},
		{"fail/exponent", "1e3"},
		{"fail/hex", "0x10"},
		{"fail/arabic-indic-digit", "\u0661"},
		{"fail/fullwidth-digit", "\uff11"},
		{"fail/nul", "1\x00"},
		{"fail/max-int-plus-one", "9223372036854775808"},
		{"fail/twenty-digits", "10000000000000000000"},
		{"fail/very-long", "1000000000000000000000000000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := status.ParseIndex(tc.in)
			if !errors.Is(err, status.ErrInvalidIndex) {
				t.Fatalf("ParseIndex(%q) = %d, %v; want ErrInvalidIndex", tc.in, got, err)
			}
		})
	}
}

func FuzzParseIndex(f *testing.F) {
	for _, s := range []string{"0", "94567", "01", "-1", "+1", " 1", "9223372036854775807", "9223372036854775808", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := status.ParseIndex(s)
		if err != nil {
			if !errors.Is(err, status.ErrInvalidIndex) {
				t.Fatalf("ParseIndex(%q) error %v is not ErrInvalidIndex", s, err)
			}
			return
		}
		// One spelling per index.
		if strconv.Itoa(n) != s {
			t.Fatalf("ParseIndex(%q) = %d, which prints as %q", s, n, strconv.Itoa(n))
		}
	})
}
