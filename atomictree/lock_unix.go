//go:build unix

package atomictree

import (
	"errors"
	"os"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// errNoLocks: the file system cannot lock (an NFS mount without locking).
var errNoLocks = errors.New("no locks")

// flock takes f's lock without waiting: errBusy when another holds it.
func flock(f *os.File, shared bool) error {
	how := syscall.LOCK_EX | syscall.LOCK_NB
	if shared {
		how = syscall.LOCK_SH | syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EWOULDBLOCK:
			return errBusy
		case err == syscall.ENOLCK || err == syscall.EOPNOTSUPP || err == syscall.EBADF:
			// EBADF is how NFS refuses an exclusive lock on a file opened read-only.
			return errors.Join(errNoLocks, err)
		case err != nil:
			return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
		return nil
	}
}

// sameFile reports whether the open f is still the file at p.
func sameFile(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(p)
	return err == nil && os.SameFile(a, b)
}

func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }
