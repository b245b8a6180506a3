//go:build linux

package engine

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps the folders staging and out in one step, so that no observer, and no crash,
// ever sees out missing or half old, half new.
func exchangeDirs(staging, out string) error {
	if testHookExchange != nil {
		return testHookExchange(staging, out)
	}
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
