package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/amupgrade/amupgrade/ldif"
)

// The migration never holds the export, but it needs a little of every
// entry: to refuse a DN given twice, two entries that become one file, and
// to find the sub-schema named by an entry's parents. It keeps that in
// sorted slices of fixed-size records (24 bytes an entry), not in maps of
// strings, so that memory grows by a few bytes per entry.

// key identifies an entry by a hash of its normalized DN (or a file by a
// hash of its path): 128 bits, so that two different names never meet.
type key [16]byte

func hashKey(s string) key {
	h := sha256.Sum256([]byte(s))
	var k key
	copy(k[:], h[:16])
	return k
}

func dnKey(dn ldif.DN) key { return hashKey(dn.Norm()) }

// pos is where an entry is: the input's index and the line of its dn:.
type pos struct {
	input int32
	line  int32
}

func (p pos) less(q pos) bool {
	if p.input != q.input {
		return p.input < q.input
	}
	return p.line < q.line
}

// mark is one entry in an index.
type mark struct {
	k  key
	at pos
}

// marks is a list of entries, sorted by sortMarks, in which the same key
// twice is a clash.
type marks []mark

func (ms marks) sortMarks() {
	slices.SortFunc(ms, func(a, b mark) int {
		if c := bytes.Compare(a.k[:], b.k[:]); c != 0 {
			return c
		}
		if a.at.less(b.at) {
			return -1
		}
		if b.at.less(a.at) {
			return 1
		}
		return 0
	})
}

// clashes returns, for each key found more than once, the later positions
// with the first.
func (ms marks) clashes() [][2]pos {
	var out [][2]pos
	for i := 1; i < len(ms); i++ {
		if ms[i].k == ms[i-1].k {
			first := i - 1
			for first > 0 && ms[first-1].k == ms[i].k {
				first--
			}
			out = append(out, [2]pos{ms[first].at, ms[i].at})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1].less(out[j][1]) })
	return out
}

// serviceIDs maps entries to the sunserviceID they carry, for the entries
// whose sunserviceID is not their own name.
type serviceIDs struct {
	recs  []idRec
	names []string
	index map[string]uint32
}

type idRec struct {
	k  key
	id uint32
}

func (s *serviceIDs) add(k key, id string) {
	if s.index == nil {
		s.index = map[string]uint32{}
	}
	n, ok := s.index[id]
	if !ok {
		n = uint32(len(s.names))
		s.names = append(s.names, id)
		s.index[id] = n
	}
	s.recs = append(s.recs, idRec{k, n})
}

func (s *serviceIDs) sort() {
	slices.SortFunc(s.recs, func(a, b idRec) int { return bytes.Compare(a.k[:], b.k[:]) })
}

func (s *serviceIDs) get(k key) (string, bool) {
	i, ok := slices.BinarySearchFunc(s.recs, k, func(r idRec, k key) int { return bytes.Compare(r.k[:], k[:]) })
	if !ok {
		return "", false
	}
	return s.names[s.recs[i].id], true
}

// dnsAt reads the inputs again for the DNs of the entries at some
// positions: only to word an error, so the index need not keep them.
func (r *run) dnsAt(ctx context.Context, want map[pos]bool) map[pos]string {
	out := map[pos]string{}
	for i, in := range r.inputs {
		rc, err := in.Open()
		if err != nil {
			continue
		}
		lr, err := ldif.NewReader(rc, in.Name, r.opts.LDIF)
		for err == nil && ctx.Err() == nil && len(out) < len(want) {
			var e *ldif.Entry
			e, err = lr.Next()
			if err == io.EOF {
				break
			}
			var le *ldif.Error
			if errors.As(err, &le) && le.Err == nil {
				err = nil
				continue
			}
			if e != nil && want[pos{int32(i), int32(e.Line)}] {
				out[pos{int32(i), int32(e.Line)}] = e.DNText
			}
		}
		rc.Close()
	}
	return out
}

// secondDNs reads the DN text of the second entry of each clash.
func (r *run) secondDNs(ctx context.Context, clash [][2]pos) map[pos]string {
	want := map[pos]bool{}
	for _, c := range clash {
		want[c[1]] = true
	}
	return r.dnsAt(ctx, want)
}

// duplicates words the errors of DNs given twice.
func (r *run) duplicates(ctx context.Context, clash [][2]pos) Errors {
	dns := r.secondDNs(ctx, clash)
	var errs Errors
	for _, c := range clash {
		first, again := c[0], c[1]
		errs = append(errs, &ldif.Error{File: r.inputs[again.input].Name, Line: int(again.line), Msg: fmt.Sprintf(
			"the entry %q is already at %s:%d; an export holds each entry once: remove one of them",
			clip(dns[again], 100), r.inputs[first.input].Name, first.line)})
	}
	return errs
}

// collisions words the errors of entries that become one file.
func (r *run) collisions(ctx context.Context, clash [][2]pos) Errors {
	dns := r.secondDNs(ctx, clash)
	var errs Errors
	for _, c := range clash {
		first, again := c[0], c[1]
		text := dns[again]
		file := "?"
		if dn, err := ldif.ParseDN(text); err == nil && dn.HasSuffix(r.base) {
			p := locate(dn, r.base)
			file, _ = p.path(dn)
		}
		errs = append(errs, &ldif.Error{File: r.inputs[again.input].Name, Line: int(again.line), Msg: fmt.Sprintf(
			"the entry %q becomes the file %s, as the entry at %s:%d does (their names differ only in case, or in ':' and '/', which file names cannot hold); rename one of them in the configuration store",
			clip(text, 100), file, r.inputs[first.input].Name, first.line)})
	}
	return errs
}
