package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// outFile is a file the run writes beside the trees, a report or a log, written to a
// temporary file beside it and renamed into place once complete: the previous file stays whole
// until the new one is, SIGKILL included. The temporary file is made at the start of the run,
// so that a path that cannot be written is refused before any work.
type outFile struct {
	path string // resolved
	tmp  string
	f    *os.File
	// made are the folders made to hold it, deepest first, removed if the run writes nothing.
	made []string
	mu   sync.Mutex // for Write and Err, which the log may get from several goroutines
	err  error      // the first write error
}

// tmpInfix names the temporary file of an outFile: .NAME.amupgrade-tmp-N beside NAME.
const tmpInfix = ".amupgrade-tmp-"

// createOutFile makes the folders holding path and the temporary file beside it. The
// temporary file is locked for the life of the run, so that a later run that finds it can tell
// a live run's file from a killed run's, which it removes.
func createOutFile(path string) (*outFile, error) {
	o := &outFile{path: path}
	dir := filepath.Dir(path)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		o.made = append(o.made, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		o.removeMade()
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		o.removeMade()
		return nil, fmt.Errorf("%s is a folder", path)
	}
	removeStaleTemps(path)
	for {
		o.tmp = filepath.Join(dir, "."+filepath.Base(path)+tmpInfix+strconv.FormatUint(rand.Uint64(), 10))
		f, err := os.OpenFile(o.tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			o.removeMade()
			return nil, err
		}
		tryLock(f)
		o.f = f
		return o, nil
	}
}

// removeStaleTemps removes the temporary files of path that killed runs left: those no live
// run holds locked.
func removeStaleTemps(path string) {
	dir, base := filepath.Dir(path), "."+filepath.Base(path)+tmpInfix
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), base)
		if !ok || suffix == "" || strings.Trim(suffix, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
		if err != nil {
			continue
		}
		if tryLock(f) {
			_ = os.Remove(p)
		}
		f.Close()
	}
}

// Write writes to the temporary file; the first error sticks, and is returned by every later
// call and by Commit.
func (o *outFile) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.f.Write(b)
	if err != nil {
		o.err = err
	}
	return n, err
}

// Err returns the first write error.
func (o *outFile) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Commit flushes the temporary file to disk and renames it into place.
func (o *outFile) Commit() error {
	if o.f == nil {
		return errors.New("written already")
	}
	err := o.Err()
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	if err == nil {
		err = os.Rename(o.tmp, o.path)
	}
	if err != nil {
		_ = os.Remove(o.tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(o.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	o.made = nil
	return nil
}

// Discard removes the temporary file and the folders made for it; the file at path stays as
// it was. It does nothing after Commit.
func (o *outFile) Discard() {
	if o == nil || o.f == nil {
		return
	}
	o.f.Close()
	o.f = nil
	_ = os.Remove(o.tmp)
	o.removeMade()
}

func (o *outFile) removeMade() {
	for _, d := range o.made {
		if os.Remove(d) != nil {
			break
		}
	}
	o.made = nil
}
