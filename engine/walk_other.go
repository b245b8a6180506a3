//go:build !linux

package engine

import (
	"io/fs"
	"os"
	"path/filepath"
)

// osDirReader reads folders with os.ReadDir.
type osDirReader struct{}

func newDirReader() dirReader { return osDirReader{} }

func (osDirReader) read(root, rel string) ([]treeEntry, []string, error) {
	list, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, nil, &Error{Code: CodeInput, File: rel, Msg: "cannot read; check its permissions", Err: unwrapPathError(err)}
	}
	var entries []treeEntry
	var dirs []string
	for _, d := range list {
		child := joinRel(rel, d.Name())
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			entries = append(entries, treeEntry{child, entryLink})
		case d.IsDir():
			dirs = append(dirs, child)
		case t.IsRegular():
			entries = append(entries, treeEntry{child, entryFile})
		default:
			entries = append(entries, treeEntry{child, entryOther})
		}
	}
	return entries, dirs, nil
}
