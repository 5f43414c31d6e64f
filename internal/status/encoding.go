package status

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// multibaseBase64URL is the multibase prefix of base64url without padding
// (multibase table, "base64url"); Bitstring Status List §"BitstringStatusList"
// requires encodedList to use exactly this base.
const multibaseBase64URL = 'u'

// b64 is base64url without padding (RFC 4648 §5). Strict rejects non-zero
// trailing bits, so each byte string has exactly one accepted encoding.
var b64 = base64.RawURLEncoding.Strict()

// encodeLevel trades a little size for speed: on a 131,072-entry list with
// 1% of entries set, BestSpeed yields ~2.5 KB against ~2.1 KB for the default
// level, about ten times faster. Issuers re-encode on every status change.
const encodeLevel = gzip.BestSpeed

var (
	gzipWriters = sync.Pool{New: func() any {
		zw, err := gzip.NewWriterLevel(io.Discard, encodeLevel)
		if err != nil {
			panic(err) // encodeLevel is a valid constant
		}
		return zw
	}}
	gzipReaders sync.Pool // *gzip.Reader; empty until the first Decode returns one
	buffers     = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// maxPooledBuffer keeps the output of one huge list from pinning megabytes in
// the pool; a 131,072-entry list compresses to at most ~16 KB.
const maxPooledBuffer = 64 << 10

// Encode returns the encodedList of l: the multibase base64url (no padding)
// of the GZIP [RFC 1952] of the bitstring (§"Bitstring Generation
// Algorithm", §"BitstringStatusList" encodedList). The output is
// deterministic: the GZIP header carries no name and no modification time.
func (l *List) Encode() (string, error) {
	return l.encode(true)
}

// EncodeLegacy returns the StatusList2021 encodedList of l (VCDM 1.1 era,
// W3C CCG "Status List 2021" §"StatusList2021Credential"): base64url of the
// GZIP of the bitstring, without padding and without a multibase prefix, as
// in that report's examples ("H4sIAAAAAAAAA-3BMQEAAADCoPVP…").
func (l *List) EncodeLegacy() (string, error) {
	return l.encode(false)
}

func (l *List) encode(multibase bool) (string, error) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buffers.Put(buf)
		}
	}()
	buf.Reset()
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(buf)
	if _, err := zw.Write(l.bits); err != nil {
		return "", fmt.Errorf("status: encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("status: encode: %w", err)
	}
	zw.Reset(io.Discard) // do not keep buf reachable from the pooled writer

	n := b64.EncodedLen(buf.Len())
	var out []byte
	if multibase {
		out = make([]byte, 1+n)
		out[0] = multibaseBase64URL
		b64.Encode(out[1:], buf.Bytes())
	} else {
		out = make([]byte, n)
		b64.Encode(out, buf.Bytes())
	}
	return string(out), nil
}

// Decoder decodes an encodedList with non-default settings. The zero value
// decodes the Bitstring Status List v1.0 form with the MaxEntries cap.
type Decoder struct {
	// Legacy selects the StatusList2021 form: base64url without padding and
	// without a multibase prefix.
	Legacy bool
	// MaxEntries caps the decompressed bitstring, in entries; decoding stops
	// with ErrTooLarge as soon as the cap is passed. 0 means MaxEntries.
	MaxEntries int
}

// Decode decodes a Bitstring Status List v1.0 encodedList with the default
// limits. See Decoder.Decode.
func Decode(encodedList string) (*List, error) {
	return Decoder{}.Decode(encodedList)
}

// DecodeLegacy decodes a StatusList2021 encodedList (no multibase prefix)
// with the default limits. See Decoder.Decode.
func DecodeLegacy(encodedList string) (*List, error) {
	return Decoder{Legacy: true}.Decode(encodedList)
}

// Decode runs the spec's §"Bitstring Expansion Algorithm": strip the multibase
// prefix, base64url-decode, GZIP-decompress, and check the 16KB minimum. It
// fails with ErrInvalidEncoding for anything but canonical unpadded base64url
// (after exactly the prefix 'u', unless Legacy) of a GZIP stream whose CRC and
// length trailers hold; with ErrTooShort below MinEntries; and with
// ErrTooLarge past the cap.
func (d Decoder) Decode(encodedList string) (*List, error) {
	maxBytes := MaxEntries / 8
	if d.MaxEntries > 0 {
		maxBytes = (d.MaxEntries + 7) / 8
	}
	bits, err := d.decode(encodedList, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("status: decode encodedList: %w", err)
	}
	return &List{bits: bits}, nil
}

func (d Decoder) decode(s string, maxBytes int) ([]byte, error) {
	if !d.Legacy {
		// Multibase: the first character names the base. Only base64url
		// without padding is allowed; 'U' (padded), 'm'/'M' (standard
		// alphabet) and 'z' (base58btc) are other bases and are refused.
		if len(s) == 0 || s[0] != multibaseBase64URL {
			return nil, fmt.Errorf("%w: multibase prefix is not 'u' (base64url)", ErrInvalidEncoding)
		}
		s = s[1:]
	}
	// Worst case for an incompressible bitstring: deflate stored blocks add 5
	// bytes per 64KB, GZIP adds a header (plus optional fields) and a trailer.
	maxCompressed := maxBytes + maxBytes/64 + 4096
	if len(s) > b64.EncodedLen(maxCompressed) {
		return nil, fmt.Errorf("%w: %d characters", ErrTooLarge, len(s))
	}
	// encoding/base64 silently skips CR and LF even in strict mode.
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%w: line break in base64url", ErrInvalidEncoding)
	}
	compressed := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(compressed, []byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %w", ErrInvalidEncoding, err)
	}
	compressed = compressed[:n]
	return gunzip(compressed, maxBytes)
}

// gunzip decompresses one or more GZIP members (RFC 1952 §2.2) into at most
// maxBytes bytes, verifying each member's CRC-32 and ISIZE, and refusing
// trailing bytes that do not form another member.
func gunzip(compressed []byte, maxBytes int) ([]byte, error) {
	br := bytes.NewReader(compressed)
	var zr *gzip.Reader
	if v := gzipReaders.Get(); v != nil {
		zr = v.(*gzip.Reader)
		if err := zr.Reset(br); err != nil {
			gzipReaders.Put(zr)
			return nil, fmt.Errorf("%w: gzip: %w", ErrInvalidEncoding, err)
		}
	} else {
		var err error
		if zr, err = gzip.NewReader(br); err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrInvalidEncoding, err)
		}
	}
	defer gzipReaders.Put(zr)

	// ISIZE, the last 4 bytes, is the uncompressed size mod 2^32 of the
	// last member: a good first allocation, never trusted beyond that.
	size := MinEntries / 8
	if len(compressed) >= 4 {
		if isize := int(binary.LittleEndian.Uint32(compressed[len(compressed)-4:])); isize > size && isize <= maxBytes {
			size = isize
		}
	}
	size = min(size, maxBytes)
	out, err := readCapped(zr, make([]byte, 0, size), maxBytes)
	if err != nil {
		return nil, err
	}
	if err := checkBytes(len(out), maxBytes); err != nil {
		return nil, err
	}
	return out, nil
}

// readCapped reads r to EOF into out, failing with ErrTooLarge as soon as more
// than maxBytes would be read: the gzip-bomb guard.
func readCapped(r io.Reader, out []byte, maxBytes int) ([]byte, error) {
	for {
		if len(out) == cap(out) {
			// Probe with one byte before growing, so that an exact-size
			// first allocation is not doubled just to observe io.EOF.
			var one [1]byte
			n, err := r.Read(one[:])
			if n > 0 {
				if len(out) >= maxBytes {
					return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
				}
				grown := make([]byte, len(out), min(max(2*cap(out), 1024), maxBytes))
				copy(grown, out)
				out = append(grown, one[0])
			}
			if done, err := readDone(err); done || err != nil {
				return out, err
			}
			continue
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if done, err := readDone(err); done || err != nil {
			return out, err
		}
	}
}

func readDone(err error) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, io.EOF):
		return true, nil
	default: // io.ErrUnexpectedEOF (truncated), gzip.ErrChecksum, gzip.ErrHeader, flate errors
		return true, fmt.Errorf("%w: gzip: %w", ErrInvalidEncoding, err)
	}
}
