//go:build !unix

package rawfile

import (
	"io/fs"
	"os"
)

// Open opens a regular file for reading, as Read does: a link or anything
// but a regular file is refused. It is for files too large to read whole.
func Open(p string) (*os.File, error) {
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, notRegular(p, fs.ModeSymlink)
	}
	f, err := os.Open(p)
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
