package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGC checks pagecat's GOGC: gcPercent, but 100 for -slurp, and
// the environment's if it sets one.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tt := range []struct {
		label string
		env   string // "": GOGC unset
		slurp bool
		want  int
	}{
		{"export", "", false, gcPercent},
		{"-slurp", "", true, 100},
		{"GOGC set", "50", false, 100}, // left as the runtime read it: 100 here
	} {
		t.Run(tt.label, func(t *testing.T) {
			t.Setenv("GOGC", tt.env)
			if tt.env == "" {
				unsetenv(t, "GOGC")
			}
			debug.SetGCPercent(100)
			tuneGC(tt.slurp)
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GOGC %d, want %d", got, tt.want)
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
