package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/amupgrade/amupgrade/internal/rawfile"
)

// The file-by-file write is the fallback for an out that cannot be swapped. It keeps what can be
// kept of the guarantee: no file is half-written, since each lands by rename, and an error or
// interrupt before the first rename leaves out unchanged. New files are first written into
// out/partialDir under their numbers (same file system as out, so they can be renamed into any
// of its folders), flushed with one syncfs, and only then renamed into place.

// dirMode is a folder's mode, to be given back.
type dirMode struct {
	name string
	perm fs.FileMode
}

// enterInPlace makes the writer write file by file, for the given reason: Put writes into
// out/partialDir from now on.
func (w *Writer) enterInPlace(reason string) error {
	if !w.allowNonAtomic {
		return &NonAtomicError{Folder: w.out, Reason: reason}
	}
	w.inPlace = reason + nonAtomicTail
	out := w.out
	// Read-only folders of out must still receive their new files, as they do in a staging
	// folder; each gets its mode back when the run ends, however it ends.
	fi, err := os.Stat(out)
	if err != nil {
		return fmt.Errorf("reading output folder %s: %w; check that it is accessible and run again", out, err)
	}
	if err := w.relax(out, fi); err != nil {
		w.restoreModes()
		return treeWriteErr(".", err, out)
	}
	tmp := filepath.Join(out, partialDir)
	if err := removeTree(tmp); err != nil {
		w.restoreModes()
		return fmt.Errorf("removing %s left by an earlier run: %w; delete it by hand and run again", tmp, err)
	}
	err = os.Mkdir(tmp, 0o700)
	if err == nil {
		w.partialMade = true
		// Exactly 0o700, whatever the umask, or Put could not write into it.
		err = os.Chmod(tmp, 0o700)
	}
	if err != nil {
		_ = removeTree(tmp)
		w.partialMade = false
		w.restoreModes()
		return treeWriteErr(partialDir, err, out)
	}
	w.root = tmp
	w.mask = createMask(tmp)
	return nil
}

// relax makes the folder name writable for the run, if it is not.
func (w *Writer) relax(name string, fi fs.FileInfo) error {
	perm := fi.Mode().Perm()
	if perm&0o700 == 0o700 {
		return nil
	}
	w.relaxed = append(w.relaxed, dirMode{name, perm})
	return os.Chmod(name, perm|0o700)
}

func (w *Writer) restoreModes() {
	for _, d := range slices.Backward(w.relaxed) {
		_ = os.Chmod(d.name, d.perm)
	}
	w.relaxed = nil
}

// moveInPlace is the fallback for an out that the swap found impossible to rename. Its files
// are already in staging, flushed, and the caller cannot give them again (a streamed tree is
// gone once put), so they move into out's partial folder, where a file-by-file write keeps
// them: by rename, free when staging and out share a file system, else (out on another file
// system that the device check at the start missed, such as a bind mount) by copy, one file at
// a time, so that memory stays flat. Until the first file lands in out, any failure leaves out
// as it was.
func (w *Writer) moveInPlace(ctx context.Context, reason string) (Report, error) {
	staging := w.staging
	// The staged folders have their final modes already, and moving a file out of a folder
	// needs the folder writable.
	for d, m := range w.stagedModes {
		if m&0o700 != 0o700 {
			_ = os.Chmod(nativePath(staging, d), m|0o700)
		}
	}
	_ = os.Chmod(staging, 0o700)
	if err := w.enterInPlace(reason); err != nil {
		return w.discard(err)
	}
	files := w.index.fileList()
	err := runWorkers(ctx, len(files), func(i int) error {
		f := files[i]
		if err := moveFile(nativePath(staging, f.rel), w.partialName(f.n), w.mask); err != nil {
			return treeWriteErr(f.rel, err, w.out)
		}
		return nil
	})
	if err != nil {
		return w.discard(err)
	}
	_ = removeTree(staging)
	w.staging = ""
	w.unlockStaging(false)
	return w.finishInPlace(ctx)
}

// moveFile moves the file or link src to dst, which must not exist, copying across file
// systems.
func moveFile(src, dst string, mask fs.FileMode) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	data, perm, err := rawfile.Read(src)
	if err != nil {
		return err
	}
	return createFile(dst, data, perm, mask)
}

// finishInPlace renames the files of the partial folder into out, and removes from out what
// the new tree drops.
func (w *Writer) finishInPlace(ctx context.Context) (Report, error) {
	out, tmp := w.out, w.root
	rep := Report{NonAtomic: w.inPlace}
	if err := w.sync(tmp); err != nil {
		return w.discard(fmt.Errorf("flushing the new files in %s to disk: %w; check the disk and run again: the output folder was not changed", tmp, err))
	}
	if err := ctx.Err(); err != nil {
		return w.discard(err)
	}

	// From here on out changes, so an interrupt no longer stops the run: finishing is the
	// shortest way out of a mixed tree. On failure the partial folder stays, for Recover to
	// tell the next run that out may hold a mix.
	w.partialMade = false
	mixed := func(err error) (Report, error) {
		return rep, fmt.Errorf("%w; the output folder %s now holds a mix of old and new files: restore it from a backup or run the upgrade again", err, out)
	}
	for _, d := range w.index.dirs() {
		name := nativePath(out, d)
		fi, err := ensureRealDir(name, w.mask)
		if err == nil && fi != nil {
			err = w.relax(name, fi)
		}
		if err != nil {
			return mixed(fmt.Errorf("creating folder %s: %w", d, err))
		}
	}
	for _, f := range w.index.fileList() {
		dst := nativePath(out, f.rel)
		src := w.partialName(f.n)
		err := os.Rename(src, dst)
		if err != nil {
			// Only a folder is in the way of a rename over an existing name; the new file wins.
			if fi, lerr := os.Lstat(dst); lerr == nil && fi.IsDir() {
				if err = removeTree(dst); err == nil {
					err = os.Rename(src, dst)
				}
			}
		}
		if err != nil {
			return mixed(fmt.Errorf("writing %s: %w", f.rel, err))
		}
		rep.Written++
	}
	// The partial folder stays until the old files are pruned and all is on disk: a kill
	// before then leaves it, for Recover to say that out may hold a mix.
	roots := []string{"."}
	if !w.clean {
		roots = slices.Sorted(func(yield func(string) bool) {
			for r := range w.removed {
				if !yield(r) {
					return
				}
			}
		})
	}
	for _, r := range roots {
		if err := pruneTree(out, r, w.index); err != nil {
			return mixed(err)
		}
	}
	if err := w.sync(out); err != nil {
		return mixed(fmt.Errorf("flushing %s to disk: %w", out, err))
	}
	if err := os.Remove(tmp); err != nil {
		return mixed(fmt.Errorf("removing %s: %w", tmp, err))
	}
	syncDir(out)
	return rep, nil
}

// ensureRealDir makes name a real folder, and returns its info if it was one already. Anything
// else in the way (a file, or a link that could lead outside out) is replaced, as the new tree
// needs a folder there.
func ensureRealDir(name string, mask fs.FileMode) (fs.FileInfo, error) {
	fi, err := os.Lstat(name)
	if err == nil && fi.IsDir() {
		return fi, nil
	}
	if err == nil {
		if err := os.Remove(name); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return nil, makeDir(name, newDirPerm, mask)
}

// pruneTree deletes, under out/root, everything that is neither a file of the new tree nor a
// folder holding one. It never follows a symbolic link, including in root's own path.
func pruneTree(out, root string, ix *treeIndex) error {
	if root != "." {
		for d := path.Dir(root); d != "."; d = path.Dir(d) {
			fi, err := os.Lstat(nativePath(out, d))
			if err != nil || !fi.IsDir() {
				// Nothing of out is under a missing folder or a link.
				return nil
			}
		}
	}
	start := nativePath(out, root)
	if _, err := os.Lstat(start); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(start, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s to remove old files: %w", full, err)
		}
		if full == out {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(full, out+string(filepath.Separator)))
		if rel == partialDir {
			return filepath.SkipDir
		}
		if d.IsDir() && ix.isDir(rel) {
			return nil
		}
		if !d.IsDir() && ix.isFile(rel) {
			return nil
		}
		if err := removeTree(full); err != nil {
			return fmt.Errorf("removing %s: %w", rel, err)
		}
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
}
