// Package engine upgrades a tree of AM configuration files with a compiled
// chain of rules. It knows nothing of rule files (see package ruleset).
//
// The flow is read → apply → render → write:
//
//	tree, _ := engine.ReadTree(ctx, "config/services", 0)      // every file, identity from metadata
//	res, _ := engine.Apply(ctx, tree, chain, engine.Options{})  // rules in order, documents in parallel
//	out, _ := res.Render(ctx, engine.RenderOptions{})           // the vendor's JSON style
//	engine.WriteTree(ctx, "upgraded", out.Files, engine.WriteOptions{Clean: true})
//
// A Document is one file; JSON documents carry their Entity (type, id, realm,
// path parameters) read from metadata without a full parse, so files that no
// selector matches are never decoded. Values are ordered JSON (Value), paths
// inside documents are JSON Pointers, and every change is an Event. Version
// tracking (the ConfigurationVersionService) decides before any document is
// touched which rules run, so each document goes through the chain on its
// own and the output does not depend on the number of workers. WriteTree
// builds the new tree beside the output and swaps it in atomically.
package engine
