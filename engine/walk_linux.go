package engine

import (
	"encoding/binary"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// rawDirReader reads folders with getdents64, taking each entry's type from
// the record (one fstatat only where the file system does not give it),
// without the os.File a ReadDir costs.
type rawDirReader struct{ buf []byte }

func newDirReader() dirReader { return &rawDirReader{buf: make([]byte, 32<<10)} }

func (r *rawDirReader) read(root, rel string) ([]treeEntry, []string, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, &Error{Code: CodeInput, File: rel, Msg: "cannot read; check its permissions", Err: err}
	}
	defer unix.Close(fd)
	var entries []treeEntry
	var dirs []string
	for {
		n, err := unix.Getdents(fd, r.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, &Error{Code: CodeInput, File: rel, Msg: "cannot read; check its permissions", Err: err}
		}
		if n <= 0 {
			return entries, dirs, nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name…
		for off := 0; off < n; {
			reclen := int(binary.NativeEndian.Uint16(r.buf[off+16:]))
			typ := r.buf[off+18]
			name := r.buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			off += reclen
			if string(name) == "." || string(name) == ".." {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if err := unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					return nil, nil, &Error{Code: CodeInput, File: joinRel(rel, string(name)), Msg: "cannot read; check its permissions", Err: err}
				}
				typ = dirType(st.Mode)
			}
			child := joinRel(rel, string(name))
			switch typ {
			case unix.DT_DIR:
				dirs = append(dirs, child)
			case unix.DT_REG:
				entries = append(entries, treeEntry{child, entryFile})
			case unix.DT_LNK:
				entries = append(entries, treeEntry{child, entryLink})
			default:
				entries = append(entries, treeEntry{child, entryOther})
			}
		}
	}
}

func dirType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFLNK:
		return unix.DT_LNK
	}
	return unix.DT_UNKNOWN
}
