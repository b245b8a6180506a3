// Package engine upgrades a tree of AM configuration files with a compiled
// chain of rules. It knows nothing of rule files (see package ruleset).
//
// The command line streams the tree, so that memory does not grow with it:
//
//	tree, _ := engine.ScanTree("config/services")                  // paths only
//	w, _ := atomictree.NewWriter(ctx, "upgraded", atomictree.Options{Clean: true})
//	defer w.Abort()
//	res, _ := engine.Upgrade(ctx, tree, chain, engine.Options{}, engine.RenderOptions{},
//		func(f *engine.FileResult) error { // each file once, from several workers
//			if f.Deleted {
//				return nil
//			}
//			return w.Put(atomictree.File{Path: f.Path, Data: f.Out, Mode: f.Mode, Link: f.Link})
//		})
//	w.Commit(ctx, nil) // the new tree replaces the old one atomically
//
// and the same pass runs in memory for tests and tools:
//
//	tree, _ := engine.ReadTree(ctx, "config/services", 0)      // every file, identity from metadata
//	res, _ := engine.Apply(ctx, tree, chain, engine.Options{})  // rules in order, documents in parallel
//	out, _ := res.Render(ctx, engine.RenderOptions{})           // the vendor's JSON style
//	atomictree.WriteTree(ctx, "upgraded", out.Files, atomictree.Options{Clean: true})
//
// A Document is one file; JSON documents carry their Entity (type, id, realm,
// path parameters) read from metadata without a full parse, so files that no
// selector matches are never decoded. Values are ordered JSON (amjson.Value), paths
// inside documents are JSON Pointers, and every change is an Event. Version
// tracking (the ConfigurationVersionService) is read first and decides which
// rules run, so each document goes through the chain on its own and the
// output does not depend on the number of workers. Create rules, the creates
// transforms ask for, and whole-tree transforms are done after the pass, in
// rule order, from the identities as read; what they create then goes through
// the rules after theirs. Options.Reference names a configuration of the
// target release from which such creates take what AM bundles. A vendor
// change a transform cannot make is a Notice of code not-implemented that
// says why (a Need) and what to do by hand. The writer builds the new tree
// beside the output and swaps it in atomically.
package engine
