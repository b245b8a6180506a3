//go:build !linux

package atomictree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// exchangeDirs has no portable implementation outside Linux, so Commit always takes the
// rename-aside fallback there.
func exchangeDirs(staging, out string) error {
	return &os.LinkError{Op: "exchange", Old: staging, New: out, Err: errors.ErrUnsupported}
}

func exchangeUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported)
}

// syncTree flushes every file and folder under dir. Without syncfs this costs one fsync per
// file, which is slow on large trees but keeps the promise that no file of the swapped-in tree
// is empty after a power cut.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		// Some systems cannot sync a folder; the files are what matters.
		if d.IsDir() {
			err = nil
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

// sameDevice cannot tell outside Linux; a mount point is then caught by the rename failing.
func sameDevice(a, b fs.FileInfo) bool { return true }

// isMountRoot cannot tell outside Linux; a mount point is then caught by the rename failing.
func isMountRoot(dir string) bool { return false }

// createFile creates name, which must not exist, with exactly perm, and writes data into it.
// The explicit chmod is there because the umask of whoever runs the upgrade must not change the
// modes of production configuration.
func createFile(name string, data []byte, perm, mask fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && perm&mask != 0 {
		err = f.Chmod(perm)
	}
	// Close reports the write errors that network file systems defer to it.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// makeDir creates the folder name with exactly perm.
func makeDir(name string, perm, mask fs.FileMode) error {
	if err := os.Mkdir(name, perm); err != nil {
		return err
	}
	if perm&mask != 0 {
		return os.Chmod(name, perm)
	}
	return nil
}

// createMask cannot read the umask portably, so every mode is set again after creation.
func createMask(dir string) fs.FileMode { return 0o777 }
