package pager_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// A fuzzing worker process is stopped by its coordinator at any moment,
	// with the fuzzing engine's goroutines running: they are not ours.
	if slices.ContainsFunc(os.Args, func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") }) {
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m)
}
