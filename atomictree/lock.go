package atomictree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Lock keeps other runs away from a folder: a run that replaces the folder holds it
// exclusively, a run that only reads it holds it shared. Two runs that replace one folder, or
// one that replaces it while another reads it, would otherwise mix their trees: each run's
// clean-up would remove the other's staging folder, which after a swap is the live tree.
//
// A Lock is two flock(2) locks, taken in this order:
//
//   - the lock file beside the folder, .NAME.amupgrade-lock in its parent, which holds who
//     locked it (pid, host, start time, command). This is the lock that works across the
//     hosts of an NFS mount (where the mount has locking: not with nolock or local_lock).
//     Where the parent is not writable and no lock file exists, there is none;
//   - the folder itself, which needs no write permission, so that a run that could not make
//     the lock file still excludes and is excluded. It is local to the host on NFS.
//
// A Writer adds the lock of its staging folder (Options.Lock), which becomes the folder at the
// swap: a run that locks the folder just after the swap waits for the writer too.
//
// The lock file is removed by Release, so that no lock file stays beside the folder; a run
// killed leaves it, and the next one takes it over. Recover never touches a staging folder
// whose writer is alive, since the writer holds that folder's lock.
type Lock struct {
	folder string
	shared bool
	// file is the lock file (nil when it could not be opened); path is its name.
	file *os.File
	path string
	// dirs are the folders locked: the folder itself, and the staging folders of the Writers
	// that hold the Lock.
	mu   sync.Mutex
	dirs []*os.File
	// madeParents are the folders made to hold the lock file (an output not made yet),
	// deepest first, removed by Release when empty.
	madeParents []string
	// Warning says why the lock is weaker than it should be ("" when it is not), for the user.
	Warning string
}

// LockOptions says how to lock.
type LockOptions struct {
	// Shared: other shared holders are let in (runs that only read the folder).
	Shared bool
	// Wait is how long to wait while another run holds the folder; 0 refuses at once.
	Wait time.Duration
	// Owner is written into the lock file by an exclusive holder, for the message of a run
	// that finds it locked: who holds it, and since when.
	Owner string
	// Waiting, when set, is called once, when LockFolder starts to wait for another run, with
	// what the lock file says of it.
	Waiting func(holder string)
}

// ErrLocked is the error of LockFolder when another run holds the folder. The error itself
// is a *LockedError.
var ErrLocked = errors.New("in use by another run")

// LockedError is the error of LockFolder when another run held the folder for all the time
// it was allowed to wait.
type LockedError struct {
	Folder string
	// Holder is what the lock file says of the run that holds it; "" when it does not say
	// (a run that only reads the folder, or one that could not write the lock file).
	Holder string
	Waited time.Duration
}

func (e *LockedError) Error() string {
	who := "another run"
	if e.Holder != "" {
		who = "another run (" + e.Holder + ")"
	}
	waited := ""
	if e.Waited > 0 {
		waited = fmt.Sprintf(" after waiting %v", e.Waited)
	}
	return fmt.Sprintf("%s is in use by %s%s; wait until it has finished, then run again", e.Folder, who, waited)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// lockInfix names a lock file: .NAME.amupgrade-lock beside the folder NAME.
const lockInfix = ".amupgrade-lock"

// lockPoll is how often a waiting LockFolder tries again. flock cannot wait with a timeout,
// nor be interrupted by a context, so the wait polls.
const lockPoll = 20 * time.Millisecond

// LockFolder locks the folder dir (which need not exist yet) for a run that replaces it, or,
// with opts.Shared, for one that only reads it. While another run holds it, LockFolder waits
// up to opts.Wait, then fails with a *LockedError; ctx stops the wait. The caller releases the
// lock with Release.
func LockFolder(ctx context.Context, dir string, opts LockOptions) (*Lock, error) {
	folder, err := resolveOut(dir)
	if err != nil {
		return nil, err
	}
	l := &Lock{folder: folder, shared: opts.Shared}
	l.path = filepath.Join(filepath.Dir(folder), "."+filepath.Base(folder)+lockInfix)
	start := time.Now()
	announced := false
	for {
		holder, err := l.try(opts)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, errBusy) {
			l.Release()
			return nil, err
		}
		waited := time.Since(start)
		if waited >= opts.Wait {
			l.Release()
			return nil, &LockedError{Folder: folder, Holder: holder, Waited: opts.Wait}
		}
		if !announced && opts.Waiting != nil {
			announced = true
			opts.Waiting(holder)
		}
		select {
		case <-ctx.Done():
			l.Release()
			return nil, ctx.Err()
		case <-time.After(min(lockPoll, opts.Wait-waited)):
		}
	}
}

// errBusy: another run holds the lock file or the folder.
var errBusy = errors.New("busy")

// try takes both locks, or neither. On errBusy it returns what the lock file says of the run
// that holds it.
func (l *Lock) try(opts LockOptions) (holder string, err error) {
	if err := l.tryFile(); err != nil {
		if errors.Is(err, errBusy) {
			return l.holder(), err
		}
		return "", err
	}
	if !l.shared && l.file != nil && opts.Owner != "" {
		// At once, for a run that finds the file locked. Best effort: the lock holds without
		// it; a run that finds it locked then only says that another run holds it.
		if l.file.Truncate(0) == nil {
			_, _ = l.file.WriteAt([]byte(opts.Owner+"\n"), 0)
		}
	}
	d, err := lockDir(l.folder, l.shared)
	if err != nil {
		// The folder's holder is a run that has no lock file: what the lock file says is
		// not about it.
		l.releaseFile()
		return "", err
	}
	if d != nil {
		l.dirs = append(l.dirs, d)
	}
	return "", nil
}

// tryFile opens the lock file, making it (and the folders above it) if need be, and locks it.
// A lock file that cannot be made, since its folder is not writable, is no error: the folder's
// own lock stands alone. A run that only reads the folder never makes the lock file: it writes
// nothing beside a folder it was asked to read (which may be read-only, or inside a checkout
// that another program walks), and takes the lock file only where a writer has made it.
func (l *Lock) tryFile() error {
	for range 10 {
		var f *os.File
		var err error
		if l.shared {
			f, err = os.OpenFile(l.path, os.O_RDONLY|oNoFollow, 0)
		} else {
			f, err = os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o644)
		}
		if errors.Is(err, fs.ErrNotExist) && !l.shared {
			// A new output: make the folders that will hold it, so that the lock file can be
			// made.
			if err := l.makeParents(); err != nil {
				return err
			}
			continue
		}
		if isPermission(err) {
			// Another user's lock file, or a folder this user cannot write.
			f, err = os.OpenFile(l.path, os.O_RDONLY|oNoFollow, 0)
			if errors.Is(err, fs.ErrNotExist) || isPermission(err) {
				if !l.shared {
					l.Warning = fmt.Sprintf("cannot make the lock file %s, so the lock is the folder's own, which is local to this host on NFS", l.path)
				}
				return nil
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			// A reader where no writer has made the lock file, or a folder whose parent has
			// gone: the folder's own lock says the rest.
			return nil
		}
		if err != nil {
			return fmt.Errorf("opening the lock file %s: %w; check the folder holding %s and run again", l.path, err, l.folder)
		}
		err = flock(f, l.shared)
		if errors.Is(err, errBusy) {
			l.file = f // for holder
			return err
		}
		if err != nil {
			f.Close()
			if errors.Is(err, errNoLocks) {
				l.Warning = fmt.Sprintf("the file system cannot lock %s (%v; an NFS mount without locking?): concurrent runs are not excluded there", l.path, err)
				return nil
			}
			return fmt.Errorf("locking %s: %w", l.path, err)
		}
		// The file may have been removed by the holder that released it while this run
		// waited for it: then the lock is on a file nobody else will open. Try again.
		if !sameFile(f, l.path) {
			f.Close()
			continue
		}
		l.file = f
		return nil
	}
	return fmt.Errorf("locking %s: the lock file keeps being replaced; check what else removes it and run again", l.path)
}

// holder reads what the lock file says of the run that holds it, and closes it. The holder
// writes it just after taking the lock, so an empty file is read again for a moment.
func (l *Lock) holder() string {
	if l.file == nil {
		return ""
	}
	defer l.closeFile()
	for range 10 {
		b, _ := io.ReadAll(io.NewSectionReader(l.file, 0, 4096))
		if s := strings.TrimSpace(string(b)); s != "" {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ""
}

func (l *Lock) closeFile() {
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
}

// makeParents makes the folders above the lock file, remembering those it made.
func (l *Lock) makeParents() error {
	parent := filepath.Dir(l.path)
	var made []string
	for d := parent; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		made = append(made, d)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s to hold the output: %w; %s and run again", parent, err, writeAdvice(err))
	}
	l.madeParents = append(made, l.madeParents...)
	return nil
}

// lockDir locks the folder dir itself, if it exists.
func lockDir(dir string, shared bool) (*os.File, error) {
	for range 10 {
		d, err := os.Open(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("opening %s to lock it: %w; check that it is accessible and run again", dir, err)
		}
		if fi, err := d.Stat(); err != nil || !fi.IsDir() {
			// Not a folder: the checks after the lock say so.
			d.Close()
			return nil, nil
		}
		if err := flock(d, shared); err != nil {
			d.Close()
			if errors.Is(err, errNoLocks) {
				return nil, nil
			}
			return nil, err
		}
		// A swap may have put another folder in its place meanwhile: lock that one.
		if !sameFile(d, dir) {
			d.Close()
			continue
		}
		return d, nil
	}
	return nil, fmt.Errorf("locking %s: the folder keeps being replaced; check what else writes there and run again", dir)
}

// Folder is the folder locked, resolved.
func (l *Lock) Folder() string { return l.folder }

// adopt adds a locked staging folder to l, which keeps it locked until Release.
func (l *Lock) adopt(d *os.File) {
	l.mu.Lock()
	l.dirs = append(l.dirs, d)
	l.mu.Unlock()
}

// Release unlocks the folder and removes the lock file (unless another holder still has it
// locked shared) and the folders made to hold it, when empty. It does nothing the second time,
// and nothing on a nil Lock.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The folders first: a run that gets the lock file then finds them free.
	for _, d := range l.dirs {
		d.Close()
	}
	l.dirs = nil
	l.releaseFile()
	for _, d := range l.madeParents {
		if os.Remove(d) != nil {
			break
		}
	}
	l.madeParents = nil
}

// releaseFile unlocks and closes the lock file, and removes it unless another holder still
// has it locked shared (a shared holder that cannot take it exclusively leaves it to the
// others). The removal comes before the unlock, so that a run waiting for this lock file
// finds it gone and makes a new one.
func (l *Lock) releaseFile() {
	if l.file == nil {
		return
	}
	if !l.shared || flock(l.file, false) == nil {
		if sameFile(l.file, l.path) {
			_ = os.Remove(l.path)
		}
	}
	l.closeFile()
}

// removeStaleLock removes the lock file of out when no run holds it: a run killed left it.
func removeStaleLock(out string) (bool, error) {
	p := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+lockInfix)
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if flock(f, false) != nil || !sameFile(f, p) {
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("removing the lock file %s left by a killed run: %w; delete it by hand", p, err)
	}
	return true, nil
}

// lockStaging locks a staging folder just made, for the life of its Writer, so that Recover
// in another run leaves it alone.
func lockStaging(staging string) (*os.File, error) {
	d, err := os.Open(staging)
	if err != nil {
		return nil, err
	}
	if err := flock(d, false); err != nil && !errors.Is(err, errNoLocks) {
		d.Close()
		return nil, err
	}
	return d, nil
}

// inUse reports whether a Writer alive in some run holds the staging or parked folder p.
func inUse(p string) bool {
	d, err := os.Open(p)
	if err != nil {
		return false
	}
	defer d.Close()
	return errors.Is(flock(d, false), errBusy)
}

func isPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err)
}
