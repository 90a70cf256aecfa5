//go:build !unix

package main

import "os"

// lock does nothing where there is no flock: two pagecat runs on one
// FILE at once are the user's to avoid.
func lock(f *os.File) error { return nil }
