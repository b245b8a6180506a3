//go:build unix

package rawfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What took a file's place after the tree was listed is refused at once, with an error that
// names it and says what it is: a FIFO above all, whose open or read would otherwise block for
// ever, and which Ctrl-C could not stop.
func TestReadNotRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	if err := os.WriteFile(target, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	makers := map[string]func(p string) error{
		"a FIFO":             func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"a symbolic link":    func(p string) error { return os.Symlink("target.json", p) },
		"a folder":           func(p string) error { return os.Mkdir(p, 0o755) },
		"a character device": func(p string) error { return os.Symlink("/dev/null", p) }, // replaced below
		"a socket": func(p string) error {
			l, err := net.Listen("unix", p)
			if err == nil {
				t.Cleanup(func() { l.Close() })
			}
			return err
		},
	}
	for kind, mk := range makers {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, strings.ReplaceAll(kind, " ", "-")+".json")
			if kind == "a character device" {
				// Making a device needs root; /dev/null is one already.
				p = "/dev/null"
			} else if err := mk(p); err != nil {
				t.Skipf("cannot make %s here: %v", kind, err)
			}
			for name, read := range map[string]func(string) error{
				"Read": func(p string) error { _, _, err := Read(p); return err },
				"Open": func(p string) error {
					f, err := Open(p)
					if err == nil {
						f.Close()
					}
					return err
				},
			} {
				done := make(chan error, 1)
				go func() { done <- read(p) }()
				var err error
				select {
				case err = <-done:
				case <-time.After(5 * time.Second):
					t.Fatalf("%s(%s) still blocked after 5s", name, p)
				}
				if !errors.Is(err, ErrNotRegular) {
					t.Fatalf("%s: err = %v, want ErrNotRegular", name, err)
				}
				if want := "read " + p + ": not a regular file (" + kind + ")"; err.Error() != want {
					t.Errorf("%s: err = %q, want %q", name, err, want)
				}
			}
		})
	}
}
