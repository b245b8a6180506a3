package rawfile

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Read reads a file and its permission bits with one open, one fstat,
// one read and one close. Trees have tens of thousands of small files, and
// an os.File costs more per file (poller registration, finalizer) than
// reading it does.
func Read(p string) ([]byte, fs.FileMode, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, 0, &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, &os.PathError{Op: "stat", Path: p, Err: err}
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
