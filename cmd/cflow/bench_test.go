package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestBenchGatewayJSON runs `cflow bench gateway` for about a second per
// phase and checks the one JSON object it prints.
func TestBenchGatewayJSON(t *testing.T) {
	for _, mode := range []string{"exchange", "flow"} {
		t.Run("ok/"+mode, func(t *testing.T) {
			if testing.Short() && mode == "flow" {
				t.Skip("short")
			}
			root := newRootCmd()
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			root.SetArgs([]string{"bench", "gateway", "--duration", "1s", "--concurrency", "4", "--output", "json", "--mode", mode})
			if err := root.Execute(); err != nil {
				t.Fatalf("bench: %v\n%s", err, errb.String())
			}
			var rep map[string]any
			dec := json.NewDecoder(&out)
			if err := dec.Decode(&rep); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, out.String())
			}
			if dec.More() {
				t.Fatalf("more than one JSON value on stdout: %s", out.String())
			}
			keys := []string{"exchanges_per_sec", "p50_ms", "p99_ms", "rss_mb", "floor_per_sec", "ratio", "p99_ms_at_80pct"}
			if mode == "flow" {
				keys = append(keys, "flows_per_min")
			}
			for _, k := range keys {
				v, ok := rep[k].(float64)
				if !ok || v <= 0 {
					t.Errorf("%s = %v, want a positive number", k, rep[k])
				}
			}
			if rep["errors"].(float64) != 0 || rep["errors_at_80pct"].(float64) != 0 {
				t.Errorf("errors: %v / %v (%v)", rep["errors"], rep["errors_at_80pct"], rep["first_error"])
			}
			if p50, p99 := rep["p50_ms"].(float64), rep["p99_ms"].(float64); p50 > p99 {
				t.Errorf("p50 %v > p99 %v", p50, p99)
			}
			if r := rep["ratio"].(float64); r > 2 {
				t.Errorf("ratio %v: faster than the crypto it needs?", r)
			}
			// Every exchange (and every issuance in flow mode) was audited.
			done := rep["completed"].(float64) + rep["completed_at_80pct"].(float64)
			if a := rep["audit_entries"].(float64); a < done {
				t.Errorf("audit_entries %v < exchanges %v", a, done)
			}
		})
	}
}

func TestBenchUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"fail/mode", []string{"--mode", "nope"}},
		{"fail/output", []string{"--output", "xml"}},
		{"fail/concurrency", []string{"--concurrency", "0"}},
		{"fail/duration", []string{"--duration", "0s"}},
	} {
		root := newRootCmd()
		root.SetOut(&bytes.Buffer{})
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(append([]string{"bench", "gateway"}, tc.args...))
		err := root.Execute()
		ee, ok := err.(*exitError)
		if !ok || ee.code != 2 {
			t.Errorf("%s: err = %v, want exit 2", tc.name, err)
		}
	}
}

func TestPhasePercentiles(t *testing.T) {
	p := &phase{}
	for i := 1; i <= 100; i++ {
		p.latencies = append(p.latencies, msDur(float64(101-i)))
	}
	p.window = msDur(1000)
	for _, tc := range []struct {
		q    float64
		want float64
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := p.pct(tc.q); got != tc.want {
			t.Errorf("pct(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if r := p.rate(); r != 100 {
		t.Errorf("rate = %v, want 100", r)
	}
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
