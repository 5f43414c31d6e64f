// Package jsonx holds the strict JSON rules every input goes through: one
// top-level value, no duplicate member names (RFC 8259 §4 says names SHOULD
// be unique; RFC 7515 §5.2 and RFC 7519 §4 require rejecting duplicates in
// JOSE headers and claims), and a depth limit.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxDepth bounds nesting; real credentials stay under 20.
const MaxDepth = 64

// ErrDuplicateKey is returned when an object repeats a member name.
var ErrDuplicateKey = errors.New("duplicate JSON member name")

// ErrSyntax is returned for input that is not exactly one JSON value.
var ErrSyntax = errors.New("invalid JSON")

// Unmarshal decodes data into v after CheckStrict; numbers in maps decode as
// json.Number so large integers survive.
func Unmarshal(data []byte, v any) error {
	if err := CheckStrict(data); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return nil
}

// CheckStrict scans data once and reports syntax errors, trailing data,
// excessive depth and duplicate member names. It does not allocate for
// objects with few members.
func CheckStrict(data []byte) error {
	s := scanner{data: data}
	s.ws()
	if err := s.value(0); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.data) {
		return fmt.Errorf("%w: trailing data at offset %d", ErrSyntax, s.i)
	}
	return nil
}

type scanner struct {
	data []byte
	i    int
	// nonASCII says the last string str returned unescaped holds a byte
	// >= 0x80, the only case whose UTF-8 needs checking.
	nonASCII bool
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, what, s.i)
}

func (s *scanner) value(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nesting deeper than %d", ErrSyntax, MaxDepth)
	}
	if s.i >= len(s.data) {
		return s.fail("unexpected end")
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.fail("unexpected character")
}

func (s *scanner) lit(w string) error {
	if !bytes.HasPrefix(s.data[s.i:], []byte(w)) {
		return s.fail("bad literal")
	}
	s.i += len(w)
	return nil
}

func (s *scanner) number() error {
	start := s.i
	if s.data[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.data) && s.data[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return s.fail("bad number")
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.fail("bad fraction")
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.fail("bad exponent")
		}
	}
	if s.i == start {
		return s.fail("bad number")
	}
	return nil
}

// str scans a string and returns its raw bytes between the quotes (escapes
// left as written; member names are compared after unescaping only when an
// escape is present).
func (s *scanner) str() ([]byte, error) {
	s.i++ // opening quote
	start := s.i
	escaped, high := false, false
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			raw := s.data[start:s.i]
			s.i++
			if escaped {
				var out string
				if err := json.Unmarshal(s.data[start-1:s.i], &out); err != nil {
					return nil, fmt.Errorf("%w: bad string: %v", ErrSyntax, err)
				}
				s.nonASCII = false // encoding/json made it valid UTF-8
				return []byte(out), nil
			}
			s.nonASCII = high
			return raw, nil
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			return nil, s.fail("control character in string")
		default:
			high = high || c >= 0x80
			s.i++
		}
	}
	return nil, s.fail("unterminated string")
}

func (s *scanner) object(depth int) error {
	s.i++
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil
	}
	var small [16][]byte
	names := small[:0]
	var set map[string]struct{}
	for {
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.fail("expected member name")
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		if set == nil && len(names) < len(small) {
			for _, n := range names {
				if bytes.Equal(n, name) {
					return fmt.Errorf("%w: %q", ErrDuplicateKey, name)
				}
			}
			names = append(names, name)
		} else {
			if set == nil {
				set = make(map[string]struct{}, 2*len(names))
				for _, n := range names {
					set[string(n)] = struct{}{}
				}
			}
			if _, dup := set[string(name)]; dup {
				return fmt.Errorf("%w: %q", ErrDuplicateKey, name)
			}
			set[string(name)] = struct{}{}
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		s.ws()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.data) {
			return s.fail("unterminated object")
		}
		if s.data[s.i] == ',' {
			s.i++
			continue
		}
		if s.data[s.i] == '}' {
			s.i++
			return nil
		}
		return s.fail("expected ',' or '}'")
	}
}

func (s *scanner) array(depth int) error {
	s.i++
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.data) {
			return s.fail("unterminated array")
		}
		if s.data[s.i] == ',' {
			s.i++
			continue
		}
		if s.data[s.i] == ']' {
			s.i++
			return nil
		}
		return s.fail("expected ',' or ']'")
	}
}

// UnmarshalKnown is Unmarshal that also refuses object members that no
// field of the target struct names (a typo such as "keytype" must not fall
// back silently to a default).
func UnmarshalKnown(data []byte, v any) error {
	if err := CheckStrict(data); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return nil
}
