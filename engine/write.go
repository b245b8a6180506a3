package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
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
	// not used). The target is relative and stays inside the tree; WriteTree refuses others.
	Link string
}

// WriteOptions says what happens to files already in the output folder.
type WriteOptions struct {
	// Clean: the output folder ends up holding exactly Files. When false, files already in the
	// output folder that are not in Files are kept (the vendor tool's --clean false).
	Clean bool
	// Remove: with Clean false, paths (relative) that must NOT survive from the old output
	// (entities the upgrade deleted).
	Remove []string
}

// Report says what WriteTree did.
type Report struct {
	Written int
	// NonAtomic is set when the atomic swap was impossible (see below) and the tree was written
	// file by file instead; the caller warns the user.
	NonAtomic string
}

// The names of everything WriteTree leaves beside or inside out while it works. Recover finds
// leftovers by these names, so they must stay stable across releases.
const (
	stagingInfix = ".amupgrade-new-"
	oldInfix     = ".amupgrade-old-"
	// partialDir lives inside out during a file-by-file write: it holds the new files until they
	// are renamed into place, and its presence tells Recover that out may hold a mix.
	partialDir = ".amupgrade-partial"
)

// Hooks for tests. They are package variables rather than options because the only callers
// that may set them are this package's tests, and production code must not be able to.
var (
	// testHookWriteFile runs before each file of Files is written; an error fails that file.
	testHookWriteFile func(rel string) error
	// testHookExchange replaces the RENAME_EXCHANGE system call.
	testHookExchange func(staging, out string) error
	// testHookSwapStep runs at the named points of the swap, so a crash test can kill there.
	testHookSwapStep func(step string)
)

func treeSwapStep(step string) {
	if testHookSwapStep != nil {
		testHookSwapStep(step)
	}
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
func WriteTree(ctx context.Context, out string, files []File, opts WriteOptions) (Report, error) {
	var rep Report
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	tp, err := newTreePlan(files, opts)
	if err != nil {
		return rep, err
	}
	out, err = resolveOut(out)
	if err != nil {
		return rep, err
	}
	parent := filepath.Dir(out)

	outInfo, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		outInfo = nil
	case err != nil:
		return rep, fmt.Errorf("reading output folder %s: %w; check that it is accessible and run again", out, err)
	case !outInfo.IsDir():
		return rep, fmt.Errorf("output %s is not a folder; move it away or choose another output and run again", out)
	}

	if outInfo != nil {
		parentInfo, err := os.Stat(parent)
		if err != nil {
			return rep, fmt.Errorf("reading %s, the folder holding the output: %w; check that it is accessible and run again", parent, err)
		}
		if !sameDevice(outInfo, parentInfo) {
			return writeInPlace(ctx, out, tp, fmt.Sprintf("output folder %s is a mount point: written file by file, not swapped atomically", out))
		}
	}

	if outInfo == nil {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return rep, fmt.Errorf("creating %s to hold the output: %w; %s and run again", parent, err, writeAdvice(err))
		}
	}
	staging, suffix, err := makeStaging(parent, filepath.Base(out))
	if err != nil {
		if outInfo != nil && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			return writeInPlace(ctx, out, tp, fmt.Sprintf("cannot create a staging folder beside output folder %s (%v): written file by file, not swapped atomically", out, err))
		}
		return rep, fmt.Errorf("creating a staging folder beside %s: %w; make %s writable and run again: the output folder was not changed", out, err, parent)
	}
	// Until the swap, every failure leaves out as it was: only the staging folder goes.
	fail := func(err error) (Report, error) {
		_ = removeTree(staging)
		return Report{}, err
	}

	if err := buildStaging(ctx, out, outInfo, staging, tp); err != nil {
		return fail(err)
	}
	if err := syncTree(staging); err != nil {
		return fail(fmt.Errorf("flushing the new tree in %s to disk: %w; check the disk and run again: the output folder %s was not changed", staging, err, out))
	}
	// The last moment at which an interrupt can still leave everything as it was.
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	rep.Written = len(tp.files)

	treeSwapStep("before-swap")
	if outInfo == nil {
		if err := os.Rename(staging, out); err != nil {
			return fail(fmt.Errorf("moving the new tree into place at %s: %w; check %s and run again: nothing was written", out, err, parent))
		}
		syncDir(parent)
		return rep, nil
	}

	err = exchangeDirs(staging, out)
	if err == nil {
		treeSwapStep("after-swap")
		// staging now holds the old tree. Failing to delete it does not undo the upgrade;
		// Recover retries on the next run.
		_ = removeTree(staging)
		syncDir(parent)
		return rep, nil
	}
	if reason := cannotRename(out, parent, err); reason != "" {
		_ = removeTree(staging)
		return writeInPlace(ctx, out, tp, reason)
	}
	if !exchangeUnsupported(err) {
		return fail(fmt.Errorf("swapping the new tree into %s: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}

	// The file system cannot exchange folders: park out under a name Recover knows, then move
	// staging in. Between the two renames out is absent; Recover puts the old tree back.
	old := filepath.Join(parent, "."+filepath.Base(out)+oldInfix+suffix)
	if err := os.Rename(out, old); err != nil {
		if reason := cannotRename(out, parent, err); reason != "" {
			_ = removeTree(staging)
			return writeInPlace(ctx, out, tp, reason)
		}
		return fail(fmt.Errorf("moving the old tree %s aside: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}
	treeSwapStep("between-renames")
	if err := os.Rename(staging, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return Report{}, fmt.Errorf("moving the new tree into %s: %w; and putting the old tree back failed too: %v; rename %s to %s by hand", out, err, rerr, old, out)
		}
		return fail(fmt.Errorf("moving the new tree into %s: %w; check %s and run again: the output folder was not changed", out, err, parent))
	}
	treeSwapStep("after-swap")
	_ = removeTree(old)
	syncDir(parent)
	return rep, nil
}

// Recover cleans up what a killed WriteTree left beside `out` (staging folders, an old tree parked
// during a fallback swap) and restores the old tree when the swap was interrupted half-way. It is
// called at the start of every run. It returns what it did, for a log line.
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
		if p, ok := leftoverName(e.Name(), base, stagingInfix); ok {
			stagings = append(stagings, filepath.Join(parent, p))
		} else if p, ok := leftoverName(e.Name(), base, oldInfix); ok {
			olds = append(olds, filepath.Join(parent, p))
		}
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

// leftoverName reports whether name is one of WriteTree's folders for the output named base, and
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

// resolveOut makes out absolute and follows it if it is a symbolic link, so that the tree is
// swapped where the link points rather than the link being replaced by a folder. A dangling link
// resolves to its target, which is what Recover needs after a fallback swap was killed.
func resolveOut(out string) (string, error) {
	if out == "" {
		return "", errors.New("no output folder given; pass one and run again")
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("resolving output folder %s: %w", out, err)
	}
	for range 40 {
		if filepath.Dir(abs) == abs {
			return "", fmt.Errorf("output folder %s is a file system root, which cannot be swapped; choose a folder below it", abs)
		}
		fi, err := os.Lstat(abs)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return abs, nil
		}
		target, err := os.Readlink(abs)
		if err != nil {
			return "", fmt.Errorf("reading the link %s: %w; check it and run again", abs, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		abs = filepath.Clean(target)
	}
	return "", fmt.Errorf("output folder %s is a loop of symbolic links; fix it and run again", out)
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
		if !errors.Is(err, fs.ErrExist) {
			return staging, suffix, err
		}
	}
}

// treePlan is Files checked and indexed once, shared by both ways of writing.
type treePlan struct {
	files []File
	clean bool
	// byPath holds every file path of the new tree; dirs every folder it needs, sorted so a
	// parent comes before its children (a parent is a prefix, and prefixes sort first).
	byPath  map[string]bool
	dirs    []string
	dirSet  map[string]bool
	remove  []string
	removed map[string]bool
}

func newTreePlan(files []File, opts WriteOptions) (*treePlan, error) {
	p := &treePlan{
		files:   files,
		clean:   opts.Clean,
		byPath:  make(map[string]bool, len(files)),
		dirSet:  map[string]bool{},
		removed: map[string]bool{},
	}
	for _, f := range files {
		if err := checkTreePath(f.Path); err != nil {
			return nil, fmt.Errorf("file %q of the new tree: %w; nothing was written", f.Path, err)
		}
		if f.Link != "" {
			if err := checkLinkTarget(f.Path, f.Link); err != nil {
				return nil, fmt.Errorf("link %q of the new tree: %w; nothing was written", f.Path, err)
			}
		}
		if p.byPath[f.Path] {
			return nil, fmt.Errorf("file %q appears twice in the new tree; this is a bug in the upgrade, please report it: nothing was written", f.Path)
		}
		p.byPath[f.Path] = true
		for d := path.Dir(f.Path); d != "." && !p.dirSet[d]; d = path.Dir(d) {
			p.dirSet[d] = true
		}
	}
	for d := range p.dirSet {
		if p.byPath[d] {
			return nil, fmt.Errorf("%q is both a file and a folder in the new tree; this is a bug in the upgrade, please report it: nothing was written", d)
		}
		p.dirs = append(p.dirs, d)
	}
	slices.Sort(p.dirs)
	for _, r := range opts.Remove {
		if err := checkTreePath(r); err != nil {
			return nil, fmt.Errorf("path %q to remove from the output: %w; nothing was written", r, err)
		}
		// Clean removes everything not in Files already.
		if !opts.Clean {
			p.removed[r] = true
			p.remove = append(p.remove, r)
		}
	}
	return p, nil
}

func checkTreePath(rel string) error {
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

// writeFile creates f at name: a file with exactly its mode, or a link.
func writeFile(name string, f File) error {
	if f.Link != "" {
		return os.Symlink(f.Link, name)
	}
	return createFile(name, f.Data, newFileMode(f.Mode))
}

// removedByOpts reports whether rel or a folder above it is listed in Remove.
func (p *treePlan) removedByOpts(rel string) bool {
	if len(p.removed) == 0 {
		return false
	}
	for r := rel; r != "."; r = path.Dir(r) {
		if p.removed[r] {
			return true
		}
	}
	return false
}

// carriedEntry is one entry of the old tree kept in the new one (Clean false).
type carriedEntry struct {
	rel  string
	info fs.FileInfo
}

// buildStaging writes the complete new tree into staging. out is only read.
func buildStaging(ctx context.Context, out string, outInfo fs.FileInfo, staging string, p *treePlan) error {
	dirs := p.dirs
	// modes holds the mode of every folder of the old tree, which its namesake in the new
	// tree keeps.
	modes := map[string]fs.FileMode{}
	var carried []carriedEntry
	if outInfo != nil && !p.clean {
		var oldDirs []string
		var err error
		carried, oldDirs, err = collectCarry(ctx, out, p, modes)
		if err != nil {
			return err
		}
		if len(oldDirs) > 0 {
			dirs = slices.Concat(dirs, oldDirs)
			slices.Sort(dirs)
		}
	} else if outInfo != nil {
		for _, d := range dirs {
			if fi, err := os.Lstat(nativePath(out, d)); err == nil && fi.IsDir() {
				modes[d] = fi.Mode().Perm()
			}
		}
	}
	// One mkdir per folder, before any file, so the workers never race to create a folder.
	for _, d := range dirs {
		mode, ok := modes[d]
		if !ok {
			mode = 0o755
		}
		if err := mkdirPerm(nativePath(staging, d), mode); err != nil {
			return treeWriteErr(d, err, out)
		}
	}

	n := len(p.files) + len(carried)
	err := runWorkers(ctx, n, func(i int) error {
		if i < len(p.files) {
			f := p.files[i]
			if testHookWriteFile != nil {
				if err := testHookWriteFile(f.Path); err != nil {
					return treeWriteErr(f.Path, err, out)
				}
			}
			if err := writeFile(nativePath(staging, f.Path), f); err != nil {
				return treeWriteErr(f.Path, err, out)
			}
			return nil
		}
		c := carried[i-len(p.files)]
		if err := carryEntry(nativePath(out, c.rel), nativePath(staging, c.rel), c.info); err != nil {
			return fmt.Errorf("keeping %s from the old output: %w; %s and run again: the output folder %s was not changed", c.rel, err, writeAdvice(err), out)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Folder modes last: mkdirPerm left every folder writable by us, so that a read-only folder
	// of the old tree could still receive its files.
	for d, m := range modes {
		if m&0o700 != 0o700 {
			if err := os.Chmod(nativePath(staging, d), m); err != nil {
				return treeWriteErr(d, err, out)
			}
		}
	}
	mode := fs.FileMode(0o755)
	if outInfo != nil {
		mode = outInfo.Mode().Perm()
	}
	if err := os.Chmod(staging, mode); err != nil {
		return treeWriteErr(".", err, out)
	}
	return nil
}

// collectCarry lists the entries of the old out to keep and the folders they need that the new
// tree lacks, and puts the old folders' modes in modes. Symbolic links are listed, never
// followed.
func collectCarry(ctx context.Context, out string, p *treePlan, modes map[string]fs.FileMode) (carried []carriedEntry, dirs []string, err error) {
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
		skip := p.byPath[rel] || p.removedByOpts(rel) || rel == partialDir || (!isDir && p.dirSet[rel])
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
			if !p.dirSet[rel] {
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
	in, err := os.Open(src)
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

// createFile creates name, which must not exist, with exactly perm. The explicit chmod is there
// because the umask of whoever runs the upgrade must not change the modes of production
// configuration.
func createFile(name string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	// Close reports the write errors that network file systems defer to it.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func mkdirPerm(name string, perm fs.FileMode) error {
	if err := os.Mkdir(name, perm); err != nil {
		return err
	}
	// Created writable for now; buildStaging sets the old folder's mode once its files are in.
	return os.Chmod(name, 0o700|perm)
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
// WriteTree falls back to writing file by file; it returns "" for other errors.
func cannotRename(out, parent string, err error) string {
	const tail = ": written file by file, not swapped atomically"
	switch {
	case errors.Is(err, syscall.EBUSY):
		return "output folder " + out + " is a mount point or in use" + tail
	case errors.Is(err, syscall.EXDEV):
		return "output folder " + out + " is on another file system than " + parent + tail
	case errors.Is(err, fs.ErrPermission):
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return "output folder " + out + " cannot be renamed in " + parent + " (" + err.Error() + ")" + tail
	}
	return ""
}

// writeInPlace is the fallback for an out that cannot be swapped. It keeps what can be kept of
// the guarantee: no file is half-written, since each lands by rename, and an error or interrupt
// before the first rename leaves out unchanged. New files are first written into out/partialDir
// (same file system as out, so they can be renamed into any of its folders), flushed with one
// syncfs, and only then renamed into place.
func writeInPlace(ctx context.Context, out string, p *treePlan, reason string) (Report, error) {
	rep := Report{NonAtomic: reason}
	// Read-only folders of out must still receive their new files, as they do in a staging
	// folder; each gets its mode back when the run ends, however it ends.
	type dirPerm struct {
		name string
		perm fs.FileMode
	}
	var relaxed []dirPerm
	defer func() {
		for _, d := range slices.Backward(relaxed) {
			_ = os.Chmod(d.name, d.perm)
		}
	}()
	relax := func(name string, fi fs.FileInfo) error {
		perm := fi.Mode().Perm()
		if perm&0o700 == 0o700 {
			return nil
		}
		relaxed = append(relaxed, dirPerm{name, perm})
		return os.Chmod(name, perm|0o700)
	}
	if fi, err := os.Stat(out); err != nil {
		return rep, fmt.Errorf("reading output folder %s: %w; check that it is accessible and run again", out, err)
	} else if err := relax(out, fi); err != nil {
		return rep, treeWriteErr(".", err, out)
	}

	tmp := filepath.Join(out, partialDir)
	if err := removeTree(tmp); err != nil {
		return rep, fmt.Errorf("removing %s left by an earlier run: %w; delete it by hand and run again", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return rep, treeWriteErr(partialDir, err, out)
	}
	fail := func(err error) (Report, error) {
		_ = removeTree(tmp)
		return rep, err
	}
	err := runWorkers(ctx, len(p.files), func(i int) error {
		f := p.files[i]
		if testHookWriteFile != nil {
			if err := testHookWriteFile(f.Path); err != nil {
				return treeWriteErr(f.Path, err, out)
			}
		}
		if err := writeFile(filepath.Join(tmp, strconv.Itoa(i)), f); err != nil {
			return treeWriteErr(f.Path, err, out)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if err := syncTree(tmp); err != nil {
		return fail(fmt.Errorf("flushing the new files in %s to disk: %w; check the disk and run again: the output folder was not changed", tmp, err))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}

	// From here on out changes, so an interrupt no longer stops the run: finishing is the
	// shortest way out of a mixed tree.
	mixed := func(err error) (Report, error) {
		return rep, fmt.Errorf("%w; the output folder %s now holds a mix of old and new files: restore it from a backup or run the upgrade again", err, out)
	}
	for _, d := range p.dirs {
		name := nativePath(out, d)
		fi, err := ensureRealDir(name)
		if err == nil && fi != nil {
			err = relax(name, fi)
		}
		if err != nil {
			return mixed(fmt.Errorf("creating folder %s: %w", d, err))
		}
	}
	for i, f := range p.files {
		dst := nativePath(out, f.Path)
		src := filepath.Join(tmp, strconv.Itoa(i))
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
			return mixed(fmt.Errorf("writing %s: %w", f.Path, err))
		}
		rep.Written++
	}
	if err := os.Remove(tmp); err != nil {
		return mixed(fmt.Errorf("removing %s: %w", tmp, err))
	}
	roots := p.remove
	if p.clean {
		roots = []string{"."}
	}
	for _, r := range roots {
		if err := pruneTree(out, r, p); err != nil {
			return mixed(err)
		}
	}
	if err := syncTree(out); err != nil {
		return mixed(fmt.Errorf("flushing %s to disk: %w", out, err))
	}
	return rep, nil
}

// ensureRealDir makes name a real folder, and returns its info if it was one already. Anything
// else in the way (a file, or a link that could lead outside out) is replaced, as the new tree
// needs a folder there.
func ensureRealDir(name string) (fs.FileInfo, error) {
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
	return nil, mkdirPerm(name, 0o755)
}

// pruneTree deletes, under out/root, everything that is neither a file of the new tree nor a
// folder holding one. It never follows a symbolic link, including in root's own path.
func pruneTree(out, root string, p *treePlan) error {
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
		if d.IsDir() && p.dirSet[rel] {
			return nil
		}
		if !d.IsDir() && p.byPath[rel] {
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
