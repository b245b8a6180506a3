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
// Where the folder cannot be swapped (a mount point, a parent that is not
// writable), NewWriter or Commit refuse with ErrNonAtomic, the folder as it
// was, unless Options.AllowNonAtomic: the tree is then written into it file by
// file and Report.NonAtomic says so.
//
// Two runs on one folder would destroy it. LockFolder keeps them apart: a run
// locks the folder it replaces (and, shared, the one it reads) before Recover,
// and gives the lock to the Writer in Options.Lock, which keeps its staging
// folder locked too; Recover never touches a live writer's folders. Resolve
// follows every link of a path, so that callers compare the folders they are
// given as the kernel will reach them.
package atomictree
