package jsonx

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// DecodeObject parses data, which must be one JSON object, into
// map[string]any with the same strict rules as CheckStrict, in one pass.
// Values decode as encoding/json decodes into any (float64, string, bool,
// nil, []any, map[string]any). It exists because the verifier decodes every
// token payload: one pass here costs about half of CheckStrict followed by
// json.Unmarshal.
func DecodeObject(data []byte) (map[string]any, error) {
	d := decoder{scanner: scanner{data: data}}
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrSyntax)
	}
	v, err := d.object(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.data) {
		return nil, fmt.Errorf("%w: trailing data at offset %d", ErrSyntax, d.i)
	}
	return v, nil
}

type decoder struct{ scanner }

func (d *decoder) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrSyntax, MaxDepth)
	}
	if d.i >= len(d.data) {
		return nil, d.fail("unexpected end")
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.text()
	case c == 't':
		return true, d.lit("true")
	case c == 'f':
		return false, d.lit("false")
	case c == 'n':
		return nil, d.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		if err := d.number(); err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(d.data[start:d.i]), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: number %s: %v", ErrSyntax, d.data[start:d.i], err)
		}
		return f, nil
	}
	return nil, d.fail("unexpected character")
}

// text returns a string value, unescaped; invalid UTF-8 is replaced as
// encoding/json does.
func (d *decoder) text() (string, error) {
	start := d.i
	raw, err := d.str()
	if err != nil {
		return "", err
	}
	// str returns the unescaped bytes only when there was an escape; the
	// fast path is a plain slice of the input.
	if !d.nonASCII || utf8.Valid(raw) {
		return string(raw), nil
	}
	var s string
	if err := json.Unmarshal(d.data[start:d.i], &s); err != nil {
		return "", fmt.Errorf("%w: bad string: %v", ErrSyntax, err)
	}
	return s, nil
}

func (d *decoder) object(depth int) (map[string]any, error) {
	d.i++
	out := map[string]any{}
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return out, nil
	}
	for {
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, d.fail("expected member name")
		}
		name, err := d.text()
		if err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateKey, name)
		}
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, d.fail("expected ':'")
		}
		d.i++
		d.ws()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[name] = v
		d.ws()
		if d.i >= len(d.data) {
			return nil, d.fail("unterminated object")
		}
		if d.data[d.i] == ',' {
			d.i++
			continue
		}
		if d.data[d.i] == '}' {
			d.i++
			return out, nil
		}
		return nil, d.fail("expected ',' or '}'")
	}
}

func (d *decoder) array(depth int) ([]any, error) {
	d.i++
	out := []any{}
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return out, nil
	}
	for {
		d.ws()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		d.ws()
		if d.i >= len(d.data) {
			return nil, d.fail("unterminated array")
		}
		if d.data[d.i] == ',' {
			d.i++
			continue
		}
		if d.data[d.i] == ']' {
			d.i++
			return out, nil
		}
		return nil, d.fail("expected ',' or ']'")
	}
}
