package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// File is one file of the new tree.
type File struct {
	Path string // slash-separated, relative to the output root, clean, never "..", never absolute
	Data []byte
	Mode fs.FileMode // permission bits to create it with (0 means 0o644)
	// Link, when set, makes the file a symbolic link to this target instead (Data and Mode are
	// not used). The target is relative and stays inside the tree; others are refused.
	Link string
}

// Options says what happens to files already in the output folder.
type Options struct {
	// Clean: the output folder ends up holding exactly Files. When false, files already in the
	// output folder that are not in Files are kept (the vendor tool's --clean false).
	Clean bool
	// Remove: with Clean false, paths (relative) that must NOT survive from the old output
	// (entities the upgrade deleted). A Writer removes these and those given to Commit,
	// which a streamed upgrade only knows at the end.
	Remove []string

	// Lock, when set, is the caller's lock on the output folder (see LockFolder): the Writer
	// adds its staging folder to it, so that the new tree stays locked after the swap until
	// the caller releases the lock. The caller takes the lock before Recover and NewWriter.
	Lock *Lock
	// AllowNonAtomic lets the Writer write the tree into the output folder file by file
	// where the folder cannot be swapped (a mount point, a parent that is not writable). A
	// SIGKILL then leaves a mix of old and new files. Without it, NewWriter or Commit refuse
	// with an error for which errors.Is(err, ErrNonAtomic) holds, and the output folder is
	// not changed.
	AllowNonAtomic bool
	// NoSync swaps the tree in without flushing it to disk first, which leaves the flush to the
	// kernel: a power cut soon after may leave the new tree with empty files. It is for outputs
	// that nothing depends on, such as a test's temporary folder, where the flush of a whole file
	// system costs more than the work. A SIGKILL still leaves the old tree or the new one.
	NoSync bool

	// hooks, set only by this package's tests, become the Writer's.
	hooks *testHooks
}

// Report says what WriteTree or Writer.Commit did.
type Report struct {
	Written int
	// NonAtomic is set when the atomic swap was impossible (see below) and the tree was written
	// file by file instead; the caller warns the user.
	NonAtomic string
}

// The names of everything a Writer leaves beside or inside out while it works. Recover finds
// leftovers by these names, so they must stay stable across releases.
const (
	stagingInfix = ".amupgrade-new-"
	oldInfix     = ".amupgrade-old-"
	// partialDir lives inside out during a file-by-file write: it holds the new files until they
	// are renamed into place, and its presence tells Recover that out may hold a mix.
	partialDir = ".amupgrade-partial"
)

// ErrNonAtomic is the error, under a *NonAtomicError, of a Writer that finds that the output
// folder cannot be swapped when Options.AllowNonAtomic is not set.
var ErrNonAtomic = errors.New("cannot be replaced atomically")

// NonAtomicError says why the output folder cannot be swapped, when the Writer may not write
// it file by file. Nothing was written.
type NonAtomicError struct {
	Folder string
	Reason string // "output folder x is a mount point", …
}

func (e *NonAtomicError) Error() string {
	return e.Reason + ", so it cannot be replaced atomically: written file by file, a run killed half-way would leave a mix of old and new files; the output folder was not changed"
}

func (e *NonAtomicError) Is(target error) bool { return target == ErrNonAtomic }

// nonAtomicTail ends Report.NonAtomic.
const nonAtomicTail = ": written file by file, not swapped atomically"

// testHooks are the points at which this package's tests step into a Writer: they are a field
// of the Writer, given through Options.hooks, which only this package can set, so that
// production code cannot reach them and tests with different hooks run in parallel.
type testHooks struct {
	// writeFile runs in Put before each file is written; an error fails that file.
	writeFile func(rel string) error
	// exchange replaces the RENAME_EXCHANGE system call.
	exchange func(staging, out string) error
	// swapStep runs at the named points of the swap, so a crash test can kill there.
	swapStep func(step string)
	// flush runs each time the Writer flushes a folder's file system to disk.
	flush func(dir string)
}

// WriteTree makes `out` hold the new tree, atomically: at every instant (including SIGKILL at any
// moment) `out` is either the complete old tree (or absent, if it did not exist) or the complete new
// tree, never a mix, and no file in it is half-written.
//
// The tree is built in a staging folder beside out, flushed to disk with one syncfs, and swapped
// in with RENAME_EXCHANGE. Where the file system cannot exchange directories, out is renamed
// aside and the staging folder renamed in; a SIGKILL between those two renames leaves out absent
// until Recover puts the old tree back. Where out cannot be renamed at all (a mount point), the
// files are written into out one by one and Report.NonAtomic says so.
//
// WriteTree is a Writer fed from a slice. Since the whole tree is at hand, it checks every
// path first, so that a bad tree is refused before anything is written. Unless opts.Lock is
// set, it locks out for its duration, without waiting: while another run holds out, it fails
// with ErrLocked.
func WriteTree(ctx context.Context, out string, files []File, opts Options) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	if err := checkFiles(files, opts); err != nil {
		return Report{}, err
	}
	if opts.Lock == nil {
		l, err := LockFolder(ctx, out, LockOptions{})
		if err != nil {
			return Report{}, err
		}
		defer l.Release()
		opts.Lock = l
	}
	w, err := NewWriter(ctx, out, opts)
	if err != nil {
		return Report{}, err
	}
	defer w.Abort()
	if err := runWorkers(ctx, len(files), func(i int) error { return w.Put(files[i]) }); err != nil {
		return Report{}, err
	}
	return w.Commit(ctx, nil)
}

// checkFiles makes every check that Put and Commit would make, without writing anything.
func checkFiles(files []File, opts Options) error {
	ix := newTreeIndex()
	for _, f := range files {
		if err := checkFile(f); err != nil {
			return fmt.Errorf("%w; nothing was written", err)
		}
		if _, err := ix.add(f.Path); err != nil {
			return fmt.Errorf("%w: nothing was written", err)
		}
	}
	if _, err := checkRemove(opts.Remove); err != nil {
		return fmt.Errorf("%w; nothing was written", err)
	}
	return nil
}

// Recover cleans up what a killed WriteTree or Writer left beside `out` (staging folders, an
// old tree parked during a fallback swap, a lock file) and restores the old tree when the swap
// was interrupted half-way. It is called at the start of every run, with out locked (see
// LockFolder); even so, it leaves alone the folders that a Writer alive in another run holds.
// It returns what it did, for a log line.
func Recover(out string) ([]string, error) {
	out, err := resolveOut(out)
	if err != nil {
		return nil, err
	}
	parent, base := filepath.Dir(out), filepath.Base(out)
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking for leftovers of an interrupted run beside %s: %w; check that %s is readable and run again", out, err, parent)
	}
	var stagings, olds []string
	for _, e := range entries {
		// A folder whose Writer is alive in another run is locked by it: never touched.
		if p, ok := leftoverName(e.Name(), base, stagingInfix); ok && !inUse(filepath.Join(parent, p)) {
			stagings = append(stagings, filepath.Join(parent, p))
		} else if p, ok := leftoverName(e.Name(), base, oldInfix); ok && !inUse(filepath.Join(parent, p)) {
			olds = append(olds, filepath.Join(parent, p))
		}
	}
	if _, err := removeStaleLock(out); err != nil {
		return nil, err
	}

	var did []string
	_, err = os.Lstat(out)
	outMissing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !outMissing {
		return nil, fmt.Errorf("reading output folder %s: %w; check that it is accessible and run again", out, err)
	}
	if outMissing && len(olds) > 1 {
		return nil, fmt.Errorf("output folder %s is missing and several parked old trees exist (%s); rename the one to keep to %s by hand and delete the others", out, strings.Join(olds, ", "), out)
	}
	if outMissing && len(olds) == 1 {
		// A fallback swap was killed between its two renames. The staging folder beside it is
		// complete, but undoing is the only choice that is right whatever the staging holds.
		if err := os.Rename(olds[0], out); err != nil {
			return did, fmt.Errorf("putting the old tree %s back at %s: %w; rename it by hand", olds[0], out, err)
		}
		syncDir(parent)
		did = append(did, fmt.Sprintf("restored %s from %s: the previous run was killed during its swap", out, olds[0]))
		olds = nil
	}
	for _, p := range olds {
		if err := removeTree(p); err != nil {
			return did, fmt.Errorf("removing the old tree %s left by the previous run: %w; delete it by hand", p, err)
		}
		did = append(did, "removed "+p+", the old tree left by the previous run")
	}
	for _, p := range stagings {
		if err := removeTree(p); err != nil {
			return did, fmt.Errorf("removing the staging folder %s left by the previous run: %w; delete it by hand", p, err)
		}
		did = append(did, "removed "+p+", a staging folder left by the previous run")
	}

	partial := filepath.Join(out, partialDir)
	if fi, err := os.Lstat(partial); err == nil {
		if err := removeTree(partial); err != nil {
			return did, fmt.Errorf("removing %s left by the previous run: %w; delete it by hand", partial, err)
		}
		if fi.IsDir() {
			did = append(did, fmt.Sprintf("removed %s: the previous run was killed while writing file by file, so %s may hold a mix of old and new files; run the upgrade again from the original configuration", partial, out))
		}
	}
	return did, nil
}

// leftoverName reports whether name is one of a Writer's folders for the output named base, and
// checks the random suffix so that an output literally named "x.amupgrade-new-y" is not mistaken
// for a leftover of output "x".
func leftoverName(name, base, infix string) (string, bool) {
	suffix, ok := strings.CutPrefix(name, "."+base+infix)
	if !ok || suffix == "" {
		return "", false
	}
	for _, c := range suffix {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return name, true
}

// resolveOut resolves out (see Resolve), so that the tree is swapped where a link points
// rather than the link being replaced by a folder, and refuses a file system root. A dangling
// link resolves to its target, which is what Recover needs after a fallback swap was killed.
func resolveOut(out string) (string, error) {
	if out == "" {
		return "", errors.New("no output folder given; pass one and run again")
	}
	abs, err := Resolve(out)
	if err != nil {
		return "", err
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("output folder %s is a file system root, which cannot be swapped; choose a folder below it", abs)
	}
	return abs, nil
}

// Resolve returns the absolute path that p names once every symbolic link on its way is
// followed, as the kernel follows them, including where the path goes on past what exists:
// "lnk/new", where lnk links to /data/in, is /data/in/new, and "lnk/.." is the folder above
// /data/in. What does not exist yet is cleaned as text. A run resolves every path it is given
// before it compares them, so that no link can put an output inside its input.
func Resolve(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", p, err)
		}
		p = wd + string(filepath.Separator) + p
	}
	vol := filepath.VolumeName(p)
	done := vol + string(filepath.Separator)
	todo := pathSegments(p[len(vol):])
	links := 0
	for len(todo) > 0 {
		seg := todo[0]
		todo = todo[1:]
		if seg == ".." {
			done = filepath.Dir(done)
			continue
		}
		next := filepath.Join(done, seg)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			// Nothing further exists, so no link either.
			return filepath.Join(append([]string{next}, todo...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w; check that it is accessible and run again", p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("resolving %s: a loop of symbolic links at %s; fix it and run again", p, next)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("reading the link %s: %w; check it and run again", next, err)
		}
		if filepath.IsAbs(target) {
			vol = filepath.VolumeName(target)
			done = vol + string(filepath.Separator)
			target = target[len(vol):]
		}
		todo = append(pathSegments(target), todo...)
	}
	return done, nil
}

// pathSegments splits p into its names, leaving out empty ones and ".".
func pathSegments(p string) []string {
	var segs []string
	for seg := range strings.SplitSeq(filepath.ToSlash(p), "/") {
		if seg != "" && seg != "." {
			segs = append(segs, seg)
		}
	}
	return segs
}

// makeStaging creates the staging folder beside out, and returns it with its random suffix,
// which the old tree's name shares during a fallback swap.
func makeStaging(parent, base string) (staging, suffix string, err error) {
	for {
		suffix = strconv.FormatUint(rand.Uint64(), 10)
		staging = filepath.Join(parent, "."+base+stagingInfix+suffix)
		// 0o700 until the swap: the tree may hold secrets, and the final modes of its folders
		// are only set once everything inside is written.
		err = os.Mkdir(staging, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			// Exactly 0o700, whatever the umask, or Put could not write into it.
			if err = os.Chmod(staging, 0o700); err != nil {
				_ = os.Remove(staging)
			}
		}
		return staging, suffix, err
	}
}

// checkFile refuses a file whose path or link target could lead out of the tree.
func checkFile(f File) error {
	if err := CheckTreePath(f.Path); err != nil {
		return fmt.Errorf("file %q of the new tree: %w", f.Path, err)
	}
	if f.Link != "" {
		if err := checkLinkTarget(f.Path, f.Link); err != nil {
			return fmt.Errorf("link %q of the new tree: %w", f.Path, err)
		}
	}
	return nil
}

// checkRemove checks the paths to remove from the output and returns them as a set.
func checkRemove(remove []string) (map[string]bool, error) {
	set := make(map[string]bool, len(remove))
	for _, r := range remove {
		if err := CheckTreePath(r); err != nil {
			return nil, fmt.Errorf("path %q to remove from the output: %w", r, err)
		}
		set[r] = true
	}
	return set, nil
}

func CheckTreePath(rel string) error {
	switch {
	case rel == "":
		return errors.New("empty path")
	case strings.IndexByte(rel, 0) >= 0:
		return errors.New("path contains a NUL byte")
	case strings.HasPrefix(rel, "/"):
		return errors.New("path is absolute")
	case strings.Contains(rel, `\`) && filepath.Separator == '\\':
		return errors.New("path contains a backslash")
	}
	for seg := range strings.SplitSeq(rel, "/") {
		switch seg {
		case "":
			return errors.New("path has an empty segment")
		case ".", "..":
			return fmt.Errorf("path has a %q segment", seg)
		}
	}
	if first, _, _ := strings.Cut(rel, "/"); first == partialDir {
		return fmt.Errorf("%s is reserved for amupgrade's own use", partialDir)
	}
	return nil
}

// checkLinkTarget refuses a link target that leads out of the tree, read as a path from the
// link's folder.
func checkLinkTarget(rel, target string) error {
	switch {
	case strings.IndexByte(target, 0) >= 0:
		return errors.New("target contains a NUL byte")
	case filepath.IsAbs(target) || strings.HasPrefix(filepath.ToSlash(target), "/"):
		return fmt.Errorf("target %s is absolute", target)
	}
	if p := path.Join(path.Dir(rel), filepath.ToSlash(target)); p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("target %s leads out of the tree", target)
	}
	return nil
}

// runWorkers runs do(0..n-1) on GOMAXPROCS workers and returns the first error, or ctx's error if
// it was cancelled first. After an error no new item starts.
func runWorkers(ctx context.Context, n int, do func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	var (
		next     atomic.Int64
		stop     atomic.Bool
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = do(i)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func newFileMode(m fs.FileMode) fs.FileMode {
	if m.Perm() == 0 {
		return 0o644
	}
	return m.Perm()
}

func nativePath(root, rel string) string {
	if rel == "." || rel == "" {
		return root
	}
	return root + string(filepath.Separator) + filepath.FromSlash(rel)
}

// treeWriteErr names the file that failed and what to do about it.
func treeWriteErr(rel string, err error, out string) error {
	return fmt.Errorf("writing %s: %w; %s and run again: the output folder %s was not changed", rel, err, writeAdvice(err), out)
}

func writeAdvice(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "free space (the new tree is written in full before it replaces the old one, so the disk needs room for both)"
	case errors.Is(err, syscall.EDQUOT):
		return "free space or raise the disk quota (the new tree is written in full before it replaces the old one, so both count)"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return "make the output folder and the folder holding it writable"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "raise the limit of open files"
	}
	return "fix the cause"
}

// cannotRename reports, as a sentence for the user, why out can never be renamed, so that
// Commit falls back to writing file by file (when allowed); it returns "" for other errors.
func cannotRename(out, parent string, err error) string {
	switch {
	case errors.Is(err, syscall.EBUSY):
		return "output folder " + out + " is a mount point or in use"
	case errors.Is(err, syscall.EXDEV):
		return "output folder " + out + " is on another file system than " + parent
	case errors.Is(err, fs.ErrPermission):
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return "output folder " + out + " cannot be renamed in " + parent + " (" + err.Error() + ")"
	}
	return ""
}

// removeTree is os.RemoveAll for trees that may hold read-only folders, which configuration
// trees sometimes do and whose entries even their owner cannot delete.
func removeTree(name string) error {
	err := os.RemoveAll(name)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	// Folders are made writable before WalkDir reads them; links are never followed, since
	// DirEntry.IsDir is false for a link.
	_ = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(name)
}
