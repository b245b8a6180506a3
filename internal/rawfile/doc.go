// Package rawfile reads whole files the way a configuration tree is read:
// one open that neither follows a link nor blocks, one fstat, one read, one
// close. Trees have tens of thousands of small files, and an os.File costs
// more per file (poller registration, finalizer) than reading it does.
//
// Only regular files are read. A path that became something else after the
// tree was listed (a FIFO, whose open or read would block for ever, a
// device, a socket, a symbolic link) gives an error naming it, at once.
package rawfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is the error, under a *fs.PathError, for a path that is not
// a regular file.
var ErrNotRegular = errors.New("not a regular file")

// notRegular is the error for path p whose type is mode.
func notRegular(p string, mode fs.FileMode) error {
	return &os.PathError{Op: "read", Path: p, Err: fmt.Errorf("%w (%s)", ErrNotRegular, typeName(mode))}
}

// typeName says what kind of entry mode is, for an error message.
func typeName(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode.IsDir():
		return "a folder"
	}
	return "of type " + mode.Type().String()
}
