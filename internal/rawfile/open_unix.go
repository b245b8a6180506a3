//go:build unix

package rawfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Open opens a regular file for reading, as Read does: the open neither
// blocks nor follows a link, and anything but a regular file is refused.
// It is for files too large to read whole.
func Open(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_NOCTTY, 0)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return nil, notRegular(p, fs.ModeSymlink)
	}
	if errors.Is(err, syscall.ENXIO) {
		if fi, lerr := os.Lstat(p); lerr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(p, fi.Mode())
		}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(p, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
