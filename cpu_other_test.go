//go:build !unix

package pager_test

import "time"

// cpuTime returns 0: the CPU time is measured on unix systems only.
func cpuTime() time.Duration { return 0 }
