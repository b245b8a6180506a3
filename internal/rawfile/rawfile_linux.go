package rawfile

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Read reads a regular file and its permission bits with one open, one
// fstat, one read and one close.
//
// The open has O_NONBLOCK, so that a FIFO put in the file's place cannot
// block it, and O_NOFOLLOW, so that a link put there is not followed; the
// fstat then refuses anything but a regular file, before any read. On a
// regular file O_NONBLOCK changes nothing.
func Read(p string) ([]byte, fs.FileMode, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		return err
	})
	switch err {
	case unix.ELOOP:
		return nil, 0, notRegular(p, fs.ModeSymlink)
	case unix.ENXIO:
		// What open says of a socket.
		var st unix.Stat_t
		if unix.Lstat(p, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil, 0, notRegular(p, modeType(st.Mode))
		}
	}
	if err != nil {
		return nil, 0, &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return nil, 0, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, notRegular(p, modeType(st.Mode))
	}
	buf := make([]byte, st.Size)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, &os.PathError{Op: "read", Path: p, Err: err}
		}
		if m == 0 {
			break // the file shrank while read: keep what is there
		}
		n += m
	}
	return buf[:n], fs.FileMode(st.Mode & 0o777), nil
}

// modeType is the fs.FileMode type of a stat mode.
func modeType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

func ignoringEINTR(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}
