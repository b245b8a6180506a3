package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/amupgrade/amupgrade/internal/rawfile"
)

// Writer builds a new tree file by file and swaps it in at Commit, with the guarantees of
// WriteTree: until Commit swaps, out is exactly as it was, and a SIGKILL at any moment leaves
// either the old tree or the new one (Recover tidies what is left beside it).
//
// Each file goes to disk as Put receives it, so a streamed upgrade holds no file contents in
// memory; the writer keeps only the paths, to refuse a path put twice and to know at Commit
// which old files the new tree replaces.
//
// Where out is a mount point, or its parent is not writable, NewWriter chooses the
// file-by-file fallback at once: Put writes into out/.amupgrade-partial, and Commit renames the
// files into place. Fallbacks that only the swap itself reveals are chosen at Commit.
type Writer struct {
	// ctx is NewWriter's: Put has no context of its own, and stops once this one is done.
	ctx     context.Context
	out     string      // absolute, links followed
	outInfo fs.FileInfo // nil when out does not exist yet
	clean   bool
	removed map[string]bool // Options.Remove and Commit's remove, with Clean false

	// root is where Put writes: staging, or out/partialDir once writing in place.
	root    string
	staging string // "" once swapped in, moved away or removed
	suffix  string // staging's random suffix, shared by the old tree's name in a fallback swap
	// inPlace is why the tree is written file by file ("" while it goes to staging); files
	// then sit in root under their numbers until Commit renames them into place.
	inPlace     string
	partialMade bool
	// mask holds the permission bits that the kernel may take off a new file or folder in root
	// (see createFile).
	mask fs.FileMode

	index *treeIndex

	// state is held shared by Put and exclusively by Commit and Abort, so that neither runs
	// while a file is half written; closed (under state) is set by the first of them.
	state  sync.RWMutex
	closed bool
	// failed is the first error of a Put; Commit refuses to swap in a tree that lacks a file.
	failMu sync.Mutex
	failed error

	// madeParents lists the folders made to hold a new out, deepest first.
	madeParents []string

	// stagedModes holds the final modes of the staging folders that differ from newDirPerm.
	stagedModes map[string]fs.FileMode
	// relaxed lists the folders of out made writable for a file-by-file write, to be given
	// their modes back however the run ends.
	relaxed []dirMode

	// lock is the caller's lock on out (Options.Lock), nil when none; stagingLock locks the
	// staging folder while it exists, and out once it is swapped in.
	lock        *Lock
	stagingLock *os.File
	// allowNonAtomic: out may be written file by file (Options.AllowNonAtomic).
	allowNonAtomic bool
	// noSync: the tree is not flushed before the swap (Options.NoSync).
	noSync bool

	hooks testHooks
}

// sync flushes the file system holding dir, unless Options.NoSync said not to.
func (w *Writer) sync(dir string) error {
	if w.noSync {
		return nil
	}
	if w.hooks.flush != nil {
		w.hooks.flush(dir)
	}
	return syncTree(dir)
}

// newDirPerm is the mode of a folder of the new tree that the old tree did not have.
const newDirPerm fs.FileMode = 0o755

var errWriterClosed = errors.New("the new tree was already committed or aborted; this is a bug in the upgrade, please report it")

// NewWriter prepares to write a new tree at out: it makes the staging folder beside out, or,
// when out cannot be swapped (a mount point, a parent that is not writable), the partial folder
// inside it. Nothing else of out changes before Commit. The caller must call Commit or Abort.
func NewWriter(ctx context.Context, out string, opts Options) (*Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	removed, err := checkRemove(opts.Remove)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was written", err)
	}
	if opts.Clean {
		// Clean removes everything not in the new tree already.
		removed = map[string]bool{}
	}
	out, err = resolveOut(out)
	if err != nil {
		return nil, err
	}
	w := &Writer{ctx: ctx, out: out, clean: opts.Clean, removed: removed, index: newTreeIndex(), lock: opts.Lock, allowNonAtomic: opts.AllowNonAtomic, noSync: opts.NoSync}
	if opts.hooks != nil {
		w.hooks = *opts.hooks
	}
	parent := filepath.Dir(out)

	outInfo, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		outInfo = nil
	case err != nil:
		return nil, fmt.Errorf("reading output folder %s: %w; check that it is accessible and run again", out, err)
	case !outInfo.IsDir():
		return nil, fmt.Errorf("output %s is not a folder; move it away or choose another output and run again", out)
	}
	w.outInfo = outInfo

	if outInfo != nil {
		parentInfo, err := os.Stat(parent)
		if err != nil {
			return nil, fmt.Errorf("reading %s, the folder holding the output: %w; check that it is accessible and run again", parent, err)
		}
		if !sameDevice(outInfo, parentInfo) || isMountRoot(out) {
			return w.inPlaceFromStart(fmt.Sprintf("output folder %s is a mount point", out))
		}
	}

	if outInfo == nil {
		// Folders made to hold out go again if the tree is not swapped in.
		for d := parent; ; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
				break
			}
			w.madeParents = append(w.madeParents, d)
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			w.removeMadeParents()
			return nil, fmt.Errorf("creating %s to hold the output: %w; %s and run again", parent, err, writeAdvice(err))
		}
	}
	staging, suffix, err := makeStaging(parent, filepath.Base(out))
	if err != nil {
		w.removeMadeParents()
		if outInfo != nil && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			return w.inPlaceFromStart(fmt.Sprintf("cannot create a staging folder beside output folder %s (%v)", out, err))
		}
		return nil, fmt.Errorf("creating a staging folder beside %s: %w; make %s writable and run again: the output folder was not changed", out, err, parent)
	}
	w.root, w.staging, w.suffix = staging, staging, suffix
	if w.stagingLock, err = lockStaging(staging); err != nil {
		_ = removeTree(staging)
		w.removeMadeParents()
		return nil, fmt.Errorf("locking the staging folder %s: %w; run again", staging, err)
	}
	w.mask = createMask(staging)
	return w, nil
}

func (w *Writer) inPlaceFromStart(reason string) (*Writer, error) {
	if err := w.enterInPlace(reason); err != nil {
		return nil, err
	}
	return w, nil
}

// Put writes one file of the new tree. It is safe for concurrent use, and the tree does not
// depend on the order of the calls. f.Data may be reused once Put returns.
//
// A path already put gives an error for which errors.Is(err, fs.ErrExist) holds. Any error
// concerns f alone, but makes Commit refuse: the new tree would lack a file.
func (w *Writer) Put(f File) error {
	w.state.RLock()
	defer w.state.RUnlock()
	if w.closed {
		return errWriterClosed
	}
	if err := w.ctx.Err(); err != nil {
		return w.fail(err)
	}
	if err := checkFile(f); err != nil {
		return w.fail(err)
	}
	n, err := w.index.add(f.Path)
	if err != nil {
		return w.fail(err)
	}
	var name string
	if w.inPlace != "" {
		name = w.partialName(n)
	} else {
		if err := w.ensureDir(path.Dir(f.Path)); err != nil {
			return w.fail(treeWriteErr(path.Dir(f.Path), err, w.out))
		}
		name = nativePath(w.root, f.Path)
	}
	if w.hooks.writeFile != nil {
		if err := w.hooks.writeFile(f.Path); err != nil {
			return w.fail(treeWriteErr(f.Path, err, w.out))
		}
	}
	if f.Link != "" {
		err = os.Symlink(f.Link, name)
	} else {
		err = createFile(name, f.Data, newFileMode(f.Mode), w.mask)
	}
	if err != nil {
		return w.fail(treeWriteErr(f.Path, err, w.out))
	}
	return nil
}

// fail records the first error of a Put for Commit, and returns err.
func (w *Writer) fail(err error) error {
	w.failMu.Lock()
	if w.failed == nil {
		w.failed = err
	}
	w.failMu.Unlock()
	return err
}

// Commit finishes the tree and swaps it in. With Clean false, the entries of the old out that
// the new tree lacks are kept, but for remove and Options.Remove (paths that must not
// survive, known only once every file is put). A Put still running finishes first; a later
// one fails.
//
// An error or a cancelled ctx before the swap leaves out as it was and removes the staging
// folder. Report.NonAtomic says when the tree was written file by file instead.
func (w *Writer) Commit(ctx context.Context, remove []string) (Report, error) {
	w.state.Lock()
	defer w.state.Unlock()
	if w.closed {
		return Report{}, errWriterClosed
	}
	w.closed = true
	defer w.restoreModes()
	w.failMu.Lock()
	failed := w.failed
	w.failMu.Unlock()
	if failed != nil {
		return w.discard(fmt.Errorf("a file of the new tree could not be put, so the tree was not swapped in: %w", failed))
	}
	if err := ctx.Err(); err != nil {
		return w.discard(err)
	}
	extra, err := checkRemove(remove)
	if err != nil {
		return w.discard(fmt.Errorf("%w; the output folder %s was not changed", err, w.out))
	}
	if !w.clean {
		for r := range extra {
			w.removed[r] = true
		}
	}
	if w.inPlace != "" {
		return w.finishInPlace(ctx)
	}
	return w.swap(ctx)
}

// Abort removes the staging folder, or the partial folder, and leaves out as it was. It does
// nothing after Commit or a first Abort, so it fits a defer.
func (w *Writer) Abort() {
	if w == nil {
		return
	}
	w.state.Lock()
	defer w.state.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	w.discard(nil)
}

// discard removes what the writer made (staging, partial folder), gives relaxed folders their
// modes back, and returns err: out is as it was.
func (w *Writer) discard(err error) (Report, error) {
	if w.staging != "" {
		_ = removeTree(w.staging)
		w.staging = ""
	}
	w.unlockStaging(false)
	if w.partialMade {
		_ = removeTree(filepath.Join(w.out, partialDir))
		w.partialMade = false
	}
	w.restoreModes()
	w.removeMadeParents()
	return Report{}, err
}

// unlockStaging lets go of the staging folder's lock, or, when it was swapped in as out, hands
// it to the caller's Lock, which keeps the new tree locked until it is released.
func (w *Writer) unlockStaging(swapped bool) {
	if w.stagingLock == nil {
		return
	}
	if swapped && w.lock != nil {
		w.lock.adopt(w.stagingLock)
	} else {
		w.stagingLock.Close()
	}
	w.stagingLock = nil
}

// removeMadeParents removes the folders NewWriter made to hold out, deepest first, as long
// as they are empty.
func (w *Writer) removeMadeParents() {
	for _, d := range w.madeParents {
		if os.Remove(d) != nil {
			break
		}
	}
	w.madeParents = nil
}

// ensureDir makes the folder rel of staging and those above it, once however many Puts need
// it at the same time. Put calls it for every file, so the usual case, a folder made already,
// is one lookup in the index, which knows every folder of the new tree anyway.
func (w *Writer) ensureDir(rel string) error {
	if rel == "." {
		return nil
	}
	if !w.index.startDir(rel) {
		return nil
	}
	err := w.ensureDir(path.Dir(rel))
	if err == nil {
		err = makeDir(nativePath(w.root, rel), newDirPerm, w.mask)
	}
	w.index.endDir(rel, err == nil)
	return err
}

// swap completes the staging folder and swaps it in.
func (w *Writer) swap(ctx context.Context) (Report, error) {
	out, parent := w.out, filepath.Dir(w.out)
	if err := w.finishStaging(ctx); err != nil {
		return w.discard(err)
	}
	if err := w.sync(w.staging); err != nil {
		return w.discard(fmt.Errorf("flushing the new tree in %s to disk: %w; check the disk and run again: the output folder %s was not changed", w.staging, err, out))
	}
	// The last moment at which an interrupt can still leave everything as it was.
	if err := ctx.Err(); err != nil {
		return w.discard(err)
	}
	rep := Report{Written: w.index.files}

	w.swapStep("before-swap")
	if w.outInfo == nil {
		if err := os.Rename(w.staging, out); err != nil {
			return w.discard(fmt.Errorf("moving the new tree into place at %s: %w; check %s and run again: nothing was written", out, err, parent))
		}
		w.staging = ""
		w.unlockStaging(true)
		syncDir(parent)
		return rep, nil
	}

	err := w.exchange(w.staging, out)
	if err == nil {
		w.swapStep("after-swap")
		// staging now holds the old tree. Failing to delete it does not undo the upgrade;
		// Recover retries on the next run.
		_ = removeTree(w.staging)
		w.staging = ""
		w.unlockStaging(true)
		syncDir(parent)
		return rep, nil
	}
	if reason := cannotRename(out, parent, err); reason != "" {
		return w.moveInPlace(ctx, reason)
	}
	if !exchangeUnsupported(err) {
		return w.discard(fmt.Errorf("swapping the new tree into %s: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}

	// The file system cannot exchange folders: park out under a name Recover knows, then move
	// staging in. Between the two renames out is absent; Recover puts the old tree back.
	old := filepath.Join(parent, "."+filepath.Base(out)+oldInfix+w.suffix)
	if err := os.Rename(out, old); err != nil {
		if reason := cannotRename(out, parent, err); reason != "" {
			return w.moveInPlace(ctx, reason)
		}
		return w.discard(fmt.Errorf("moving the old tree %s aside: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}
	w.swapStep("between-renames")
	if err := os.Rename(w.staging, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			// Both trees stay where they are, for Recover or the user.
			w.staging = ""
			w.unlockStaging(false)
			return Report{}, fmt.Errorf("moving the new tree into %s: %w; and putting the old tree back failed too: %v; rename %s to %s by hand", out, err, rerr, old, out)
		}
		return w.discard(fmt.Errorf("moving the new tree into %s: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}
	w.staging = ""
	w.unlockStaging(true)
	w.swapStep("after-swap")
	_ = removeTree(old)
	syncDir(parent)
	return rep, nil
}

// finishStaging adds to staging what the new tree keeps of the old one (Clean false) and gives
// the folders their final modes. out is only read.
func (w *Writer) finishStaging(ctx context.Context) error {
	out := w.out
	// modes holds the mode of every folder of the old tree, which its namesake in the new
	// tree keeps.
	modes := map[string]fs.FileMode{}
	var carried []carriedEntry
	if w.outInfo != nil && !w.clean {
		var oldDirs []string
		var err error
		carried, oldDirs, err = collectCarry(ctx, out, w.index, w.removed, modes)
		if err != nil {
			return err
		}
		for _, d := range oldDirs {
			if err := w.ensureDir(d); err != nil {
				return treeWriteErr(d, err, out)
			}
		}
	} else if w.outInfo != nil {
		for _, d := range w.index.dirs() {
			if fi, err := os.Lstat(nativePath(out, d)); err == nil && fi.IsDir() {
				modes[d] = fi.Mode().Perm()
			}
		}
	}

	err := runWorkers(ctx, len(carried), func(i int) error {
		c := carried[i]
		if err := carryEntry(nativePath(out, c.rel), nativePath(w.staging, c.rel), c.info); err != nil {
			return fmt.Errorf("keeping %s from the old output: %w; %s and run again: the output folder %s was not changed", c.rel, err, writeAdvice(err), out)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Folder modes last, so that a read-only folder of the old tree could still receive its
	// files; children first, in case a parent loses its search permission.
	w.stagedModes = map[string]fs.FileMode{}
	dirs := make([]string, 0, len(modes))
	for d, m := range modes {
		if m != newDirPerm {
			dirs = append(dirs, d)
			w.stagedModes[d] = m
		}
	}
	slices.Sort(dirs)
	for _, d := range slices.Backward(dirs) {
		if err := os.Chmod(nativePath(w.staging, d), modes[d]); err != nil {
			return treeWriteErr(d, err, out)
		}
	}
	mode := newDirPerm
	if w.outInfo != nil {
		mode = w.outInfo.Mode().Perm()
	}
	if err := os.Chmod(w.staging, mode); err != nil {
		return treeWriteErr(".", err, out)
	}
	return nil
}

// carriedEntry is one entry of the old tree kept in the new one (Clean false).
type carriedEntry struct {
	rel  string
	info fs.FileInfo
}

// collectCarry lists the entries of the old out to keep and the folders they need that the new
// tree lacks, and puts the old folders' modes in modes. Symbolic links are listed, never
// followed.
func collectCarry(ctx context.Context, out string, ix *treeIndex, removed map[string]bool, modes map[string]fs.FileMode) (carried []carriedEntry, dirs []string, err error) {
	err = filepath.WalkDir(out, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if full == out {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(full, out+string(filepath.Separator)))
		isDir := d.IsDir()
		// The new tree wins every conflict: a new file replaces an old file or folder, and a
		// new folder replaces an old file or link of the same name.
		skip := ix.isFile(rel) || underRemoved(removed, rel) || rel == partialDir || (!isDir && ix.isDir(rel))
		if skip {
			if isDir {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if isDir {
			modes[rel] = info.Mode().Perm()
			if !ix.isDir(rel) {
				dirs = append(dirs, rel)
			}
			return nil
		}
		carried = append(carried, carriedEntry{rel: rel, info: info})
		return nil
	})
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return nil, nil, ctxErr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the old output %s to keep its files: %w; %s and run again: the output folder was not changed", out, err, writeAdvice(err))
	}
	return carried, dirs, nil
}

// underRemoved reports whether rel or a folder above it is in removed.
func underRemoved(removed map[string]bool, rel string) bool {
	if len(removed) == 0 {
		return false
	}
	for r := rel; r != "."; r = path.Dir(r) {
		if removed[r] {
			return true
		}
	}
	return false
}

// carryEntry puts one old entry into staging: a link of the same inode when the file system
// allows it (fast, and nothing to flush), else a copy.
func carryEntry(src, dst string, info fs.FileInfo) error {
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	linkErr := os.Link(src, dst)
	if linkErr == nil {
		return nil
	}
	if !info.Mode().IsRegular() {
		return linkErr
	}
	// The entry was a regular file when listed; whatever took its place since (a FIFO would
	// block the copy for ever) is refused.
	in, err := rawfile.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	outf, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(outf, in); err != nil {
		outf.Close()
		return err
	}
	if err := outf.Chmod(info.Mode().Perm()); err != nil {
		outf.Close()
		return err
	}
	return outf.Close()
}

// The values of a folder in treeIndex.entries (a file's is its number, never negative): known,
// being made in staging, made.
const (
	folderMark   = -1
	folderMaking = -2
	folderMade   = -3
)

// treeIndex is what a Writer keeps of the new tree: its paths, never their contents. It
// refuses a path given twice and a path that is both a file and a folder, whatever the order in
// which the paths come.
type treeIndex struct {
	mu      sync.Mutex
	made    sync.Cond // signalled when a folder is made (or failed to be)
	entries map[string]int
	files   int
}

func newTreeIndex() *treeIndex {
	ix := &treeIndex{entries: map[string]int{}}
	ix.made.L = &ix.mu
	return ix
}

// startDir reports whether the caller is to make the folder rel: false when it is made
// already, or once another caller has made it.
func (ix *treeIndex) startDir(rel string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for {
		switch ix.entries[rel] {
		case folderMade:
			return false
		case folderMaking:
			ix.made.Wait()
		default:
			ix.entries[rel] = folderMaking
			return true
		}
	}
}

// endDir records that the folder rel was made, or not (a later Put tries again).
func (ix *treeIndex) endDir(rel string, ok bool) {
	ix.mu.Lock()
	ix.entries[rel] = folderMark
	if ok {
		ix.entries[rel] = folderMade
	}
	ix.made.Broadcast()
	ix.mu.Unlock()
}

// add records the file rel and the folders above it, and returns the file's number.
func (ix *treeIndex) add(rel string) (int, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if n, ok := ix.entries[rel]; ok {
		if n < 0 {
			return 0, fileAndFolderError(rel)
		}
		return 0, &duplicateError{rel}
	}
	// Check every folder above before recording any, so that a refused path leaves no trace.
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if n, ok := ix.entries[d]; ok {
			if n < 0 {
				break
			}
			return 0, fileAndFolderError(d)
		}
	}
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if _, ok := ix.entries[d]; ok {
			break
		}
		ix.entries[d] = folderMark
	}
	n := ix.files
	ix.files++
	ix.entries[rel] = n
	return n, nil
}

// The readers below run once every Put has returned, so they need no lock.

func (ix *treeIndex) isFile(rel string) bool {
	n, ok := ix.entries[rel]
	return ok && n >= 0
}

func (ix *treeIndex) isDir(rel string) bool {
	n, ok := ix.entries[rel]
	return ok && n < 0
}

// dirs returns the folders of the new tree, sorted so that a parent comes before its children
// (a parent is a prefix, and prefixes sort first).
func (ix *treeIndex) dirs() []string {
	var dirs []string
	for rel, n := range ix.entries {
		if n < 0 {
			dirs = append(dirs, rel)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// indexedFile is one file of treeIndex.
type indexedFile struct {
	rel string
	n   int
}

func (ix *treeIndex) fileList() []indexedFile {
	files := make([]indexedFile, 0, ix.files)
	for rel, n := range ix.entries {
		if n >= 0 {
			files = append(files, indexedFile{rel, n})
		}
	}
	return files
}

// duplicateError is a path put twice. It is fs.ErrExist for errors.Is, so that the upgrade can
// name the two entities that claim one file.
type duplicateError struct{ path string }

func (e *duplicateError) Error() string {
	return fmt.Sprintf("file %q appears twice in the new tree; this is a bug in the upgrade, please report it", e.path)
}

func (e *duplicateError) Is(target error) bool { return target == fs.ErrExist }

func fileAndFolderError(rel string) error {
	return fmt.Errorf("%q is both a file and a folder in the new tree; this is a bug in the upgrade, please report it", rel)
}

// exchange swaps the folders staging and out (see exchangeDirs), or runs the test hook instead.
func (w *Writer) exchange(staging, out string) error {
	if w.hooks.exchange != nil {
		return w.hooks.exchange(staging, out)
	}
	return exchangeDirs(staging, out)
}

// swapStep tells a test that the swap reached step.
func (w *Writer) swapStep(step string) {
	if w.hooks.swapStep != nil {
		w.hooks.swapStep(step)
	}
}

func (w *Writer) partialName(n int) string {
	return filepath.Join(w.root, strconv.Itoa(n))
}
