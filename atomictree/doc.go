// Package atomictree replaces a folder with a new tree of files, atomically:
// at every instant, a SIGKILL included, the folder holds either the old tree
// or the new one, never a mix, and no file in it is half written.
//
// A Writer stages the new tree beside the output folder as files come
// (from several goroutines, in any order), flushes it with one syncfs, and
// swaps it in at Commit with RENAME_EXCHANGE. The output may be the input
// folder itself: an upgrade in place replaces it the same way. Recover
// tidies what a killed run leaves beside the folder. WriteTree is a Writer
// fed from a slice.
//
//	w, err := atomictree.NewWriter(ctx, "upgraded", atomictree.Options{Clean: true})
//	if err != nil { … }
//	defer w.Abort()                    // removes the staging folder unless Commit ran
//	w.Put(atomictree.File{Path: "realm/root/x.json", Data: data})
//	rep, err := w.Commit(ctx, nil)     // the new tree replaces the old one
//
// Where the folder cannot be swapped (a mount point), the tree is written
// into it file by file and Report.NonAtomic says so.
package atomictree
