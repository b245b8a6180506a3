//go:build linux

package atomictree

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps the folders staging and out in one step, so that no observer, and no crash,
// ever sees out missing or half old, half new.
func exchangeDirs(staging, out string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, staging, unix.AT_FDCWD, out, unix.RENAME_EXCHANGE); err != nil {
		return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: err}
	}
	return nil
}

// exchangeUnsupported reports the errors by which a kernel older than 3.15, or a file system
// without RENAME_EXCHANGE (NFS, overlayfs, some FUSE), says it cannot exchange.
func exchangeUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, errors.ErrUnsupported)
}

// syncTree flushes the whole file system holding dir in one call: a power cut after the swap
// must not leave the new tree with empty files, and one fsync per file of a 20,000-file tree
// would take far longer than the upgrade itself.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = unix.Syncfs(int(f.Fd()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: it runs after the swap, when the
// run has already succeeded, and the tree itself is already on disk.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

// sameDevice reports whether a and b live on the same file system; when they do not, a is a
// mount point and cannot be renamed.
func sameDevice(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return !ok1 || !ok2 || sa.Dev == sb.Dev
}

// isMountRoot reports whether dir is the root of a mount, a bind mount included, which the
// device check cannot see: a bind mount of a folder of the same file system is on the same
// device as its parent. Kernels before 5.8 do not say; the swap then finds out (EBUSY).
func isMountRoot(dir string) bool {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, 0, &st); err != nil {
		return false
	}
	return st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0
}

// createFile creates name, which must not exist, with exactly perm, and writes data into it.
// Trees have tens of thousands of small files, so it uses the system calls directly: an
// os.File costs more per file (poller registration, finalizer) than the write does.
//
// The umask of whoever runs the upgrade must not change the modes of production configuration,
// so perm is set again with fchmod when mask (see createMask) says the kernel may have taken
// bits off it.
func createFile(name string, data []byte, perm, mask fs.FileMode) error {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(perm))
		return err
	})
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			unix.Close(fd)
			return &fs.PathError{Op: "write", Path: name, Err: err}
		}
		data = data[n:]
	}
	if perm&mask != 0 {
		if err := ignoringEINTR(func() error { return unix.Fchmod(fd, uint32(perm)) }); err != nil {
			unix.Close(fd)
			return &fs.PathError{Op: "chmod", Path: name, Err: err}
		}
	}
	// Close reports the write errors that network file systems defer to it. It is not retried
	// on EINTR: Linux has released the descriptor by then, and it may already be reused.
	if err := unix.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: name, Err: err}
	}
	return nil
}

// makeDir creates the folder name with exactly perm.
func makeDir(name string, perm, mask fs.FileMode) error {
	if err := ignoringEINTR(func() error { return unix.Mkdir(name, uint32(perm)) }); err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	if perm&mask != 0 {
		if err := ignoringEINTR(func() error { return unix.Chmod(name, uint32(perm)) }); err != nil {
			return &fs.PathError{Op: "chmod", Path: name, Err: err}
		}
	}
	return nil
}

func ignoringEINTR(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}

// createMask returns the permission bits that the kernel may take off a file or folder created
// in dir: the umask, or every bit when it cannot be read or when dir has a default ACL (which
// the kernel then applies instead of the umask).
func createMask(dir string) fs.FileMode {
	umask, ok := processUmask()
	if !ok {
		return 0o777
	}
	_, err := unix.Getxattr(dir, "system.posix_acl_default", nil)
	if errors.Is(err, unix.ENODATA) || errors.Is(err, unix.EOPNOTSUPP) {
		return umask
	}
	return 0o777
}

// processUmask reads the umask from /proc (Linux 4.7 and later), once per writer. The umask(2)
// call cannot read it without setting it, and setting it, even for an instant, would change the
// mode of files that other goroutines create meanwhile.
func processUmask() (fs.FileMode, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return fs.FileMode(m) & fs.ModePerm, err == nil
		}
	}
	return 0, false
}
