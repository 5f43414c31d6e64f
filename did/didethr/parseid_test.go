package didethr_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didethr"
)

// TestParseIDChecksum: EIP-55 mixed-case addresses must carry the right
// checksum; all-lowercase and all-uppercase carry none and are accepted.
func TestParseIDChecksum(t *testing.T) {
	addr := common.HexToAddress("0xf932e07b8ef841828e219d4f40eead9fad115b6e")
	polygon := common.HexToAddress("0xb9c5714089478a327f09197987f16f9e5d936e8a")
	tests := []struct {
		name, msid string
		want       common.Address // zero: ErrInvalidDID
	}{
		{"ok/lowercase", "0xf932e07b8ef841828e219d4f40eead9fad115b6e", addr},
		{"ok/uppercase", "0xF932E07B8EF841828E219D4F40EEAD9FAD115B6E", addr},
		{"ok/checksummed", "0xF932e07B8ef841828E219D4F40eead9FAD115b6E", addr},
		{"ok/network-checksummed", "0x89:0xB9C5714089478a327F09197987f16f9E5d936E8a", polygon},
		{"fail/last-letter-case-flipped", "0xF932e07B8ef841828E219D4F40eead9FAD115b6e", common.Address{}},
		{"fail/two-letters-swapped-case", "0x89:0xB9C5714089478a327F09197987f16f9E5d936e8A", common.Address{}},
		{"fail/checksum-of-another-address", "0xB9C5714089478a327F09197987f16f9E5d936E8b", common.Address{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := didethr.ParseID(tt.msid)
			if tt.want == (common.Address{}) {
				if !errors.Is(err, did.ErrInvalidDID) {
					t.Fatalf("err = %v, want ErrInvalidDID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Address != tt.want {
				t.Fatalf("address = %s, want %s", id.Address.Hex(), tt.want.Hex())
			}
		})
	}
}
