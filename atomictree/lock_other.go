//go:build !unix

package atomictree

import (
	"errors"
	"os"
)

const oNoFollow = 0

var errNoLocks = errors.New("no locks outside Unix")

// flock cannot lock outside Unix: concurrent runs are not excluded there.
func flock(f *os.File, shared bool) error { return errNoLocks }

func sameFile(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(p)
	return err == nil && os.SameFile(a, b)
}

func isReadOnlyFS(err error) bool { return false }
