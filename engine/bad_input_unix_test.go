//go:build unix

package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/amupgrade/amupgrade/internal/treetest"
)

// A file that a FIFO replaced after the tree was listed stops the run at once with an error
// naming it; opening or reading the FIFO would block for ever, and Ctrl-C with it.
func TestReadFileReplacedByFIFO(t *testing.T) {
	t.Parallel()
	const victim = "realm/root/oauth2provider/1.0/organizationconfig/default.json"
	root := filepath.Join(t.TempDir(), "tree")
	treetest.Make(t, root, fbcTree())
	tree, err := ScanTree(root)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, filepath.FromSlash(victim))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Upgrade(t.Context(), tree, &Chain{Mode: FBC}, Options{}, RenderOptions{}, func(*FileResult) error { return nil })
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the upgrade still blocked after 5s")
	}
	want := victim + ": not a regular file (a FIFO), but was one when the tree was listed: put the file back or remove it, and run again"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
