package issuer

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// feistelRounds is the number of rounds of the index permutation. Four
// rounds already make a Luby–Rackoff pseudorandom permutation; the domain
// here is small (halves of 9 bits for a 131,072-entry list), so the
// margin is doubled. Each round is one AES block encryption (~20 ns).
const feistelRounds = 8

// permutation is a keyed pseudorandom permutation of [0, n): a balanced
// Feistel network over the smallest even number of bits that covers n, with
// cycle walking for values ≥ n (Black–Rogaway, "Ciphers with Arbitrary
// Finite Domains", §4).
//
// It is how the issuer draws status-list indexes at random without
// replacement while storing only a key and a counter per list: the i-th
// credential of a list gets at(i). Distinct i give distinct indexes, so an
// index is never handed out twice as long as the counter never goes back,
// and the order of issuance cannot be read from the indexes (Bitstring
// Status List §6.1 "Group Privacy": indexes should not reveal issuance order).
type permutation struct {
	block cipher.Block
	n     uint64
	half  uint   // bits per Feistel half
	mask  uint64 // (1<<half)-1
}

func newPermutation(key []byte, n int) (*permutation, error) {
	if n < 2 {
		return nil, fmt.Errorf("issuer: permutation of %d elements", n)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("issuer: permutation key: %w", err)
	}
	width := uint(bits.Len64(uint64(n - 1)))
	half := (width + 1) / 2
	return &permutation{block: block, n: uint64(n), half: half, mask: 1<<half - 1}, nil
}

// at returns the image of i, which must be in [0, n).
func (p *permutation) at(i int) int {
	x := uint64(i)
	for {
		// The Feistel domain is at most 4n, so this loops fewer than 4
		// times on average and always ends: the cycle through x returns
		// into [0, n) because x itself is in it.
		x = p.encrypt(x)
		if x < p.n {
			return int(x)
		}
	}
}

func (p *permutation) encrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for round := range feistelRounds {
		l, r = r, l^p.f(round, r)
	}
	return l<<p.half | r
}

func (p *permutation) f(round int, r uint64) uint64 {
	var in, out [aes.BlockSize]byte
	in[0] = byte(round)
	binary.BigEndian.PutUint64(in[8:], r)
	p.block.Encrypt(out[:], in[:])
	return binary.BigEndian.Uint64(out[:8]) & p.mask
}
