package atomictree_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/amupgrade/amupgrade/atomictree"
)

// Workers put each file as soon as it is done, in any order, and may reuse its bytes at once;
// the tree replaces the output folder at Commit, and not before.
func ExampleWriter() {
	dir, err := os.MkdirTemp("", "amupgrade-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "upgraded")

	ctx := context.Background()
	w, err := atomictree.NewWriter(ctx, out, atomictree.Options{Clean: true})
	if err != nil {
		panic(err)
	}
	defer w.Abort() // removes the staging folder unless Commit ran

	files := []atomictree.File{
		{Path: "realm/root/service.json", Data: []byte(`{"_id":"service"}`)},
		{Path: "global/secret.json", Data: []byte(`{"_id":"secret"}`), Mode: 0o600},
		{Path: "global/link.json", Link: "secret.json"},
	}
	var wg sync.WaitGroup
	for _, f := range files {
		wg.Go(func() {
			if err := w.Put(f); err != nil {
				panic(err)
			}
		})
	}
	wg.Wait()
	if _, err := os.Stat(out); err != nil {
		fmt.Println("before Commit: no output yet")
	}

	rep, err := w.Commit(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("written:", rep.Written)
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(out, p)
			fmt.Println(filepath.ToSlash(rel))
		}
		return err
	})
	// Output:
	// before Commit: no output yet
	// written: 3
	// global/secret.json
	// realm/root/service.json
}

// A run that replaces a folder locks it first, then tidies what a killed run left, then
// writes; a second run meanwhile is refused (or waits, with LockOptions.Wait), and is told who
// holds the folder.
func ExampleLockFolder() {
	dir, err := os.MkdirTemp("", "amupgrade-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "upgraded")

	ctx := context.Background()
	lock, err := atomictree.LockFolder(ctx, out, atomictree.LockOptions{Owner: "the first run"})
	if err != nil {
		panic(err)
	}
	defer lock.Release()
	if _, err := atomictree.Recover(out); err != nil {
		panic(err)
	}

	_, err = atomictree.LockFolder(ctx, out, atomictree.LockOptions{})
	fmt.Println(errors.Is(err, atomictree.ErrLocked))
	fmt.Println(strings.TrimPrefix(err.Error(), out+" "))

	w, err := atomictree.NewWriter(ctx, out, atomictree.Options{Clean: true, Lock: lock})
	if err != nil {
		panic(err)
	}
	defer w.Abort()
	if err := w.Put(atomictree.File{Path: "a.json", Data: []byte("{}")}); err != nil {
		panic(err)
	}
	if _, err := w.Commit(ctx, nil); err != nil {
		panic(err)
	}
	// Output:
	// true
	// is in use by another run (the first run); wait until it has finished, then run again
}
