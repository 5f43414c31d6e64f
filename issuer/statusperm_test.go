package issuer

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/credentialflow/cflow/internal/status"
)

func TestPermutation(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
	}{
		{"ok/minimum-list", status.MinEntries},
		{"ok/not-a-power-of-two", status.MinEntries + 8},
		{"ok/odd-bit-width", 1 << 20},
		{"ok/tiny", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := make([]byte, 16)
			rand.Read(key)
			p, err := newPermutation(key, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			seen := make([]bool, tc.n)
			inOrder := 0
			for i := range tc.n {
				v := p.at(i)
				if v < 0 || v >= tc.n || seen[v] {
					t.Fatalf("at(%d) = %d: out of range or repeated", i, v)
				}
				seen[v] = true
				if v == i {
					inOrder++
				}
			}
			if tc.n > 1000 && inOrder > tc.n/100 {
				t.Errorf("%d of %d indexes are fixed points", inOrder, tc.n)
			}
		})
	}
	t.Run("ok/keyed", func(t *testing.T) {
		a, _ := newPermutation(bytes.Repeat([]byte{1}, 16), status.MinEntries)
		b, _ := newPermutation(bytes.Repeat([]byte{2}, 16), status.MinEntries)
		same := 0
		for i := range 1000 {
			if a.at(i) == b.at(i) {
				same++
			}
		}
		if same > 10 {
			t.Errorf("two keys agree on %d of 1000 indexes", same)
		}
	})
	t.Run("fail/bad-key", func(t *testing.T) {
		if _, err := newPermutation([]byte("short"), status.MinEntries); err == nil {
			t.Error("a 5-byte AES key was accepted")
		}
	})
}

// TestListFills allocates every index of a list (no issuance records, so
// it stays fast): all distinct, and the next one opens a new list.
func TestListFills(t *testing.T) {
	e := newInternalEnv(t)
	p, err := e.CreateProfile(context.Background(), CreateProfileRequest{Name: "HR"})
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, status.MinEntries)
	var first string
	for i := range status.MinEntries {
		slot, err := e.status.allocate(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = slot.group.ID
		}
		if slot.group.ID != first || seen[slot.index] {
			t.Fatalf("allocation %d: group %s index %d (repeat or new group too early)", i, slot.group.ID, slot.index)
		}
		seen[slot.index] = true
	}
	slot, err := e.status.allocate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if slot.group.ID == first {
		t.Fatal("a full list handed out another index")
	}
	if got := len(e.StatusListIDs()); got != 2 {
		t.Errorf("%d lists, want 2", got)
	}
}
