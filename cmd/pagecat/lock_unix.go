//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lock takes an advisory lock on f, an output file, for as long as the
// process holds it open: a second pagecat run on FILE while the first
// still writes it (the same command run again too early) is refused,
// rather than both appending. The kernel drops the lock when the
// process ends, killed or not.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("%s is being written by another pagecat; wait for it to end, or stop it", f.Name())
	}
	return err
}
