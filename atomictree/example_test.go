package atomictree_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
