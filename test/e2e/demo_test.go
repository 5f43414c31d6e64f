package e2e

import (
	"strings"
	"testing"
)

// TestDemo runs `cflow demo` as a newcomer would: it must hold every step
// and show both refusals with their codes.
func TestDemo(t *testing.T) {
	t.Parallel()
	r := cflow(t, nil, nil, "demo")
	if r.code != 0 {
		t.Fatalf("cflow demo:\n%s", r)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{"Every step held", "nonce_reused", "signature_invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
