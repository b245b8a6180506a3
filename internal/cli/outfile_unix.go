//go:build unix

package cli

import (
	"os"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// tryLock takes f's exclusive lock without waiting, and reports whether it got it.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
