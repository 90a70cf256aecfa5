//go:build race

package pager_test

// raceEnabled reports whether the race detector is on: it makes some
// long tests too slow to be worth their time.
const raceEnabled = true
