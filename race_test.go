//go:build race

package pager_test

func init() { raceEnabled = true }
