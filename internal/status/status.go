// Package status owns the W3C Bitstring Status List bitstring: a fixed-size
// list of 1-bit entries, its encodedList form (multibase base64url of the GZIP
// of the bitstring) and the legacy StatusList2021 form, and the parsing of a
// statusListIndex.
//
// It does not own storage, allocation of indexes, fetching a status list
// credential, or checking its signature: those belong to issuer/ and
// verifier/. Every entry has statusSize 1 (revocation, suspension); the
// multi-bit "message" purpose is not handled here.
//
// Spec: https://www.w3.org/TR/vc-bitstring-status-list/ (v1.0), and the
// W3C CCG report "Status List 2021" for the legacy form.
package status

import (
	"errors"
	"fmt"
)

// MinEntries is the smallest list this package creates or accepts: the spec
// requires the uncompressed bitstring to be at least 16KB (131,072 bits) so
// that a single index does not identify its holder (§"Bitstring Generation
// Algorithm", §"Group Privacy").
const MinEntries = 16 * 1024 * 8

// MaxEntries is the largest list this package creates, and the default cap on
// what Decode will decompress: 2^26 bits = 8 MiB of bitstring. An encodedList
// is attacker-controlled input fetched from the network, and GZIP of zeros
// compresses about 1000:1, so the cap is what stops a small response from
// expanding into gigabytes.
const MaxEntries = 1 << 26

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrIndexOutOfRange: the index is outside [0, Len()).
	ErrIndexOutOfRange = errors.New("status: index out of range")
	// ErrInvalidIndex: a statusListIndex string is not a canonical base-10
	// non-negative integer that fits in an int.
	ErrInvalidIndex = errors.New("status: invalid statusListIndex")
	// ErrInvalidEncoding: the encodedList is not multibase base64url (no
	// padding) of a well-formed GZIP stream.
	ErrInvalidEncoding = errors.New("status: invalid encodedList")
	// ErrTooShort: the list holds fewer than MinEntries entries.
	ErrTooShort = errors.New("status: bitstring shorter than 16KB")
	// ErrTooLarge: the list would hold more than the allowed maximum entries.
	ErrTooLarge = errors.New("status: bitstring too large")
)

// List is a bitstring of 1-bit status entries. Entry i is bit i counted from
// the most significant (left-most) bit of byte 0 (§"Bitstring Expansion
// Algorithm": the first index is the left-most bit).
//
// A List is not safe for concurrent use when one goroutine calls Set;
// concurrent Get and Encode calls are safe.
type List struct {
	bits []byte
}

// New returns a list of entries entries, all 0. entries is rounded up to a
// whole number of bytes, because the bitstring is published as bytes; Len
// reports the rounded count, which is also what a Decode of its encoding
// reports.
func New(entries int) (*List, error) {
	if entries < MinEntries {
		return nil, fmt.Errorf("status: new %d entries: %w", entries, ErrTooShort)
	}
	if entries > MaxEntries {
		return nil, fmt.Errorf("status: new %d entries: %w", entries, ErrTooLarge)
	}
	return &List{bits: make([]byte, (entries+7)/8)}, nil
}

// FromBytes returns a list over a copy of bitstring, the raw (uncompressed)
// bytes as returned by Bytes. It applies the same size limits as New.
func FromBytes(bitstring []byte) (*List, error) {
	if err := checkBytes(len(bitstring), MaxEntries/8); err != nil {
		return nil, fmt.Errorf("status: from bytes: %w", err)
	}
	return &List{bits: append([]byte(nil), bitstring...)}, nil
}

// Len returns the number of entries in the list.
func (l *List) Len() int { return len(l.bits) * 8 }

// Bytes returns a copy of the raw bitstring, for storage or hashing.
func (l *List) Bytes() []byte { return append([]byte(nil), l.bits...) }

// Get reports whether entry i is set.
func (l *List) Get(i int) (bool, error) {
	// A negative i becomes a huge uint, so one comparison covers both ends
	// and also proves the slice access in bounds.
	b := uint(i) >> 3
	if b >= uint(len(l.bits)) {
		return false, &indexError{"get", i, len(l.bits) * 8}
	}
	return l.bits[b]&(0x80>>(uint(i)&7)) != 0, nil
}

// Set sets entry i to v.
func (l *List) Set(i int, v bool) error {
	b := uint(i) >> 3
	if b >= uint(len(l.bits)) {
		return &indexError{"set", i, len(l.bits) * 8}
	}
	mask := byte(0x80) >> (uint(i) & 7)
	if v {
		l.bits[b] |= mask
	} else {
		l.bits[b] &^= mask
	}
	return nil
}

// indexError carries the context of an ErrIndexOutOfRange. It is a struct
// literal rather than an fmt.Errorf call so that Get and Set stay within the
// inliner's budget.
type indexError struct {
	op     string
	index  int
	length int
}

func (e *indexError) Error() string {
	return fmt.Sprintf("status: %s index %d of %d: %v", e.op, e.index, e.length, ErrIndexOutOfRange)
}

func (e *indexError) Unwrap() error { return ErrIndexOutOfRange }

func checkBytes(n, maxBytes int) error {
	if n < MinEntries/8 {
		return fmt.Errorf("%w: %d bytes, need %d", ErrTooShort, n, MinEntries/8)
	}
	if n > maxBytes {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	return nil
}
