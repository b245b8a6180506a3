package engine

import "io/fs"

// FileResult is one file of the upgraded tree, handed to a Sink as soon as
// it is done so that the tree never has to be held in memory. In and Out are
// only valid during the call: a sink that keeps them must copy them.
type FileResult struct {
	// Path is where the file goes in the new tree (slash-separated).
	Path string
	// From is the input path of a file a rule renamed (set-entity-id on an
	// Amster file), or "".
	From string
	// In holds the bytes read (nil for a created file or a link).
	In []byte
	// Out holds the bytes of the new tree (nil for a deleted file or a link).
	Out  []byte
	Mode fs.FileMode
	// Link is set for a symbolic link kept as it is.
	Link string
	// JSON is set for configuration files; Entity is the identity after the
	// upgrade (nil when the file has none).
	JSON   bool
	Entity *Entity
	// Created: a rule (or version tracking) made the file. Deleted: a rule
	// removed it, and Out is nil. Unchanged: Out equals In, byte for byte.
	Created, Deleted, Unchanged bool
	// Reprinted: Out differs from In only because the file was printed in
	// AM's layout; no rule (nor -a) changed it.
	Reprinted bool
}

// Sink receives every file of the upgraded tree, each exactly once, from
// several goroutines at once, in no particular order. An error stops the
// upgrade and is reported against the file.
type Sink func(f *FileResult) error
