package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/diff"
)

// unifiedDiff gives, line for line, the diff of go-internal's diff.Diff, which it replaces
// for its memory: on hand-made cases, and on random files made of few distinct lines (so that
// many repeat, which is where an anchored diff has choices to make).
func TestUnifiedDiffMatchesGoInternal(t *testing.T) {
	t.Parallel()
	cases := [][2]string{
		{"", "a\n"},
		{"a\n", ""},
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"a\nb", "a\nb\n"},
		{"a\nb\n", "a\nc"},
		{"x", "y"},
		{"{\n  \"a\" : 1\n}\n", "{\n  \"a\" : 2,\n  \"b\" : [ ]\n}\n"},
		{strings.Repeat("}\n", 20) + "a\n" + strings.Repeat("}\n", 20), strings.Repeat("}\n", 20) + "b\n" + strings.Repeat("}\n", 21)},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"{", "}", "a", "b", "c", "\"x\" : 1,", "", "  ]", "d"}
	random := func() string {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			b.WriteByte('\n')
		}
		if rng.IntN(4) == 0 {
			b.WriteString("no newline")
		}
		return b.String()
	}
	for range 2000 {
		a := random()
		// Half the time an edit of a, half the time another file.
		if rng.IntN(2) == 0 {
			lines := strings.SplitAfter(a, "\n")
			for range rng.IntN(4) + 1 {
				i := rng.IntN(len(lines))
				lines[i] = vocab[rng.IntN(len(vocab))] + "\n"
			}
			cases = append(cases, [2]string{a, strings.Join(lines, "")})
		} else {
			cases = append(cases, [2]string{a, random()})
		}
	}
	for i, c := range cases {
		want := string(diff.Diff("a/f", []byte(c[0]), "b/f", []byte(c[1])))
		got := string(unifiedDiff("a/f", []byte(c[0]), "b/f", []byte(c[1])))
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("case %d %q → %q (-go-internal +ours):\n%s", i, c[0], c[1], d)
		}
	}
}

// Beyond maxDiffBytes a note says where the files first differ, at once.
func TestUnifiedDiffTooLarge(t *testing.T) {
	t.Parallel()
	line := []byte("    \"attribute\" : \"value\",\n")
	old := bytes.Repeat(line, maxDiffBytes/2/len(line)+1)
	new := bytes.Clone(old)
	copy(new[2*len(line):], "    \"changed")
	got := string(unifiedDiff("a/big.json", old, "b/big.json", new))
	want := fmt.Sprintf("diff a/big.json b/big.json\n--- a/big.json\n+++ b/big.json\n@@ too large to diff: %d bytes before, %d after (the limit is 32 MiB for both); the first change is on line 3 @@\n", len(old), len(new))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
