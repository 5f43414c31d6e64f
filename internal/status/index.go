package status

import (
	"fmt"
	"strconv"
)

// maxIndexLen bounds the work and the error message for hostile input; no
// int64 has more than 19 decimal digits.
const maxIndexLen = 20

// ParseIndex parses a statusListIndex. The spec (§"BitstringStatusListEntry")
// says the value is "a string representation of a base-10 integer"; this
// accepts only the canonical form of a non-negative one: ASCII digits, no
// sign, no whitespace, no leading zero except "0" itself, and a value that
// fits in an int. Anything else is ErrInvalidIndex, so that one index has one
// spelling. Whether the index is inside a given list is List.Get's check.
func ParseIndex(s string) (int, error) {
	if err := checkIndex(s); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, strconv.IntSize)
	if err != nil { // only out of range can remain
		return 0, fmt.Errorf("status: parse statusListIndex %q: %w: does not fit in an int", s, ErrInvalidIndex)
	}
	return int(n), nil
}

func checkIndex(s string) error {
	quoted := s
	if len(quoted) > maxIndexLen {
		quoted = quoted[:maxIndexLen] + "…"
	}
	switch {
	case s == "":
		return fmt.Errorf("status: parse statusListIndex: %w: empty", ErrInvalidIndex)
	case len(s) > maxIndexLen:
		return fmt.Errorf("status: parse statusListIndex %q: %w: too long", quoted, ErrInvalidIndex)
	case s[0] == '0' && len(s) > 1:
		return fmt.Errorf("status: parse statusListIndex %q: %w: leading zero", quoted, ErrInvalidIndex)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("status: parse statusListIndex %q: %w: not a base-10 digit at offset %d", quoted, ErrInvalidIndex, i)
		}
	}
	return nil
}
