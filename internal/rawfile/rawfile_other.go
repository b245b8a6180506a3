//go:build !unix

package rawfile

import (
	"io"
	"io/fs"
)

// Read reads a regular file and its permission bits with one open, one
// fstat and one read. Outside Unix there are no FIFOs to block the open;
// a link is refused before the open, and anything but a regular file after.
func Read(p string) ([]byte, fs.FileMode, error) {
	f, err := Open(p)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	buf := make([]byte, st.Size())
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF {
		err = nil // the file shrank while read: keep what is there
	}
	return buf[:n], st.Mode().Perm(), err
}
