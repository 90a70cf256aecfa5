package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGC checks pagecat's GOGC: gcPercent, but 100 for -slurp, and
// the environment's if it sets one.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const none = math.MaxInt64 // the runtime's "no limit"
	for _, tt := range []struct {
		label          string
		gogc, memlimit string // "": unset
		slurp          bool
		want           int
		wantLimit      int64
	}{
		{"export", "", "", false, gcPercent, gcMemoryLimit},
		{"-slurp", "", "", true, 100, none},
		{"GOGC set", "50", "", false, 100, none}, // left as the runtime read it: 100 here
		{"GOMEMLIMIT set", "", "1GiB", false, gcPercent, none},
	} {
		t.Run(tt.label, func(t *testing.T) {
			for name, v := range map[string]string{"GOGC": tt.gogc, "GOMEMLIMIT": tt.memlimit} {
				t.Setenv(name, v)
				if v == "" {
					unsetenv(t, name)
				}
			}
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(none)
			tuneGC(tt.slurp)
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GOGC %d, want %d", got, tt.want)
			}
			if got := debug.SetMemoryLimit(none); got != tt.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tt.wantLimit)
			}
		})
	}
}

// unsetenv unsets the variable name for the test; t.Setenv(name, …)
// must have been called first, to restore it after.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
