package report

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sort"
)

// maxDiffBytes bounds the files that unifiedDiff compares line by line: the old and the new
// file together. Beyond it, a one-line note says where the files first differ. A diff and its
// masking cost 40-90 ms per MiB compared (BenchmarkDiff), so the bound keeps a file of hundreds
// of MiB from taking minutes and gigabytes; the largest file of the real trees is 40 KB.
const maxDiffBytes = 32 << 20

// unifiedDiff is a unified diff of two versions of a file (nil when equal).
//
// It is the anchored diff of Go's internal/diff (as in rogpeppe/go-internal/diff, whose output
// it reproduces line for line), working on line offsets and hashes instead of a string per
// line: its memory is a few words per line beside the two files, and its time O(n log n) in
// the number of lines. Files larger than maxDiffBytes together get a note instead.
func unifiedDiff(oldName string, old []byte, newName string, new []byte) []byte {
	if bytes.Equal(old, new) {
		return nil
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "diff %s %s\n", oldName, newName)
	fmt.Fprintf(&out, "--- %s\n", oldName)
	fmt.Fprintf(&out, "+++ %s\n", newName)
	if len(old)+len(new) > maxDiffBytes {
		fmt.Fprintf(&out, "@@ too large to diff: %d bytes before, %d after (the limit is %d MiB for both); the first change is on line %d @@\n",
			len(old), len(new), maxDiffBytes>>20, firstChangedLine(old, new))
		return out.Bytes()
	}
	seed := maphash.MakeSeed()
	x, y := splitLines(old, seed), splitLines(new, seed)

	var (
		done  pair // printed up to x[:done.x] and y[:done.y]
		chunk pair // start lines of current chunk
		count pair // number of lines from each side in current chunk
		ctext []edit
	)
	for _, m := range tgs(x, y) {
		if m.x < done.x {
			// Already handled scanning forward from earlier match.
			continue
		}
		// Expand the match as far as possible: x[start.x:end.x] == y[start.y:end.y].
		start := m
		for start.x > done.x && start.y > done.y && x.same(start.x-1, y, start.y-1) {
			start.x--
			start.y--
		}
		end := m
		for end.x < x.len() && end.y < y.len() && x.same(end.x, y, end.y) {
			end.x++
			end.y++
		}
		// The mismatched lines before start join this chunk.
		for i := done.x; i < start.x; i++ {
			ctext = append(ctext, edit{'-', i})
			count.x++
		}
		for i := done.y; i < start.y; i++ {
			ctext = append(ctext, edit{'+', i})
			count.y++
		}
		// Not at the end and too few common lines: the chunk takes them all and goes on.
		const C = 3 // lines of context
		if (end.x < x.len() || end.y < y.len()) &&
			(end.x-start.x < C || (len(ctext) > 0 && end.x-start.x < 2*C)) {
			for i := start.x; i < end.x; i++ {
				ctext = append(ctext, edit{' ', i})
				count.x++
				count.y++
			}
			done = end
			continue
		}
		// End the chunk with common lines for context.
		if len(ctext) > 0 {
			n := min(end.x-start.x, C)
			for i := start.x; i < start.x+n; i++ {
				ctext = append(ctext, edit{' ', i})
				count.x++
				count.y++
			}
			done = pair{start.x + n, start.y + n}
			// Line numbers from 1; an empty file shows as 0,0.
			if count.x > 0 {
				chunk.x++
			}
			if count.y > 0 {
				chunk.y++
			}
			fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", chunk.x, count.x, chunk.y, count.y)
			for _, e := range ctext {
				out.WriteByte(e.op)
				if e.op == '+' {
					y.write(&out, e.i)
				} else {
					x.write(&out, e.i)
				}
			}
			count = pair{}
			ctext = ctext[:0]
		}
		if end.x >= x.len() && end.y >= y.len() {
			break
		}
		chunk = pair{end.x - C, end.y - C}
		for i := chunk.x; i < end.x; i++ {
			ctext = append(ctext, edit{' ', i})
			count.x++
			count.y++
		}
		done = end
	}
	return out.Bytes()
}

// pair is a pair of line indexes, in x and in y.
type pair struct{ x, y int }

// edit is one line of a chunk: op '-' and ' ' index x, '+' indexes y.
type edit struct {
	op byte
	i  int
}

// textLines is a file as lines, each its offsets in data and a hash of its bytes.
type textLines struct {
	data []byte
	// ends[i] is the end of line i (after its newline); line i starts at ends[i-1].
	ends []int
	hash []uint64
}

func splitLines(data []byte, seed maphash.Seed) textLines {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	t := textLines{data: data, ends: make([]int, 0, n), hash: make([]uint64, 0, n)}
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n') + start + 1
		if end == start {
			end = len(data)
		}
		t.ends = append(t.ends, end)
		t.hash = append(t.hash, maphash.Bytes(seed, data[start:end]))
		start = end
	}
	return t
}

func (t textLines) len() int { return len(t.ends) }

func (t textLines) line(i int) []byte {
	start := 0
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.data[start:t.ends[i]]
}

// same reports whether line i of t is line j of u.
func (t textLines) same(i int, u textLines, j int) bool {
	return t.hash[i] == u.hash[j] && bytes.Equal(t.line(i), u.line(j))
}

// write writes line i; a last line without a newline gets one, and the note diff prints.
func (t textLines) write(out *bytes.Buffer, i int) {
	l := t.line(i)
	out.Write(l)
	if len(l) == 0 || l[len(l)-1] != '\n' {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}

// tgs returns the pairs of indexes of the longest common subsequence of the lines unique in
// x and in y (appearing once in each), between the sentinels {0,0} and {len(x),len(y)}: the
// algorithm of Thomas G. Szymanski, "A Special Case of the Maximal Common Subsequence
// Problem", Princeton TR #170 (1975), as Go's internal/diff applies it.
func tgs(x, y textLines) []pair {
	// Count each line in x as 0, 1, many (0, -1, -2) and in y (0, -4, -8); negative, so that
	// line numbers can be told apart later. Keyed by hash: lines of equal hash but different
	// bytes are checked below.
	m := make(map[uint64]int, x.len()+y.len())
	for _, h := range x.hash {
		if c := m[h]; c > -2 {
			m[h] = c - 1
		}
	}
	for _, h := range y.hash {
		if c := m[h]; c > -8 {
			m[h] = c - 4
		}
	}
	// xi, yi: increasing indexes of the unique lines in x and y; inv[i]: the j such that
	// x[xi[i]] = y[yi[j]].
	var xi, yi, inv []int
	for i, h := range y.hash {
		if m[h] == -1+-4 {
			m[h] = len(yi)
			yi = append(yi, i)
		}
	}
	for i, h := range x.hash {
		if j, ok := m[h]; ok && j >= 0 && x.same(i, y, yi[j]) {
			xi = append(xi, i)
			inv = append(inv, j)
		}
	}
	m = nil

	J := inv
	n := len(xi)
	T := make([]int, n)
	L := make([]int, n)
	for i := range T {
		T[i] = n + 1
	}
	for i := range n {
		k := sort.Search(n, func(k int) bool { return T[k] >= J[i] })
		T[k] = J[i]
		L[i] = k + 1
	}
	k := 0
	for _, v := range L {
		k = max(k, v)
	}
	seq := make([]pair, 2+k)
	seq[1+k] = pair{x.len(), y.len()}
	lastj := n
	for i := n - 1; i >= 0; i-- {
		if L[i] == k && J[i] < lastj {
			seq[k] = pair{xi[i], yi[J[i]]}
			k--
		}
	}
	seq[0] = pair{0, 0}
	return seq
}

// firstChangedLine is the number of the first line at which old and new differ.
func firstChangedLine(old, new []byte) int {
	n := 0
	for n < len(old) && n < len(new) && old[n] == new[n] {
		n++
	}
	return bytes.Count(old[:n], []byte{'\n'}) + 1
}
